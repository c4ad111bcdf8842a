//! What the services share, built once when the server starts.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use super::composer::Studio;
use super::generations::Generations;
use super::payments::Gateway;
use super::rate_limits::RateLimits;
use domain::price::Price;

/// What every service call may need, provided once per request.
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
    pub gateway: Arc<dyn Gateway>,
    /// What a piece costs.
    pub price: Price,
    /// The server's rendered audio of pieces.
    pub files: Arc<dyn PieceFiles>,
}

/// What the server keeps of a piece besides its row: its rendered audio,
/// cached by the server (it renders the audio; the services do not).
pub trait PieceFiles: Send + Sync + std::fmt::Debug {
    /// Deletes whatever is kept for the piece whose MIDI is `midi`.
    fn forget(&self, midi: &[u8]);
}
