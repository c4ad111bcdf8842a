//! How alike two pieces' music is, so that a sold piece's music is not sold
//! again in any recognisable form: transposed, in another octave or with its
//! melody doubled, at another tempo, with onsets moved a little, with notes
//! added, left out or changed, inside other music, or in the parallel mode.
//!
//! A piece is reduced to its [`Melody`]: its top and bass lines
//! ([`lines`]), each note weighted by how surprising its motion is in real
//! music ([`surprise`]). Two melodies are compared by local alignment
//! ([`align`], Smith-Waterman) of each line of one with each line of the
//! other, transposed by the shifts their shared runs of notes suggest; they
//! are [`same_music`] when one passage of them matches by at least
//! [`SAME_MUSIC_BITS`]. Only pitches count, in order: transposition, tempo
//! and moved onsets drop out, and an added or missing note costs one gap.
//!
//! Sold pieces are found among many through an inverted index of [`grams`]:
//! runs of six notes by interval size, only the surprising ones
//! ([`Melody::keys`]), so that a lookup reads few rows however many pieces
//! were sold. The choice and its figures are in `tests/similarity.rs` and the
//! README.

pub mod align;
pub mod grams;
pub mod lines;
pub mod surprise;

use std::collections::HashMap;

use crate::music::events::GridNote;
use align::{Alignment, SCORING, Weighted, align};
use grams::{GRAM_INTERVALS, grams, keys};
use lines::LineNote;
use surprise::Surprise;

/// The score, in bits of matched surprise, from which two passages are the
/// same music: about 16 notes of a melody matched note for note, or 24 with
/// one in five changed. Chosen on real music (`tests/similarity.rs`): about
/// one pair in 1,000 excerpts of different files scores more, most of them
/// versions of one tune.
pub const SAME_MUSIC_BITS: f32 = 46.0;

/// Sales compared note by note per lookup: those sharing the most keys with
/// the music looked up. A copy shares more keys with its original than the
/// original's neighbours in the index do, so the original is among them
/// however many pieces were sold.
pub const CANDIDATES: usize = 24;

/// The [`CANDIDATES`] of `shared` (an indexed piece and how many keys it
/// shares with the music looked up) that share the most, most first.
pub fn most_shared<T: Ord + Copy>(shared: impl IntoIterator<Item = (T, usize)>) -> Vec<T> {
    let mut ranked: Vec<(T, usize)> = shared.into_iter().collect();
    ranked.sort_unstable_by_key(|&(id, count)| (std::cmp::Reverse(count), id));
    ranked
        .into_iter()
        .take(CANDIDATES)
        .map(|(id, _)| id)
        .collect()
}

/// Transpositions tried per pair of lines: those most of their shared grams
/// agree on (a copy's right one has the most votes, in the parallel mode
/// too, where a third of its notes vote a semitone off).
const SHIFTS_TRIED: usize = 2;

/// A piece's music as the similarity rule reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct Melody {
    lines: Vec<Line>,
}

#[derive(Debug, Clone, PartialEq)]
struct Line {
    notes: Vec<LineNote>,
    bits: Vec<f32>,
    /// Its grams with their first notes, by gram: what two lines share is
    /// found by walking both once.
    grams: Vec<(u64, usize)>,
}

impl Line {
    fn new(notes: Vec<LineNote>) -> Line {
        let bits = Surprise::shipped().of_line(&notes);
        let mut grams: Vec<(u64, usize)> = grams(&notes)
            .into_iter()
            .map(|(start, gram)| (gram, start))
            .collect();
        grams.sort_unstable();
        Line { notes, bits, grams }
    }

    fn weighted(&self) -> Weighted<'_> {
        Weighted {
            notes: &self.notes,
            bits: &self.bits,
        }
    }
}

impl Melody {
    /// The melody of `notes`.
    pub fn of(notes: &[GridNote]) -> Melody {
        Melody {
            lines: lines::lines(notes).into_iter().map(Line::new).collect(),
        }
    }

