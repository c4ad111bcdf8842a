//! The HTTP API under `/api/v1`, for software that composes and licenses
//! music for an account: JSON, authenticated by API keys (no cookies, so no
//! cross-site check), errors as `application/problem+json`. The handlers are
//! thin: they read the caller's key and call the same services as the pages.
//! The OpenAPI document is generated from these handlers and types.

mod auth;
pub mod problem;
mod resources;

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sea_orm::DatabaseConnection;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use domain::error::{AppError, FieldError};
use domain::rights::Certificate;
use services::{generations, library, pieces, rights, sales};

use crate::AppState;
use crate::downloads;
use auth::Caller;
use problem::{ApiError, PROBLEM_JSON, Problem};
pub use resources::PREFIX;
use resources::{
    ComposeRequest, Generation, Instruments, PageQuery, Piece, PieceList, PurchaseRequest,
    generation_url,
};

/// The longest `Idempotency-Key` accepted.
const MAX_IDEMPOTENCY_KEY: usize = 64;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "MixTape API",
        version = "1",
        description = "Compose original music with MixTape's neural networks, listen, buy its exclusive rights and download it. See /docs/api for the flow, with curl examples."
    ),
    modifiers(&BearerKeys),
    security(("api_key" = [])),
    tags(
        (name = "instruments", description = "What can compose, and the settings' limits"),
        (name = "pieces", description = "Composing, listing, buying, downloading and deleting your pieces"),
        (name = "document", description = "This document")
    )
)]
struct ApiDoc;

/// Adds the API-key scheme that every operation names.
struct BearerKeys;

impl Modify for BearerKeys {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut scheme = Http::new(HttpAuthScheme::Bearer);
        scheme.description = Some(
            "An API key made on your account page, sent as `Authorization: Bearer <key>`.".into(),
        );
        components.add_security_scheme("api_key", SecurityScheme::Http(scheme));
    }
}

/// The API's routes and its OpenAPI document.
fn api() -> OpenApiRouter<AppState> {
    let v1 = OpenApiRouter::new()
        .routes(routes!(instruments))
        .routes(routes!(compose, list_pieces))
        .routes(routes!(generation))
        .routes(routes!(piece, delete_piece))
        .routes(routes!(purchase))
        .routes(routes!(preview))
        .routes(routes!(full_wav))
        .routes(routes!(midi))
        .routes(routes!(certificate))
        .routes(routes!(openapi_json));
    OpenApiRouter::with_openapi(ApiDoc::openapi()).nest(PREFIX, v1)
}

/// The OpenAPI 3.1 document of the API.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api().into_openapi()
}

/// The API's routes, with a problem for any other address under the prefix.
pub(crate) fn router(state: AppState) -> axum::Router {
    let (routes, _) = api().split_for_parts();
    routes
        .route(
            &format!("{PREFIX}/{{*rest}}"),
            axum::routing::any(|| async {
                ApiError(AppError::NotFound(
                    "There is nothing at this address. The API's routes are in /api/v1/openapi.json."
                        .into(),
                ))
            }),
        )
        .with_state(state)
}

/// `GET /openapi.json`: this document.
#[utoipa::path(get, path = "/openapi.json", tag = "document", security(()),
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json")))]
async fn openapi_json() -> Response {
    static DOCUMENT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let json = DOCUMENT.get_or_init(|| {
        openapi()
            .to_pretty_json()
            .expect("the generated document serialises")
    });
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        json.clone(),
    )
        .into_response()
}

/// The instruments that can compose and every setting's limits.
#[utoipa::path(get, path = "/instruments", tag = "instruments",
    responses(
        (status = 200, body = Instruments),
        (status = 401, body = Problem, content_type = PROBLEM_JSON),
    ))]
async fn instruments(
    State(state): State<AppState>,
    _: Caller,
) -> Result<Json<Instruments>, ApiError> {
    Ok(Json(Instruments::new(state.context.studio.instruments()?)))
}

