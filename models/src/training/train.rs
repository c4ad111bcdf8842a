//! Training: sequence-to-sequence cross-entropy with Adam, gradient clipping,
//! transposition augmentation, a checkpoint per epoch and early stopping.

use std::path::{Path, PathBuf};
use std::time::Instant;

use burn::config::Config;
use burn::data::dataloader::batcher::Batcher;
use burn::data::dataset::Dataset;
use burn::module::Module;
use burn::optim::grad_clipping::GradientClippingConfig;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::store::ModuleRecord;
use burn::tensor::activation::log_softmax;
use burn::tensor::{Device, Tensor};
use indicatif::{ProgressBar, ProgressStyle};

use crate::compose::generate::RUNS_FILE;
use crate::compose::guards::{COPY_RUN, RunIndex};
use crate::music::instrument::Instrument;
use crate::network::{Composer, Conditions, Preset};
use crate::rng::Rng;
use crate::saved::{self, FORMAT_VERSION, ModelConfig};
use crate::training::checkpoint::{Progress, resume, save_checkpoint};
use crate::training::dataset::{
    Corpus, DataError, Song, TokenBatch, TokenBatcher, WindowDataset, augment, fit_energy,
    key_counts, known_meters, style,
};
use crate::training::report::{EpochRecord, TrainingReport};
use crate::training::scoring::{Score, score_songs};

/// How to train.
#[derive(Config, Debug)]
pub struct TrainingConfig {
    /// Passes over the training windows.
    pub epochs: usize,
    /// Windows per batch.
    #[config(default = 32)]
    pub batch_size: usize,
    /// Adam's learning rate.
    #[config(default = 2e-3)]
    pub learning_rate: f64,
    /// Largest gradient norm per parameter tensor.
    #[config(default = 1.0)]
    pub grad_clip: f32,
    /// Epochs without a better validation loss before stopping.
    #[config(default = 3)]
    pub patience: usize,
    /// Factor applied to the learning rate after a plateau (1 keeps it constant).
    #[config(default = 1.0)]
    pub plateau_decay: f64,
    /// Epochs without a better validation loss, since the best one or the
    /// last decay, that make a plateau.
    #[config(default = 3)]
    pub plateau_epochs: usize,
    /// Share of files held out for validation.
    #[config(default = 0.1)]
    pub validation_share: f64,
    /// Largest random transposition, in semitones either way (the window's key moves with it).
    #[config(default = 6)]
    pub max_transpose: i32,
    /// Seed of weights, shuffling and augmentation.
    #[config(default = 42)]
    pub seed: u64,
    /// At most this many batches per epoch (all when absent), to bound an epoch's time on big sets.
    #[config(default = "None")]
    pub max_batches: Option<usize>,
    /// Stop after the epoch that would end past this many minutes of training, counted over resumed runs.
    #[config(default = "None")]
    pub max_minutes: Option<f64>,
}

/// What to train and where.
#[derive(Debug, Clone)]
pub struct TrainingJob {
    /// MIDI folders.
    pub data: Vec<PathBuf>,
    /// The instrument.
    pub instrument: Instrument,
    /// The network's preset.
    pub preset: Preset,
    /// LSTM layers and units per layer instead of the preset's, for a bigger
    /// network where there is time to train one.
    pub size: Option<(usize, usize)>,
    /// The model folder to write.
    pub out: PathBuf,
    /// Go on from the last checkpoint in `out`.
    pub resume: bool,
    /// Start from the weights of the model in this folder (the same network)
    /// rather than random ones: a model that learnt from wider music, tuned
    /// here to `data`.
    pub from: Option<PathBuf>,
    /// With `from` a model made before the meter and energy inputs: train
    /// only those new tables, its other weights as they are. A small corpus
    /// overfits its network in two epochs of tuning, before the tables learn.
    pub tables_only: bool,
    /// Show a progress bar.
    pub progress: bool,
}

