//! Server-only state and helpers that server functions use.

pub mod generation_table;
pub mod generations;
pub mod payments;
pub mod piece_table;
pub mod rate_limits;
pub mod sale_table;
pub mod sales;
pub mod sandbox_charge_table;
pub mod studio;
pub mod user_table;

use std::sync::Arc;

use password_hash::rand_core::{OsRng, RngCore};
use sea_orm::DatabaseConnection;

pub use generations::Generations;
pub use rate_limits::RateLimits;
pub use studio::Studio;

use crate::AppError;
use crate::price::Price;

/// What every server function may need, provided once per request.
#[derive(Clone, Debug)]
pub struct ServerContext {
    /// The database holding users, generations and rights.
    pub db: DatabaseConnection,
    /// The models and the workers that compose with them.
    pub studio: Studio,
    /// This instance's generations in progress.
    pub generations: Generations,
    /// How often each address and account may try things.
    pub limits: RateLimits,
    /// Where payments go.
    pub gateway: Arc<dyn payments::Gateway>,
    /// What a piece costs.
    pub price: Price,
}

/// The server context of the current request.
///
/// Panics only if the server forgot to provide it, which every request path does.
pub fn server_context() -> ServerContext {
    leptos::prelude::expect_context::<ServerContext>()
}

/// An internal failure: the details go to the log, the person gets `message`.
pub fn internal(message: &str, detail: &dyn std::fmt::Display) -> AppError {
    tracing::error!(%detail, "{message}");
    AppError::Internal(message.to_owned())
}

/// Stored piece `id`, or the not-found answer.
pub async fn find_piece(db: &DatabaseConnection, id: i64) -> Result<piece_table::Model, AppError> {
    use sea_orm::EntityTrait;
    piece_table::Entity::find_by_id(id)
        .one(db)
        .await
        .map_err(|err| {
            internal(
                "This piece cannot be read right now. Please try again.",
                &err,
            )
        })?
        .ok_or_else(AppError::no_piece)
}

/// The current Unix time in seconds, as the tables store it.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// `bytes` random bytes from the operating system, written as hex.
pub fn random_token(bytes: usize) -> String {
    hex::encode(random_bytes(bytes))
}

/// `count` random bytes from the operating system.
pub fn random_bytes(count: usize) -> Vec<u8> {
    let mut bytes = vec![0; count];
    OsRng.fill_bytes(&mut bytes);
    bytes
}

/// The session key holding the signed-in user's id.
pub(crate) const USER_KEY: &str = "user_id";

/// The id of the account signed in with `session`, if any.
pub async fn session_user(
    session: &tower_sessions::Session,
) -> Result<Option<i64>, tower_sessions::session::Error> {
    session.get::<i64>(USER_KEY).await
}
