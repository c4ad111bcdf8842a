//! Server-only state that server functions read from the Leptos context.

use std::path::PathBuf;

use sea_orm::DatabaseConnection;

/// What every server function may need, provided once per request.
#[derive(Clone, Debug)]
pub struct ServerContext {
    /// The database holding users, generations and rights.
    pub db: DatabaseConnection,
    /// The folder holding one trained model per instrument.
    pub models_dir: PathBuf,
}

/// The server context of the current request.
///
/// Panics only if the server forgot to provide it, which every request path does.
pub fn server_context() -> ServerContext {
    leptos::prelude::expect_context::<ServerContext>()
}