/// Errors of training.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// The data could not be used.
    #[error(transparent)]
    Data(#[from] DataError),
    /// Writing the model or a checkpoint failed.
    #[error("cannot write {path}: {detail}", path = .0.display(), detail = .1)]
    Write(PathBuf, String),
    /// The model to start from could not be read.
    #[error("cannot start from the model at {path}: {detail}", path = .0.display(), detail = .1)]
    From(PathBuf, String),
    /// A checkpoint could not be resumed.
    #[error("cannot resume from {path}: {detail}", path = .0.display(), detail = .1)]
    Resume(PathBuf, String),
    /// Settings that cannot work.
    #[error("invalid training settings: {0}")]
    Settings(String),
}

const CHECKPOINT_DIR: &str = "checkpoints";
const REPORT_JSON: &str = "report.json";
const REPORT_SVG: &str = "report.svg";

pub(super) fn write_error(path: &Path, error: impl std::fmt::Display) -> TrainError {
    TrainError::Write(path.to_path_buf(), error.to_string())
}

/// Masked mean cross-entropy of a batch, in nats per event.
fn batch_loss(
    network: &Composer,
    batch: TokenBatch,
    instrument: Option<usize>,
    device: &Device,
) -> Tensor<1> {
    let [b, t] = batch.inputs.dims();
    let state = network.zero_state(b, device);
    let conditions = Conditions {
        instrument,
        keys: Some(batch.keys),
        positions: Some(batch.positions),
        meters: Some(batch.meters),
        energies: Some(batch.energies),
    };
    let (logits, _) = network.forward(batch.inputs, &conditions, state);
    let vocab = logits.dims()[2];
    let log_p =
        log_softmax(logits.reshape([b * t, vocab]), 1).gather(1, batch.targets.reshape([b * t, 1]));
    (log_p * batch.mask.reshape([b * t, 1])).sum().neg() / batch.count as f32
}

/// Keeps freed memory in the process for reuse, as training frees and
/// allocates the same large buffers every step.
///
/// glibc returns blocks above its mmap threshold to the system on free, and a
/// new block then costs a page fault per 4 KiB on its first write: 140 ms for
/// one 52 MB gate buffer of the `paper` network on this project's machine, and
/// 8-10% of a training step in all. A no-op on other C libraries.
pub fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator settings; called before the
    // buffers it concerns exist, and any value is valid for these two.
    unsafe {
        libc::mallopt(libc::M_MMAP_MAX, 0);
        libc::mallopt(libc::M_TRIM_THRESHOLD, libc::c_int::MAX);
    }
}

/// Trains a model and writes it, with its report, to `job.out`.
pub fn train(
    job: &TrainingJob,
    config: &TrainingConfig,
    device: &Device,
    device_name: &str,
) -> Result<TrainingReport, TrainError> {
    check(config)?;
    keep_freed_memory();
    let corpus = Corpus::load(&job.data, job.instrument.parts())?;
    let skipped_files = corpus.skipped.len();
    let (train_set, valid_set) = corpus.split(config.validation_share);
    let model_config = model_config(job, config, &train_set)?;
    let checkpoints = job.out.join(CHECKPOINT_DIR);
    let run = Run {
        job,
        config,
        windows: WindowDataset::new(
            &train_set,
            model_config.window,
            model_config
                .energy
                .as_ref()
                .expect("a new model fits its energy cuts"),
        ),
        valid_songs: valid_set.songs.iter().collect(),
        valid_notes: valid_set.notes(),
        inference_device: device,
        device: &device.clone().autodiff(),
        model_config: &model_config,
        checkpoints: &checkpoints,
    };
    let (network, optimizer, progress) = run.start()?;
    let parameters = network.num_params();
    std::fs::create_dir_all(&checkpoints).map_err(|e| write_error(&checkpoints, e))?;
    let (progress, stopped) = run.epochs(network, optimizer, progress)?;
    let report = TrainingReport {
        instrument: job.instrument.id().to_owned(),
        preset: job.preset,
        device: device_name.to_owned(),
        training: serde_json::from_str(&config.to_string()).unwrap_or_default(),
        parameters,
        train_files: train_set.songs.len(),
        train_notes: train_set.notes(),
        train_events: train_set.events(),
        validation_files: valid_set
            .songs
            .iter()
            .filter_map(|s| s.path.file_name().map(|n| n.to_string_lossy().into_owned()))
            .collect(),
        validation_notes: run.valid_notes,
        skipped_files,
        history: progress.history,
        best_epoch: progress.best_epoch,
        stopped,
        started_from: job.from.clone(),
    };
    write_report(&job.out, &report)?;
    // Every song of the data, validation included, is music a piece must not copy.
    let runs = RunIndex::build(
        COPY_RUN,
        train_set
            .songs
            .iter()
            .chain(&valid_set.songs)
            .map(|s| s.notes.as_slice()),
    );
    let runs_path = job.out.join(RUNS_FILE);
    runs.save(&runs_path)
        .map_err(|e| write_error(&runs_path, e))?;
    Ok(report)
}

