//! Training data: MIDI folders to event sequences, the train/validation split,
//! windows for sequence-to-sequence training and their batches.

use std::path::{Path, PathBuf};

use burn::data::dataloader::batcher::Batcher;
use burn::data::dataset::{Dataset, DatasetError};
use burn::tensor::{Device, Int, Tensor, TensorData};

use vocabulary::Meter;

use crate::music::energy::{EnergyConfig, bar_densities};
use crate::music::events::{Event, GridNote, STEPS_PER_BEAT, bar_positions, quantise, tokens_of};
use crate::music::key::{Key, estimate_key};
use crate::music::midi;
use crate::music::musicality::{Style, excerpts};
use crate::music::piece::{Parts, TimeSignature};
use crate::network::BAR_POSITIONS;
use crate::rng::Rng;
use crate::training::corpus::midi_files;

/// One MIDI file as the model sees it.
///
/// The model is told each song's key (estimated over the whole file), so that
/// it learns music in a key rather than guessing the key from the notes, and
/// the key control composes in that key; it is told each event's place in the
/// bar, so that it can learn where downbeats, cadences and repeats fall.
#[derive(Debug, Clone)]
pub struct Song {
    /// Where it was read from.
    pub path: PathBuf,
    /// Its notes on the grid.
    pub notes: Vec<GridNote>,
    /// Its key (Krumhansl-Schmuckler over the whole file).
    pub key: Key,
    /// Grid steps per bar of its first time signature.
    pub bar_steps: u32,
    /// Its event tokens.
    pub tokens: Vec<u16>,
    /// The position in the bar after each token, in grid steps.
    pub positions: Vec<u8>,
    /// The meter its first time signature is felt in.
    pub meter: Meter,
    /// Notes per beat of each bar.
    pub densities: Vec<f32>,
}

impl Song {
    /// Reads a song from its notes; `None` without notes.
    pub fn new(path: PathBuf, notes: Vec<GridNote>, time_signature: TimeSignature) -> Option<Song> {
        let key = estimate_key(&notes)?;
        let tokens = tokens_of(&notes);
        let bar_steps = bar_steps(time_signature);
        let positions = bar_positions(&tokens, bar_steps, 0);
        let densities = bar_densities(&notes, bar_steps);
        Some(Song {
            path,
            notes,
            key,
            bar_steps,
            tokens,
            positions,
            meter: Meter::of_signature(time_signature.numerator, time_signature.denominator),
            densities,
        })
    }

    /// The energy class of the bar after each token, by `energy`'s cuts.
    pub fn energies(&self, energy: &EnergyConfig) -> Vec<u8> {
        energy.classes(&self.tokens, &self.densities, self.bar_steps)
    }

    /// The key's row in the network's table.
    pub fn key_index(&self) -> u8 {
        self.key.index()
    }
}

/// Grid steps per bar of a time signature; 4/4's for a bar the network cannot
/// tell apart (over eight beats, or none).
pub fn bar_steps(signature: TimeSignature) -> u32 {
    let steps = u32::from(signature.numerator) * 4 * STEPS_PER_BEAT
        / u32::from(signature.denominator.max(1));
    if (1..=BAR_POSITIONS as u32).contains(&steps) {
        steps
    } else {
        4 * STEPS_PER_BEAT
    }
}

/// How many files of each key the songs hold: `[mode index][tonic]`.
pub fn key_counts<'a>(songs: impl IntoIterator<Item = &'a Song>) -> [[u32; 12]; 2] {
    let mut counts = [[0; 12]; 2];
    for song in songs {
        counts[usize::from(song.key.mode.index())][usize::from(song.key.tonic)] += 1;
    }
    counts
}

/// Training files a meter needs before a model offers it: enough pieces in
/// it for the network to learn where its beats fall (the issue asked for
/// about 30 files; 25 keeps the chorales' 30 training files in 3/4 and
/// leaves out the violin's 23).
pub const MIN_METER_FILES: usize = 25;

/// The meters of at least [`MIN_METER_FILES`] songs, 4/4 always.
pub fn known_meters<'a>(songs: impl IntoIterator<Item = &'a Song> + Clone) -> Vec<Meter> {
    Meter::ALL
        .into_iter()
        .filter(|&meter| {
            meter == Meter::Common
                || songs
                    .clone()
                    .into_iter()
                    .filter(|s| s.meter == meter)
                    .count()
                    >= MIN_METER_FILES
        })
        .collect()
}

