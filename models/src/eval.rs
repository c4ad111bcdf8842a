//! Evaluation: how well a model predicts music it was not trained on, beside
//! an n-gram baseline fitted on the model's own training data.

use std::path::{Path, PathBuf};

use burn::tensor::Device;
use serde::Serialize;

use crate::dataset::{Corpus, DataError};
use crate::events::VOCAB_SIZE;
use crate::generate::{Generator, Settings};
use crate::guards::{RunIndex, SHARED_RUN};
use crate::ngram::NGram;
use crate::saved::{ModelError, SavedModel};
use crate::scoring::{Score, score_songs};

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
    /// Pieces generated for the originality figures (30 s each, seeds 1 to N).
    pub samples: usize,
    /// Mean notes of a generated piece.
    pub sample_notes: f64,
    /// Share of generated pieces with a run of 16 notes found in the training data.
    pub generated_share_16: f64,
    /// The same share for excerpts of the evaluated files of the generated pieces' length.
    pub held_out_share_16: f64,
    /// Mean attempts per generated piece (above 1 when the guards rejected some).
    pub mean_attempts: f64,
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
    /// The model's training data is not there to fit the baseline on.
    #[error("cannot fit the n-gram baseline: the model's training data is unavailable ({0})")]
    TrainingData(DataError),
}

/// The training part of the model's data.
pub fn training_data(model: &SavedModel) -> Result<Corpus, EvalError> {
    let corpus = Corpus::load(&model.config.data).map_err(EvalError::TrainingData)?;
    Ok(corpus.split(model.config.validation_share).0)
}

/// Evaluates the model in `dir` on every MIDI file of `data`, and generates
/// `samples` pieces to compare their shared runs with those of real music.
pub fn evaluate(
    dir: &Path,
    data: &[PathBuf],
    samples: usize,
    device: &Device,
) -> Result<EvalReport, EvalError> {
    let generator = Generator::open(dir, device)?;
    let model = &generator.model;
    let corpus = Corpus::load(data)?;
    let train = training_data(model)?;
    let ngram = NGram::fit(
        NGRAM_ORDER,
        VOCAB_SIZE,
        train.songs.iter().map(|s| s.tokens.as_slice()),
    );
    let ngram_training_files = train.songs.len();
    let songs: Vec<&[u16]> = corpus.songs.iter().map(|s| s.tokens.as_slice()).collect();
    let instrument = model.config.network.instrument_id();
    let score = score_songs(&model.network, instrument, &songs, 256, device);
    let baseline = songs.iter().fold(Score::default(), |total, tokens| {
        let (bits, correct) = ngram.score(tokens);
        Score {
            bits: total.bits + bits,
            events: total.events + tokens.len().saturating_sub(1),
            correct: total.correct + correct,
        }
    });
    let notes = corpus.notes();

    // Short shared runs are normal in real music; compare generated pieces with
    // real excerpts of the same length against the same training data.
    let shared = RunIndex::build(SHARED_RUN, train.songs.iter().map(|s| s.notes.as_slice()));
    let pieces: Vec<_> = (1..=samples as u64)
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
    let excerpt = (sample_notes.round() as usize).max(SHARED_RUN);
    let generated_share_16 = share(
        pieces
            .iter()
            .filter(|p| shared.find(&p.notes).is_some())
            .count(),
        pieces.len(),
    );
    let held_out_share_16 = share(
        corpus
            .songs
            .iter()
            .filter(|s| {
                shared
                    .find(&s.notes[..excerpt.min(s.notes.len())])
                    .is_some()
            })
            .count(),
        corpus.songs.len(),
    );
    let mean_attempts = share(
        pieces.iter().map(|p| p.attempts as usize).sum(),
        pieces.len(),
    );
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
        sample_notes,
        generated_share_16,
        held_out_share_16,
        mean_attempts,
    })
}
