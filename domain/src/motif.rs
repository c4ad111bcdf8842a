//! A customer's motif: the notes a piece starts from, played on the page's
//! keyboard or read from their MIDI file. One type from the form (as text),
//! the API (as JSON) and the composer to the database, always normalised.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The most notes a motif may have.
pub const MAX_NOTES: usize = 128;
/// The most beats a motif may last: eight bars of four beats.
pub const MAX_BEATS: f64 = 32.0;
/// The longest note, in beats (the models' longest duration).
pub const MAX_NOTE_BEATS: f64 = 8.0;
/// Grid steps per beat, as the models count them.
pub use vocabulary::STEPS_PER_BEAT;
/// The largest MIDI file read as a motif.
pub const MAX_FILE_BYTES: usize = 1 << 20;
/// The velocity of a note whose velocity is not given.
pub const DEFAULT_VELOCITY: u8 = 80;
/// Played notes snap to sixteenths: a person's timing at the keyboard is
/// looser than the models' grid, and sixteenths keep what they meant.
pub const PLAYED_STEPS: u32 = 3;
/// The longest silence kept between two played notes, in beats.
pub const MAX_PLAYED_GAP: f64 = 4.0;

/// One note of a motif.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MotifNote {
    /// MIDI pitch, 0 to 127 (60 is middle C).
    pub pitch: u8,
    /// When it starts, in beats from the motif's first note.
    pub start: f64,
    /// How long it lasts, in beats.
    pub length: f64,
    /// MIDI velocity, 1 to 127.
    #[serde(default = "default_velocity")]
    pub velocity: u8,
}

fn default_velocity() -> u8 {
    DEFAULT_VELOCITY
}

/// The notes a piece starts from, in order of start then pitch, the first
/// starting at 0, every start and length on the grid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Vec<MotifNote>", into = "Vec<MotifNote>")]
pub struct Motif {
    notes: Vec<MotifNote>,
}

impl TryFrom<Vec<MotifNote>> for Motif {
    type Error = String;

    fn try_from(notes: Vec<MotifNote>) -> Result<Motif, String> {
        Motif::new(notes)
    }
}

impl From<Motif> for Vec<MotifNote> {
    fn from(motif: Motif) -> Vec<MotifNote> {
        motif.notes
    }
}

/// `beats` on the grid, in whole steps.
fn steps(beats: f64) -> i64 {
    (beats * f64::from(STEPS_PER_BEAT)).round() as i64
}

/// Whole steps in beats.
fn beats(steps: i64) -> f64 {
    steps as f64 / f64::from(STEPS_PER_BEAT)
}

impl Motif {
    /// The motif of `notes`, moved to start at 0 and snapped to the grid;
    /// of two notes of one pitch at one start the longer is kept. The error
    /// says what is wrong with them, for the person who gave them.
    pub fn new(notes: Vec<MotifNote>) -> Result<Motif, String> {
        if notes.is_empty() {
            return Err("A motif needs at least one note.".into());
        }
        if notes.len() > MAX_NOTES {
            return Err(format!(
                "A motif may have at most {MAX_NOTES} notes; this one has {}.",
                notes.len()
            ));
        }
        for (i, note) in notes.iter().enumerate() {
            let which = i + 1;
            if note.pitch > 127 {
                return Err(format!(
                    "Note {which}: a pitch is a MIDI note number from 0 to 127."
                ));
            }
            if !(1..=127).contains(&note.velocity) {
                return Err(format!("Note {which}: a velocity is from 1 to 127."));
            }
            if !note.start.is_finite() || note.start < 0.0 {
                return Err(format!(
                    "Note {which}: a start is a number of beats, 0 or more."
                ));
            }
            if !note.length.is_finite() || note.length <= 0.0 {
                return Err(format!(
                    "Note {which}: a length is a number of beats above 0."
                ));
            }
        }
        let first = notes.iter().map(|n| steps(n.start)).min().unwrap_or(0);
        let longest = steps(MAX_NOTE_BEATS);
        let mut snapped: Vec<(i64, u8, i64, u8)> = notes
            .iter()
            .map(|n| {
                (
                    steps(n.start) - first,
                    n.pitch,
                    steps(n.length).clamp(1, longest),
                    n.velocity,
                )
            })
            .collect();
        // By start and pitch, the longest first, so that dedup keeps it.
        snapped.sort_by(|a, b| (a.0, a.1, b.2).cmp(&(b.0, b.1, a.2)));
        snapped.dedup_by(|later, kept| (later.0, later.1) == (kept.0, kept.1));
        let motif = Motif {
            notes: snapped
                .into_iter()
                .map(|(start, pitch, length, velocity)| MotifNote {
                    pitch,
                    start: beats(start),
                    length: beats(length),
                    velocity,
                })
                .collect(),
        };
        if motif.beats() > MAX_BEATS {
            return Err(format!(
                "A motif may last at most {MAX_BEATS} beats (8 bars); this one lasts {}.",
                beats_text(motif.beats(), 2)
            ));
        }
        Ok(motif)
    }

