//! Evaluation: how well a model predicts music it was not trained on, beside
//! an n-gram baseline fitted on the model's own training data.

use std::path::{Path, PathBuf};

use burn::config::Config;
use burn::tensor::Device;
use serde::Serialize;

use crate::compose::generate::{Composition, Generator, Length, Settings, closing_length};
use crate::compose::guards::{RunIndex, SHARED_RUN};
use crate::music::events::{STEPS_PER_BEAT, VOCAB_SIZE};
use crate::music::instrument::Instrument;
use crate::music::key::{Key, Mode, estimate_key};
use crate::music::musicality::{
    self, FeatureRow, PITCH_CLASS_ENTROPY, SCALE_CONSISTENCY, Style, TONIC_ENDING, compare,
    excerpts, feature_table, key_overlap, key_shares, mean,
};
use crate::music::piece::Parts;
use crate::saved::{CONFIG_FILE, ModelConfig, ModelError};
use crate::training::dataset::{Corpus, DataError, Song, fit_energy, known_meters, style};
use crate::training::levels::{EnergyReport, MeterRow, energy_report, meter_report};
use crate::training::ngram::NGram;
use crate::training::scoring::{Score, score_songs};

/// Order of the n-gram baseline: four events of context, about one note and a half.
pub const NGRAM_ORDER: usize = 5;

/// The figures of `mixtape eval`.
#[derive(Debug, Clone, Serialize)]
pub struct EvalReport {
    /// The model folder.
    pub model: PathBuf,
    /// Files evaluated.
    pub files: usize,
    /// Notes in them.
    pub notes: usize,
    /// Events predicted.
    pub events: usize,
    /// The model's bits per event.
    pub model_bits_per_event: f64,
    /// The model's bits per note.
    pub model_bits_per_note: f64,
    /// The model's top-1 accuracy over events.
    pub model_accuracy: f64,
    /// The baseline's bits per event.
    pub ngram_bits_per_event: f64,
    /// The baseline's bits per note.
    pub ngram_bits_per_note: f64,
    /// The baseline's top-1 accuracy over events.
    pub ngram_accuracy: f64,
    /// Training files the baseline was fitted on.
    pub ngram_training_files: usize,
    /// Pieces generated for the originality figures (30 s each, seeds
    /// `first_seed` to `first_seed` + N - 1).
    pub samples: usize,
    /// The seed of the first generated piece.
    pub first_seed: u64,
    /// Mean notes of a generated piece.
    pub sample_notes: f64,
    /// Share of generated pieces with a run of 16 notes found in the training data.
    pub generated_share_16: f64,
    /// The same share for excerpts of the evaluated files of the generated pieces' length.
    pub held_out_share_16: f64,
    /// Mean attempts per generated piece (above 1 when the guards rejected some).
    pub mean_attempts: f64,
    /// How the generated pieces compare with real music on musical features.
    pub musicality: Musicality,
    /// Pieces at each energy level.
    pub energy: EnergyReport,
    /// Pieces in each meter the model knows, beside real music in it.
    pub meters: Vec<MeterRow>,
}

/// Real excerpts taken from one held-out file at most (consecutive, from its start).
const EXCERPTS_PER_FILE: usize = 8;
/// Real excerpts taken from one training file at most, for the ceiling.
const TRAINING_EXCERPTS_PER_FILE: usize = 2;
/// The creativity settings the key figures are measured at.
pub const CREATIVITIES: [f64; 3] = [0.5, 1.0, 1.5];

