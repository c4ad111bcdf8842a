//! The studio: the installed models, each loaded once and composing on a
//! thread of its own, where every piece in flight for the model advances in
//! one batch (one network step for all of them); a bounded number of pieces
//! in flight and a bounded queue before them.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use models::compose::generate::{Batch, GenerateError, Generator, Length, Settings};
use models::music::key::Key;
use models::saved::{ModelConfig, ModelError};
use models::{Catalog, CatalogError, Instrument, SelectedDevice};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};

use domain::compose::ComposeSettings;
use domain::error::AppError;
use domain::instrument::InstrumentInfo;

/// The model's settings for `settings`, field for field: the same names,
/// the length counted in seconds and the motif as the notes on the model's grid.
pub fn model_settings(settings: &ComposeSettings) -> Settings {
    Settings {
        length: Length::Seconds(f64::from(settings.length_seconds())),
        tempo_bpm: f64::from(settings.tempo_bpm()),
        meter: settings.meter(),
        energy: settings.energy(),
        tonic: settings.tonic(),
        mode: settings.mode(),
        creativity: settings.creativity(),
        seed: settings.seed().unwrap_or_default(),
        motif: settings
            .motif()
            .map(crate::motifs::on_grid)
            .unwrap_or_default(),
        ..Settings::default()
    }
}

/// A composed piece, ready to store.
#[derive(Debug, Clone)]
pub struct Composed {
    /// The standard MIDI file.
    pub midi: Vec<u8>,
    /// Key- and tempo-independent identity of the music.
    pub fingerprint: String,
    /// The version of the model that composed it.
    pub model_version: String,
    /// Its length in seconds.
    pub seconds: f64,
    /// The key it ended in.
    pub key: Option<Key>,
}

/// Why a piece could not be composed.
#[derive(Debug, thiserror::Error)]
pub enum StudioError {
    /// The instrument has no model on this server.
    #[error("no model is installed for {0}")]
    NotInstalled(&'static str),
    /// The model is installed but does not load.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// The settings are out of range, or every attempt failed a guard.
    #[error(transparent)]
    Generate(#[from] GenerateError),
    /// A worker panicked.
    #[error("a composer failed: {0}")]
    Crashed(String),
}

/// Every composer is busy and the queue is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Full {
    /// Pieces waiting now.
    pub waiting: usize,
    /// About how long until a place frees up.
    pub retry_after: Duration,
}

/// The models directory, the device and the worker pool; cheap to clone.
#[derive(Clone)]
pub struct Studio {
    inner: Arc<Inner>,
}

struct Inner {
    models_dir: PathBuf,
    device: SelectedDevice,
    engines: Mutex<HashMap<Instrument, Engine>>,
    /// Places for pieces in flight.
    workers: Arc<Semaphore>,
    worker_count: usize,
    queued: AtomicUsize,
    max_queued: usize,
    /// Mean time to compose a piece, in milliseconds, over recent pieces.
    mean_compose_ms: AtomicU64,
}

impl std::fmt::Debug for Studio {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Studio")
            .field("models_dir", &self.inner.models_dir)
            .field("device", &self.inner.device.description)
            .finish_non_exhaustive()
    }
}

/// What a piece is assumed to take before any was composed.
const FIRST_GUESS_MS: u64 = 3_000;

impl Studio {
    /// A studio composing with the models in `models_dir` on `device`, at most
    /// `workers` pieces in flight and `max_queued` more waiting.
    pub fn new(
        models_dir: PathBuf,
        device: SelectedDevice,
        workers: usize,
        max_queued: usize,
    ) -> Studio {
        Studio {
            inner: Arc::new(Inner {
                models_dir,
                device,
                engines: Mutex::new(HashMap::new()),
                workers: Arc::new(Semaphore::new(workers.max(1))),
                worker_count: workers.max(1),
                queued: AtomicUsize::new(0),
                max_queued,
                mean_compose_ms: AtomicU64::new(FIRST_GUESS_MS),
            }),
        }
    }

    /// The folder holding one model per instrument.
    pub fn models_dir(&self) -> &Path {
        &self.inner.models_dir
    }

    /// The instruments installed now (models can be added while the server runs).
    pub fn catalog(&self) -> Result<Catalog, CatalogError> {
        Catalog::scan(&self.inner.models_dir)
    }