/// Energy cuts for every bar of the songs, and how their bars' classes follow one another.
pub fn fit_energy<'a>(songs: impl IntoIterator<Item = &'a Song> + Clone) -> EnergyConfig {
    EnergyConfig::fit(
        songs
            .clone()
            .into_iter()
            .flat_map(|s| s.densities.iter().copied()),
    )
    .measure_transitions(songs.into_iter().map(|s| s.densities.as_slice()))
}

/// Bars of the excerpts whose style a model keeps: about the length of a
/// default piece, so that profiles vary from piece to piece as real music
/// does over that length (a whole file, modulating, is flatter).
pub const PROFILE_BARS: u32 = 12;
/// Excerpts per file whose style a model keeps.
const PROFILES_PER_FILE: usize = 2;

/// The style of the songs' first excerpts of [`PROFILE_BARS`] bars (key
/// profiles each in the excerpt's own estimated key).
pub fn style<'a>(songs: impl IntoIterator<Item = &'a Song>) -> Style {
    let cut: Vec<(Vec<GridNote>, u32)> = songs
        .into_iter()
        .flat_map(|song| {
            let steps = PROFILE_BARS * song.bar_steps;
            excerpts(&song.notes, song.bar_steps, steps, PROFILES_PER_FILE)
                .into_iter()
                .map(move |excerpt| (excerpt, song.bar_steps))
        })
        .collect();
    Style::measure(cut.iter().map(|(notes, bar)| (notes.as_slice(), *bar)))
}

/// Every usable file of some folders.
#[derive(Debug, Clone, Default)]
pub struct Corpus {
    /// Files that were read, in path order.
    pub songs: Vec<Song>,
    /// Files that could not be used, with the reason.
    pub skipped: Vec<(PathBuf, String)>,
}

/// Errors reading training or evaluation data.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// A folder could not be listed.
    #[error("cannot read data folder {}: {source}", path.display())]
    Folder {
        /// The folder.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Nothing usable in the folders.
    #[error("no usable MIDI file in {}: {reason}", folders.iter().map(|f| f.display().to_string()).collect::<Vec<_>>().join(", "))]
    NoUsableMidi {
        /// The folders searched.
        folders: Vec<PathBuf>,
        /// What was found instead.
        reason: String,
    },
}

impl Corpus {
    /// Reads `parts` of every `.mid`/`.midi` file under `folders`; unreadable
    /// or empty files are skipped.
    pub fn load(folders: &[PathBuf], parts: Parts) -> Result<Corpus, DataError> {
        let mut corpus = Corpus::default();
        let mut found = 0;
        for folder in folders {
            let files = midi_files(folder).map_err(|source| DataError::Folder {
                path: folder.clone(),
                source,
            })?;
            found += files.len();
            for path in files {
                match midi::read_file(&path) {
                    Ok(piece) => {
                        let piece = piece.with_parts(parts);
                        let (notes, _) = quantise(&piece);
                        if notes.len() < 2 {
                            corpus
                                .skipped
                                .push((path, "fewer than two notes".to_owned()));
                            continue;
                        }
                        corpus
                            .songs
                            .extend(Song::new(path, notes, piece.time_signature));
                    }
                    Err(error) => corpus.skipped.push((path, error.to_string())),
                }
            }
        }
        if corpus.songs.is_empty() {
            let reason = if found == 0 {
                "no .mid or .midi files".to_owned()
            } else {
                format!("all {found} MIDI files were unreadable or had no notes")
            };
            return Err(DataError::NoUsableMidi {
                folders: folders.to_vec(),
                reason,
            });
        }
        Ok(corpus)
    }

    /// Number of notes in all songs.
    pub fn notes(&self) -> usize {
        self.songs.iter().map(|s| s.notes.len()).sum()
    }

    /// Number of events in all songs.
    pub fn events(&self) -> usize {
        self.songs.iter().map(|s| s.tokens.len()).sum()
    }

