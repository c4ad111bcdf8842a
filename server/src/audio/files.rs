//! The rendered audio of stored pieces: rendered on first request by a small
//! pool of workers, cached under the data directory, served with range requests.

use std::collections::HashMap;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Path as UrlPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sea_orm::DatabaseConnection;
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;
use tower::ServiceExt;
use tower_http::services::ServeFile;

use crate::audio::{self, AudioError, Renderer};
use domain::error::AppError;
use services::owner::Owner;
use services::pieces;
use services::sessions;
use tower_sessions::Session;

/// Only the piece's owner may hear it: no shared cache keeps a preview, and
/// a browser asks again each time (a 304 when it has it), so one signed out
/// of a shared browser leaves nothing playable behind.
const CACHE_CONTROL: &str = "private, no-cache";

/// What is rendered of a piece.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The Ogg Vorbis preview, with its chime: for anyone who listens.
    Preview,
    /// The full version, 44.1 kHz 16-bit stereo WAV: for its buyer, rendered
    /// when they first download it.
    Full,
}

impl Kind {
    fn extension(self) -> &'static str {
        match self {
            Kind::Preview => "ogg",
            Kind::Full => "wav",
        }
    }
}

/// The renderer, its worker pool and the cache folder; cheap to clone.
#[derive(Clone, Debug)]
pub struct AudioFiles {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    renderer: Renderer,
    dir: PathBuf,
    workers: Semaphore,
    /// The most bytes the cache keeps.
    cap: u64,
    /// One lock per file being rendered, so that two requests for a new
    /// piece render it once.
    rendering: Mutex<HashMap<PathBuf, Arc<tokio::sync::Mutex<()>>>>,
    /// How many requests hold each file ([`Held`]): none of them is evicted.
    held: Mutex<HashMap<PathBuf, usize>>,
}

/// A cached file handed to a request: no file is evicted while a request
/// holds it, so the file is still there when the request opens it (once
/// open, deleting it no longer matters to the request).
#[derive(Debug)]
pub struct Held {
    path: PathBuf,
    inner: Arc<Inner>,
}

impl AsRef<Path> for Held {
    fn as_ref(&self) -> &Path {
        &self.path
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        let mut held = self.inner.held_files();
        if let Some(count) = held.get_mut(&self.path) {
            *count -= 1;
            if *count == 0 {
                held.remove(&self.path);
            }
        }
    }
}

/// Part of a file's name while it is being written (see [`Inner::render_to`]).
const PARTIAL: &str = ".partial-";

