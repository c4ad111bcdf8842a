//! The report `train` writes beside a model: its settings, data and every
//! epoch's figures, read back by `eval`'s card and drawn by [`crate::training::plot`].

use serde::{Deserialize, Serialize};

use crate::network::Preset;

/// One epoch's figures.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EpochRecord {
    /// 1-based epoch.
    pub epoch: usize,
    /// Mean training loss, nats per event (with dropout and augmentation).
    pub train_loss: f64,
    /// Validation loss, nats per event.
    pub valid_loss: f64,
    /// Validation bits per note.
    pub valid_bits_per_note: f64,
    /// Validation top-1 accuracy.
    pub valid_accuracy: f64,
    /// Training events per second in this epoch.
    pub events_per_second: f64,
    /// Seconds since training started, over all runs.
    pub elapsed_seconds: f64,
    /// Adam's learning rate in this epoch (absent in reports from before the plateau decay).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub learning_rate: Option<f64>,
}

/// The training report written beside the model.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrainingReport {
    /// The instrument.
    pub instrument: String,
    /// The preset.
    pub preset: Preset,
    /// The device it ran on.
    pub device: String,
    /// Training settings.
    pub training: serde_json::Value,
    /// Parameters in the network.
    pub parameters: usize,
    /// Training files, notes and events.
    pub train_files: usize,
    /// Notes in the training files.
    pub train_notes: usize,
    /// Events in the training files.
    pub train_events: usize,
    /// Validation files by name.
    pub validation_files: Vec<String>,
    /// Notes in the validation files.
    pub validation_notes: usize,
    /// Files skipped as unreadable.
    pub skipped_files: usize,
    /// Every epoch.
    pub history: Vec<EpochRecord>,
    /// The epoch whose weights were kept.
    pub best_epoch: usize,
    /// Why training ended.
    pub stopped: String,
    /// The model folder whose weights it started from, if not random ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_from: Option<std::path::PathBuf>,
}
