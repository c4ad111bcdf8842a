//! Local alignment of two lines (Smith-Waterman): the best-matching passage
//! of one inside the other, with notes added, left out or changed, once one
//! line is transposed onto the other. Rhythm is left out: measured on real
//! music, rewarding notes that also last alike lost more copies with moved
//! onsets or another tempo than it kept unrelated pieces apart.

use super::lines::LineNote;

/// Points per aligned pair of notes and per note left out.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scoring {
    /// Per bit of surprise of the two notes' motion, for the same pitch once
    /// transposed: a leap both lines take counts more than a step of a scale.
    pub same: f32,
    /// For pitches a semitone or an octave apart (the parallel mode, a
    /// re-voicing): neither for nor against.
    pub near: f32,
    /// For any other pitch.
    pub other: f32,
    /// For a note of one line with no partner in the other.
    pub gap: f32,
}

/// The scoring the similarity rule uses, chosen on real music
/// (`tests/similarity.rs`).
pub const SCORING: Scoring = Scoring {
    same: 1.0,
    near: 0.0,
    other: -3.0,
    gap: -3.0,
};

/// The best local alignment found.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Alignment {
    /// Its score, in bits.
    pub score: f32,
    /// Pairs of the same or near pitches in it.
    pub matched: u32,
    /// Where it ends: one past its last note in each line.
    pub ends: (u32, u32),
}

/// One line with how surprising each note's motion is, in bits.
#[derive(Debug, Clone, Copy)]
pub struct Weighted<'a> {
    /// The notes.
    pub notes: &'a [LineNote],
    /// Each note's surprise.
    pub bits: &'a [f32],
}

/// The best local alignment of `a`, transposed by `shift` semitones, with `b`.
pub fn align(a: Weighted, b: Weighted, shift: i32, scoring: &Scoring) -> Alignment {
    let mut previous = vec![Alignment::default(); b.notes.len() + 1];
    let mut current = previous.clone();
    let mut best = Alignment::default();
    for (i, (note, a_bits)) in a.notes.iter().zip(a.bits).enumerate() {
        let pitch = i32::from(note.pitch) + shift;
        for (j, (other, b_bits)) in b.notes.iter().zip(b.bits).enumerate() {
            let (points, matched) = match (i32::from(other.pitch) - pitch).abs() {
                0 => (scoring.same * a_bits.min(*b_bits), 1),
                1 | 12 => (scoring.near * a_bits.min(*b_bits), 1),
                _ => (scoring.other, 0),
            };
            let diagonal = previous[j];
            let mut cell = Alignment {
                score: diagonal.score + points,
                matched: diagonal.matched + matched,
                ends: (i as u32 + 1, j as u32 + 1),
            };
            for side in [previous[j + 1], current[j]] {
                if side.score + scoring.gap > cell.score {
                    cell = Alignment {
                        score: side.score + scoring.gap,
                        ..side
                    };
                }
            }
            if cell.score <= 0.0 {
                cell = Alignment::default();
            }
            if cell.score > best.score {
                best = cell;
            }
            current[j + 1] = cell;
        }
        std::mem::swap(&mut previous, &mut current);
    }
    best
}