/// Refuses training settings that cannot work.
fn check(config: &TrainingConfig) -> Result<(), TrainError> {
    let refuse = |message: String| Err(TrainError::Settings(message));
    if config.epochs == 0 || config.batch_size == 0 {
        return refuse("epochs and batch size must be at least 1".to_owned());
    }
    if config.plateau_epochs == 0 {
        return refuse("a plateau lasts at least 1 epoch".to_owned());
    }
    if !(config.validation_share > 0.0 && config.validation_share < 1.0) {
        return refuse(format!(
            "the validation share must be above 0 and below 1, not {}",
            config.validation_share
        ));
    }
    if !(config.plateau_decay > 0.0 && config.plateau_decay <= 1.0) {
        return refuse(format!(
            "the plateau decay must be above 0 and at most 1, not {}",
            config.plateau_decay
        ));
    }
    Ok(())
}

/// The config of the model `job` trains on `train_set`: its network, and
/// what the sampler keeps of the training music.
fn model_config(
    job: &TrainingJob,
    config: &TrainingConfig,
    train_set: &Corpus,
) -> Result<ModelConfig, TrainError> {
    let mut network_config = job.preset.network();
    if let Some((layers, hidden)) = job.size {
        if layers == 0 || hidden == 0 {
            return Err(TrainError::Settings(
                "a network needs at least one layer of at least one unit".to_owned(),
            ));
        }
        network_config.layers = layers;
        network_config.hidden = hidden;
    }
    Ok(ModelConfig::new(
        FORMAT_VERSION,
        job.instrument.id().to_owned(),
        job.preset,
        network_config,
        job.preset.window(),
        job.data.clone(),
        config.validation_share,
    )
    .with_key_counts(key_counts(&train_set.songs))
    .with_energy(Some(fit_energy(&train_set.songs)))
    .with_meters(Some(known_meters(&train_set.songs)))
    .with_style(Some(style(&train_set.songs))))
}

/// `network` with the weights of the model in `dir`. A model made before the
/// meter and energy inputs lacks their tables: they start at zero, so the
/// tuned network starts out as that model.
fn start_from(network: Composer, dir: &Path) -> Result<Composer, TrainError> {
    let refuse = |e: &dyn std::fmt::Display| TrainError::From(dir.to_path_buf(), e.to_string());
    let (source, _) = ModelConfig::read(dir).map_err(|e| refuse(&e))?;
    let older = source.network.meters == 0 || source.network.energies == 0;
    let record = ModuleRecord::load(dir.join(saved::WEIGHTS_FILE)).map_err(|e| refuse(&e))?;
    network
        .with_zero_new_tables()
        .try_load_record(record.allow_partial(older))
        .map_err(|e| refuse(&e))
}

