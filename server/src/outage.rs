//! While the database is unreachable, a request that failed because of it is
//! answered 503 with `Retry-After` instead of 500: the fault is the outage,
//! not the request, and the same request will work once the database is back
//! (the connection pool reconnects by itself).

use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use sea_orm::DatabaseConnection;

/// How long to wait for the database to answer a ping before calling it unreachable.
const PING_TIMEOUT: Duration = Duration::from_secs(1);
/// When to suggest trying again.
const RETRY_AFTER_SECONDS: u32 = 30;
/// The answer to a request that had nothing more specific to say.
const UNAVAILABLE: &str =
    "MixTape cannot reach its database right now. Please try again in a minute.\n";

/// Middleware: turns a 500 into a 503 when the database does not answer.
pub async fn outage_is_unavailable(
    State(db): State<DatabaseConnection>,
    request: Request,
    next: Next,
) -> Response {
    let response = next.run(request).await;
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR || reachable(&db).await {
        return response;
    }
    tracing::warn!("database unreachable: answering 503");
    let (mut parts, body) = response.into_parts();
    // Pages and server functions already explain what failed; an empty
    // answer (from the session layer) gets a sentence.
    let empty = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .is_some_and(|length| length == "0")
        || !parts.headers.contains_key(header::CONTENT_TYPE);
    parts.status = StatusCode::SERVICE_UNAVAILABLE;
    parts
        .headers
        .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECONDS));
    if empty {
        parts.headers.remove(header::CONTENT_LENGTH);
        parts.headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        return Response::from_parts(parts, Body::from(UNAVAILABLE));
    }
    Response::from_parts(parts, body)
}

/// Whether the database answers a ping in time.
pub async fn reachable(db: &DatabaseConnection) -> bool {
    matches!(
        tokio::time::timeout(PING_TIMEOUT, db.ping()).await,
        Ok(Ok(()))
    )
}
