//! Server-only state and helpers that server functions use.

pub mod piece_table;
pub mod studio;
pub mod user_table;

use sea_orm::DatabaseConnection;

pub use studio::Studio;

use crate::AppError;

/// What every server function may need, provided once per request.
#[derive(Clone, Debug)]
pub struct ServerContext {
    /// The database holding users, generations and rights.
    pub db: DatabaseConnection,
    /// The models and the workers that compose with them.
    pub studio: Studio,
}

/// The server context of the current request.
///
/// Panics only if the server forgot to provide it, which every request path does.
pub fn server_context() -> ServerContext {
    leptos::prelude::expect_context::<ServerContext>()
}

/// Sets the response's status to the error's and hands the error back, for
/// `return Err(respond_with(err))` in a server function or a page's resource.
pub fn respond_with(err: AppError) -> AppError {
    if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
        let status = http::StatusCode::from_u16(err.status())
            .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
        response.set_status(status);
    }
    err
}

/// An internal failure: the details go to the log, the person gets `message`.
pub fn internal(message: &str, detail: &dyn std::fmt::Display) -> AppError {
    tracing::error!(%detail, "{message}");
    respond_with(AppError::Internal(message.to_owned()))
}

/// The current Unix time in seconds, as the tables store it.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}
