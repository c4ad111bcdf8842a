//! The similarity rule that keeps a sold piece's music from selling again,
//! on real music and on the shipped piano model: it must catch the variants
//! a customer could compose of a sold piece, and nothing else.

use std::path::PathBuf;

use burn::tensor::Device;
use models::compose::generate::{Batch, Composition, Generator, Length, Settings};
use models::music::events::GridNote;
use models::music::similarity::{
    MIN_SHARED, SHINGLE_NOTES, SIMILAR_SHARE, same_music, shared, shingles,
};
use models::training::collisions::study;

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
    sets
}

/// Held-out files that are the same music arranged twice: Bach's chorales
/// BWV 5.7 and BWV 188.6 both harmonise the hymn tune "Auf meinen lieben Gott".
const SAME_TUNE: [&str; 2] = ["000507b_.mid", "018806b_.mid"];

fn name(path: &std::path::Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}

/// No two excerpts of different, unrelated held-out files, of any corpus, are
/// the same music by the rule; the one related pair is. The closest pairs are
/// printed as the rule's margin.
#[test]
fn unrelated_real_music_never_counts_as_the_same() {
    let sets = corpora();
    assert!(
        sets.len() >= 10,
        "the shared datasets are missing: {sets:?}"
    );
    // 50 beats: a 30-second piece at the default 100 BPM.
    let found = study(&sets, 0.1, 50).unwrap();
    println!(
        "{} held-out files of {} corpora, {} excerpts of 50 beats; {} pairs of different files share a shingle of {SHINGLE_NOTES} notes",
        found.files,
        sets.len(),
        found.excerpts,
        found.pairs_sharing,
    );
    for pair in &found.alike {
        println!(
            "sharing at least {MIN_SHARED}: containment {:.3} ({} shingles), {} beat {} / {} beat {}",
            pair.containment,
            pair.shared,
            name(&pair.files[0].0),
            pair.files[0].1,
            name(&pair.files[1].0),
            pair.files[1].1
        );
    }
    assert!(found.files >= 300, "{} files", found.files);
    let related = |pair: &models::training::collisions::Pair| {
        pair.files
            .iter()
            .all(|(path, _)| SAME_TUNE.contains(&name(path).as_str()))
    };
    let unrelated: Vec<_> = found.collisions().filter(|pair| !related(pair)).collect();
    assert!(
        unrelated.is_empty(),
        "unrelated music counted as the same (threshold {SIMILAR_SHARE}): {unrelated:#?}"
    );
    assert!(
        found.collisions().any(related),
        "the two arrangements of one tune are no longer found alike"
    );
}

fn piano() -> Generator {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("piano");
    Generator::open(&dir, &Device::flex()).unwrap()
}

fn settings(seed: u64, seconds: f64) -> Settings {
    Settings {
        length: Length::Seconds(seconds),
        seed,
        ..Settings::default()
    }
}

/// Composes every one of `settings` in one batch, in order.
fn compose(generator: &Generator, settings: Vec<Settings>) -> Vec<Composition> {
    let mut batch = Batch::new(generator);
    let count = settings.len();
    for (index, settings) in settings.into_iter().enumerate() {
        batch.add(settings, index).unwrap();
    }
    let mut done: Vec<Option<Composition>> = vec![None; count];
    while !batch.is_empty() {
        for (index, result) in batch.step() {
            done[index] = Some(result.unwrap());
        }
    }
    done.into_iter().map(Option::unwrap).collect()
}

#[test]
fn a_sold_piece_is_found_in_its_variants_and_in_no_other_seeds_piece() {
    let generator = piano();
    let pieces = compose(
        &generator,
        std::iter::once(settings(5, 30.0))
            .chain((1000..1200).map(|seed| settings(seed, 30.0)))
            .collect(),
    );
    let sold = &pieces[0].notes;
    let end = sold.iter().map(|n| n.onset + n.duration).max().unwrap();
    // Longer: the sold piece, then another piece; shorter: its opening.
    let mut longer = sold.clone();
    longer.extend(pieces[1].notes.iter().map(|n| GridNote {
        onset: n.onset + end,
        ..*n
    }));
    assert!(same_music(sold, &longer));
    assert!(same_music(sold, &sold[..sold.len() / 3]));
    // Transposed, or with one note in twenty a semitone off.
    let moved = |change: &dyn Fn(usize, &GridNote) -> u8| -> Vec<GridNote> {
        sold.iter()
            .enumerate()
            .map(|(i, n)| GridNote {
                pitch: change(i, n),
                ..*n
            })
            .collect()
    };
    assert!(same_music(sold, &moved(&|_, n| n.pitch - 3)));
    let touched = moved(&|i, n| if i % 20 == 7 { n.pitch + 1 } else { n.pitch });
    assert!(same_music(sold, &touched));
    let (sold_set, touched_set) = (shingles(sold), shingles(&touched));
    println!(
        "one note in twenty changed: {:.2} of the sold piece's shingles kept",
        shared(&sold_set, &touched_set) as f64 / sold_set.len() as f64
    );
    // 200 pieces of other seeds: none is the sold one.
    let mut most = 0;
    for (offset, piece) in pieces[1..].iter().enumerate() {
        most = most.max(shared(&sold_set, &shingles(&piece.notes)));
        assert!(
            !same_music(sold, &piece.notes),
            "seed {} is the sold piece's music",
            1000 + offset
        );
    }
    println!(
        "sold piece: {} notes, {} shingles; the most any of 200 other seeds' pieces shares: {most}",
        sold.len(),
        sold_set.len()
    );
}