/// Composes a piece with these settings (any left out take their defaults),
/// starting from your motif if you give one: 202 with the generation to poll
/// at `Location`.
#[utoipa::path(post, path = "/pieces", tag = "pieces", request_body = ComposeRequest,
    responses(
        (status = 202, body = Generation, description = "Queued; poll the generation at `Location`",
            headers(("Location" = String, description = "The generation"))),
        (status = 401, body = Problem, content_type = PROBLEM_JSON),
        (status = 409, body = Problem, content_type = PROBLEM_JSON, description = "These settings and seed, or this motif, are a sold piece's music"),
        (status = 413, body = Problem, content_type = PROBLEM_JSON, description = "The body is over its limit (a MIDI file of 1 MiB as base64, and the settings)"),
        (status = 422, body = Problem, content_type = PROBLEM_JSON, description = "Settings out of their limits, or a motif or MIDI file that cannot be used, each with its message"),
        (status = 429, body = Problem, content_type = PROBLEM_JSON, description = "The queue is full or a limit was reached; try again after `Retry-After` seconds",
            headers(("Retry-After" = u32, description = "Seconds to wait"))),
    ))]
async fn compose(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Json<ComposeRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(request) = body?;
    let context = &state.context;
    let settings = request.into_settings(context, &caller).await?;
    let id = generations::queue(context, caller.owner(), &caller.client(), settings).await?;
    let state = generations::status_for(&context.db, Some(&caller.owner()), id).await?;
    let location = HeaderValue::from_str(&generation_url(id)).expect("an address is a header");
    Ok((
        StatusCode::ACCEPTED,
        [(header::LOCATION, location)],
        Json(Generation::new(id, state)),
    )
        .into_response())
}

/// An id from an address, or not found.
fn id(text: &str, missing: fn() -> AppError) -> Result<i64, ApiError> {
    Ok(crate::id_in_address(text).ok_or_else(missing)?)
}

/// Where a piece you asked for is: queued (with how many go first),
/// composing, done (with the piece) or failed (with why).
#[utoipa::path(get, path = "/generations/{id}", tag = "pieces",
    params(("id" = i64, Path, description = "The generation")),
    responses(
        (status = 200, body = Generation),
        (status = 401, body = Problem, content_type = PROBLEM_JSON),
        (status = 404, body = Problem, content_type = PROBLEM_JSON, description = "No generation of yours has this id"),
    ))]
async fn generation(
    State(state): State<AppState>,
    caller: Caller,
    Path(text): Path<String>,
) -> Result<Json<Generation>, ApiError> {
    let id = id(&text, AppError::no_generation)?;
    let status = generations::status_for(&state.context.db, Some(&caller.owner()), id).await?;
    Ok(Json(Generation::new(id, status)))
}

/// Your pieces, newest first, 20 a page.
#[utoipa::path(get, path = "/pieces", tag = "pieces", params(PageQuery),
    responses(
        (status = 200, body = PieceList),
        (status = 401, body = Problem, content_type = PROBLEM_JSON),
        (status = 422, body = Problem, content_type = PROBLEM_JSON),
    ))]
async fn list_pieces(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Json<PieceList>, ApiError> {
    let Query(query) = query?;
    let owner = caller.owner();
    let page = library::page(&state.context.db, Some(&owner), query.page.unwrap_or(1)).await?;
    Ok(Json(PieceList {
        pieces: page.pieces,
        page: page.page,
        pages: page.pages,
    }))
}

/// Piece `text` if the caller composed it; another account's is not found.
async fn own(db: &DatabaseConnection, caller: &Caller, text: &str) -> Result<i64, ApiError> {
    let id = id(text, AppError::no_piece)?;
    pieces::check_visible(db, Some(&caller.owner()), id).await?;
    Ok(id)
}

/// One of your pieces: settings, length, key, whether it is sold, and links
/// to its preview and (once you own it) its downloads.
#[utoipa::path(get, path = "/pieces/{id}", tag = "pieces",
    params(("id" = i64, Path, description = "The piece")),
    responses(
        (status = 200, body = Piece),
        (status = 401, body = Problem, content_type = PROBLEM_JSON),
        (status = 404, body = Problem, content_type = PROBLEM_JSON, description = "No piece of yours has this id"),
    ))]
