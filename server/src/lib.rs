//! MixTape's web server: serves the server-rendered pages, server functions,
//! static files and the health check, on the database its configuration names.

pub mod api;
pub mod audio;
pub mod config;
pub mod cross_site;
mod downloads;
pub mod examples;
mod outage;
mod serve;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::Router;
use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::routing::get;
use cross_site::PublicOrigin;
use leptos::prelude::*;
use leptos_axum::{AxumRouteListing, LeptosRoutes, generate_route_list};
use sea_orm::{ConnectOptions, Database, DatabaseConnection};
use services::composer::Studio;
use services::generations::Generations;
use services::payments::{Gateway, SandboxGateway};
use services::session_store::DatabaseSessionStore;
use services::{ServerContext, exclusivity, rate_limits, settlement};
use tokio::net::TcpListener;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::cookie::time::Duration as CookieDuration;
use tower_sessions::{Expiry, SessionManagerLayer};

use audio::files::AudioFiles;
use audio::{AudioError, Renderer};
pub use config::Config;

/// How long a session lives without a request.
const SESSION_LIFETIME: CookieDuration = CookieDuration::days(30);
/// How often expired sessions are swept from the database.
const SESSION_SWEEP: Duration = Duration::from_secs(60 * 60);

/// Pieces composed at once per worker: a model steps all its pieces in flight
/// together, each slice of the weights read once for all of them.
const PIECES_PER_WORKER: usize = 4;

/// How often unfinished purchases are completed or undone while serving.
const RECONCILE_EVERY: Duration = Duration::from_secs(60);

/// What the router's handlers share.
#[derive(Clone)]
struct AppState {
    leptos_options: LeptosOptions,
    context: ServerContext,
    audio: AudioFiles,
    examples: examples::Examples,
}

impl FromRef<AppState> for examples::Examples {
    fn from_ref(state: &AppState) -> Self {
        state.examples.clone()
    }
}

