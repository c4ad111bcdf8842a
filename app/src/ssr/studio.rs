//! The studio: the installed models, loaded once each, and a bounded pool of
//! workers that compose with them off the async runtime.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use models::generate::{GenerateError, Generator, Settings};
use models::key::Key;
use models::saved::ModelError;
use models::{Catalog, CatalogError, Instrument, SelectedDevice};
use tokio::sync::Semaphore;

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
    /// Every worker is busy and the queue is full.
    #[error("every composer is busy")]
    Busy,
    /// A worker panicked.
    #[error("a composer failed: {0}")]
    Crashed(String),
}

/// The models directory, the device and the worker pool; cheap to clone.
#[derive(Clone)]
pub struct Studio {
    inner: Arc<Inner>,
}

struct Inner {
    models_dir: PathBuf,
    device: SelectedDevice,
    generators: Mutex<HashMap<Instrument, Arc<Generator>>>,
    workers: Semaphore,
    queued: AtomicUsize,
    max_queued: usize,
}

impl std::fmt::Debug for Studio {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Studio")
            .field("models_dir", &self.inner.models_dir)
            .field("device", &self.inner.device.description)
            .finish_non_exhaustive()
    }
}

impl Studio {
    /// A studio composing with the models in `models_dir` on `device`, at most
    /// `workers` pieces at a time and `max_queued` more waiting.
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
                generators: Mutex::new(HashMap::new()),
                workers: Semaphore::new(workers.max(1)),
                queued: AtomicUsize::new(0),
                max_queued,
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

    /// Composes a piece for `instrument` on a worker thread.
    pub async fn compose(
        &self,
        instrument: Instrument,
        settings: Settings,
    ) -> Result<Composed, StudioError> {
        if self.inner.queued.fetch_add(1, Ordering::SeqCst) >= self.inner.max_queued {
            self.inner.queued.fetch_sub(1, Ordering::SeqCst);
            return Err(StudioError::Busy);
        }
        let permit = self.inner.workers.acquire().await;
        self.inner.queued.fetch_sub(1, Ordering::SeqCst);
        let _permit = permit.expect("the worker semaphore is never closed");
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || {
            let generator = inner.generator(instrument)?;
            let piece = generator.generate(&settings)?;
            Ok(Composed {
                midi: piece.to_midi(instrument.program()),
                fingerprint: piece.fingerprint(),
                model_version: generator.model.version.clone(),
                seconds: piece.seconds,
                key: piece.key,
            })
        })
        .await
        .map_err(|err| StudioError::Crashed(err.to_string()))?
    }
}

impl Inner {
    /// The instrument's generator, loaded on first use and kept.
    fn generator(&self, instrument: Instrument) -> Result<Arc<Generator>, StudioError> {
        // Held while loading, so that two first requests load the model once.
        let mut generators = self
            .generators
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(generator) = generators.get(&instrument) {
            return Ok(Arc::clone(generator));
        }
        let dir = self.models_dir.join(instrument.id());
        if !dir.join(models::catalog::MODEL_CONFIG_FILE).is_file() {
            return Err(StudioError::NotInstalled(instrument.display_name()));
        }
        let generator = Arc::new(Generator::open(&dir, &self.device.device)?);
        tracing::info!(instrument = instrument.id(), version = %generator.model.version, "model loaded");
        generators.insert(instrument, Arc::clone(&generator));
        Ok(generator)
    }
}