async fn piece(
    State(state): State<AppState>,
    caller: Caller,
    Path(text): Path<String>,
) -> Result<Json<Piece>, ApiError> {
    let context = &state.context;
    let id = own(&context.db, &caller, &text).await?;
    let view = pieces::view(&context.db, &context.price, Some(&caller.owner()), id).await?;
    Ok(Json(view.into()))
}

/// Deletes one of your pieces that is not sold.
#[utoipa::path(delete, path = "/pieces/{id}", tag = "pieces",
    params(("id" = i64, Path, description = "The piece")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, body = Problem, content_type = PROBLEM_JSON),
        (status = 404, body = Problem, content_type = PROBLEM_JSON, description = "No piece of yours has this id"),
        (status = 409, body = Problem, content_type = PROBLEM_JSON, description = "It is sold: its rights belong to its buyer"),
    ))]
async fn delete_piece(
    State(state): State<AppState>,
    caller: Caller,
    Path(text): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = id(&text, AppError::no_piece)?;
    pieces::delete(&state.context, Some(&caller.owner()), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The purchase's key in the sales table: the caller's own `Idempotency-Key`,
/// kept apart from other accounts' keys and from the site's checkouts.
fn purchase_key(caller: &Caller, headers: &HeaderMap) -> Result<String, ApiError> {
    use sha2::{Digest, Sha256};
    let malformed = || {
        AppError::Invalid(vec![FieldError::new(
            "Idempotency-Key",
            format!(
                "Send an Idempotency-Key header of 1 to {MAX_IDEMPOTENCY_KEY} visible ASCII characters, new for each purchase and the same when you retry it."
            ),
        )])
    };
    let key = headers
        .get("idempotency-key")
        .ok_or_else(malformed)?
        .to_str()
        .map_err(|_| malformed())?;
    if key.is_empty()
        || key.len() > MAX_IDEMPOTENCY_KEY
        || !key.bytes().all(|b| b.is_ascii_graphic())
    {
        return Err(malformed().into());
    }
    let digest = Sha256::digest(format!("api\0{}\0{key}", caller.0.user).as_bytes());
    Ok(hex::encode(digest))
}

/// Buys your piece's exclusive rights with a card (the sandbox gateway).
/// The same `Idempotency-Key` again answers the first attempt's outcome and
/// never charges twice.
#[utoipa::path(post, path = "/pieces/{id}/purchase", tag = "pieces",
    params(
        ("id" = i64, Path, description = "The piece"),
        ("Idempotency-Key" = String, Header, description = "New for each purchase; the same when retrying it"),
    ),
    request_body = PurchaseRequest,
    responses(
        (status = 200, body = Piece, description = "Bought: the piece, with its copyright ID and downloads"),
        (status = 401, body = Problem, content_type = PROBLEM_JSON),
        (status = 402, body = Problem, content_type = PROBLEM_JSON, description = "The card was declined; nothing was charged"),
        (status = 404, body = Problem, content_type = PROBLEM_JSON, description = "No piece of yours has this id"),
        (status = 409, body = Problem, content_type = PROBLEM_JSON, description = "Sold already, or its music is too close to a sold piece"),
        (status = 422, body = Problem, content_type = PROBLEM_JSON, description = "Card fields or the Idempotency-Key at fault, each with its message"),
        (status = 429, body = Problem, content_type = PROBLEM_JSON),
    ))]
async fn purchase(
    State(state): State<AppState>,
    caller: Caller,
    Path(text): Path<String>,
    headers: HeaderMap,
    body: Result<Json<PurchaseRequest>, JsonRejection>,
) -> Result<Json<Piece>, ApiError> {
    let context = &state.context;
    let id = own(&context.db, &caller, &text).await?;
    let key = purchase_key(&caller, &headers)?;
    let Json(request) = body?;
    sales::pay(
        context,
        (caller.0.user, id, &key),
        &request.card,
        &request.licensee,
        sales::this_month(),
    )
    .await?;
    let view = pieces::view(&context.db, &context.price, Some(&caller.owner()), id).await?;
    Ok(Json(view.into()))
}

