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
use app::services::pieces;

/// Pieces never change once stored and their ids are never reused, so a
/// browser may keep a preview for a day.
const CACHE_CONTROL: &str = "public, max-age=86400";

/// A piece's two rendered files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedFiles {
    /// The Ogg Vorbis preview, with its chime.
    pub preview: PathBuf,
    /// The full version, 44.1 kHz 16-bit stereo WAV.
    pub full: PathBuf,
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
    /// One lock per piece being rendered, so that two requests for a new
    /// piece render it once.
    rendering: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl AudioFiles {
    /// Caches renderings under `data_dir/audio/<SoundFont name>-<rendering
    /// version>/` (another SoundFont or a changed rendering renders afresh),
    /// with at most `workers` renderings at a time.
    pub fn new(renderer: Renderer, data_dir: &Path, workers: usize) -> std::io::Result<AudioFiles> {
        let soundfont = renderer.path().file_stem().map_or_else(
            || "soundfont".into(),
            |stem| stem.to_string_lossy().into_owned(),
        );
        let dir = data_dir
            .join("audio")
            .join(format!("{soundfont}-{}", audio::RENDERING_VERSION));
        std::fs::create_dir_all(&dir)?;
        Ok(AudioFiles {
            inner: Arc::new(Inner {
                renderer,
                dir,
                workers: Semaphore::new(workers.max(1)),
                rendering: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// The files of the piece whose MIDI is `midi`, rendered now if they are
    /// not in the cache yet.
    pub async fn rendered(&self, midi: Vec<u8>) -> Result<RenderedFiles, AudioError> {
        let key = hex::encode(&Sha256::digest(&midi)[..16]);
        let files = RenderedFiles {
            preview: self.inner.dir.join(format!("{key}.ogg")),
            full: self.inner.dir.join(format!("{key}.wav")),
        };
        if files.exist() {
            return Ok(files);
        }
        // In a task of its own: a request given up half way (the browser moved
        // on) must not release the piece's lock while its rendering still runs.
        let this = self.clone();
        tokio::spawn(async move { this.render_once(key, midi, files).await })
            .await
            .unwrap_or_else(|err| Err(AudioError::Encode(format!("the renderer failed: {err}"))))
    }

    /// Renders the piece under its lock, unless a rendering before it did.
    async fn render_once(
        &self,
        key: String,
        midi: Vec<u8>,
        files: RenderedFiles,
    ) -> Result<RenderedFiles, AudioError> {
        let lock = Arc::clone(
            self.inner
                .rendering
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .entry(key.clone())
                .or_default(),
        );
        let _rendering = lock.lock().await;
        let result = if files.exist() {
            Ok(())
        } else {
            let _worker = self
                .inner
                .workers
                .acquire()
                .await
                .expect("the worker semaphore is never closed");
            let inner = Arc::clone(&self.inner);
            let target = files.clone();
            tokio::task::spawn_blocking(move || inner.render_to(&midi, &target))
                .await
                .unwrap_or_else(|err| {
                    Err(AudioError::Encode(format!("the renderer failed: {err}")))
                })
        };
        self.inner
            .rendering
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .remove(&key);
        result.map(|()| files)
    }
}

impl RenderedFiles {
    fn exist(&self) -> bool {
        self.preview.is_file() && self.full.is_file()
    }
}

impl Inner {
    /// Renders into temporary files and renames them into place, so that a
    /// crash never leaves a truncated file in the cache.
    fn render_to(&self, midi: &[u8], files: &RenderedFiles) -> Result<(), AudioError> {
        let partial = |path: &Path| {
            let mut name = path.as_os_str().to_owned();
            name.push(format!(".partial-{}", std::process::id()));
            PathBuf::from(name)
        };
        let (full_tmp, preview_tmp) = (partial(&files.full), partial(&files.preview));
        let result = (|| -> Result<(), AudioError> {
            let mut full = BufWriter::new(File::create(&full_tmp)?);
            let mut preview = BufWriter::new(File::create(&preview_tmp)?);
            self.renderer
                .render_products(midi, &mut full, Some(&mut preview))?;
            full.into_inner().map_err(|e| e.into_error())?.sync_all()?;
            preview
                .into_inner()
                .map_err(|e| e.into_error())?
                .sync_all()?;
            std::fs::rename(&full_tmp, &files.full)?;
            std::fs::rename(&preview_tmp, &files.preview)?;
            Ok(())
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&full_tmp);
            let _ = std::fs::remove_file(&preview_tmp);
        }
        result
    }
}

/// `GET /pieces/{id}/preview.ogg`: the piece's preview, with range requests.
pub async fn preview(
    State(db): State<DatabaseConnection>,
    State(files): State<AudioFiles>,
    UrlPath(id): UrlPath<String>,
    request: Request,
) -> Response {
    let not_found = || {
        (
            StatusCode::NOT_FOUND,
            format!("There is no piece {id:?}, so there is no preview to play.\n"),
        )
            .into_response()
    };
    let Some(id) = id.parse::<i64>().ok().filter(|id| *id > 0) else {
        return not_found();
    };
    let midi = pieces::midi(&db, id).await;
    let midi = match midi {
        Ok(Some(midi)) => midi,
        Ok(None) => return not_found(),
        Err(err) => {
            tracing::error!(%err, id, "cannot read a piece for its preview");
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                "The preview is unavailable right now; please try again shortly.\n",
            )
                .into_response();
        }
    };
    let rendered = match files.rendered(midi).await {
        Ok(rendered) => rendered,
        Err(err) => {
            tracing::error!(%err, id, "cannot render a piece");
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                "This piece's audio could not be rendered.\n",
            )
                .into_response();
        }
    };
    serve_file(&rendered.preview, request, CACHE_CONTROL).await
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