    /// The instruments installed now, as pages list them.
    pub fn instruments(&self) -> Result<Vec<InstrumentInfo>, AppError> {
        let catalog = self.catalog().map_err(|err| {
            AppError::internal("The instrument list is unavailable right now.", &err)
        })?;
        Ok(catalog
            .instruments
            .into_iter()
            .map(|instrument| InstrumentInfo {
                id: instrument.id().into(),
                name: instrument.display_name().into(),
                use_case: instrument.use_case().into(),
                meters: self.meters_of(instrument),
            })
            .collect())
    }

    /// The meters `instrument`'s model composes in, as its config says; 4/4
    /// where the config cannot be read (the model then says why when it loads).
    fn meters_of(&self, instrument: Instrument) -> Vec<models::music::Meter> {
        ModelConfig::read(&self.inner.models_dir.join(instrument.id())).map_or_else(
            |_| vec![models::music::Meter::Common],
            |(c, _)| c.known_meters(),
        )
    }

    /// A place in the queue for one piece, or [`Full`] with an estimate of
    /// when to come back.
    pub fn admit(&self) -> Result<Ticket, Full> {
        let inner = &self.inner;
        let waiting = inner.queued.fetch_add(1, Ordering::SeqCst);
        if waiting >= inner.max_queued {
            inner.queued.fetch_sub(1, Ordering::SeqCst);
            // The queue ahead drains at `workers` pieces per mean composing time.
            let mean = inner.mean_compose_ms.load(Ordering::Relaxed);
            let rounds = waiting.div_ceil(inner.worker_count) as u64 + 1;
            return Err(Full {
                waiting,
                retry_after: Duration::from_millis(mean * rounds),
            });
        }
        Ok(Ticket {
            inner: Arc::clone(inner),
        })
    }
}

/// A piece's place in the queue, held until a composer takes it (or dropped).
pub struct Ticket {
    inner: Arc<Inner>,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.inner.queued.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Ticket {
    /// Waits for a free composer, leaving the queue.
    pub async fn composer(self) -> Composer {
        let permit = Arc::clone(&self.inner.workers)
            .acquire_owned()
            .await
            .expect("the worker semaphore is never closed");
        Composer {
            inner: Arc::clone(&self.inner),
            _permit: permit,
        }
    }
}

/// A worker, free to compose one piece.
pub struct Composer {
    inner: Arc<Inner>,
    _permit: OwnedSemaphorePermit,
}

impl Composer {
    /// Composes a piece with `settings` (checked, the seed drawn) in its model's batch.
    pub async fn compose_settings(
        self,
        settings: &ComposeSettings,
    ) -> Result<Composed, StudioError> {
        let instrument = Instrument::from_id(settings.instrument())
            .ok_or(StudioError::NotInstalled("an unknown instrument"))?;
        self.compose(instrument, model_settings(settings)).await
    }

    /// Composes a piece of `instrument` with the model's own `settings`.
    pub async fn compose(
        self,
        instrument: Instrument,
        settings: Settings,
    ) -> Result<Composed, StudioError> {
        let started = Instant::now();
        let mut settings = Some(settings);
        // A model's thread that stopped (it panicked) is started again once.
        let mut answer = None;
        for _ in 0..2 {
            let inner = Arc::clone(&self.inner);
            let engine = tokio::task::spawn_blocking(move || inner.engine(instrument))
                .await
                .map_err(|err| StudioError::Crashed(err.to_string()))??;
            let (reply, replied) = oneshot::channel();
            let job = Job {
                settings: settings.take().expect("sent at most once"),
                reply,
            };
            match engine.jobs.send(job) {
                Ok(()) => {
                    answer = Some(replied);
                    break;
                }
                Err(mpsc::SendError(job)) => {
                    self.inner.forget(instrument);
                    settings = Some(job.settings);
                }
            }
        }
        let composed = match answer {
            Some(replied) => replied
                .await
                .unwrap_or_else(|_| Err(StudioError::Crashed("the composer stopped".into()))),
            None => Err(StudioError::Crashed("the composer cannot start".into())),
        };
        let took = started.elapsed().as_millis() as u64;
        // An exponential mean, weighting the latest piece by a quarter.
        let mean = &self.inner.mean_compose_ms;
        let _ = mean.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |old| {
            Some((old * 3 + took) / 4)
        });
        composed
    }
}

/// A piece for a model's thread, and where its result goes.
struct Job {
    settings: Settings,
    reply: oneshot::Sender<Result<Composed, StudioError>>,
}

/// A model's composing thread, fed through a channel.
#[derive(Clone)]
struct Engine {
    jobs: mpsc::Sender<Job>,
}