/// The musicality report: generated pieces against real excerpts of their
/// length from the evaluated files, feature by feature, with real held-out
/// against real training excerpts as the ceiling.
#[derive(Debug, Clone, Serialize)]
pub struct Musicality {
    /// Generated pieces per setting (seeds `first_seed` to `first_seed` + N - 1).
    pub pieces: usize,
    /// Their asked length in seconds, at the default tempo.
    pub seconds: f64,
    /// The length of the real excerpts, in beats.
    pub excerpt_beats: f64,
    /// Real excerpts from the evaluated files.
    pub real_excerpts: usize,
    /// Real excerpts from the training files.
    pub training_excerpts: usize,
    /// Every feature at default settings.
    pub features: Vec<FeatureRow>,
    /// Mean overlapping area, generated vs held-out.
    pub mean_overlap: f64,
    /// Mean overlapping area, held-out vs training: the ceiling.
    pub mean_ceiling: f64,
    /// Key figures at each creativity.
    pub creativity: Vec<CreativityRow>,
    /// Share of pieces asked for a key (each of the 24 in turn) whose estimated key is that key.
    pub asked_key_match: f64,
    /// How much the estimated keys of "any key" pieces share with the training files' keys (0 to 1).
    pub any_key_spread: f64,
    /// Share of minor keys among "any key" pieces, and among the training files.
    pub minor_share: (f64, f64),
    /// How the generated pieces end.
    pub endings: Endings,
    /// Per-piece feature values, for plots.
    #[serde(skip)]
    pub tables: FeatureTables,
}

/// Per-piece feature values of the three sets a report compares.
#[derive(Debug, Clone, Default)]
pub struct FeatureTables {
    /// Generated pieces.
    pub generated: Vec<[f64; 15]>,
    /// Held-out excerpts.
    pub real: Vec<[f64; 15]>,
    /// Training excerpts.
    pub training: Vec<[f64; 15]>,
}

/// Key figures of pieces at one creativity, beside real music's.
#[derive(Debug, Clone, Serialize)]
pub struct CreativityRow {
    /// The creativity (sampling temperature).
    pub creativity: f64,
    /// Mean scale consistency of the pieces.
    pub scale_consistency: f64,
    /// Mean duration-weighted pitch-class entropy of the pieces, in bits.
    pub pitch_class_entropy: f64,
    /// The same means over the held-out excerpts.
    pub real_scale_consistency: f64,
    /// The same means over the held-out excerpts.
    pub real_pitch_class_entropy: f64,
}

/// Shares of generated pieces by how they end.
#[derive(Debug, Clone, Serialize)]
pub struct Endings {
    /// The lowest note of the last onset is the tonic of the estimated key.
    pub on_tonic: f64,
    /// The last onset is on a downbeat.
    pub on_downbeat: f64,
    /// The last onset's notes last a beat or more.
    pub held: f64,
    /// The piece is within one bar of the asked length.
    pub within_a_bar: f64,
    /// All four at once.
    pub all: f64,
}

/// Errors of evaluation.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// The model could not be opened.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// The data to evaluate on could not be used.
    #[error(transparent)]
    Data(#[from] DataError),
    /// The model's training data (for the baseline, the ceiling or key
    /// profiles) is not there.
    #[error("the model's training data is unavailable: {0}")]
    TrainingData(DataError),
    /// A model's config could not be written.
    #[error("cannot write {path}: {detail}", path = .0.display(), detail = .1)]
    Write(PathBuf, std::io::Error),
    /// No data was named and the model's data holds no file out of training.
    #[error("the model's data ({}) holds no file out of training: name the files to evaluate on with --data", .0.iter().map(|f| f.display().to_string()).collect::<Vec<_>>().join(", "))]
    NoHeldOut(Vec<PathBuf>),
}

/// The training and the held-out parts of a model's data.
pub fn model_data(config: &ModelConfig) -> Result<(Corpus, Corpus), EvalError> {
    let parts = Instrument::from_id(&config.instrument).map_or(Parts::All, Instrument::parts);
    let corpus = Corpus::load(&config.data, parts).map_err(EvalError::TrainingData)?;
    Ok(corpus.split(config.validation_share))
}