    /// The index keys of its music: each surprising gram once, sorted.
    pub fn keys(&self) -> Vec<u64> {
        let mut all: Vec<u64> = self
            .lines
            .iter()
            .flat_map(|line| keys(&line.notes, &line.bits))
            .collect();
        all.sort_unstable();
        all.dedup();
        all
    }

    /// The best-matching passage of the two melodies' music.
    pub fn likeness(&self, other: &Melody) -> Alignment {
        let mut best = Alignment::default();
        for a in &self.lines {
            for b in &other.lines {
                for shift in shifts(a, b) {
                    let found = align(a.weighted(), b.weighted(), shift, &SCORING);
                    if found.score > best.score {
                        best = found;
                    }
                }
            }
        }
        best
    }

    /// The melody as bytes to store: per line its length (u32), then per
    /// note its pitch and its onset's distance from the previous one (u32).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::new();
        for line in &self.lines {
            bytes.extend((line.notes.len() as u32).to_le_bytes());
            let mut onset = 0;
            for note in &line.notes {
                bytes.push(note.pitch);
                bytes.extend((note.onset - onset).to_le_bytes());
                onset = note.onset;
            }
        }
        bytes
    }

    /// The melody [`Melody::to_bytes`] wrote, or `None` for other bytes.
    pub fn from_bytes(mut bytes: &[u8]) -> Option<Melody> {
        fn take<const N: usize>(bytes: &mut &[u8]) -> Option<[u8; N]> {
            let (head, rest) = bytes.split_first_chunk::<N>()?;
            *bytes = rest;
            Some(*head)
        }
        let mut lines = Vec::new();
        while !bytes.is_empty() {
            let count = u32::from_le_bytes(take(&mut bytes)?) as usize;
            let mut notes = Vec::with_capacity(count.min(bytes.len() / 5));
            let mut onset = 0u32;
            for _ in 0..count {
                let [pitch] = take(&mut bytes)?;
                onset = onset.checked_add(u32::from_le_bytes(take(&mut bytes)?))?;
                notes.push(LineNote { onset, pitch });
            }
            lines.push(Line::new(notes));
        }
        Some(Melody { lines })
    }
}

/// The transpositions from `a` onto `b` that most of their shared grams
/// agree on.
fn shifts(a: &Line, b: &Line) -> Vec<i32> {
    let mut votes: HashMap<i32, usize> = HashMap::new();
    let (mut x, mut y) = (0, 0);
    while x < a.grams.len() && y < b.grams.len() {
        let (gram, _) = a.grams[x];
        match gram.cmp(&b.grams[y].0) {
            std::cmp::Ordering::Less => x += 1,
            std::cmp::Ordering::Greater => y += 1,
            std::cmp::Ordering::Equal => {
                let theirs = b.grams[y..].iter().take_while(|(g, _)| *g == gram);
                let ours: Vec<usize> = a.grams[x..]
                    .iter()
                    .take_while(|(g, _)| *g == gram)
                    .map(|&(_, start)| start)
                    .collect();
                let mut count = 0;
                for &(_, j) in theirs {
                    count += 1;
                    for &i in &ours {
                        // A gram's notes may differ by a semitone in the
                        // parallel mode; all six vote.
                        for k in 0..=GRAM_INTERVALS {
                            let shift =
                                i32::from(b.notes[j + k].pitch) - i32::from(a.notes[i + k].pitch);
                            *votes.entry(shift).or_default() += 1;
                        }
                    }
                }
                x += ours.len();
                y += count;
            }
        }
    }
    let mut ranked: Vec<(i32, usize)> = votes.into_iter().collect();
    ranked.sort_unstable_by_key(|&(shift, count)| (std::cmp::Reverse(count), shift));
    ranked
        .into_iter()
        .take(SHIFTS_TRIED)
        .map(|(shift, _)| shift)
        .collect()
}

