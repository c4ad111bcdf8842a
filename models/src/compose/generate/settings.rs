//! What a piece is asked for: its length, tempo, key, mode, boldness and
//! seed, checked before anything is composed.

use serde::Serialize;

use vocabulary::{Energy, Meter};

use super::MAX_ATTEMPTS;
use super::ending::steps_in;
use crate::music::events::GridNote;
use crate::music::key::Mode;

/// How long a piece is.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Length {
    /// Until this many seconds of music at the piece's tempo.
    Seconds(f64),
    /// Exactly this many events (then the note in progress is finished).
    Events(usize),
}

/// The user's controls.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Settings {
    /// How long.
    pub length: Length,
    /// Tempo in beats per minute: quarter notes, or dotted quarters in 6/8.
    pub tempo_bpm: f64,
    /// The bar's meter: the time signature written, the bar the network is told.
    pub meter: Meter,
    /// How lively: the energy class the network is told for every bar, and the touch.
    pub energy: Energy,
    /// Pitch class (0 = C) of the piece's tonic; `None` draws one as the
    /// training music's keys are spread (or keeps the primer's).
    pub tonic: Option<u8>,
    /// The piece's mode; `None` draws one as the training music's modes are
    /// spread (or keeps the primer's).
    pub mode: Option<Mode>,
    /// Creativity, the sampling temperature: below 1 safer, above 1 bolder
    /// (a note's length is never drawn bolder than at 1).
    pub creativity: f64,
    /// Nucleus sampling within each pitch class: a class keeps its likeliest
    /// notes whose probabilities add up to this share of the class (see `sample`).
    pub top_p: f64,
    /// Same seed, model and settings give the same piece.
    pub seed: u64,
    /// Music to continue, such as a customer's motif: the piece starts with
    /// it (moved to the piece's key) and its own music follows the primer's
    /// last onset; a length in seconds counts the primer's time too.
    #[serde(skip)]
    pub motif: Vec<GridNote>,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            length: Length::Seconds(30.0),
            tempo_bpm: 100.0,
            meter: Meter::Common,
            energy: Energy::MIDDLE,
            tonic: None,
            mode: None,
            creativity: 1.0,
            top_p: 0.9,
            seed: 1,
            motif: Vec::new(),
        }
    }
}

/// Errors of generation.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    /// A control is out of range.
    #[error("{field}: {message}")]
    Invalid {
        /// The control.
        field: &'static str,
        /// What is allowed.
        message: String,
    },
    /// Every attempt failed a guard.
    #[error("no acceptable piece after {MAX_ATTEMPTS} attempts: {}", .0.join("; "))]
    Exhausted(Vec<String>),
}

impl Settings {
    /// Quarter notes per minute: the tempo's beats, each a dotted quarter in 6/8.
    pub fn quarters_per_minute(&self) -> f64 {
        self.tempo_bpm * self.meter.quarters_per_beat()
    }

    /// Grid steps per bar.
    pub fn bar_steps(&self) -> u32 {
        self.meter.bar_steps()
    }

    /// Checks every control; the error names the control.
    pub fn validate(&self) -> Result<(), GenerateError> {
        let invalid = |field, message: &str| {
            Err(GenerateError::Invalid {
                field,
                message: message.to_owned(),
            })
        };
        match self.length {
            Length::Seconds(s) if !(5.0..=600.0).contains(&s) => {
                return invalid("length", "must be 5 to 600 seconds");
            }
            Length::Events(n) if !(1..=50_000).contains(&n) => {
                return invalid("length", "must be 1 to 50000 events");
            }
            _ => {}
        }
        if !(30.0..=240.0).contains(&self.tempo_bpm) {
            return invalid("tempo_bpm", "must be 30 to 240 beats per minute");
        }
        if self.tonic.is_some_and(|t| t > 11) {
            return invalid("tonic", "must be a pitch class, 0 (C) to 11 (B)");
        }
        if !(0.1..=2.0).contains(&self.creativity) {
            return invalid("creativity", "must be 0.1 to 2.0");
        }
        if !(self.top_p > 0.0 && self.top_p <= 1.0) {
            return invalid("top_p", "must be above 0 and at most 1");
        }
        if let (Length::Seconds(s), Some(end)) =
            (self.length, self.motif.iter().map(|n| n.onset).max())
            && end + self.bar_steps() > steps_in(s, self.quarters_per_minute())
        {
            return invalid(
                "motif",
                "must leave at least a bar of the length after its last note starts",
            );
        }
        Ok(())
    }
}