/// Measures the style of the training music of the model in `dir` and stores
/// it in its config, as `train` does: for a model trained before the style was
/// kept. The weights are not touched.
pub fn calibrate(dir: &Path) -> Result<Style, EvalError> {
    let (mut config, _) = ModelConfig::read(dir)?;
    let (train, _) = model_data(&config)?;
    config.style = Some(style(&train.songs));
    config.meters = Some(known_meters(&train.songs));
    // The cuts the network was trained with stay; the chain between them is measured.
    config.energy = Some(match config.energy.take() {
        Some(energy) => {
            energy.measure_transitions(train.songs.iter().map(|s| s.densities.as_slice()))
        }
        None => fit_energy(&train.songs),
    });
    config
        .save(dir.join(CONFIG_FILE))
        .map_err(|e| EvalError::Write(dir.join(CONFIG_FILE), e))?;
    Ok(config.style.expect("just measured"))
}

/// Evaluates the model in `dir` on every MIDI file of `data` (on the files
/// held out from its training when `data` is empty), and generates `samples`
/// pieces per setting, from seed `first_seed` on, to compare them with real
/// music: another first seed draws another set, so that the spread of a
/// figure between sets can be seen.
pub fn evaluate(
    dir: &Path,
    data: &[PathBuf],
    samples: usize,
    first_seed: u64,
    device: &Device,
) -> Result<EvalReport, EvalError> {
    let generator = Generator::open(dir, device)?;
    let model = &generator.model;
    let (train, held_out) = model_data(&model.config)?;
    let corpus = if data.is_empty() {
        if held_out.songs.is_empty() {
            return Err(EvalError::NoHeldOut(model.config.data.clone()));
        }
        held_out
    } else {
        Corpus::load(data, model.instrument.parts())?
    };
    let ngram_training_files = train.songs.len();
    let songs: Vec<&Song> = corpus.songs.iter().collect();
    let instrument = model.config.network.instrument_id();
    let score = score_songs(
        &model.network,
        instrument,
        &songs,
        model.config.energy.as_ref(),
        256,
        device,
    );
    let baseline = ngram_baseline(&train, &songs);
    let notes = corpus.notes();

    let seeds = first_seed..first_seed.saturating_add(samples as u64);
    let pieces: Vec<_> = seeds
        .clone()
        .filter_map(|seed| {
            generator
                .generate(&Settings {
                    seed,
                    ..Settings::default()
                })
                .ok()
        })
        .collect();
    let share = |hits: usize, of: usize| hits as f64 / of.max(1) as f64;
    let sample_notes = share(pieces.iter().map(|p| p.notes.len()).sum(), pieces.len());
    let (generated_share_16, held_out_share_16) =
        shared_runs(&train, &pieces, &corpus, sample_notes);
    let mean_attempts = share(
        pieces.iter().map(|p| p.attempts as usize).sum(),
        pieces.len(),
    );
    let musicality = musicality_report(&generator, &pieces, &corpus, &train, seeds.clone());
    let energy = energy_report(&generator, seeds.clone());
    let all_songs: Vec<&Song> = train.songs.iter().chain(&corpus.songs).collect();
    let meters = meter_report(&generator, seeds, &all_songs);
    Ok(EvalReport {
        model: dir.to_path_buf(),
        files: corpus.songs.len(),
        notes,
        events: score.events,
        model_bits_per_event: score.bits_per_event(),
        model_bits_per_note: score.bits / notes as f64,
        model_accuracy: score.accuracy(),
        ngram_bits_per_event: baseline.bits_per_event(),
        ngram_bits_per_note: baseline.bits / notes as f64,
        ngram_accuracy: baseline.accuracy(),
        ngram_training_files,
        samples: pieces.len(),
        first_seed,
        sample_notes,
        generated_share_16,
        held_out_share_16,
        mean_attempts,
        musicality,
        energy,
        meters,
    })
}

/// The score of `songs` by a 5-gram fitted to `train`'s.
fn ngram_baseline(train: &Corpus, songs: &[&Song]) -> Score {
    let ngram = NGram::fit(
        NGRAM_ORDER,
        VOCAB_SIZE,
        train.songs.iter().map(|s| s.tokens.as_slice()),
    );
    songs.iter().fold(Score::default(), |total, song| {
        let tokens = &song.tokens;
        let (bits, correct) = ngram.score(tokens);
        Score {
            bits: total.bits + bits,
            events: total.events + tokens.len().saturating_sub(1),
            correct: total.correct + correct,
        }
    })
}

