//! Steering: the rules that, as a piece is written, weigh the network's next
//! choice towards what real music does. Each rule is a [`Rule`] in its own
//! file with its tunables in its own config, which [`SteeringConfig`] holds
//! and each model's `config.json` sets; the experiments that chose the
//! values are in the model cards.
//!
//! A rule observes each event as it is written and, before each choice,
//! weighs the candidates in a [`Weights`]: pitch classes made likelier or
//! less likely (the sampler keeps the class shares the network gives at
//! temperature 1, so the rules, not the temperature, decide how much each
//! class is heard), single events made likelier, a tilt against leaping,
//! and whether the bar is a restatement (its rhythm then trimmed as notes
//! are). Rules apply in the order [`rules`] lists them.

use burn::config::Config;

use super::Grammar;
use crate::music::events::{Event, GridNote};
use crate::music::key::Key;
use crate::music::musicality::ExcerptStyle;
use crate::rng::Rng;

mod balance;
mod downbeat;
mod echo;
mod tonic;
mod top_line;

pub use balance::BalanceConfig;
pub use downbeat::DownbeatConfig;
pub use echo::EchoConfig;
pub use tonic::TonicConfig;
pub use top_line::TopLineConfig;

#[cfg(test)]
pub(super) use balance::scale_weights;

/// Every steering rule's tunables, as a model's `config.json` holds them.
#[derive(Config, Debug, PartialEq)]
pub struct SteeringConfig {
    /// The pitch balance (see `steering/balance.rs`).
    #[config(default = "BalanceConfig::new()")]
    pub balance: BalanceConfig,
    /// The bass's pull to the tonic triad on downbeats (see `steering/tonic.rs`).
    #[config(default = "TonicConfig::new()")]
    pub tonic: TonicConfig,
    /// The top line's repeats and leaps (see `steering/top_line.rs`).
    #[config(default = "TopLineConfig::new()")]
    pub top_line: TopLineConfig,
    /// Bars that echo earlier ones (see `steering/echo.rs`).
    #[config(default = "EchoConfig::new()")]
    pub echo: EchoConfig,
    /// Rests across a bar line (see `steering/downbeat.rs`).
    #[config(default = "DownbeatConfig::new()")]
    pub downbeat: DownbeatConfig,
}

impl SteeringConfig {
    /// Refuses values that would make a rule's weights meaningless (the
    /// config is a file anyone may edit); the message names the field.
    pub fn check(&self) -> Result<(), String> {
        let positive = [
            ("steering.balance.steps", self.balance.steps),
            ("steering.tonic.weight", self.tonic.weight),
            ("steering.top_line.repeat_most", self.top_line.repeat_most),
            ("steering.echo.weight", self.echo.weight),
            ("steering.downbeat.skip_weight", self.downbeat.skip_weight),
        ];
        let at_least_zero = [
            ("steering.balance.limit", self.balance.limit),
            (
                "steering.balance.chromatic_kept",
                self.balance.chromatic_kept,
            ),
            ("steering.top_line.repeat_gain", self.top_line.repeat_gain),
            ("steering.top_line.leap_limit", self.top_line.leap_limit),
            (
                "steering.top_line.leap_gain",
                self.top_line.leap_gain.unwrap_or(0.0),
            ),
            ("steering.echo.restate_gain", self.echo.restate_gain),
        ];
        for (name, value) in positive {
            if !(value.is_finite() && value > 0.0) {
                return Err(format!("{name} must be a number above 0, not {value}"));
            }
        }
        for (name, value) in at_least_zero {
            if !(value.is_finite() && value >= 0.0) {
                return Err(format!(
                    "{name} must be a number of at least 0, not {value}"
                ));
            }
        }
        Ok(())
    }
}

/// What a rule sees of the piece at a choice, or as an event is written.
pub(super) struct Moment<'a> {
    /// The grammar's state: the time, the notes of the current onset, and
    /// whether a note awaits its length.
    pub(super) grammar: &'a Grammar,
    /// The notes written so far, in order (for a note's length being
    /// written, the note is the last).
    pub(super) notes: &'a [GridNote],
    /// Steps into a bar where the new music starts (after a primer).
    pub(super) offset: u32,
    /// Grid steps per bar.
    pub(super) bar_steps: u32,
    /// How far the piece is to its final chord, from 0 to 1 (0 without one).
    pub(super) progress: f64,
    /// Whether the final chord is being written.
    pub(super) closing: bool,
}

/// How a choice is weighed: what the rules ask of the sampler.
#[derive(Debug, Clone, Default)]
pub(super) struct Weights {
    /// Per rule, per pitch class (0 = C), how much likelier its notes are
    /// made; applied in order to each class's share at temperature 1.
    pub(super) classes: Vec<[f64; 12]>,
    /// Single events made likelier (or less likely), by how much; applied in order.
    pub(super) events: Vec<(usize, f64)>,
    /// For a line's next note, the pitch it moves from and how much less
    /// likely, as a power of e per semitone, a note further from it is.
    pub(super) tilt: Option<(u8, f64)>,
    /// Whether the bar restates an earlier one: its rests and lengths are
    /// then trimmed by the notes' nucleus, so that a rare one does not break it.
    pub(super) restating: bool,
}

/// A steering rule.
pub(super) trait Rule: std::fmt::Debug + Send {
    /// Takes note of `event`, about to be written at `moment`; `rng` is the
    /// attempt's, for a rule that draws.
    fn observe(&mut self, event: Event, moment: &Moment, rng: &mut Rng) {
        let _ = (event, moment, rng);
    }

    /// Weighs the next choice at `moment`.
    fn weigh(&self, moment: &Moment, weights: &mut Weights);
}

/// What the rules are made for: one attempt at a piece.
pub(super) struct Piece<'a> {
    /// The training excerpt it follows, if the model kept any.
    pub(super) style: Option<&'a ExcerptStyle>,
    /// Its key.
    pub(super) key: Key,
    /// Steps the final chord is held, for a piece with one.
    pub(super) hold: Option<u32>,
    /// Whether the instrument plays one line, whose downbeats are its melody's.
    pub(super) solo: bool,
    /// The attempt's seed.
    pub(super) seed: u64,
}

/// The rules that steer `piece`, as hard as `config` sets, in the order they apply.
pub(super) fn rules(piece: &Piece, config: &SteeringConfig) -> Vec<Box<dyn Rule>> {
    let mut rules: Vec<Box<dyn Rule>> = Vec::new();
    rules.push(match piece.style {
        Some(style) => Box::new(balance::Balance::new(
            &style.profile,
            piece.key,
            piece.hold,
            &config.balance,
        )),
        None => Box::new(balance::Scale::new(piece.key, &config.balance)),
    });
    if !piece.solo {
        rules.push(Box::new(tonic::Tonic::new(piece.key, &config.tonic)));
    }
    if let Some(style) = piece.style {
        rules.push(Box::new(top_line::TopLine::new(
            style,
            piece.solo,
            &config.top_line,
        )));
    }
    rules.push(Box::new(downbeat::Downbeat::new(&config.downbeat)));
    rules.push(Box::new(echo::Echo::new(
        piece.style,
        piece.seed,
        &config.echo,
    )));
    rules
}
