//! The similarity rule that keeps a sold piece's music from selling again,
//! on real music and on the shipped models: it must find a sold passage in
//! every recognisable form a rival could make of it, and nothing else.

use std::collections::HashMap;
use std::path::PathBuf;

use burn::tensor::Device;
use models::compose::generate::{Batch, Composition, Generator, Length, Settings};
use models::music::events::GridNote;
use models::music::key::{Mode, estimate_key};
use models::music::similarity::{Melody, SAME_MUSIC_BITS, most_shared};
use models::rng::Rng;
use models::training::collisions::{Excerpt, Study, excerpts, study};

fn datasets() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/datasets")
}

/// Every corpus in the shared datasets folder but the test fixtures.
fn corpora() -> Vec<PathBuf> {
    let mut sets: Vec<PathBuf> = std::fs::read_dir(datasets())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_dir() && !path.ends_with("tiny"))
        .collect();
    sets.sort();
    assert!(
        sets.len() >= 12,
        "the shared datasets are missing: {sets:?}"
    );
    sets
}

/// 50 beats: a 30-second piece at the default 100 BPM.
const EXCERPT_BEATS: u32 = 50;

/// Held-out files that are versions of one tune, found alike by the rule
/// and looked at: the same hymn tune harmonised twice by Bach (BWV 5.7 and
/// 188.6), one chorale in both chorale corpora (matched note for note over
/// 40 to 68 notes), and one chorale with and without its instruments.
const SAME_TUNE: [[&str; 2]; 4] = [
    ["000507b_", "018806b_"],
    ["014907b_", "bwv340"],
    ["018007b_", "bwv99.6"],
    ["019007b_", "019007binst"],
];

fn name(path: &std::path::Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}

/// No more than one pair in 1,000 excerpts of different held-out files, of
/// any corpus, is the same music by the rule, the versions of one tune
/// aside; every pair found is printed to be looked at.
#[test]
fn unrelated_real_music_rarely_counts_as_the_same() {
    let found = study(&corpora(), 0.1, EXCERPT_BEATS).unwrap();
    let alike: Vec<_> = found.collisions().collect();
    println!(
        "{} held-out files, {} excerpts of {EXCERPT_BEATS} beats, {} pairs of different files; {} share a key; {} score {SAME_MUSIC_BITS} bits or more:",
        found.names.len(),
        found.excerpts.len(),
        found.pairs,
        found.sharing.len(),
        alike.len(),
    );
    for pair in &alike {
        println!(
            "  {:6.1} bits, {:3} notes: {} beat {} / {} beat {}",
            pair.score,
            pair.matched,
            name(&pair.files[0].0),
            pair.files[0].1,
            name(&pair.files[1].0),
            pair.files[1].1
        );
    }
    assert!(found.names.len() >= 400, "{} files", found.names.len());
    let same_tune = |pair: &&models::training::collisions::Pair| {
        let names = [name(&pair.files[0].0), name(&pair.files[1].0)];
        SAME_TUNE
            .iter()
            .any(|tune| names.iter().all(|n| tune.iter().any(|t| n.starts_with(t))))
    };
    assert!(
        alike.iter().any(same_tune),
        "the versions of one tune are no longer found alike"
    );
    let unrelated = alike.iter().filter(|pair| !same_tune(pair)).count();
    let share = unrelated as f64 / found.pairs as f64;
    println!(
        "unrelated pairs judged alike: {unrelated} ({:.4}%)",
        100.0 * share
    );
    assert!(share <= 0.001, "{unrelated} of {} pairs", found.pairs);
}

/// One recognisable edit of a passage.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Edit {
    /// Moved 1 to 11 semitones up or down.
    Transposed,
    /// An octave up or down, the melody doubled an octave higher, or the
    /// chords under the melody an octave lower.
    Octave,
    /// Its note lengths times 1/2, 2 or 3/2 (at a tempo to match).
    Tempo,
    /// One onset in five moved by up to a sixteenth, either way.
    Onsets,
    /// A note added after one melody note in five.
    Added,
    /// One melody note in five left out.
    Removed,
    /// One melody note in five a semitone or a tone higher or lower.
    Changed,
    /// In the parallel major or minor.
    Mode,
}

