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
use app::AppError;
use app::services::sales::{self, Download};
use app::services::sessions;

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
    let bought = match bought(&db, &session, &id).await {
        Ok(bought) => bought,
        Err(response) => return response,
    };
    let rendered = match files.rendered(bought.midi, files::Kind::Full).await {
        Ok(rendered) => rendered,
        Err(err) => {
            tracing::error!(%err, piece = bought.piece_id, "cannot render a bought piece");
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                "This piece's audio could not be rendered.\n",
            )
                .into_response();
        }
    };
    let mut response = files::serve_file(&rendered, request, CACHE_CONTROL).await;
    attach(&mut response, &format!("{}.wav", bought.copyright_id));
    response
}

/// `GET /pieces/{id}/piece.mid`: the piece's MIDI file, for its buyer.
pub async fn midi(
    State(db): State<DatabaseConnection>,
    session: Session,
    UrlPath(id): UrlPath<String>,
) -> Response {
    let bought = match bought(&db, &session, &id).await {
        Ok(bought) => bought,
        Err(response) => return response,
    };
    let mut response = Response::new(Body::from(bought.midi));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("audio/midi"));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(CACHE_CONTROL),
    );
    attach(&mut response, &format!("{}.mid", bought.copyright_id));
    response
}

/// The piece and its sale when the session's account bought it; otherwise
/// the answer: 401 signed out, 403 someone else's, 404 no such piece.
async fn bought(
    db: &DatabaseConnection,
    session: &Session,
    id: &str,
) -> Result<Download, Response> {
    let answer = |err: AppError| {
        let status =
            StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, format!("{err}\n")).into_response()
    };
    let Some(id) = id.parse::<i64>().ok().filter(|id| *id > 0) else {
        return Err(answer(AppError::NotFound(
            "There is no piece at this address.".into(),
        )));
    };
    let user = sessions::signed_in(session).await.map_err(|err| {
        tracing::error!(%err, "cannot read a session for a download");
        answer(AppError::Busy(
            "Downloads are unavailable right now; please try again shortly.".into(),
        ))
    })?;
    sales::download(db, user, id).await.map_err(answer)
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