    /// Splits by file: about `share` of the files (at least one when there are
    /// two or more) go to validation, chosen by a hash of the file name so that
    /// the split does not depend on the folder's order or on other files.
    pub fn split(self, share: f64) -> (Corpus, Corpus) {
        let mut keyed: Vec<(u64, Song)> = self
            .songs
            .into_iter()
            .map(|song| (name_hash(&song.path), song))
            .collect();
        keyed.sort_by_key(|(hash, _)| *hash);
        let total = keyed.len();
        let validation_count = if total < 2 {
            0
        } else {
            ((total as f64 * share).round() as usize).clamp(1, total - 1)
        };
        let training = keyed.split_off(validation_count);
        let by_path = |mut songs: Vec<Song>| {
            songs.sort_by(|a, b| a.path.cmp(&b.path));
            songs
        };
        (
            Corpus {
                songs: by_path(training.into_iter().map(|(_, s)| s).collect()),
                skipped: self.skipped,
            },
            Corpus {
                songs: by_path(keyed.into_iter().map(|(_, s)| s).collect()),
                skipped: Vec::new(),
            },
        )
    }
}

/// FNV-1a of a file's name (not its folder), for a split that survives moves.
fn name_hash(path: &Path) -> u64 {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    name.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// A training sequence: `window + 1` tokens (fewer at a song's end); the model
/// reads all but the last and predicts all but the first.
#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    /// Event tokens.
    pub tokens: Vec<u16>,
    /// The position in the bar after each token.
    pub positions: Vec<u8>,
    /// The energy class of the bar after each token.
    pub energies: Vec<u8>,
    /// The song's key (see [`Key::index`]).
    pub key: Key,
    /// The song's meter.
    pub meter: Meter,
}

/// Every window of a corpus, cut end to end through each song.
pub struct WindowDataset {
    songs: Vec<Song>,
    /// Each song's energy classes, per token.
    energies: Vec<Vec<u8>>,
    /// (song, start) of every window.
    index: Vec<(usize, usize)>,
    window: usize,
}

impl WindowDataset {
    /// Cuts the songs of `corpus` into windows of `window` predictions, each
    /// event with its bar's class by `energy`.
    pub fn new(corpus: &Corpus, window: usize, energy: &EnergyConfig) -> WindowDataset {
        let songs = corpus.songs.clone();
        let energies = songs.iter().map(|song| song.energies(energy)).collect();
        let mut index = Vec::new();
        for (i, song) in songs.iter().enumerate() {
            let mut start = 0;
            while start + 1 < song.tokens.len() {
                index.push((i, start));
                start += window;
            }
        }
        WindowDataset {
            songs,
            energies,
            index,
            window,
        }
    }
}

impl Dataset<Window> for WindowDataset {
    fn get(&self, index: usize) -> Result<Window, DatasetError> {
        let &(song, start) = self.index.get(index).ok_or_else(|| {
            DatasetError::new(std::io::Error::other(format!("no window {index}")))
        })?;
        let energies = &self.energies[song];
        let song = &self.songs[song];
        let end = (start + self.window + 1).min(song.tokens.len());
        Ok(Window {
            tokens: song.tokens[start..end].to_vec(),
            positions: song.positions[start..end].to_vec(),
            energies: energies[start..end].to_vec(),
            key: song.key,
            meter: song.meter,
        })
    }

    fn len(&self) -> usize {
        self.index.len()
    }
}

/// Moves every note of a window, and its key, by `semitones` if all notes stay within `range`.
pub fn transpose_window(
    window: &Window,
    semitones: i32,
    range: &std::ops::RangeInclusive<u8>,
) -> Option<Window> {
    let tokens = window
        .tokens
        .iter()
        .map(|&token| match Event::from_token(usize::from(token)) {
            Some(Event::Note(pitch)) => {
                let moved = u8::try_from(i32::from(pitch) + semitones).ok()?;
                range
                    .contains(&moved)
                    .then(|| Event::Note(moved).token() as u16)
            }
            _ => Some(token),
        })
        .collect::<Option<Vec<u16>>>()?;
    Some(Window {
        tokens,
        key: window.key.transposed(semitones),
        ..window.clone()
    })
}

/// Transposes a window by a random amount in `-max..=max` that keeps it in range
/// (a few tries, then unchanged).
pub fn augment(
    window: Window,
    max: i32,
    range: &std::ops::RangeInclusive<u8>,
    rng: &mut Rng,
) -> Window {
    if max == 0 {
        return window;
    }
    for _ in 0..4 {
        let semitones = rng.below((2 * max + 1) as usize) as i32 - max;
        if let Some(moved) = transpose_window(&window, semitones, range) {
            return moved;
        }
    }
    window
}

