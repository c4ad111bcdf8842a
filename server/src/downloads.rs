//! The buyer's downloads: the full WAV and the MIDI of a piece they bought.
//! Every route checks the signed-in account against the sale, so a guessed
//! address or id gets nothing.

use axum::body::Body;
use axum::extract::{Path as UrlPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sea_orm::DatabaseConnection;
use tower_sessions::Session;

use crate::audio::files::{self, AudioFiles};
use domain::error::AppError;
use services::sales;
use services::sessions;

/// Paid-for files are nobody else's: no shared cache keeps them.
const CACHE_CONTROL: &str = "private, no-store";

/// `GET /pieces/{id}/full.wav`: the full version, for its buyer.
pub async fn full_wav(
    State(db): State<DatabaseConnection>,
    State(files): State<AudioFiles>,
    session: Session,
    UrlPath(id): UrlPath<String>,
    request: Request,
) -> Response {
    let wav = async {
        let user = signed_in(&session).await?;
        wav(&db, &files, user, parse_id(&id)?, request).await
    };
    wav.await.unwrap_or_else(answer)
}

/// `GET /pieces/{id}/piece.mid`: the piece's MIDI file, for its buyer.
pub async fn midi(
    State(db): State<DatabaseConnection>,
    session: Session,
    UrlPath(id): UrlPath<String>,
) -> Response {
    let midi = async {
        let user = signed_in(&session).await?;
        midi_file(&db, user, parse_id(&id)?).await
    };
    midi.await.unwrap_or_else(answer)
}

/// The full WAV of piece `id` for account `user`, when they bought it; a
/// range of it when `request` asks for one.
pub(crate) async fn wav(
    db: &DatabaseConnection,
    files: &AudioFiles,
    user: Option<i64>,
    id: i64,
    request: Request,
) -> Result<Response, AppError> {
    let bought = sales::download(db, user, id).await?;
    let rendered = files
        .rendered(bought.midi, files::Kind::Full)
        .await
        .map_err(|err| AppError::internal("This piece's audio could not be rendered.", &err))?;
    // Held until the file is open: the response streams from the open file.
    let mut response = files::serve_file(rendered.as_ref(), request, CACHE_CONTROL).await;
    attach(&mut response, &format!("{}.wav", bought.copyright_id));
    Ok(response)
}

/// The MIDI file of piece `id` for account `user`, when they bought it.
pub(crate) async fn midi_file(
    db: &DatabaseConnection,
    user: Option<i64>,
    id: i64,
) -> Result<Response, AppError> {
    let bought = sales::download(db, user, id).await?;
    let mut response = Response::new(Body::from(bought.midi));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("audio/midi"));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(CACHE_CONTROL),
    );
    attach(&mut response, &format!("{}.mid", bought.copyright_id));
    Ok(response)
}

/// A piece id from an address, or the not-found answer.
fn parse_id(id: &str) -> Result<i64, AppError> {
    crate::id_in_address(id).ok_or_else(AppError::no_piece)
}

/// The account signed in with `session`, if any.
async fn signed_in(session: &Session) -> Result<Option<i64>, AppError> {
    sessions::signed_in(session).await.map_err(|err| {
        tracing::error!(%err, "cannot read a session for a download");
        AppError::Busy("Downloads are unavailable right now; please try again shortly.".into())
    })
}

/// A download's error as the browser shows it: its status and message.
fn answer(err: AppError) -> Response {
    let status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, format!("{err}\n")).into_response()
}

/// Makes the browser save the response as `file_name`.
fn attach(response: &mut Response, file_name: &str) {
    if response.status().is_success()
        && let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{file_name}\""))
    {
        response
            .headers_mut()
            .insert(header::CONTENT_DISPOSITION, value);
    }
}
