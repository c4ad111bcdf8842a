//! Checks a generated piece must pass before anyone hears it: no stuck
//! repetition, no long silence, and no passage copied from the training music.

use std::path::Path;

use crate::music::events::{GridNote, STEPS_PER_BEAT};

/// A passage of this many consecutive notes found in the training music is a copy.
pub const COPY_RUN: usize = 32;
/// Shorter shared runs, reported beside real music's (scales and arpeggios are common).
pub const SHARED_RUN: usize = 16;
/// The same note or chord struck this many times in a row...
const STUCK_REPEATS: usize = 8;
/// ...over at least this many steps (two 4/4 bars) is a degenerate loop.
const STUCK_SPAN: u32 = 8 * STEPS_PER_BEAT;
/// No note may start for longer than this (two 4/4 bars).
const LONGEST_SILENCE: u32 = 8 * STEPS_PER_BEAT;

/// Why a piece was rejected, in words for the result.
pub fn degenerate(notes: &[GridNote]) -> Option<String> {
    if notes.len() < 2 {
        return Some("fewer than two notes".to_owned());
    }
    let mut sorted = notes.to_vec();
    sorted.sort_by_key(|n| (n.onset, n.pitch));
    // Chords: the pitches struck at each onset.
    let mut chords: Vec<(u32, Vec<u8>)> = Vec::new();
    for note in &sorted {
        match chords.last_mut() {
            Some((onset, pitches)) if *onset == note.onset => pitches.push(note.pitch),
            _ => chords.push((note.onset, vec![note.pitch])),
        }
    }
    for pair in chords.windows(2) {
        let gap = pair[1].0 - pair[0].0;
        if gap > LONGEST_SILENCE {
            return Some(format!(
                "a silence of {} beats at beat {}",
                gap / STEPS_PER_BEAT,
                pair[0].0 / STEPS_PER_BEAT
            ));
        }
    }
    let mut start = 0;
    for i in 1..=chords.len() {
        if i == chords.len() || chords[i].1 != chords[start].1 {
            let repeats = i - start;
            let span = chords[i - 1].0 - chords[start].0;
            if repeats >= STUCK_REPEATS && span >= STUCK_SPAN {
                return Some(format!(
                    "the same {} struck {repeats} times in a row from beat {}",
                    if chords[start].1.len() == 1 {
                        "note"
                    } else {
                        "chord"
                    },
                    chords[start].0 / STEPS_PER_BEAT
                ));
            }
            start = i;
        }
    }
    None
}

/// Every run of some length in a body of music, for copy checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunIndex {
    run: usize,
    hashes: Vec<u64>,
}

/// File format tag of a saved index.
const MAGIC: &[u8; 8] = b"MXRUNS01";

impl RunIndex {
    /// Indexes the runs of `run` notes of every song.
    pub fn build<'a>(run: usize, songs: impl IntoIterator<Item = &'a [GridNote]>) -> RunIndex {
        let mut hashes: Vec<u64> = songs
            .into_iter()
            .flat_map(|notes| run_hashes(notes, run).into_iter().map(|(_, h)| h))
            .collect();
        hashes.sort_unstable();
        hashes.dedup();
        RunIndex { run, hashes }
    }

    /// Run length of the index.
    pub fn run(&self) -> usize {
        self.run
    }

    /// The first note of the first run of `notes` found in the index.
    pub fn find(&self, notes: &[GridNote]) -> Option<usize> {
        run_hashes(notes, self.run)
            .into_iter()
            .find(|(_, h)| self.hashes.binary_search(h).is_ok())
            .map(|(start, _)| start)
    }

    /// Writes the index (a tag, the run length, sorted hashes).
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        let mut bytes = Vec::with_capacity(16 + 8 * self.hashes.len());
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(&(self.run as u64).to_le_bytes());
        for h in &self.hashes {
            bytes.extend_from_slice(&h.to_le_bytes());
        }
        std::fs::write(path, bytes)
    }

    /// Reads an index written by [`save`](RunIndex::save).
    pub fn load(path: &Path) -> std::io::Result<RunIndex> {
        let bytes = std::fs::read(path)?;
        let bad = || std::io::Error::new(std::io::ErrorKind::InvalidData, "not a run index");
        if bytes.len() < 16 || &bytes[..8] != MAGIC || bytes.len() % 8 != 0 {
            return Err(bad());
        }
        let word = |i: usize| u64::from_le_bytes(bytes[i..i + 8].try_into().expect("8 bytes"));
        let run = usize::try_from(word(8)).map_err(|_| bad())?;
        let hashes: Vec<u64> = (16..bytes.len()).step_by(8).map(word).collect();
        if !hashes.is_sorted() {
            return Err(bad());
        }
        Ok(RunIndex { run, hashes })
    }
}

fn mix(hash: u64, value: u64) -> u64 {
    let h = (hash ^ value).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    h ^ (h >> 31)
}

/// Hashes of every run of `run` consecutive notes, by its pitch intervals and
/// onset gaps, so that a transposed copy hashes the same; with the index of the
/// run's first note.
fn run_hashes(notes: &[GridNote], run: usize) -> Vec<(usize, u64)> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn note(onset: u32, pitch: u8) -> GridNote {
        GridNote {
            onset,
            pitch,
            duration: 3,
            velocity_band: 4,
        }
    }

    fn melody(len: usize, transpose: u8) -> Vec<GridNote> {
        let mut onset = 0;
        (0..len)
            .map(|i| {
                let n = note(onset, 50 + transpose + ((i * 7) % 12) as u8);
                onset += 3 * (1 + i as u32 % 3);
                n
            })
            .collect()
    }

    #[test]
    fn finds_copies_even_transposed_and_not_short_runs() {
        let index = RunIndex::build(COPY_RUN, [melody(100, 0).as_slice()]);
        let mut piece = vec![note(0, 90), note(5, 20)];
        let offset = 10;
        piece.extend(melody(40, 5)[3..35].iter().map(|n| GridNote {
            onset: n.onset + offset * 100,
            ..*n
        }));
        assert_eq!(index.find(&piece), Some(2));
        // 31 copied notes are not a copy.
        piece.truncate(2 + 31);
        assert_eq!(index.find(&piece), None);
    }

    #[test]
    fn index_round_trips_and_rejects_garbage() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("runs.bin");
        let index = RunIndex::build(SHARED_RUN, [melody(60, 0).as_slice()]);
        index.save(&path).unwrap();
        assert_eq!(RunIndex::load(&path).unwrap(), index);
        std::fs::write(&path, b"garbage!garbage!").unwrap();
        assert!(RunIndex::load(&path).is_err());
    }

    #[test]
    fn stuck_notes_and_silences_are_degenerate_but_music_is_not() {
        let stuck: Vec<GridNote> = (0..9).map(|i| note(i * 12, 60)).collect();
        assert!(
            degenerate(&stuck)
                .unwrap()
                .contains("same note struck 9 times")
        );
        // Eight quick repeats inside a bar are a figure, not a loop.
        let quick: Vec<GridNote> = (0..8)
            .map(|i| note(i * 3, 60))
            .chain([note(30, 62)])
            .collect();
        assert_eq!(degenerate(&quick), None);
        let silence = vec![note(0, 60), note(200, 62)];
        assert!(
            degenerate(&silence)
                .unwrap()
                .contains("silence of 16 beats")
        );
        assert_eq!(degenerate(&melody(64, 0)), None);
    }
}
