//! Whether unrelated real music would count as the same music by
//! [`crate::music::similarity`]: every excerpt of every held-out file of some
//! corpora against every excerpt of every other file, the evidence behind the
//! similarity threshold; and the surprise table the rule weighs notes by,
//! fitted on the same corpora's training files.

use std::collections::HashMap;
use std::path::PathBuf;

use crate::music::events::{GridNote, STEPS_PER_BEAT};
use crate::music::piece::Parts;
use crate::music::similarity::surprise::Surprise;
use crate::music::similarity::{Melody, SAME_MUSIC_BITS, lines};
use crate::training::dataset::{Corpus, DataError};

/// Two excerpts of different files that share an index key, and how alike
/// they are.
#[derive(Debug, Clone, PartialEq)]
pub struct Pair {
    /// The two files with the excerpts' first beats.
    pub files: [(PathBuf, u32); 2],
    /// Their likeness, in bits.
    pub score: f32,
    /// Notes matched in their best passage.
    pub matched: u32,
}

impl Pair {
    /// Whether the rule calls them the same music.
    pub fn similar(&self) -> bool {
        self.score >= SAME_MUSIC_BITS
    }
}

/// One excerpt of a held-out file.
#[derive(Debug, Clone)]
pub struct Excerpt {
    /// Which of [`Study::names`] it is from.
    pub file: usize,
    /// Its first beat in the file.
    pub beat: u32,
    /// Its notes, from 0.
    pub notes: Vec<GridNote>,
    /// Its melody.
    pub melody: Melody,
}

/// What comparing the excerpts found.
#[derive(Debug, Clone, Default)]
pub struct Study {
    /// Held-out files read, over all corpora.
    pub names: Vec<PathBuf>,
    /// Excerpts cut from them.
    pub excerpts: Vec<Excerpt>,
    /// Pairs of excerpts of different files, all of them.
    pub pairs: usize,
    /// The pairs of excerpts of different files sharing a key, the most
    /// alike first.
    pub sharing: Vec<Pair>,
}

impl Study {
    /// The pairs that the rule calls the same music.
    pub fn collisions(&self) -> impl Iterator<Item = &Pair> {
        self.sharing.iter().filter(|pair| pair.similar())
    }
}

/// The held-out files (`share` of each corpus, split as training does) cut
/// into consecutive excerpts of `beats`.
pub fn excerpts(corpora: &[PathBuf], share: f64, beats: u32) -> Result<Study, DataError> {
    let mut study = Study::default();
    for corpus in corpora {
        let (_, validation) = Corpus::load(std::slice::from_ref(corpus), Parts::All)?.split(share);
        for song in validation.songs {
            let file = study.names.len();
            study.names.push(song.path.clone());
            for (beat, notes) in cut(&song.notes, beats) {
                let melody = Melody::of(&notes);
                study.excerpts.push(Excerpt {
                    file,
                    beat,
                    notes,
                    melody,
                });
            }
        }
    }
    Ok(study)
}

/// Every file of `corpora` cut into consecutive excerpts of `beats`.
pub fn all_excerpts(corpora: &[PathBuf], beats: u32) -> Result<Vec<Vec<GridNote>>, DataError> {
    let corpus = Corpus::load(corpora, Parts::All)?;
    Ok(corpus
        .songs
        .iter()
        .flat_map(|song| cut(&song.notes, beats))
        .map(|(_, notes)| notes)
        .collect())
}

/// Cuts the held-out files into excerpts (see [`excerpts`]) and compares
/// every excerpt with every excerpt of every other file that shares a key.
pub fn study(corpora: &[PathBuf], share: f64, beats: u32) -> Result<Study, DataError> {
    let mut study = excerpts(corpora, share, beats)?;
    let keys: Vec<Vec<u64>> = study.excerpts.iter().map(|e| e.melody.keys()).collect();
    let mut holders: HashMap<u64, Vec<usize>> = HashMap::new();
    for (index, set) in keys.iter().enumerate() {
        for &key in set {
            holders.entry(key).or_default().push(index);
        }
    }
    let count = study.excerpts.len();
    let same_file = |a: usize, b: usize| study.excerpts[a].file == study.excerpts[b].file;
    study.pairs = (0..count)
        .map(|a| (a + 1..count).filter(|&b| !same_file(a, b)).count())
        .sum();
    let mut sharing = Vec::new();
    for (index, set) in keys.iter().enumerate() {
        let mut others: Vec<usize> = set
            .iter()
            .flat_map(|key| holders[key].iter().copied())
            .filter(|&other| other > index && !same_file(index, other))
            .collect();
        others.sort_unstable();
        others.dedup();
        let (a, names) = (&study.excerpts[index], &study.names);
        for other in others {
            let b = &study.excerpts[other];
            let found = a.melody.likeness(&b.melody);
            sharing.push(Pair {
                files: [
                    (names[a.file].clone(), a.beat),
                    (names[b.file].clone(), b.beat),
                ],
                score: found.score,
                matched: found.matched,
            });
        }
    }
    sharing.sort_by(|a, b| b.score.total_cmp(&a.score));
    study.sharing = sharing;
    Ok(study)
}

/// The surprise table fitted on the lines of the training files (all but
/// `share`) of `corpora`.
pub fn fit_surprise(corpora: &[PathBuf], share: f64) -> Result<Surprise, DataError> {
    let mut all = Vec::new();
    for corpus in corpora {
        let (training, _) = Corpus::load(std::slice::from_ref(corpus), Parts::All)?.split(share);
        for song in training.songs {
            all.extend(lines::lines(&song.notes));
        }
    }
    Ok(Surprise::fit(all.iter().map(Vec::as_slice)))
}

/// Consecutive excerpts of `beats` each (the last one only when at least half
/// as long), with their first beat.
pub fn cut(notes: &[GridNote], beats: u32) -> Vec<(u32, Vec<GridNote>)> {
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