const EDITS: [Edit; 8] = [
    Edit::Transposed,
    Edit::Octave,
    Edit::Tempo,
    Edit::Onsets,
    Edit::Added,
    Edit::Removed,
    Edit::Changed,
    Edit::Mode,
];

/// A sixteenth, in grid steps.
const SIXTEENTH: u32 = 3;

fn pick<T: Copy>(rng: &mut Rng, items: &[T]) -> T {
    items[rng.below(items.len())]
}

/// The index of each onset's highest note (the melody's).
fn melody_notes(notes: &[GridNote]) -> Vec<usize> {
    (0..notes.len())
        .filter(|&i| {
            notes
                .get(i + 1)
                .is_none_or(|next| next.onset != notes[i].onset)
        })
        .collect()
}

/// A fifth of the melody's notes, at random.
fn a_fifth(rng: &mut Rng, melody: &[usize]) -> Vec<usize> {
    let mut chosen: Vec<usize> = melody.to_vec();
    for i in (1..chosen.len()).rev() {
        chosen.swap(i, rng.below(i + 1));
    }
    chosen.truncate(melody.len() / 5);
    chosen
}

fn moved(pitch: u8, by: i32) -> u8 {
    (i32::from(pitch) + by).clamp(0, 127) as u8
}

fn sorted(mut notes: Vec<GridNote>) -> Vec<GridNote> {
    notes.sort_by_key(|n| (n.onset, n.pitch));
    notes.dedup_by_key(|n| (n.onset, n.pitch));
    notes
}

/// `notes` (sorted by onset, then pitch) with `edit` made.
fn edited(rng: &mut Rng, notes: &[GridNote], edit: Edit) -> Vec<GridNote> {
    let mut out = notes.to_vec();
    let melody = melody_notes(notes);
    match edit {
        Edit::Transposed => {
            let by = (1 + rng.below(11) as i32) * pick(rng, &[-1, 1]);
            out.iter_mut().for_each(|n| n.pitch = moved(n.pitch, by));
        }
        Edit::Octave => match rng.below(3) {
            0 => {
                let by = pick(rng, &[-12, 12]);
                out.iter_mut().for_each(|n| n.pitch = moved(n.pitch, by));
            }
            1 => out.extend(melody.iter().map(|&i| GridNote {
                pitch: moved(notes[i].pitch, 12),
                ..notes[i]
            })),
            _ => {
                for (i, note) in out.iter_mut().enumerate() {
                    if !melody.contains(&i) {
                        note.pitch = moved(note.pitch, -12);
                    }
                }
            }
        },
        Edit::Tempo => {
            let (times, over) = pick(rng, &[(1, 2), (2, 1), (3, 2)]);
            for note in &mut out {
                note.onset = note.onset * times / over;
                note.duration = (note.duration * times / over).max(1);
            }
        }
        Edit::Onsets => {
            for note in &mut out {
                if rng.below(5) == 0 {
                    let by = 1 + rng.below(SIXTEENTH as usize) as u32;
                    note.onset = if rng.below(2) == 0 {
                        note.onset + by
                    } else {
                        note.onset.saturating_sub(by)
                    };
                }
            }
        }
        Edit::Added => {
            for i in a_fifth(rng, &melody) {
                let after = notes[i];
                out.push(GridNote {
                    onset: after.onset + 1 + rng.below(2) as u32,
                    pitch: moved(after.pitch, pick(rng, &[-3, -2, -1, 1, 2, 3])),
                    ..after
                });
            }
        }
        Edit::Removed => {
            let gone = a_fifth(rng, &melody);
            out = (0..notes.len())
                .filter(|i| !gone.contains(i))
                .map(|i| notes[i])
                .collect();
        }
        Edit::Changed => {
            for i in a_fifth(rng, &melody) {
                out[i].pitch = moved(out[i].pitch, pick(rng, &[-2, -1, 1, 2]));
            }
        }
        Edit::Mode => {
            let Some(key) = estimate_key(notes) else {
                return out;
            };
            // Major to minor lowers the third, sixth and seventh; minor to
            // major raises them.
            let (degrees, by) = match key.mode {
                Mode::Major => ([4, 9, 11], -1),
                Mode::Minor => ([3, 8, 10], 1),
            };
            for note in &mut out {
                let degree = (i32::from(note.pitch) - i32::from(key.tonic)).rem_euclid(12);
                if degrees.contains(&degree) {
                    note.pitch = moved(note.pitch, by);
                }
            }
        }
    }
    sorted(out)
}