/// The shares of `pieces`, and of excerpts of `corpus`'s songs as long as a
/// piece (`sample_notes` on average), that share a run of [`SHARED_RUN`]
/// notes with `train`'s music. Short shared runs are normal in real music, so
/// generated pieces are compared with real excerpts against the same data.
fn shared_runs(
    train: &Corpus,
    pieces: &[Composition],
    corpus: &Corpus,
    sample_notes: f64,
) -> (f64, f64) {
    let shared = RunIndex::build(SHARED_RUN, train.songs.iter().map(|s| s.notes.as_slice()));
    let share = |hits: usize, of: usize| hits as f64 / of.max(1) as f64;
    let excerpt = (sample_notes.round() as usize).max(SHARED_RUN);
    let generated = pieces
        .iter()
        .filter(|p| shared.find(&p.notes).is_some())
        .count();
    let held_out = corpus
        .songs
        .iter()
        .filter(|s| {
            shared
                .find(&s.notes[..excerpt.min(s.notes.len())])
                .is_some()
        })
        .count();
    (
        share(generated, pieces.len()),
        share(held_out, corpus.songs.len()),
    )
}

/// The features of composed pieces, each in its meter's bars.
pub(crate) fn piece_table(pieces: &[Composition]) -> Vec<[f64; 15]> {
    feature_table(
        pieces
            .iter()
            .map(|p| (p.notes.as_slice(), p.meter.bar_steps())),
    )
}

/// The features of real excerpts of `steps` from every song, each in its
/// bar length; the tonic ending is the song's own, read off its closing bars,
/// since an excerpt cut mid-piece does not end.
fn song_table(songs: &[Song], steps: u32, per_file: usize) -> Vec<[f64; 15]> {
    songs
        .iter()
        .flat_map(|song| {
            let ending = musicality::ends_on_tonic(
                &musicality::closing(&song.notes, song.bar_steps, steps),
                None,
            );
            excerpts(&song.notes, song.bar_steps, steps, per_file)
                .into_iter()
                .map(move |excerpt| {
                    let mut row = musicality::features(&excerpt, song.bar_steps);
                    row[TONIC_ENDING] = f64::from(u8::from(ending));
                    row
                })
        })
        .collect()
}

/// The musicality report of `pieces` (composed at default settings, one per
/// seed of `seeds`) against the songs of `corpus`, with `train`'s as the ceiling.
fn musicality_report(
    generator: &Generator,
    pieces: &[Composition],
    corpus: &Corpus,
    train: &Corpus,
    seeds: std::ops::Range<u64>,
) -> Musicality {
    let defaults = Settings::default();
    let Length::Seconds(seconds) = defaults.length else {
        unreachable!("the default length is in seconds")
    };
    let steps = (seconds * defaults.tempo_bpm / 60.0 * f64::from(STEPS_PER_BEAT)).round() as u32;
    // Real excerpts as long as the pieces are, to the step: whole bars, as a
    // piece closes a bar after its final downbeat.
    let length = closing_length(steps, defaults.bar_steps());
    let tables = FeatureTables {
        generated: piece_table(pieces),
        real: song_table(&corpus.songs, length, EXCERPTS_PER_FILE),
        training: song_table(&train.songs, length, TRAINING_EXCERPTS_PER_FILE),
    };
    let features = compare(&tables.generated, &tables.real, &tables.training);
    let creativity = creativity_rows(generator, &tables, seeds.clone());
    let generated_keys = key_shares(pieces.iter().filter_map(|p| estimate_key(&p.notes)));
    let training_keys = key_shares(train.songs.iter().map(|s| s.key));
    let minor = |shares: &[[f64; 12]; 2]| shares[1].iter().sum::<f64>();
    Musicality {
        pieces: pieces.len(),
        seconds,
        excerpt_beats: f64::from(length) / f64::from(STEPS_PER_BEAT),
        real_excerpts: tables.real.len(),
        training_excerpts: tables.training.len(),
        mean_overlap: mean(features.iter().map(|f| f.overlap)),
        mean_ceiling: mean(features.iter().map(|f| f.ceiling)),
        features,
        creativity,
        asked_key_match: asked_key_match(generator, seeds),
        any_key_spread: key_overlap(&generated_keys, &training_keys),
        minor_share: (minor(&generated_keys), minor(&training_keys)),
        endings: endings(pieces, &tables.generated, steps),
        tables,
    }
}