/// A batch for sequence-to-sequence training.
#[derive(Debug, Clone)]
pub struct TokenBatch {
    /// Input tokens `[B, T]`.
    pub inputs: Tensor<2, Int>,
    /// The position in the bar after each input token `[B, T]`.
    pub positions: Tensor<2, Int>,
    /// Each window's key `[B]`.
    pub keys: Tensor<1, Int>,
    /// Each window's meter `[B]`.
    pub meters: Tensor<1, Int>,
    /// The energy class of the bar after each input token `[B, T]`.
    pub energies: Tensor<2, Int>,
    /// Target tokens `[B, T]` (0 where padded).
    pub targets: Tensor<2, Int>,
    /// 1 where a target is real, 0 where padded `[B, T]`.
    pub mask: Tensor<2>,
    /// Number of real targets.
    pub count: usize,
}

/// Pads windows to the longest and stacks them.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokenBatcher;

impl Batcher<Window, TokenBatch> for TokenBatcher {
    fn batch(&self, items: Vec<Window>, device: &Device) -> TokenBatch {
        let batch = items.len();
        let steps = items.iter().map(|w| w.tokens.len() - 1).max().unwrap_or(0);
        let mut inputs = vec![0i32; batch * steps];
        let mut positions = vec![0i32; batch * steps];
        let mut energies = vec![0i32; batch * steps];
        let mut targets = vec![0i32; batch * steps];
        let mut mask = vec![0f32; batch * steps];
        let mut count = 0;
        for (b, window) in items.iter().enumerate() {
            for (t, pair) in window.tokens.windows(2).enumerate() {
                inputs[b * steps + t] = i32::from(pair[0]);
                positions[b * steps + t] = i32::from(window.positions[t]);
                energies[b * steps + t] = i32::from(window.energies[t]);
                targets[b * steps + t] = i32::from(pair[1]);
                mask[b * steps + t] = 1.0;
                count += 1;
            }
        }
        let keys: Vec<i32> = items.iter().map(|w| i32::from(w.key.index())).collect();
        let meters: Vec<i32> = items.iter().map(|w| i32::from(w.meter.index())).collect();
        TokenBatch {
            inputs: Tensor::from_data(TensorData::new(inputs, [batch, steps]), device),
            positions: Tensor::from_data(TensorData::new(positions, [batch, steps]), device),
            keys: Tensor::from_data(TensorData::new(keys, [batch]), device),
            meters: Tensor::from_data(TensorData::new(meters, [batch]), device),
            energies: Tensor::from_data(TensorData::new(energies, [batch, steps]), device),
            targets: Tensor::from_data(TensorData::new(targets, [batch, steps]), device),
            mask: Tensor::from_data(TensorData::new(mask, [batch, steps]), device),
            count,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/datasets/tiny")
    }

    #[test]
    fn loads_tiny_and_splits_by_file() {
        let corpus = Corpus::load(&[tiny()], Parts::All).unwrap();
        assert_eq!(corpus.songs.len(), 4);
        assert_eq!(corpus.notes(), 555);
        let (train, valid) = corpus.clone().split(0.1);
        assert_eq!((train.songs.len(), valid.songs.len()), (3, 1));
        let (train2, valid2) = corpus.split(0.1);
        assert_eq!(valid.songs[0].path, valid2.songs[0].path);
        assert!(train2.songs.iter().all(|s| s.path != valid.songs[0].path));
        assert_eq!(train.songs.len(), train2.songs.len());
    }

    #[test]
    fn songs_know_their_key_and_bar() {
        let corpus = Corpus::load(&[tiny()], Parts::All).unwrap();
        for song in &corpus.songs {
            assert_eq!(Some(song.key), estimate_key(&song.notes));
            assert_eq!(song.positions.len(), song.tokens.len());
            assert!(
                song.positions
                    .iter()
                    .all(|&p| u32::from(p) < song.bar_steps)
            );
        }
        let shift = |n| Event::Shift(n).token() as u16;
        let note = Event::Note(60).token() as u16;
        assert_eq!(
            bar_positions(&[shift(12), note, shift(24), shift(24), note], 48, 0),
            [12, 12, 36, 12, 12]
        );
        let waltz = TimeSignature {
            numerator: 3,
            denominator: 4,
        };
        assert_eq!(bar_steps(waltz), 36);
        let six_eight = TimeSignature {
            numerator: 6,
            denominator: 8,
        };
        assert_eq!(bar_steps(six_eight), 36);
        let huge = TimeSignature {
            numerator: 15,
            denominator: 4,
        };
        assert_eq!(bar_steps(huge), 48);
    }

    #[test]
    fn windows_cover_every_prediction_once() {
        let corpus = Corpus::load(&[tiny()], Parts::All).unwrap();
        let dataset = WindowDataset::new(&corpus, 50, &fit_energy(&corpus.songs));
        let predictions: usize = (0..dataset.len())
            .map(|i| dataset.get(i).unwrap().tokens.len() - 1)
            .sum();
        // Windows overlap by one token (the last target is the next input).
        assert_eq!(predictions, corpus.events() - corpus.songs.len());
        assert!(dataset.get(dataset.len()).is_err());
    }

    #[test]
    fn empty_or_missing_folders_are_clear_errors() {
        let empty = tempfile::tempdir().unwrap();
        let error = Corpus::load(&[empty.path().to_path_buf()], Parts::All).unwrap_err();
        assert!(
            error.to_string().contains("no .mid or .midi files"),
            "{error}"
        );
        std::fs::write(empty.path().join("bad.mid"), b"not midi").unwrap();
        let error = Corpus::load(&[empty.path().to_path_buf()], Parts::All).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("all 1 MIDI files were unreadable"),
            "{error}"
        );
        let error = Corpus::load(&[empty.path().join("missing")], Parts::All).unwrap_err();
        assert!(
            error.to_string().starts_with("cannot read data folder"),
            "{error}"
        );
    }