/// Whether two melodies are the same music.
pub fn same_music(a: &Melody, b: &Melody) -> bool {
    a.likeness(b).score >= SAME_MUSIC_BITS
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    fn note(onset: u32, pitch: u8, duration: u32) -> GridNote {
        GridNote {
            onset,
            pitch,
            duration,
            velocity_band: 4,
        }
    }

    /// A made-up melody of `len` notes over a chord each bar.
    fn tune(seed: u64, len: usize) -> Vec<GridNote> {
        let mut rng = Rng::new(seed);
        let (mut notes, mut onset, mut pitch) = (Vec::new(), 0, 72i32);
        for _ in 0..len {
            pitch = (pitch + rng.below(11) as i32 - 5).clamp(60, 90);
            notes.push(note(onset, pitch as u8, 6));
            if onset % 48 == 0 {
                notes.extend([
                    note(onset, 48, 48),
                    note(onset, 52, 48),
                    note(onset, 55, 48),
                ]);
            }
            onset += 6 * (1 + rng.below(2) as u32);
        }
        notes.sort_by_key(|n| (n.onset, n.pitch));
        notes
    }

    #[test]
    fn a_copy_transposed_or_doubled_is_the_same_music_and_another_tune_is_not() {
        let sold = Melody::of(&tune(1, 40));
        let transposed: Vec<GridNote> = tune(1, 40)
            .into_iter()
            .map(|n| note(n.onset, n.pitch + 5, n.duration))
            .collect();
        assert!(same_music(&sold, &Melody::of(&transposed)));
        let mut doubled = tune(1, 40);
        let melody: Vec<GridNote> = doubled.iter().filter(|n| n.pitch >= 60).copied().collect();
        doubled.extend(
            melody
                .iter()
                .map(|n| note(n.onset, n.pitch + 12, n.duration)),
        );
        assert!(same_music(&sold, &Melody::of(&doubled)));
        for seed in 2..20 {
            assert!(
                !same_music(&sold, &Melody::of(&tune(seed, 40))),
                "seed {seed}"
            );
        }
    }

    #[test]
    fn a_melody_note_played_late_over_its_chord_stays_the_top_line() {
        let on_time = [
            note(0, 72, 12),
            note(0, 60, 24),
            note(0, 64, 24),
            note(12, 74, 12),
        ];
        let late = [
            note(3, 72, 9),
            note(0, 60, 24),
            note(0, 64, 24),
            note(12, 74, 12),
        ];
        let top = |notes: &[GridNote]| -> Vec<u8> {
            let mut sorted = notes.to_vec();
            sorted.sort_by_key(|n| (n.onset, n.pitch));
            lines::lines(&sorted)[0].iter().map(|n| n.pitch).collect()
        };
        assert_eq!(top(&on_time), vec![72, 74]);
        assert_eq!(top(&late), vec![72, 74]);
    }

    #[test]
    fn a_melody_reads_back_from_its_bytes_and_other_bytes_are_refused() {
        let melody = Melody::of(&tune(3, 50));
        assert_eq!(Melody::from_bytes(&melody.to_bytes()), Some(melody.clone()));
        let bytes = melody.to_bytes();
        assert_eq!(Melody::from_bytes(&bytes[..bytes.len() - 2]), None);
        assert_eq!(Melody::from_bytes(&[255, 255, 255, 255]), None);
        assert_eq!(Melody::from_bytes(&[]).map(|m| m.keys()), Some(Vec::new()));
    }

    #[test]
    fn the_most_sharing_pieces_are_the_candidates() {
        let shared = (0..100).map(|id| (id, id as usize % 7));
        let ranked = most_shared(shared);
        assert_eq!(ranked.len(), CANDIDATES);
        assert!(ranked[..14].iter().all(|id| id % 7 == 6));
    }
}