    /// Notes played at the keyboard, each `(pitch, pressed, released)` in
    /// milliseconds, as a motif at `bpm` beats per minute: snapped to
    /// sixteenths, with long silences between notes shortened; `None` when
    /// nothing was played.
    pub fn from_played(played: &[(u8, f64, f64)], bpm: f64) -> Option<Motif> {
        let mut played: Vec<_> = played.to_vec();
        played.sort_by(|a, b| a.1.total_cmp(&b.1));
        let first = played.first()?.1;
        let per_ms = bpm / 60_000.0;
        let grid = f64::from(PLAYED_STEPS) / f64::from(STEPS_PER_BEAT);
        let snap = |beats: f64| (beats / grid).round() * grid;
        // Time cut out of long silences so far, in beats.
        let mut cut = 0.0;
        let mut latest_end = 0.0_f64;
        let mut notes = Vec::with_capacity(played.len());
        for &(pitch, pressed, released) in &played {
            let start = (pressed - first) * per_ms - cut;
            if start - latest_end > MAX_PLAYED_GAP {
                cut += start - latest_end - MAX_PLAYED_GAP;
            }
            let start = snap((pressed - first) * per_ms - cut);
            let length = snap((released - pressed).max(0.0) * per_ms).max(grid);
            latest_end = latest_end.max(start + length);
            notes.push(MotifNote {
                pitch,
                start,
                length,
                velocity: DEFAULT_VELOCITY,
            });
        }
        notes.truncate(MAX_NOTES);
        let mut motif = Motif::new(notes).ok()?;
        // Whatever was played past the longest motif is left out.
        while motif.beats() > MAX_BEATS {
            motif.notes.pop();
        }
        Some(motif)
    }

    /// Its notes, in order of start then pitch.
    pub fn notes(&self) -> &[MotifNote] {
        &self.notes
    }

    /// How long it lasts, in beats: until its last note ends.
    pub fn beats(&self) -> f64 {
        self.notes
            .iter()
            .map(|n| n.start + n.length)
            .fold(0.0, f64::max)
    }

    /// When its last note starts, in beats: the piece's own music starts
    /// after it.
    pub fn last_start(&self) -> f64 {
        self.notes.last().map_or(0.0, |n| n.start)
    }

    /// How long it lasts at `bpm` beats per minute, in seconds.
    pub fn seconds_at(&self, bpm: u32) -> f64 {
        self.beats() * 60.0 / f64::from(bpm.max(1))
    }
}

/// The message for a motif's MIDI file of `bytes` bytes, over the limit.
pub fn too_large(bytes: usize) -> String {
    format!(
        "This file is {} KiB; a motif's MIDI file may be at most 1,024 KiB (1 MiB).",
        bytes.div_ceil(1024)
    )
}

/// A motif read from a customer's MIDI file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MotifFile {
    /// The motif: the file's opening.
    pub motif: Motif,
    /// What was left out of the file, if anything, in words.
    pub note: Option<String>,
}

/// `beats` with at most `decimals` decimals and no trailing zeros: whole
/// beats as whole numbers, for a person and for the form's text alike.
pub fn beats_text(beats: f64, decimals: usize) -> String {
    let text = format!("{beats:.decimals$}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// The text the compose form and its address carry: one note per item,
/// `pitch:start:length:velocity`, items separated by spaces, beats with
/// three decimals at most (the grid's steps survive the rounding).
impl fmt::Display for Motif {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, n) in self.notes.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(
                f,
                "{}:{}:{}:{}",
                n.pitch,
                beats_text(n.start, 3),
                beats_text(n.length, 3),
                n.velocity
            )?;
        }
        Ok(())
    }
}

impl FromStr for Motif {
    type Err = String;