    #[test]
    fn transposition_moves_notes_and_respects_the_range() {
        let window = Window {
            tokens: vec![
                Event::Velocity(3).token() as u16,
                Event::Note(60).token() as u16,
                Event::Duration(12).token() as u16,
            ],
            positions: vec![0, 0, 0],
            energies: vec![1, 1, 1],
            key: Key {
                tonic: 11,
                mode: crate::music::key::Mode::Minor,
            },
            meter: Meter::Compound,
        };
        let up = transpose_window(&window, 2, &(0..=127)).unwrap();
        assert_eq!(up.tokens[1], Event::Note(62).token() as u16);
        assert_eq!(up.key.to_string(), "C# minor");
        assert_eq!(up.tokens[2], window.tokens[2]);
        assert_eq!(
            (up.meter, &up.energies),
            (Meter::Compound, &window.energies)
        );
        assert!(transpose_window(&window, 2, &(40..=61)).is_none());
    }

    #[test]
    fn batches_pad_and_mask() {
        let device = Device::flex();
        let batch = TokenBatcher.batch(
            vec![
                Window {
                    tokens: vec![1, 2, 3, 4],
                    positions: vec![0, 1, 2, 3],
                    energies: vec![4, 3, 2, 1],
                    key: Key {
                        tonic: 2,
                        mode: crate::music::key::Mode::Major,
                    },
                    meter: Meter::Triple,
                },
                Window {
                    tokens: vec![5, 6],
                    positions: vec![4, 5],
                    energies: vec![0, 0],
                    key: Key {
                        tonic: 2,
                        mode: crate::music::key::Mode::Minor,
                    },
                    meter: Meter::Common,
                },
            ],
            &device,
        );
        assert_eq!(batch.inputs.dims(), [2, 3]);
        assert_eq!(batch.count, 4);
        let targets: Vec<i32> = batch.targets.into_data().try_to_vec().unwrap();
        assert_eq!(targets, vec![2, 3, 4, 6, 0, 0]);
        let mask: Vec<f32> = batch.mask.into_data().try_to_vec().unwrap();
        assert_eq!(mask, vec![1.0, 1.0, 1.0, 1.0, 0.0, 0.0]);
        let positions: Vec<i32> = batch.positions.into_data().try_to_vec().unwrap();
        assert_eq!(positions, vec![0, 1, 2, 4, 0, 0]);
        let keys: Vec<i32> = batch.keys.into_data().try_to_vec().unwrap();
        assert_eq!(keys, vec![2, 14]);
        let meters: Vec<i32> = batch.meters.into_data().try_to_vec().unwrap();
        assert_eq!(meters, vec![1, 0]);
        let energies: Vec<i32> = batch.energies.into_data().try_to_vec().unwrap();
        assert_eq!(energies, vec![4, 3, 2, 0, 0, 0]);
    }
}