/// `passage` after the first 8 beats of `other` and before its next 8.
fn inside(passage: &[GridNote], other: &[GridNote]) -> Vec<GridNote> {
    let (before, after) = (8 * 12, 16 * 12);
    let mut notes: Vec<GridNote> = other.iter().filter(|n| n.onset < before).copied().collect();
    notes.extend(passage.iter().map(|n| GridNote {
        onset: n.onset + before,
        ..*n
    }));
    let end = notes.iter().map(|n| n.onset).max().unwrap_or(0) + 12;
    notes.extend(
        other
            .iter()
            .filter(|n| (before..after).contains(&n.onset))
            .map(|n| GridNote {
                onset: n.onset - before + end,
                ..*n
            }),
    );
    sorted(notes)
}

/// The passage of `notes` from its `start`th onset, `length` onsets long,
/// moved to start at 0.
fn passage(notes: &[GridNote], start: usize, length: usize) -> Vec<GridNote> {
    let mut onsets: Vec<u32> = notes.iter().map(|n| n.onset).collect();
    onsets.dedup();
    let (from, to) = (onsets[start], onsets[start + length]);
    notes
        .iter()
        .filter(|n| (from..to).contains(&n.onset))
        .map(|n| GridNote {
            onset: n.onset - from,
            ..*n
        })
        .collect()
}

/// The excerpts as sold pieces, found by their keys as the site finds them.
struct Index<'a> {
    excerpts: &'a [Excerpt],
    holders: HashMap<u64, Vec<usize>>,
}

