//! Checkpoints of a training run, written after every epoch so that a run
//! can be resumed where it stopped.

use std::path::Path;

use burn::module::Module;
use burn::optim::AdamConfig;
use burn::tensor::Device;
use serde::{Deserialize, Serialize};

use burn::optim::ModuleOptimizer;

use super::train::{TrainError, write_error};
use crate::network::Composer;
use crate::saved::ModelConfig;
use crate::training::report::EpochRecord;

/// Checkpoint state beside the checkpoint's weights and optimizer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Progress {
    pub(super) history: Vec<EpochRecord>,
    pub(super) best_epoch: usize,
    pub(super) best_loss: f64,
    /// The learning rate the next epoch uses; absent in checkpoints written
    /// before the plateau decay, which trained at a constant rate.
    #[serde(default)]
    pub(super) learning_rate: Option<f64>,
    /// The epoch after which the rate last decayed (0: never).
    #[serde(default)]
    pub(super) decayed_after: usize,
}

/// Writes a checkpoint to `dir`: the weights, the optimizer and the progress.
pub(super) fn save_checkpoint(
    dir: &Path,
    network: &Composer,
    optimizer: &ModuleOptimizer,
    progress: &Progress,
) -> Result<(), TrainError> {
    // Written under temporary names and renamed, so that a crash mid-write
    // leaves the previous checkpoint whole.
    let files = [
        ("model.bpk", "model.bpk.tmp"),
        ("optimizer.bpk", "optimizer.bpk.tmp"),
        ("progress.json", "progress.json.tmp"),
    ];
    network
        .clone()
        .save_file(dir.join(files[0].1))
        .map_err(|e| write_error(dir, e))?;
    optimizer
        .save(dir.join(files[1].1))
        .map_err(|e| write_error(dir, e))?;
    let json = serde_json::to_string_pretty(progress).map_err(|e| write_error(dir, e))?;
    std::fs::write(dir.join(files[2].1), json).map_err(|e| write_error(dir, e))?;
    for (name, temporary) in files {
        std::fs::rename(dir.join(temporary), dir.join(name)).map_err(|e| write_error(dir, e))?;
    }
    Ok(())
}

/// The network, optimizer and progress of the checkpoint in `dir`.
pub(super) fn resume(
    dir: &Path,
    config: &ModelConfig,
    adam: &AdamConfig,
    device: &Device,
) -> Result<(Composer, ModuleOptimizer, Progress), TrainError> {
    let fail = |e: &dyn std::fmt::Display| TrainError::Resume(dir.to_path_buf(), e.to_string());
    let progress: Progress = std::fs::read_to_string(dir.join("progress.json"))
        .map_err(|e| fail(&e))
        .and_then(|text| serde_json::from_str(&text).map_err(|e| fail(&e)))?;
    let network = config
        .network
        .init(device)
        .try_load_file(dir.join("model.bpk"))
        .map_err(|e| fail(&e))?;
    let optimizer = adam
        .init()
        .load(dir.join("optimizer.bpk"))
        .map_err(|e| fail(&e))?;
    Ok((network, optimizer, progress))
}