impl FromRef<AppState> for Studio {
    fn from_ref(state: &AppState) -> Self {
        state.context.studio.clone()
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

impl FromRef<AppState> for DatabaseConnection {
    fn from_ref(state: &AppState) -> Self {
        state.context.db.clone()
    }
}

impl FromRef<AppState> for AudioFiles {
    fn from_ref(state: &AppState) -> Self {
        state.audio.clone()
    }
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot open the database: {0}")]
    Database(#[source] sea_orm::DbErr),
    #[error("cannot migrate the database: {0}")]
    Migration(#[source] sea_orm::DbErr),
    #[error("cannot load the SoundFont: {0}")]
    SoundFont(#[source] AudioError),
    #[error("cannot create the audio cache in {path}: {source}")]
    AudioCache {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("cannot open the device for the models: {0}")]
    Device(#[source] models::network::device::DeviceError),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// A server bound to its address, ready to serve.
pub struct Server {
    listener: TcpListener,
    router: Router,
    db: DatabaseConnection,
    limits: serve::Limits,
}

impl Server {
    /// Loads the SoundFont, opens the models' device, opens and migrates the
    /// database, builds the routes and binds the listening socket.
    pub async fn start(config: &Config, database_url: &str) -> Result<Server, StartError> {
        let workers = config.workers();
        let audio = open_audio(config, workers)?;
        let device = config.device.select().map_err(StartError::Device)?;
        tracing::info!(device = %device.description, workers, "models run here");
        let db = connect(database_url).await?;
        let gateway: Arc<dyn Gateway> = Arc::new(SandboxGateway::new(db.clone()));
        catch_up(&db, gateway.clone(), config.purchase_timeout as i64).await;
        let context = ServerContext {
            db: db.clone(),
            studio: Studio::new(
                config.models_dir.clone(),
                device,
                workers * PIECES_PER_WORKER,
                config.queue(),
            ),
            generations: Generations::new(),
            limits: config.rate_limits(),
            gateway,
            price: config.price.clone(),
            files: Arc::new(audio.clone()),
        };
        tokio::spawn(keep_alive_every(
            context.clone(),
            Duration::from_secs(config.instance_timeout),
        ));
        let listener =
            TcpListener::bind(config.listen)
                .await
                .map_err(|source| StartError::Listen {
                    addr: config.listen,
                    source,
                })?;
        let leptos_options = LeptosOptions::builder()
            .output_name("mixtape")
            .site_root(config.site_root.to_string_lossy().as_ref())
            .site_addr(config.listen)
            .build();
        let state = AppState {
            leptos_options,
            context,
            audio,
            examples: examples::Examples::default(),
        };
        Ok(Server {
            listener,
            router: app_router(state, config, &db),
            db,
            limits: serve::Limits {
                read_timeout: Duration::from_secs(config.read_timeout),
                request_timeout: Duration::from_secs(config.request_timeout),
                shutdown_grace: Duration::from_secs(config.shutdown_grace),
            },
        })
    }

    /// The address actually bound (useful when the configured port is 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound TCP listener has an address")
    }

    /// The server's database connection pool.
    pub fn database(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Serves requests until `shutdown` completes, then lets in-flight requests
    /// finish for up to the configured grace period.
    pub async fn serve(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        serve::serve(self.listener, self.router, self.limits, shutdown).await
    }
}

/// Settles purchases reserved for over `stalled` seconds every `period`, for
/// as long as the server runs.
async fn reconcile_every(
    db: DatabaseConnection,
    gateway: Arc<dyn Gateway>,
    period: Duration,
    stalled: i64,
) {
    let mut ticks = tokio::time::interval(period);
    ticks.tick().await;
    loop {
        ticks.tick().await;
        match settlement::reconcile(&db, gateway.as_ref(), stalled).await {
            Ok(settled) if settled != settlement::Reconciled::default() => {
                tracing::warn!(?settled, "settled stalled purchases");
            }
            Ok(_) => {}
            Err(err) => tracing::error!(%err, "cannot settle stalled purchases"),
        }
    }
}

/// Several times per `timeout`: refreshes this instance's generations in
/// progress, takes over those a stopped instance left for longer than
/// `timeout`, and forgets rate-limit windows that ended.
async fn keep_alive_every(context: ServerContext, timeout: Duration) {
    let (db, generations) = (&context.db, &context.generations);
    let mut ticks = tokio::time::interval(timeout / 4);
    loop {
        ticks.tick().await;
        if let Err(err) = generations.keep_alive(db).await {
            tracing::warn!(%err, "cannot refresh the generations in progress");
        }
        match generations.adopt(&context, timeout).await {
            Ok(0) => {}
            Ok(taken) => tracing::warn!(taken, "took over the generations of a stopped instance"),
            Err(err) => tracing::warn!(%err, "cannot look for stopped generations"),
        }
        // The longest window is an hour.
        if let Err(err) = rate_limits::forget_older_than(db, 2 * 60 * 60).await {
            tracing::warn!(%err, "cannot forget old rate-limit windows");
        }
    }
}

async fn connect(database_url: &str) -> Result<DatabaseConnection, StartError> {
    let mut options = ConnectOptions::new(database_url);
    // Statements are logged by sqlx at info level otherwise, drowning the server's own logs.
    options.sqlx_logging(false);
    // While the database is away, requests fail after this instead of hanging.
    options.acquire_timeout(Duration::from_secs(10));
    options.connect_timeout(Duration::from_secs(5));
    let db = Database::connect(options)
        .await
        .map_err(StartError::Database)?;
    migrations::migrate(&db)
        .await
        .map_err(StartError::Migration)?;
    Ok(db)
}

/// The app's pages, found once per process. Leptos finds them by rendering the
/// app with resource loading switched off by a process-wide flag, and a page
/// that another server in the process starts rendering meanwhile waits for its
/// data for ever (leptos-rs/leptos#4773): so it happens before any server here
/// can serve, and never again.
fn routes() -> Vec<AxumRouteListing> {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(app::App)).clone()
}

/// The row id an address names: a positive whole number, else none.
fn id_in_address(text: &str) -> Option<i64> {
    text.parse::<i64>().ok().filter(|id| *id > 0)
}

/// The largest request body accepted, in bytes, but where a motif's MIDI
/// file may come.
const MAX_BODY_BYTES: usize = 16 * 1024;
/// The largest body where a motif's MIDI file may come: the file as base64
/// (4/3 of its bytes) and the rest of the request.
const MAX_MOTIF_BODY_BYTES: usize = domain::motif::MAX_FILE_BYTES.div_ceil(3) * 4 + MAX_BODY_BYTES;
/// Where a body may carry a motif's MIDI file: the page's server function
/// that reads it, and the API's compose.
const MOTIF_FILE_PATHS: [&str; 2] = ["/api/read_motif", "/api/v1/pieces"];

/// Refuses a body over its path's limit with 413 before anything reads it
/// (axum's default allows 2 MB): every form and server function fits in a
/// few kilobytes, but a motif's MIDI file may be a megabyte.
async fn limit_body(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::body::Body;
    use tower::{Layer, ServiceExt};
    let limit = if MOTIF_FILE_PATHS.contains(&request.uri().path()) {
        MAX_MOTIF_BODY_BYTES
    } else {
        MAX_BODY_BYTES
    };
    // The rest of the stack, taking the limited body as axum's own.
    let rest = tower::service_fn(
        move |request: axum::http::Request<tower_http::body::Limited<Body>>| {
            let next = next.clone();
            async move { Ok::<_, std::convert::Infallible>(next.run(request.map(Body::new)).await) }
        },
    );
    let api = request.uri().path().starts_with(api::PREFIX);
    let response = match RequestBodyLimitLayer::new(limit)
        .layer(rest)
        .oneshot(request)
        .await
    {
        Ok(response) => response.map(Body::new),
        Err(never) => match never {},
    };
    // The layer answers a length said up front in plain text; the API's
    // answers are problems.
    let refused = response.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE;
    match api && refused {
        true => axum::response::IntoResponse::into_response(api::problem::too_large()),
        false => response,
    }
}

fn router(state: AppState, public_origin: Option<PublicOrigin>) -> Router {
    let routes = routes();
    let context = state.context.clone();
    let provide_server_context = move || provide_context(context.clone());
    Router::new()
        .route("/healthz", get(healthz))
        .route("/pieces/{id}/preview.ogg", get(audio::files::preview))
        .route("/examples/{instrument}/{file}", get(examples::example))
        .route("/pieces/{id}/full.wav", get(downloads::full_wav))
        .route("/pieces/{id}/piece.mid", get(downloads::midi))
        .leptos_routes_with_context(&state, routes, provide_server_context.clone(), {
            let options = state.leptos_options.clone();
            move || app::shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(provide_server_context, app::shell))
        .layer(axum::middleware::from_fn_with_state(
            public_origin,
            cross_site::refuse_cross_site,
        ))
        .layer(axum::middleware::from_fn(limit_body))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Keeps the browser's session alive after each request, inside the session
/// layer that then saves it (see `sessions::keep_alive`).
async fn keep_session_alive(
    session: tower_sessions::Session,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let response = next.run(request).await;
    if let Err(err) = services::sessions::keep_alive(&session).await {
        tracing::warn!(%err, "cannot keep a session alive");
    }
    response
}

/// 200 while the database answers, 503 when it does not.
async fn healthz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    if outage::reachable(&state.context.db).await {
        (StatusCode::OK, "ok\n")
    } else {
        tracing::warn!("health check: database unreachable");
        (StatusCode::SERVICE_UNAVAILABLE, "database unreachable\n")
    }
}

/// The synthesizer and the cache of rendered audio, for `workers` workers.
fn open_audio(config: &Config, workers: usize) -> Result<AudioFiles, StartError> {
    let renderer = audio::find_soundfont(config.soundfont.as_deref())
        .and_then(|path| Renderer::open(&path))
        .map_err(StartError::SoundFont)?;
    tracing::info!(soundfont = %renderer.path().display(), "SoundFont loaded");
    AudioFiles::new(
        renderer,
        &config.data_dir,
        workers,
        config.audio_cache_mb.saturating_mul(1 << 20),
    )
    .map_err(|source| StartError::AudioCache {
        path: config.data_dir.join("audio"),
        source,
    })
}

/// What earlier runs left to do: the music of sales from before it was
/// recorded is indexed, and purchases a stopped server left half done are
/// completed or undone, now and every [`RECONCILE_EVERY`]. Only those stalled
/// `stalled` seconds: other instances may be in the middle of theirs. What
/// cannot be done now (the gateway away) waits for the next pass rather than
/// keeping the site down.
async fn catch_up(db: &DatabaseConnection, gateway: Arc<dyn Gateway>, stalled: i64) {
    match exclusivity::index_earlier_sales(db).await {
        Ok(0) => {}
        Ok(indexed) => tracing::info!(indexed, "recorded the music of earlier sales"),
        Err(err) => tracing::error!(%err, "cannot record the music of earlier sales"),
    }
    match settlement::reconcile(db, gateway.as_ref(), stalled).await {
        Ok(settled) if settled != settlement::Reconciled::default() => {
            tracing::warn!(?settled, "settled unfinished purchases");
        }
        Ok(_) => {}
        Err(err) => tracing::error!(%err, "cannot settle unfinished purchases yet"),
    }
    tokio::spawn(reconcile_every(
        db.clone(),
        gateway,
        RECONCILE_EVERY,
        stalled,
    ));
}

/// The site (pages, server functions, audio) with its sessions, and the API
/// without them, both behind the outage check.
fn app_router(state: AppState, config: &Config, db: &DatabaseConnection) -> Router {
    let sessions = DatabaseSessionStore::new(db.clone());
    tokio::spawn(sessions.clone().delete_expired_every(SESSION_SWEEP));
    let session_layer = SessionManagerLayer::new(sessions)
        .with_secure(!config.insecure_cookies)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_expiry(Expiry::OnInactivity(SESSION_LIFETIME));
    let site = router(state.clone(), config.public_origin.clone())
        .layer(axum::middleware::from_fn(keep_session_alive))
        .layer(session_layer);
    // The API has no cookies: neither sessions nor the cross-site check.
    api::router(state)
        .layer(axum::middleware::from_fn(limit_body))
        .layer(TraceLayer::new_for_http())
        .merge(site)
        // Outside the session layer, which fails when the database is away.
        .layer(axum::middleware::from_fn_with_state(
            db.clone(),
            outage::outage_is_unavailable,
        ))
}