impl AudioFiles {
    /// Caches renderings under `data_dir/audio/<SoundFont name>-<rendering
    /// version>/` (another SoundFont or a changed rendering renders afresh),
    /// at most `cap` bytes of them, with at most `workers` renderings at a
    /// time. Files a crash left half written are deleted.
    pub fn new(
        renderer: Renderer,
        data_dir: &Path,
        workers: usize,
        cap: u64,
    ) -> std::io::Result<AudioFiles> {
        let soundfont = renderer.path().file_stem().map_or_else(
            || "soundfont".into(),
            |stem| stem.to_string_lossy().into_owned(),
        );
        let dir = data_dir
            .join("audio")
            .join(format!("{soundfont}-{}", audio::RENDERING_VERSION));
        std::fs::create_dir_all(&dir)?;
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.to_string_lossy().contains(PARTIAL) {
                tracing::info!(path = %path.display(), "deleting a file a crash left half written");
                std::fs::remove_file(&path)?;
            }
        }
        Ok(AudioFiles {
            inner: Arc::new(Inner {
                renderer,
                dir,
                workers: Semaphore::new(workers.max(1)),
                cap,
                rendering: Mutex::new(HashMap::new()),
                held: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// Where the `kind` file of the piece whose MIDI is `midi` is cached.
    fn path(&self, midi: &[u8], kind: Kind) -> PathBuf {
        let key = hex::encode(&Sha256::digest(midi)[..16]);
        self.inner.dir.join(format!("{key}.{}", kind.extension()))
    }

    /// The `kind` file of the piece whose MIDI is `midi`, rendered now if it
    /// is not in the cache yet, held for the request until it is dropped.
    pub async fn rendered(&self, midi: Vec<u8>, kind: Kind) -> Result<Held, AudioError> {
        let path = self.path(&midi, kind);
        // Held before it is looked for, so no eviction slips in between.
        *self.inner.held_files().entry(path.clone()).or_default() += 1;
        let held = Held {
            path: path.clone(),
            inner: Arc::clone(&self.inner),
        };
        if path.is_file() {
            touch(&path);
            return Ok(held);
        }
        // In a task of its own: a request given up half way (the browser moved
        // on) must not release the piece's lock while its rendering still runs.
        let this = self.clone();
        tokio::spawn(async move { this.render_once(midi, kind, path).await })
            .await
            .unwrap_or_else(|err| Err(AudioError::Encode(format!("the renderer failed: {err}"))))
            .map(|_| held)
    }

    /// Deletes the rendered files of the piece whose MIDI is `midi`, but for
    /// one a request holds (another piece with the same music may be playing);
    /// the cap evicts that one later.
    pub fn forget(&self, midi: &[u8]) {
        for kind in [Kind::Preview, Kind::Full] {
            let path = self.path(midi, kind);
            let held = self.inner.held_files();
            if held.contains_key(&path) {
                continue;
            }
            let removed = std::fs::remove_file(&path);
            drop(held);
            match removed {
                Ok(()) => {}
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
                Err(err) => tracing::warn!(%err, "cannot delete a deleted piece's audio"),
            }
        }
    }

    /// Renders the file under its lock, unless a rendering before it did,
    /// then keeps the cache within its cap.
    async fn render_once(
        &self,
        midi: Vec<u8>,
        kind: Kind,
        path: PathBuf,
    ) -> Result<PathBuf, AudioError> {
        let lock = Arc::clone(
            self.inner
                .rendering
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .entry(path.clone())
                .or_default(),
        );
        let _rendering = lock.lock().await;
        let result = if path.is_file() {
            Ok(())
        } else {
            let _worker = self
                .inner
                .workers
                .acquire()
                .await
                .expect("the worker semaphore is never closed");
            let inner = Arc::clone(&self.inner);
            let target = path.clone();
            tokio::task::spawn_blocking(move || {
                inner.render_to(&midi, kind, &target)?;
                inner.keep_to_cap(&target);
                Ok(())
            })
            .await
            .unwrap_or_else(|err| Err(AudioError::Encode(format!("the renderer failed: {err}"))))
        };
        self.inner
            .rendering
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .remove(&path);
        result.map(|()| path)
    }
}

impl services::PieceFiles for AudioFiles {
    fn forget(&self, midi: &[u8]) {
        AudioFiles::forget(self, midi);
    }
}

/// Marks `path` as just played, so that the cache keeps it longest.
fn touch(path: &Path) {
    let now = std::time::SystemTime::now();
    if let Err(err) = File::options()
        .append(true)
        .open(path)
        .and_then(|file| file.set_modified(now))
    {
        tracing::debug!(%err, path = %path.display(), "cannot mark an audio file as played");
    }
}

impl Inner {
    /// The files requests hold, by how many hold each.
    fn held_files(&self) -> std::sync::MutexGuard<'_, HashMap<PathBuf, usize>> {
        self.held
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Renders the `kind` file into a temporary file and renames it into
    /// place, so that a crash never leaves a truncated file in the cache.
    fn render_to(&self, midi: &[u8], kind: Kind, path: &Path) -> Result<(), AudioError> {
        let mut name = path.as_os_str().to_owned();
        name.push(format!("{PARTIAL}{}", std::process::id()));
        let partial = PathBuf::from(name);
        let result = (|| -> Result<(), AudioError> {
            let mut out = BufWriter::new(File::create(&partial)?);
            match kind {
                // The full version's samples are synthesised either way;
                // only its file is not written.
                Kind::Preview => {
                    self.renderer
                        .render_products(midi, &mut std::io::sink(), Some(&mut out))?;
                }
                Kind::Full => {
                    self.renderer.render_products(midi, &mut out, None)?;
                }
            }
            out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
            std::fs::rename(&partial, path)?;
            Ok(())
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&partial);
        }
        result
    }

    /// Deletes the least recently played files until the cache holds at most
    /// its cap, never `keep` (just rendered for a request) nor a file a
    /// request holds.
    fn keep_to_cap(&self, keep: &Path) {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return;
        };
        let mut files: Vec<(std::time::SystemTime, u64, PathBuf)> = entries
            .filter_map(|entry| {
                let entry = entry.ok()?;
                let path = entry.path();
                let meta = entry.metadata().ok()?;
                let done = meta.is_file() && !path.to_string_lossy().contains(PARTIAL);
                let played = meta.modified().ok()?;
                done.then_some((played, meta.len(), path))
            })
            .collect();
        let mut total: u64 = files.iter().map(|file| file.1).sum();
        files.sort();
        for (_, size, path) in files {
            if total <= self.cap {
                break;
            }
            // Looked up and deleted under the lock requests take to hold a
            // file, so none is handed out between the two.
            let held = self.held_files();
            if path == keep || held.contains_key(&path) {
                continue;
            }
            let removed = std::fs::remove_file(&path);
            drop(held);
            match removed {
                Ok(()) => total -= size,
                Err(err) => {
                    tracing::warn!(%err, path = %path.display(), "cannot evict an audio file")
                }
            }
        }
    }
}

/// `GET /pieces/{id}/preview.ogg`: the piece's preview, with range
/// requests, for its owner's session; anyone else's is not found.
pub async fn preview(
    State(db): State<DatabaseConnection>,
    State(files): State<AudioFiles>,
    session: Session,
    UrlPath(id): UrlPath<String>,
    request: Request,
) -> Response {
    let preview = async {
        let id = crate::id_in_address(&id).ok_or_else(AppError::no_piece)?;
        let viewer = sessions::owner(&session).await?;
        preview_for(&db, &files, viewer.as_ref(), id, request).await
    };
    preview.await.unwrap_or_else(|err| {
        let status =
            StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, format!("{err}\n")).into_response()
    })
}

/// The preview of piece `id` when `viewer` may hear it (a range of it when
/// `request` asks for one), rendered on first play.
pub(crate) async fn preview_for(
    db: &DatabaseConnection,
    files: &AudioFiles,
    viewer: Option<&Owner>,
    id: i64,
    request: Request,
) -> Result<Response, AppError> {
    let midi = pieces::midi(db, viewer, id)
        .await?
        .ok_or_else(AppError::no_piece)?;
    let rendered = files
        .rendered(midi, Kind::Preview)
        .await
        .map_err(|err| AppError::internal("This piece's audio could not be rendered.", &err))?;
    // Held until the file is open: the response streams from the open file.
    Ok(serve_file(rendered.as_ref(), request, CACHE_CONTROL).await)
}

/// Serves a file with its content type and length, `Range` requests (206 and
/// 416) and `cache_control`, streaming it from disk.
pub(crate) async fn serve_file(
    path: &Path,
    request: Request,
    cache_control: &'static str,
) -> Response {
    match ServeFile::new(path).oneshot(request).await {
        Ok(response) => {
            let mut response = response.map(Body::new);
            if response.status().is_success() {
                response.headers_mut().insert(
                    header::CACHE_CONTROL,
                    HeaderValue::from_static(cache_control),
                );
            }
            response
        }
        Err(err) => {
            tracing::error!(%err, path = %path.display(), "cannot serve an audio file");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