/// One training run: what stays the same from epoch to epoch.
struct Run<'a> {
    job: &'a TrainingJob,
    config: &'a TrainingConfig,
    model_config: &'a ModelConfig,
    windows: WindowDataset,
    valid_songs: Vec<&'a Song>,
    valid_notes: usize,
    /// Where the validation music is scored, without gradients.
    inference_device: &'a Device,
    /// Where the network trains.
    device: &'a Device,
    checkpoints: &'a Path,
}

/// What one epoch did to the network.
struct EpochResult {
    network: Composer,
    optimizer: ModuleOptimizer,
    /// Mean training loss, in nats per event.
    train_loss: f64,
    /// Events trained on.
    events: usize,
}

impl Run<'_> {
    /// The network, optimizer and progress to start from: the last
    /// checkpoint's when resuming, else fresh (or `job.from`'s weights).
    fn start(&self) -> Result<(Composer, ModuleOptimizer, Progress), TrainError> {
        let adam = self.adam();
        if self.job.resume {
            return resume(self.checkpoints, self.model_config, &adam, self.device);
        }
        self.device.seed(self.config.seed);
        let network = self.model_config.network.init(self.device);
        let network = match &self.job.from {
            Some(dir) if self.job.tables_only => start_from(network, dir)?.only_new_tables_learn(),
            Some(dir) => start_from(network, dir)?,
            None => network,
        };
        let progress = Progress {
            history: Vec::new(),
            best_epoch: 0,
            best_loss: f64::INFINITY,
            learning_rate: None,
            decayed_after: 0,
        };
        Ok((network, adam.init(), progress))
    }

    fn adam(&self) -> AdamConfig {
        AdamConfig::new()
            .with_grad_clipping(Some(GradientClippingConfig::Norm(self.config.grad_clip)))
    }

    /// Trains epoch after epoch until the last, the time limit or the
    /// patience; the progress, and why it stopped.
    fn epochs(
        &self,
        mut network: Composer,
        mut optimizer: ModuleOptimizer,
        mut progress: Progress,
    ) -> Result<(Progress, String), TrainError> {
        let config = self.config;
        let elapsed_before = progress.history.last().map_or(0.0, |r| r.elapsed_seconds);
        let started = Instant::now();
        for epoch in progress.history.len() + 1..=config.epochs {
            let epoch_started = Instant::now();
            let learning_rate = progress.learning_rate.unwrap_or(config.learning_rate);
            let trained = self.epoch(network, optimizer, epoch, learning_rate);
            let train_seconds = epoch_started.elapsed().as_secs_f64();
            (network, optimizer) = (trained.network, trained.optimizer);
            let mut record = self.record(&network, trained.train_loss, epoch, learning_rate);
            record.events_per_second = trained.events as f64 / train_seconds;
            record.elapsed_seconds = elapsed_before + started.elapsed().as_secs_f64();
            self.keep(&mut progress, record, &network)?;
            save_checkpoint(self.checkpoints, &network, &optimizer, &progress)?;
            let elapsed = elapsed_before + started.elapsed().as_secs_f64();
            if config
                .max_minutes
                .is_some_and(|limit| elapsed + epoch_started.elapsed().as_secs_f64() > 60.0 * limit)
            {
                let stopped = format!(
                    "stopped at the time limit after {:.1} minutes",
                    elapsed / 60.0
                );
                return Ok((progress, stopped));
            }
            if epoch - progress.best_epoch >= config.patience {
                let stopped = format!(
                    "stopped early: no better validation loss for {} epochs",
                    config.patience
                );
                return Ok((progress, stopped));
            }
        }
        Ok((progress, format!("ran all {} epochs", config.epochs)))
    }

    /// Trains one epoch over the windows in an order of its own, at `learning_rate`.
    fn epoch(
        &self,
        mut network: Composer,
        mut optimizer: ModuleOptimizer,
        epoch: usize,
        learning_rate: f64,
    ) -> EpochResult {
        let (config, windows) = (self.config, &self.windows);
        let range = self.job.instrument.range();
        let instrument_id = self.model_config.network.instrument_id();
        let batches = windows
            .len()
            .div_ceil(config.batch_size)
            .min(config.max_batches.unwrap_or(usize::MAX));
        let mut rng = Rng::new(Rng::derive(config.seed, epoch as u64));
        let mut order: Vec<usize> = (0..windows.len()).collect();
        rng.shuffle(&mut order);
        let bar = progress_bar(self.job.progress, batches, epoch, config.epochs);
        let (mut loss_sum, mut events) = (0.0, 0usize);
        let mut live = None::<f64>;
        for indices in order.chunks(config.batch_size).take(batches) {
            let items = indices
                .iter()
                .map(|&i| {
                    let window = windows.get(i).expect("index from the dataset's own range");
                    augment(window, config.max_transpose, &range, &mut rng)
                })
                .collect();
            let batch = TokenBatcher.batch(items, self.device);
            let count = batch.count;
            let loss = batch_loss(&network, batch, instrument_id, self.device);
            let grads = GradientsParams::from_grads(loss.backward(), &network);
            let value = f64::from(loss.into_scalar::<f32>());
            network = optimizer.step(learning_rate, network, grads);
            loss_sum += value * count as f64;
            events += count;
            let smoothed = live.map_or(value, |l| 0.95 * l + 0.05 * value);
            live = Some(smoothed);
            bar.set_message(format!("loss {smoothed:.3}"));
            bar.inc(1);
        }
        bar.finish_and_clear();
        EpochResult {
            network,
            optimizer,
            train_loss: loss_sum / events.max(1) as f64,
            events,
        }
    }

    /// The record of epoch `epoch`, its network scored on the validation
    /// music; its speed and time are the caller's to fill in.
    fn record(
        &self,
        network: &Composer,
        train_loss: f64,
        epoch: usize,
        learning_rate: f64,
    ) -> EpochRecord {
        let instrument_id = self.model_config.network.instrument_id();
        let score = if self.valid_songs.is_empty() {
            Score::default()
        } else {
            score_songs(
                &network.valid(),
                instrument_id,
                &self.valid_songs,
                self.model_config.energy.as_ref(),
                256,
                self.inference_device,
            )
        };
        // Without validation files (a one-file corpus) the training loss decides.
        let valid_loss = if score.events > 0 {
            score.nats_per_event()
        } else {
            train_loss
        };
        EpochRecord {
            epoch,
            train_loss,
            valid_loss,
            valid_bits_per_note: score.bits / self.valid_notes.max(1) as f64,
            valid_accuracy: score.accuracy(),
            events_per_second: 0.0,
            elapsed_seconds: 0.0,
            learning_rate: Some(learning_rate),
        }
    }

    /// Adds `record` to `progress`: the model is saved when it is the best
    /// so far, and the learning rate decays after a plateau.
    fn keep(
        &self,
        progress: &mut Progress,
        record: EpochRecord,
        network: &Composer,
    ) -> Result<(), TrainError> {
        let config = self.config;
        tracing::info!(
            epoch = record.epoch,
            train_loss = format!("{:.4}", record.train_loss),
            valid_loss = format!("{:.4}", record.valid_loss),
            valid_bits_per_note = format!("{:.3}", record.valid_bits_per_note),
            valid_accuracy = format!("{:.3}", record.valid_accuracy),
            events_per_second = format!("{:.0}", record.events_per_second),
            learning_rate = record.learning_rate,
            "epoch done"
        );
        let (epoch, valid_loss) = (record.epoch, record.valid_loss);
        let learning_rate = record.learning_rate.unwrap_or(config.learning_rate);
        progress.history.push(record);
        if valid_loss < progress.best_loss {
            progress.best_loss = valid_loss;
            progress.best_epoch = epoch;
            let out = &self.job.out;
            saved::save(out, self.model_config, network).map_err(|e| write_error(out, e))?;
        } else if epoch - progress.best_epoch.max(progress.decayed_after) >= config.plateau_epochs
            && config.plateau_decay < 1.0
        {
            // A plateau at one rate is often a valley too narrow for its steps:
            // smaller steps go on down where a constant rate only circles. One
            // worse epoch is not a plateau: small validation sets are noisy.
            progress.learning_rate = Some(learning_rate * config.plateau_decay);
            progress.decayed_after = epoch;
        }
        Ok(())
    }
}