    fn from_str(text: &str) -> Result<Motif, String> {
        let bad =
            || "The motif could not be read: play it again, or choose its file again.".to_owned();
        let notes = text
            .split_whitespace()
            .map(|item| {
                let mut parts = item.split(':');
                let mut next = || parts.next().ok_or_else(bad);
                let pitch = next()?.parse::<u8>().map_err(|_| bad())?;
                let start = next()?.parse::<f64>().map_err(|_| bad())?;
                let length = next()?.parse::<f64>().map_err(|_| bad())?;
                let velocity = next()?.parse::<u8>().map_err(|_| bad())?;
                if parts.next().is_some() {
                    return Err(bad());
                }
                Ok(MotifNote {
                    pitch,
                    start,
                    length,
                    velocity,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        Motif::new(notes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(pitch: u8, start: f64, length: f64) -> MotifNote {
        MotifNote {
            pitch,
            start,
            length,
            velocity: DEFAULT_VELOCITY,
        }
    }

    #[test]
    fn a_motif_starts_at_zero_on_the_grid_in_order() {
        let motif = Motif::new(vec![
            note(64, 2.51, 0.5),
            note(60, 1.0, 1.0),
            note(67, 2.5, 0.0001),
            note(60, 1.0, 2.0),
        ])
        .unwrap();
        let got: Vec<_> = motif
            .notes()
            .iter()
            .map(|n| (n.pitch, n.start, n.length))
            .collect();
        // 2.51 beats snap to 2.5; the shorter of two equal notes goes; a
        // sliver of a note lasts one step.
        assert_eq!(got, [(60, 0.0, 2.0), (64, 1.5, 0.5), (67, 1.5, 1.0 / 12.0)]);
        assert_eq!(motif.beats(), 2.0);
        assert_eq!(motif.last_start(), 1.5);
        assert_eq!(motif.seconds_at(120), 1.0);
    }

    #[test]
    fn bad_notes_are_named() {
        assert_eq!(
            Motif::new(vec![]).unwrap_err(),
            "A motif needs at least one note."
        );
        let err = Motif::new(vec![note(60, 0.0, 1.0), note(200, 1.0, 1.0)]).unwrap_err();
        assert!(err.starts_with("Note 2: a pitch"), "{err}");
        let err = Motif::new(vec![note(60, f64::NAN, 1.0)]).unwrap_err();
        assert!(err.starts_with("Note 1: a start"), "{err}");
        let err = Motif::new(vec![note(60, 0.0, -1.0)]).unwrap_err();
        assert!(err.starts_with("Note 1: a length"), "{err}");
        let loud = MotifNote {
            velocity: 0,
            ..note(60, 0.0, 1.0)
        };
        assert!(Motif::new(vec![loud]).unwrap_err().contains("velocity"));
        let many = (0..=MAX_NOTES)
            .map(|i| note(60, i as f64 / 8.0, 0.1))
            .collect();
        assert!(Motif::new(many).unwrap_err().contains("at most 128 notes"));
        let long = vec![note(60, 0.0, 1.0), note(62, 31.5, 1.0)];
        assert_eq!(
            Motif::new(long).unwrap_err(),
            "A motif may last at most 32 beats (8 bars); this one lasts 32.5."
        );
    }

    #[test]
    fn the_form_text_and_json_keep_the_motif() {
        let motif = Motif::new(vec![
            note(60, 0.0, 1.0 / 3.0),
            note(64, 1.0 / 12.0, 0.75),
            note(127, 7.0, 8.0),
        ])
        .unwrap();
        let text = motif.to_string();
        assert_eq!(text, "60:0:0.333:80 64:0.083:0.75:80 127:7:8:80");
        assert_eq!(text.parse::<Motif>(), Ok(motif.clone()));
        let json = serde_json::to_string(&motif).unwrap();
        assert!(
            json.starts_with(r#"[{"pitch":60,"start":0.0,"length":0.3333"#),
            "{json}"
        );
        assert_eq!(serde_json::from_str::<Motif>(&json).unwrap(), motif);
        for bad in ["60", "60:0:1", "x:0:1:80", "60:0:1:80:9", "60:0:0:80"] {
            assert!(bad.parse::<Motif>().is_err(), "{bad}");
        }
        // JSON is checked as strictly as the form.
        assert!(serde_json::from_str::<Motif>("[]").is_err());
        let defaulted: Motif =
            serde_json::from_str(r#"[{"pitch":62,"start":4,"length":1}]"#).unwrap();
        assert_eq!(defaulted.notes()[0], note(62, 0.0, 1.0));
    }

    #[test]
    fn played_notes_snap_to_sixteenths_at_the_tempo() {
        // At 120 BPM a beat is 500 ms. A slightly late second note, a held
        // third, and a pause of ten seconds shortened to four beats.
        let played = [
            (60, 1000.0, 1240.0),
            (62, 1530.0, 1700.0),
            (64, 2000.0, 3010.0),
            (65, 13_010.0, 13_100.0),
        ];
        let motif = Motif::from_played(&played, 120.0).unwrap();
        let got: Vec<_> = motif
            .notes()
            .iter()
            .map(|n| (n.pitch, n.start, n.length))
            .collect();
        assert_eq!(
            got,
            [
                (60, 0.0, 0.5),
                (62, 1.0, 0.25),
                (64, 2.0, 2.0),
                (65, 8.0, 0.25)
            ]
        );
        assert_eq!(Motif::from_played(&[], 120.0), None);
    }
}