impl Engine {
    /// Starts the thread composing `instrument`'s pieces with `generator`.
    fn start(instrument: Instrument, generator: Generator) -> std::io::Result<Engine> {
        let (jobs, incoming) = mpsc::channel();
        std::thread::Builder::new()
            .name(format!("compose-{}", instrument.id()))
            .spawn(move || compose_batches(instrument, &generator, &incoming))?;
        Ok(Engine { jobs })
    }
}

/// The model's thread: idle until a piece comes, then one step at a time for
/// every piece in flight, new pieces joining between steps.
fn compose_batches(instrument: Instrument, generator: &Generator, incoming: &mpsc::Receiver<Job>) {
    let mut batch = Batch::new(generator);
    let join = |batch: &mut Batch<'_, _>, job: Job| {
        if let Err((reply, err)) = batch.add(job.settings, job.reply) {
            let _ = reply.send(Err(err.into()));
        }
    };
    loop {
        if batch.is_empty() {
            match incoming.recv() {
                Ok(job) => join(&mut batch, job),
                // The studio is gone.
                Err(mpsc::RecvError) => return,
            }
        }
        while let Ok(job) = incoming.try_recv() {
            join(&mut batch, job);
        }
        for (reply, result) in batch.step() {
            let composed = result.map_err(StudioError::from).map(|piece| Composed {
                midi: piece.to_midi(instrument.program()),
                fingerprint: piece.fingerprint(),
                model_version: generator.model.version.clone(),
                seconds: piece.seconds,
                key: piece.key,
            });
            // The request may have been given up; the piece is then dropped.
            let _ = reply.send(composed);
        }
    }
}

impl Inner {
    /// The instrument's composing thread, its model loaded on first use.
    fn engine(&self, instrument: Instrument) -> Result<Engine, StudioError> {
        // Held while loading, so that two first requests load the model once.
        let mut engines = self
            .engines
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(engine) = engines.get(&instrument) {
            return Ok(engine.clone());
        }
        let dir = self.models_dir.join(instrument.id());
        if !dir
            .join(models::saved::catalog::MODEL_CONFIG_FILE)
            .is_file()
        {
            return Err(StudioError::NotInstalled(instrument.display_name()));
        }
        let generator = Generator::open(&dir, &self.device.device)?;
        tracing::info!(instrument = instrument.id(), version = %generator.model.version, "model loaded");
        let engine = Engine::start(instrument, generator)
            .map_err(|err| StudioError::Crashed(format!("cannot start a composer: {err}")))?;
        engines.insert(instrument, engine.clone());
        Ok(engine)
    }

    /// Drops the instrument's thread (it stopped), so that the next piece starts another.
    fn forget(&self, instrument: Instrument) {
        self.engines
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .remove(&instrument);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_creativity_the_form_allows_is_one_the_model_takes() {
        use domain::compose::{CREATIVITY, RequestedSettings};
        for creativity in [CREATIVITY.min, CREATIVITY.default, CREATIVITY.max] {
            let request = RequestedSettings {
                creativity,
                seed: Some(7),
                ..ComposeSettings::new("piano").into()
            };
            let settings = model_settings(&request.validate().unwrap());
            assert_eq!(settings.creativity, creativity);
            assert_eq!(settings.seed, 7);
            assert!(settings.validate().is_ok(), "{creativity}");
        }
    }

    #[test]
    fn every_motif_the_settings_allow_is_one_the_model_takes() {
        use domain::compose::RequestedSettings;
        use domain::motif::Motif;
        for (tempo_bpm, length_seconds) in [(40, 10), (100, 30), (220, 10), (40, 180)] {
            // The longest motif allowed: a note held to the limit.
            let bar = 4.0 * 60.0 / f64::from(tempo_bpm);
            let length = f64::from(length_seconds);
            let beats = (length / 2.0).min(length - bar) * f64::from(tempo_bpm) / 60.0;
            let beats = ((beats * 12.0).floor() / 12.0).min(domain::motif::MAX_BEATS);
            let motif: Motif = format!("60:0:0.25:80 62:{:.3}:0.25:80", beats - 0.25)
                .parse()
                .unwrap();
            let settings = RequestedSettings {
                tempo_bpm,
                length_seconds,
                motif: Some(motif),
                ..ComposeSettings::new("piano").into()
            }
            .validate()
            .unwrap_or_else(|err| panic!("{tempo_bpm} BPM, {length_seconds} s: {err:?}"));
            let model = model_settings(&settings);
            assert_eq!(model.motif.len(), 2);
            assert!(
                model.validate().is_ok(),
                "{tempo_bpm} BPM, {length_seconds} s"
            );
        }
    }
}