/// The preview (Ogg Vorbis, with a soft chime every ten seconds) of one of
/// your pieces, bought or not (ranges allowed).
#[utoipa::path(get, path = "/pieces/{id}/preview.ogg", tag = "pieces",
    params(("id" = i64, Path, description = "The piece")),
    responses(
        (status = 200, content_type = "audio/ogg", description = "The preview"),
        (status = 401, body = Problem, content_type = PROBLEM_JSON),
        (status = 404, body = Problem, content_type = PROBLEM_JSON, description = "No piece of yours has this id"),
    ))]
async fn preview(
    State(state): State<AppState>,
    caller: Caller,
    Path(text): Path<String>,
    request: Request,
) -> Result<Response, ApiError> {
    let id = id(&text, AppError::no_piece)?;
    let owner = caller.owner();
    Ok(
        crate::audio::files::preview_for(
            &state.context.db,
            &state.audio,
            Some(&owner),
            id,
            request,
        )
        .await?,
    )
}

/// The full version as WAV, for its owner (ranges allowed).
#[utoipa::path(get, path = "/pieces/{id}/full.wav", tag = "pieces",
    params(("id" = i64, Path, description = "The piece")),
    responses(
        (status = 200, content_type = "audio/wav", description = "The WAV file"),
        (status = 401, body = Problem, content_type = PROBLEM_JSON),
        (status = 403, body = Problem, content_type = PROBLEM_JSON, description = "Your piece, but its rights are not bought yet"),
        (status = 404, body = Problem, content_type = PROBLEM_JSON, description = "No piece of yours has this id"),
    ))]
async fn full_wav(
    State(state): State<AppState>,
    caller: Caller,
    Path(text): Path<String>,
    request: Request,
) -> Result<Response, ApiError> {
    let id = own(&state.context.db, &caller, &text).await?;
    Ok(downloads::wav(
        &state.context.db,
        &state.audio,
        Some(caller.0.user),
        id,
        request,
    )
    .await?)
}

/// The piece as a MIDI file, for its owner.
#[utoipa::path(get, path = "/pieces/{id}/piece.mid", tag = "pieces",
    params(("id" = i64, Path, description = "The piece")),
    responses(
        (status = 200, content_type = "audio/midi", description = "The MIDI file"),
        (status = 401, body = Problem, content_type = PROBLEM_JSON),
        (status = 403, body = Problem, content_type = PROBLEM_JSON, description = "Your piece, but its rights are not bought yet"),
        (status = 404, body = Problem, content_type = PROBLEM_JSON, description = "No piece of yours has this id"),
    ))]
async fn midi(
    State(state): State<AppState>,
    caller: Caller,
    Path(text): Path<String>,
) -> Result<Response, ApiError> {
    let id = own(&state.context.db, &caller, &text).await?;
    Ok(downloads::midi_file(&state.context.db, Some(caller.0.user), id).await?)
}

/// The licence certificate of a piece you own.
#[utoipa::path(get, path = "/pieces/{id}/certificate", tag = "pieces",
    params(("id" = i64, Path, description = "The piece")),
    responses(
        (status = 200, body = Certificate),
        (status = 401, body = Problem, content_type = PROBLEM_JSON),
        (status = 403, body = Problem, content_type = PROBLEM_JSON, description = "Your piece, but its rights are not bought yet"),
        (status = 404, body = Problem, content_type = PROBLEM_JSON, description = "No piece of yours has this id"),
    ))]
async fn certificate(
    State(state): State<AppState>,
    caller: Caller,
    Path(text): Path<String>,
) -> Result<Json<Certificate>, ApiError> {
    let id = own(&state.context.db, &caller, &text).await?;
    Ok(Json(
        rights::certificate(&state.context.db, Some(caller.0.user), id).await?,
    ))
}
