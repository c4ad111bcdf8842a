//! Whether unrelated real music would count as the same music by
//! [`crate::music::similarity`]: every excerpt of every held-out file of some
//! corpora against every excerpt of every other file, the evidence behind the
//! similarity threshold.

use std::collections::HashMap;
use std::path::PathBuf;

use crate::music::events::{GridNote, STEPS_PER_BEAT};
use crate::music::piece::Parts;
use crate::music::similarity::{MIN_SHARED, containment, shingles, similar};
use crate::training::dataset::{Corpus, DataError};

/// The most alike pair of excerpts of two different files.
#[derive(Debug, Clone, PartialEq)]
pub struct Pair {
    /// The two files with the excerpts' first beats.
    pub files: [(PathBuf, u32); 2],
    /// Shingles the two share.
    pub shared: usize,
    /// Their containment (shared over the smaller set).
    pub containment: f64,
    /// Whether [`similar`] calls them the same music.
    pub similar: bool,
}

/// What comparing the excerpts found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Study {
    /// Held-out files read, over all corpora.
    pub files: usize,
    /// Excerpts cut from them.
    pub excerpts: usize,
    /// Pairs of excerpts of different files that share at least one shingle.
    pub pairs_sharing: usize,
    /// The pairs of excerpts of different files sharing at least
    /// [`MIN_SHARED`] shingles, the most alike first.
    pub alike: Vec<Pair>,
}

impl Study {
    /// The pairs that [`similar`] calls the same music.
    pub fn collisions(&self) -> impl Iterator<Item = &Pair> {
        self.alike.iter().filter(|pair| pair.similar)
    }
}

/// Cuts each held-out file (`share` of each corpus, split as training does)
/// into consecutive excerpts of `beats` and compares every excerpt with every
/// excerpt of every other file.
pub fn study(corpora: &[PathBuf], share: f64, beats: u32) -> Result<Study, DataError> {
    let mut excerpts: Vec<(usize, u32, Vec<u64>)> = Vec::new();
    let mut names: Vec<PathBuf> = Vec::new();
    for corpus in corpora {
        let (_, validation) = Corpus::load(std::slice::from_ref(corpus), Parts::All)?.split(share);
        for song in validation.songs {
            let file = names.len();
            names.push(song.path.clone());
            for (start, notes) in cut(&song.notes, beats) {
                excerpts.push((file, start, shingles(&notes)));
            }
        }
    }
    // Inverted index: which excerpts hold each shingle.
    let mut holders: HashMap<u64, Vec<usize>> = HashMap::new();
    for (index, (_, _, set)) in excerpts.iter().enumerate() {
        for &shingle in set {
            holders.entry(shingle).or_default().push(index);
        }
    }
    let mut study = Study {
        files: names.len(),
        excerpts: excerpts.len(),
        ..Study::default()
    };
    for (index, (file, start, set)) in excerpts.iter().enumerate() {
        let mut counts: HashMap<usize, usize> = HashMap::new();
        for shingle in set {
            for &other in &holders[shingle] {
                if other > index && excerpts[other].0 != *file {
                    *counts.entry(other).or_default() += 1;
                }
            }
        }
        study.pairs_sharing += counts.len();
        for (other, shared) in counts {
            if shared < MIN_SHARED {
                continue;
            }
            let (other_file, other_start, other_set) = &excerpts[other];
            study.alike.push(Pair {
                files: [
                    (names[*file].clone(), *start),
                    (names[*other_file].clone(), *other_start),
                ],
                shared,
                containment: containment(shared, set.len(), other_set.len()),
                similar: similar(shared, set.len(), other_set.len()),
            });
        }
    }
    study
        .alike
        .sort_by(|a, b| b.containment.total_cmp(&a.containment));
    Ok(study)
}

/// Consecutive excerpts of `beats` each (the last one only when at least half
/// as long), with their first beat.
fn cut(notes: &[GridNote], beats: u32) -> Vec<(u32, Vec<GridNote>)> {
    let span = beats * STEPS_PER_BEAT;
    let end = notes.iter().map(|n| n.onset).max().unwrap_or(0);
    (0..=end / span)
        .map(|i| i * span)
        .filter(|&start| start == 0 || end - start >= span / 2)
        .map(|start| {
            let excerpt = notes
                .iter()
                .filter(|n| n.onset >= start && n.onset < start + span)
                .map(|n| GridNote {
                    onset: n.onset - start,
                    ..*n
                })
                .collect();
            (start / STEPS_PER_BEAT, excerpt)
        })
        .collect()
}
