//! A piece of music as MixTape reads it from MIDI: pitched notes in beats.

use serde::{Deserialize, Serialize};

/// One pitched note.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Note {
    /// Start, in beats (quarter notes) from the beginning of the piece.
    pub onset: f64,
    /// Length in beats.
    pub duration: f64,
    /// MIDI key number, 0-127 (60 is middle C).
    pub pitch: u8,
    /// MIDI velocity, 1-127.
    pub velocity: u8,
    /// General MIDI program (0-127) of the instrument that plays it.
    pub program: u8,
    /// The part of the file that plays it: its track and channel, numbered
    /// from 0 in the file's order among those that play notes.
    #[serde(default)]
    pub part: u16,
}

/// A tempo that holds from `beat` until the next change.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TempoChange {
    /// Where the tempo starts, in beats.
    pub beat: f64,
    /// Beats per minute.
    pub bpm: f64,
}

/// A time signature such as 3/4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeSignature {
    /// Beats per bar.
    pub numerator: u8,
    /// The note value of a beat: 4 for quarter notes, 8 for eighths.
    pub denominator: u8,
}

impl Default for TimeSignature {
    fn default() -> Self {
        TimeSignature {
            numerator: 4,
            denominator: 4,
        }
    }
}

/// Which parts of a file are an instrument's music.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parts {
    /// Every part: an instrument that plays the whole texture (a piano's two
    /// hands, a guitar's voices, a quartet).
    All,
    /// The first part alone: a sonata's solo line without its piano, a
    /// concerto's first violin without the others (scores list the solo
    /// instrument first).
    First,
}

/// The tempo of a file that sets none, as the MIDI standard prescribes.
pub const DEFAULT_BPM: f64 = 120.0;

/// Every pitched note of a MIDI file, all tracks merged, with its tempo map.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Piece {
    /// Notes sorted by onset, then pitch.
    pub notes: Vec<Note>,
    /// Tempo changes sorted by beat; the first one is at beat 0.
    pub tempo_map: Vec<TempoChange>,
    /// The first time signature of the file (4/4 when it sets none).
    pub time_signature: TimeSignature,
}

impl Piece {
    /// The tempo at the start, in beats per minute.
    pub fn initial_bpm(&self) -> f64 {
        self.tempo_map.first().map_or(DEFAULT_BPM, |t| t.bpm)
    }

    /// Converts a position in beats to seconds through the tempo map.
    pub fn seconds_at(&self, beat: f64) -> f64 {
        let mut seconds = 0.0;
        let mut from = 0.0;
        let mut bpm = DEFAULT_BPM;
        for change in &self.tempo_map {
            if change.beat >= beat {
                break;
            }
            seconds += (change.beat - from) * 60.0 / bpm;
            from = change.beat;
            bpm = change.bpm;
        }
        seconds + (beat - from) * 60.0 / bpm
    }

    /// The piece with only `parts`.
    pub fn with_parts(mut self, parts: Parts) -> Piece {
        if parts == Parts::First {
            self.notes.retain(|note| note.part == 0);
        }
        self
    }

    /// The General MIDI program that plays the most notes (0, piano, for an empty piece).
    pub fn main_program(&self) -> u8 {
        let mut counts = [0usize; 128];
        for note in &self.notes {
            counts[usize::from(note.program & 0x7f)] += 1;
        }
        // The lowest program wins a tie, so the answer does not depend on note order.
        (0u8..128)
            .max_by_key(|&p| (counts[usize::from(p)], std::cmp::Reverse(p)))
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(onset: f64, duration: f64, pitch: u8, program: u8) -> Note {
        Note {
            onset,
            duration,
            pitch,
            velocity: 80,
            program,
            part: 0,
        }
    }

    #[test]
    fn seconds_follow_the_tempo_map() {
        let piece = Piece {
            notes: vec![],
            tempo_map: vec![
                TempoChange {
                    beat: 0.0,
                    bpm: 120.0,
                },
                TempoChange {
                    beat: 4.0,
                    bpm: 60.0,
                },
            ],
            time_signature: TimeSignature::default(),
        };
        assert_eq!(piece.seconds_at(2.0), 1.0);
        assert_eq!(piece.seconds_at(4.0), 2.0);
        assert_eq!(piece.seconds_at(6.0), 4.0);
        assert_eq!(piece.initial_bpm(), 120.0);
    }

    #[test]
    fn main_program_is_the_most_played() {
        let piece = Piece {
            notes: vec![
                note(0.0, 1.0, 60, 42),
                note(1.0, 1.0, 62, 40),
                note(2.0, 1.0, 64, 42),
            ],
            tempo_map: vec![],
            time_signature: TimeSignature::default(),
        };
        assert_eq!(piece.main_program(), 42);
        assert_eq!(piece.initial_bpm(), DEFAULT_BPM);
    }

    #[test]
    fn the_first_part_plays_alone() {
        let accompanied = Note {
            part: 1,
            ..note(0.0, 1.0, 48, 0)
        };
        let piece = Piece {
            notes: vec![note(0.0, 1.0, 60, 42), accompanied, note(1.0, 1.0, 62, 42)],
            tempo_map: vec![],
            time_signature: TimeSignature::default(),
        };
        let solo = piece.with_parts(Parts::First);
        assert_eq!(
            solo.notes.iter().map(|n| n.pitch).collect::<Vec<_>>(),
            [60, 62]
        );
    }
}