fn progress_bar(visible: bool, batches: usize, epoch: usize, epochs: usize) -> ProgressBar {
    if !visible {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(batches as u64);
    bar.set_style(
        ProgressStyle::with_template(
            "{prefix} [{bar:30}] {pos}/{len} batches, {elapsed} elapsed, ETA {eta} | {msg}",
        )
        .expect("a valid template")
        .progress_chars("=> "),
    );
    bar.set_prefix(format!("epoch {epoch}/{epochs}"));
    bar
}

fn write_report(dir: &Path, report: &TrainingReport) -> Result<(), TrainError> {
    let json = serde_json::to_string_pretty(report).map_err(|e| write_error(dir, e))?;
    std::fs::write(dir.join(REPORT_JSON), json).map_err(|e| write_error(dir, e))?;
    std::fs::write(
        dir.join(REPORT_SVG),
        crate::training::plot::training_curves(report),
    )
    .map_err(|e| write_error(dir, e))
}

#[cfg(test)]
mod tests {
    use burn::tensor::{Int, TensorData};

    use super::*;
    use crate::music::events::Step;
    use crate::network::{ComposerConfig, InputEncoding};

    /// A model made before the meter and energy inputs, tuned: the new tables
    /// start at zero and are among the parameters the optimizer moves.
    #[test]
    fn a_model_from_before_meter_and_energy_is_tuned_with_tables_that_learn() {
        let dir = tempfile::tempdir().unwrap();
        let older = ComposerConfig::new(InputEncoding::Embedding { dim: 4 }, 1, 8, 0.0)
            .with_positions(crate::network::BAR_POSITIONS);
        let config = ModelConfig::new(
            FORMAT_VERSION,
            "violin".to_owned(),
            Preset::Default,
            older.clone(),
            16,
            Vec::new(),
            0.1,
        );
        saved::save(dir.path(), &config, &older.init(&Device::flex())).unwrap();
        let device = Device::flex().autodiff();
        let newer = older
            .with_meters(crate::network::METERS)
            .with_energies(crate::network::ENERGIES);
        let network = start_from(newer.init(&device), dir.path()).unwrap();
        let steps: Vec<Step> = (0..6)
            .map(|i| Step {
                token: i * 40,
                meter: 1,
                energy: (i % 5) as u8,
                ..Step::default()
            })
            .collect();
        let tokens: Vec<i32> = steps.iter().map(|s| s.token as i32).collect();
        let tokens = Tensor::<2, Int>::from_data(TensorData::new(tokens, [1, 6]), &device);
        let conditions = Conditions::of_sequence(None, &steps, 1, &device);
        let (logits, _) = network.forward(tokens, &conditions, network.zero_state(1, &device));
        let grads = GradientsParams::from_grads(logits.sum().backward(), &network);
        let ids = network.new_table_ids();
        assert_eq!(ids.len(), 2);
        for &id in &ids {
            assert!(grads.get::<2>(id).is_some(), "a new table learns");
        }
        assert!(grads.len() > ids.len(), "and so does the rest");
        // Only the tables, when asked.
        let network = network.only_new_tables_learn();
        let conditions = Conditions::of_sequence(None, &steps, 1, &device);
        let tokens: Vec<i32> = steps.iter().map(|s| s.token as i32).collect();
        let tokens = Tensor::<2, Int>::from_data(TensorData::new(tokens, [1, 6]), &device);
        let (logits, _) = network.forward(tokens, &conditions, network.zero_state(1, &device));
        let grads = GradientsParams::from_grads(logits.sum().backward(), &network);
        assert_eq!(grads.len(), ids.len());
    }
}