impl<'a> Index<'a> {
    fn new(study: &'a Study) -> Index<'a> {
        let mut holders: HashMap<u64, Vec<usize>> = HashMap::new();
        for (index, excerpt) in study.excerpts.iter().enumerate() {
            for key in excerpt.melody.keys() {
                holders.entry(key).or_default().push(index);
            }
        }
        Index {
            excerpts: &study.excerpts,
            holders,
        }
    }

    /// How alike the lookup of `melody` finds sold excerpt `sold` (0 when it
    /// is not among the candidates).
    fn finds(&self, melody: &Melody, sold: usize) -> f32 {
        let mut shared: HashMap<usize, usize> = HashMap::new();
        for key in melody.keys() {
            for &holder in self.holders.get(&key).into_iter().flatten() {
                *shared.entry(holder).or_default() += 1;
            }
        }
        if most_shared(shared).contains(&sold) {
            self.excerpts[sold].melody.likeness(melody).score
        } else {
            0.0
        }
    }
}

/// How often edited passages of `length` melody notes of sold excerpts are
/// found: per kind of edit, and for two kinds at once; with the sold
/// excerpt the longer (the passage, edited, inside other music, looked up)
/// or the shorter (the passage sold, the whole excerpt edited).
fn recall(
    index: &Index,
    rng: &mut Rng,
    length: usize,
    trials: usize,
) -> Vec<(String, Vec<f32>, Vec<f32>)> {
    let excerpts = index.excerpts;
    let kinds: Vec<Option<Edit>> = EDITS.iter().copied().map(Some).chain([None]).collect();
    kinds
        .iter()
        .map(|kind| {
            let (mut longer, mut shorter) = (Vec::new(), Vec::new());
            for _ in 0..trials {
                let (sold, onsets) = loop {
                    let sold = rng.below(excerpts.len());
                    let mut onsets: Vec<u32> =
                        excerpts[sold].notes.iter().map(|n| n.onset).collect();
                    onsets.dedup();
                    if onsets.len() > length + 1 {
                        break (sold, onsets.len());
                    }
                };
                let edits = match kind {
                    Some(edit) => vec![*edit],
                    None => {
                        let first = pick(rng, &EDITS);
                        let second = loop {
                            let second = pick(rng, &EDITS);
                            if second != first {
                                break second;
                            }
                        };
                        vec![first, second]
                    }
                };
                let notes = &excerpts[sold].notes;
                let start = rng.below(onsets - length);
                let cut = passage(notes, start, length);
                let other = &excerpts[rng.below(excerpts.len())].notes;
                let edit_all = |rng: &mut Rng, notes: &[GridNote]| {
                    edits
                        .iter()
                        .fold(notes.to_vec(), |n, &e| edited(rng, &n, e))
                };
                let copy = inside(&edit_all(rng, &cut), other);
                longer.push(index.finds(&Melody::of(&copy), sold));
                let (short, long) = (Melody::of(&cut), Melody::of(&edit_all(rng, notes)));
                let shares = short
                    .keys()
                    .iter()
                    .any(|k| long.keys().binary_search(k).is_ok());
                shorter.push(if shares {
                    short.likeness(&long).score
                } else {
                    0.0
                });
            }
            let label = kind.map_or("two at once".to_string(), |edit| format!("{edit:?}"));
            (label, longer, shorter)
        })
        .collect()
}

/// Passages of held-out music of every corpus, edited in each recognisable
/// way, are found: the recall per edit and length is printed as a table.
#[test]
fn recognisable_forms_of_a_sold_passage_are_found() {
    let study = excerpts(&corpora(), 0.1, EXCERPT_BEATS).unwrap();
    let index = Index::new(&study);
    let mut rng = Rng::new(37);
    let trials = 200;
    println!("recall over {trials} passages each (sold excerpt the longer / the shorter)");
    let share = |scores: &[f32], bits: f32| {
        scores.iter().filter(|&&s| s >= bits).count() as f64 / scores.len() as f64
    };
    for (length, single, two) in [(16, 0.03, 0.1), (24, 0.55, 0.55), (32, 0.8, 0.75)] {
        let found = recall(&index, &mut rng, length, trials);
        for bits in [32.0, 40.0, SAME_MUSIC_BITS] {
            let cells: Vec<String> = found
                .iter()
                .map(|(label, a, b)| {
                    format!(
                        "{label} {:.1}/{:.1}",
                        100.0 * share(a, bits),
                        100.0 * share(b, bits)
                    )
                })
                .collect();
            println!("{length} notes at {bits} bits: {}", cells.join(", "));
        }
        for (label, a, b) in &found {
            let (a, b) = (share(a, SAME_MUSIC_BITS), share(b, SAME_MUSIC_BITS));
            let least = if label == "two at once" { two } else { single };
            assert!(
                a.min(b) >= least,
                "{length} notes, {label}: {a:.3} / {b:.3} under {least}"
            );
        }
    }
}

fn generator(id: &str) -> Generator {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(id);
    Generator::open(&dir, &Device::flex()).unwrap()
}

/// Composes `count` pieces of 30 s from seed `first` on, in one batch.
fn compose(generator: &Generator, first: u64, count: u64) -> Vec<Composition> {
    let mut batch = Batch::new(generator);
    for seed in first..first + count {
        let settings = Settings {
            length: Length::Seconds(30.0),
            seed,
            ..Settings::default()
        };
        batch.add(settings, (seed - first) as usize).unwrap();
    }
    let mut done: Vec<Option<Composition>> = vec![None; count as usize];
    while !batch.is_empty() {
        for (index, result) in batch.step() {
            done[index] = Some(result.unwrap());
        }
    }
    done.into_iter().map(Option::unwrap).collect()
}

/// A passage this long shared by two pieces of one model is the model
/// composing the same music twice, not the rule mistaking two pieces.
const REPEATED_NOTES: u32 = 64;

/// What composing pieces one after another found.
struct Refusals {
    /// Pieces an earlier one (found by its keys, as the site finds sold
    /// pieces) is the same music as, by a passage shorter than
    /// [`REPEATED_NOTES`].
    refused: usize,
    /// Pieces that repeat an earlier one for [`REPEATED_NOTES`] or more.
    repeats: Vec<(u64, u64, u32)>,
    /// The highest scores of a piece against the earlier ones.
    most: Vec<f32>,
}

/// Composes `count` pieces at the default settings and compares each with
/// the earlier ones as a sale is compared with the sold pieces.
fn refused_among(id: &str, count: u64) -> Refusals {
    let pieces = compose(&generator(id), 1000, count);
    let mut holders: HashMap<u64, Vec<usize>> = HashMap::new();
    let mut found = Refusals {
        refused: 0,
        repeats: Vec::new(),
        most: Vec::new(),
    };
    for (index, piece) in pieces.iter().enumerate() {
        let melody = Melody::of(&piece.notes);
        let keys = melody.keys();
        let mut shared: HashMap<usize, usize> = HashMap::new();
        for key in &keys {
            for &earlier in holders.get(key).into_iter().flatten() {
                *shared.entry(earlier).or_default() += 1;
            }
        }
        let best = most_shared(shared)
            .into_iter()
            .map(|earlier| {
                (
                    earlier,
                    Melody::of(&pieces[earlier].notes).likeness(&melody),
                )
            })
            .max_by(|a, b| a.1.score.total_cmp(&b.1.score));
        if let Some((earlier, alike)) = best {
            found.most.push(alike.score);
            if alike.score >= SAME_MUSIC_BITS && alike.matched >= REPEATED_NOTES {
                let seeds = (1000 + index as u64, 1000 + earlier as u64);
                found.repeats.push((seeds.0, seeds.1, alike.matched));
            } else if alike.score >= SAME_MUSIC_BITS {
                found.refused += 1;
            }
        }
        for key in keys {
            holders.entry(key).or_default().push(index);
        }
    }
    found.most.sort_by(|a, b| b.total_cmp(a));
    found.most.truncate(5);
    found
}

/// Pieces of different seeds are not the same music: of 200 pieces per
/// shipped model at the default settings, at most two would be refused
/// because of another, pieces that repeat another for [`REPEATED_NOTES`]
/// notes or more aside (`MIXTAPE_SIMILARITY_PIECES` sets how many,
/// `MIXTAPE_SIMILARITY_MODELS` which models, by id and comma).
#[test]
fn pieces_of_other_seeds_are_not_the_same_music() {
    let count: u64 = std::env::var("MIXTAPE_SIMILARITY_PIECES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(200);
    let models = std::env::var("MIXTAPE_SIMILARITY_MODELS")
        .unwrap_or_else(|_| "piano,guitar,violin,cello,string_quartet".into());
    for id in models.split(',') {
        let Refusals {
            refused,
            repeats,
            most,
        } = refused_among(id, count);
        println!(
            "{id}: {refused} of {count} pieces refused, {} repeating an earlier one (seeds and notes: {repeats:?}); the most alike score {most:.1?} bits",
            repeats.len()
        );
        assert!(
            refused as f64 <= 1.0 + count as f64 * 0.005,
            "{id}: {refused} of {count} refused"
        );
    }
}