/// Scale consistency and pitch-class entropy at each of [`CREATIVITIES`], of
/// pieces composed with `seeds` (the default creativity's are `tables`'), beside real music's.
fn creativity_rows(
    generator: &Generator,
    tables: &FeatureTables,
    seeds: std::ops::Range<u64>,
) -> Vec<CreativityRow> {
    let defaults = Settings::default();
    let real_column = |i| mean(musicality::column(&tables.real, i));
    CREATIVITIES
        .iter()
        .map(|&creativity| {
            let table = if creativity == defaults.creativity {
                tables.generated.clone()
            } else {
                let pieces: Vec<Composition> = seeds
                    .clone()
                    .filter_map(|seed| {
                        let settings = Settings {
                            seed,
                            creativity,
                            ..Settings::default()
                        };
                        generator.generate(&settings).ok()
                    })
                    .collect();
                piece_table(&pieces)
            };
            CreativityRow {
                creativity,
                scale_consistency: mean(musicality::column(&table, SCALE_CONSISTENCY)),
                pitch_class_entropy: mean(musicality::column(&table, PITCH_CLASS_ENTROPY)),
                real_scale_consistency: real_column(SCALE_CONSISTENCY),
                real_pitch_class_entropy: real_column(PITCH_CLASS_ENTROPY),
            }
        })
        .collect()
}

/// The share of pieces, one per seed of `seeds` and each asked for the next
/// of the 24 keys, whose estimated key is the one asked for.
fn asked_key_match(generator: &Generator, seeds: std::ops::Range<u64>) -> f64 {
    let asked = seeds.enumerate().filter_map(|(i, seed)| {
        let key = Key {
            tonic: (i % 12) as u8,
            mode: Mode::ALL[(i / 12) % 2],
        };
        let piece = generator
            .generate(&Settings {
                seed,
                tonic: Some(key.tonic),
                mode: Some(key.mode),
                ..Settings::default()
            })
            .ok()?;
        Some(estimate_key(&piece.notes) == Some(key))
    });
    let matched: Vec<bool> = asked.collect();
    mean(matched.iter().map(|&m| f64::from(u8::from(m))))
}

/// How `pieces` (with their `features`), asked for `steps`, end: on the
/// tonic, on a downbeat, held at least a beat, within a bar of the length.
fn endings(pieces: &[Composition], features: &[[f64; 15]], steps: u32) -> Endings {
    let ending = |(piece, features): (&Composition, &[f64; 15])| {
        let last = piece.notes.iter().map(|n| n.onset).max().unwrap_or(0);
        let end = piece
            .notes
            .iter()
            .map(|n| n.onset + n.duration)
            .max()
            .unwrap_or(0);
        let held = piece
            .notes
            .iter()
            .filter(|n| n.onset == last)
            .all(|n| n.duration >= STEPS_PER_BEAT);
        [
            features[TONIC_ENDING] == 1.0,
            last.is_multiple_of(piece.meter.bar_steps()),
            held,
            end.abs_diff(steps) <= piece.meter.bar_steps(),
        ]
    };
    let endings: Vec<[bool; 4]> = pieces.iter().zip(features).map(ending).collect();
    let rate =
        |f: &dyn Fn(&[bool; 4]) -> bool| mean(endings.iter().map(|e| f64::from(u8::from(f(e)))));
    Endings {
        on_tonic: rate(&|e| e[0]),
        on_downbeat: rate(&|e| e[1]),
        held: rate(&|e| e[2]),
        within_a_bar: rate(&|e| e[3]),
        all: rate(&|e| e.iter().all(|&x| x)),
    }
}
