//! A piece's melodic lines: its top line (where a tune usually is) and its
//! bass line, as sequences a melody can be recognised in whatever chords,
//! doublings or slightly displaced onsets surround it.

use crate::music::events::GridNote;

/// How far apart, in grid steps, two overlapping notes may start and still
/// sound as one chord: a sixteenth, so that a melody note played a little
/// late over its chord does not put the chord's top in the line.
pub const CHORD_SPREAD: u32 = 3;

/// One note of a line: when it starts, in grid steps, and its pitch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineNote {
    /// Onset in grid steps.
    pub onset: u32,
    /// MIDI pitch.
    pub pitch: u8,
}

/// The top line, then the bass line where the music has chords (a single
/// line's bass would be the line again).
pub fn lines(notes: &[GridNote]) -> Vec<Vec<LineNote>> {
    let mut sorted = notes.to_vec();
    sorted.sort_unstable_by_key(|n| (n.onset, n.pitch));
    let top = line(&sorted, |a, b| a > b);
    let bass = line(&sorted, |a, b| a < b);
    if top == bass {
        vec![top]
    } else {
        vec![top, bass]
    }
}

/// The notes (sorted by onset) that no note `beyond` them in pitch covers:
/// one sounding with them and starting within [`CHORD_SPREAD`] steps.
fn line(sorted: &[GridNote], beyond: impl Fn(u8, u8) -> bool) -> Vec<LineNote> {
    let covers = |other: &GridNote, note: &GridNote| {
        beyond(other.pitch, note.pitch)
            && other.onset < note.onset + note.duration
            && note.onset < other.onset + other.duration
    };
    let mut line: Vec<LineNote> = Vec::new();
    for (index, note) in sorted.iter().enumerate() {
        let near = sorted[..index]
            .iter()
            .rev()
            .take_while(|other| note.onset - other.onset <= CHORD_SPREAD)
            .chain(
                sorted[index + 1..]
                    .iter()
                    .take_while(|other| other.onset - note.onset <= CHORD_SPREAD),
            );
        if near.into_iter().any(|other| covers(other, note)) {
            continue;
        }
        // Two notes at one onset neither covers (unisons): one is enough.
        if line.last().is_some_and(|last| last.onset == note.onset) {
            continue;
        }
        line.push(LineNote {
            onset: note.onset,
            pitch: note.pitch,
        });
    }
    line
}
