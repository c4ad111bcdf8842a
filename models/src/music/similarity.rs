//! How alike two pieces' music is, whatever its key or tempo, so that a sold
//! piece's music is not sold again in a recognisable form.
//!
//! A piece is read as its notes in time order (lowest first within a chord),
//! each step from one note to the next being a pitch interval and an onset gap
//! on the beat grid. Its *shingles* are the hashes of every run of
//! [`SHINGLE_NOTES`] consecutive notes: a transposed copy has the same
//! intervals and a copy at another tempo the same gaps in beats, so both share
//! every shingle; one changed, added or missing note touches only the shingles
//! around it. Two pieces are [`similar`] when the shingles they share are a
//! large part of the smaller set (containment), so a piece contained in a
//! longer one, or a longer one built around it, is caught as well as a copy.
//!
//! The parameters were chosen on real music (`tests/similarity.rs`): of the
//! 30-second excerpts of the held-out files of all ten corpora, unrelated
//! pairs share at most 11% of their shingles; the one pair above the
//! threshold is two harmonisations of one hymn tune by Bach (29%), which is
//! the same music. A copy with one note in twenty changed keeps about 60%.

use crate::music::events::GridNote;

/// Notes per shingle: long enough that scales and arpeggios common to much
/// music rarely make a whole shingle alike, short enough that a changed note
/// spoils only a few.
pub const SHINGLE_NOTES: usize = 8;

/// The share of the smaller piece's shingles that, found in the other piece,
/// makes the two the same music.
pub const SIMILAR_SHARE: f64 = 0.25;

/// Fewer shared shingles than this are never the same music, whatever the
/// share: a few bars of a common figure are not a piece.
pub const MIN_SHARED: usize = 12;

pub(crate) fn mix(hash: u64, value: u64) -> u64 {
    let h = (hash ^ value).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    h ^ (h >> 31)
}

/// Hashes of every run of `run` consecutive notes, by its pitch intervals and
/// onset gaps, so that a transposed copy hashes the same; with the index of the
/// run's first note.
pub(crate) fn run_hashes(notes: &[GridNote], run: usize) -> Vec<(usize, u64)> {
    let mut sorted = notes.to_vec();
    sorted.sort_by_key(|n| (n.onset, n.pitch));
    let steps: Vec<u64> = sorted
        .windows(2)
        .map(|pair| {
            let interval = i64::from(pair[1].pitch) - i64::from(pair[0].pitch);
            let gap = i64::from(pair[1].onset) - i64::from(pair[0].onset);
            ((interval as u64) << 32) ^ (gap as u64 & 0xffff_ffff)
        })
        .collect();
    if run < 2 || steps.len() + 1 < run {
        return Vec::new();
    }
    steps
        .windows(run - 1)
        .enumerate()
        .map(|(start, window)| (start, window.iter().fold(run as u64, |h, &s| mix(h, s))))
        .collect()
}

/// The piece's shingles: sorted, each once.
pub fn shingles(notes: &[GridNote]) -> Vec<u64> {
    let mut hashes: Vec<u64> = run_hashes(notes, SHINGLE_NOTES)
        .into_iter()
        .map(|(_, hash)| hash)
        .collect();
    hashes.sort_unstable();
    hashes.dedup();
    hashes
}

/// How many shingles two sorted sets share.
pub fn shared(a: &[u64], b: &[u64]) -> usize {
    let (mut i, mut j, mut count) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                count += 1;
                i += 1;
                j += 1;
            }
        }
    }
    count
}

/// The share of the smaller set found in the other (0 when either is empty).
pub fn containment(shared: usize, a_len: usize, b_len: usize) -> f64 {
    let smaller = a_len.min(b_len);
    if smaller == 0 {
        0.0
    } else {
        shared as f64 / smaller as f64
    }
}

/// Whether two pieces with `a_len` and `b_len` shingles, `shared` of them in
/// common, are the same music: the rule the sale of a piece is refused by.
pub fn similar(shared: usize, a_len: usize, b_len: usize) -> bool {
    shared >= MIN_SHARED && containment(shared, a_len, b_len) >= SIMILAR_SHARE
}

/// Whether the two pieces' music is the same by [`similar`].
pub fn same_music(a: &[GridNote], b: &[GridNote]) -> bool {
    let (a, b) = (shingles(a), shingles(b));
    similar(shared(&a, &b), a.len(), b.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    fn note(onset: u32, pitch: u8) -> GridNote {
        GridNote {
            onset,
            pitch,
            duration: 6,
            velocity_band: 4,
        }
    }

    /// A made-up melody with a chord now and then, `len` notes.
    fn tune(seed: u64, len: usize) -> Vec<GridNote> {
        let mut rng = Rng::new(seed);
        let mut onset = 0;
        let mut pitch: i32 = 60;
        let mut notes = Vec::new();
        while notes.len() < len {
            pitch = (pitch + rng.below(9) as i32 - 4).clamp(40, 90);
            notes.push(note(onset, pitch as u8));
            if rng.below(4) == 0 {
                notes.push(note(onset, pitch as u8 - 7));
            }
            onset += 3 * (1 + rng.below(4) as u32);
        }
        notes.truncate(len);
        notes
    }

    #[test]
    fn copies_transposed_contained_or_touched_are_the_same_music() {
        let sold = tune(1, 200);
        assert!(same_music(&sold, &sold));
        let transposed: Vec<GridNote> = sold
            .iter()
            .map(|n| GridNote {
                pitch: n.pitch + 5,
                ..*n
            })
            .collect();
        assert!(same_music(&sold, &transposed));
        // Longer: the sold piece and more after it; shorter: its first third.
        let mut longer = sold.clone();
        let end = sold.iter().map(|n| n.onset).max().unwrap() + 12;
        longer.extend(tune(2, 150).iter().map(|n| GridNote {
            onset: n.onset + end,
            ..*n
        }));
        assert!(same_music(&sold, &longer));
        assert!(same_music(&sold, &sold[..70]));
        // One note in twenty moved a semitone.
        let touched: Vec<GridNote> = sold
            .iter()
            .enumerate()
            .map(|(i, n)| GridNote {
                pitch: if i % 20 == 5 { n.pitch + 1 } else { n.pitch },
                ..*n
            })
            .collect();
        assert!(same_music(&sold, &touched));
    }

    #[test]
    fn other_music_and_tiny_overlaps_are_not() {
        let sold = tune(1, 200);
        for seed in 2..50 {
            assert!(!same_music(&sold, &tune(seed, 200)), "seed {seed}");
        }
        // Eight notes shared are one shingle: under MIN_SHARED whatever the share.
        assert!(!same_music(&sold, &sold[..12]));
        assert!(!same_music(&[], &sold));
    }
}
