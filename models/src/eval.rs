//! Evaluation: how well a model predicts music it was not trained on, beside
//! an n-gram baseline fitted on the model's own training data.

use std::path::{Path, PathBuf};

use burn::tensor::Device;
use serde::Serialize;

use crate::dataset::{Corpus, DataError};
use crate::events::VOCAB_SIZE;
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

/// The baseline fitted on the training part of the model's data.
pub fn fit_baseline(model: &SavedModel) -> Result<(NGram, usize), EvalError> {
    let corpus = Corpus::load(&model.config.data).map_err(EvalError::TrainingData)?;
    let (train, _) = corpus.split(model.config.validation_share);
    let ngram = NGram::fit(
        NGRAM_ORDER,
        VOCAB_SIZE,
        train.songs.iter().map(|s| s.tokens.as_slice()),
    );
    Ok((ngram, train.songs.len()))
}

/// Evaluates the model in `dir` on every MIDI file of `data`.
pub fn evaluate(dir: &Path, data: &[PathBuf], device: &Device) -> Result<EvalReport, EvalError> {
    let model = SavedModel::load(dir, device)?;
    let corpus = Corpus::load(data)?;
    let (ngram, ngram_training_files) = fit_baseline(&model)?;
    let songs: Vec<&[u16]> = corpus.songs.iter().map(|s| s.tokens.as_slice()).collect();
    let instrument = (model.config.network.instruments > 0).then_some(0);
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
    })
}
