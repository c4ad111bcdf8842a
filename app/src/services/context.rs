//! What the services share, built once when the server starts.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use super::composer::Studio;
use super::generations::Generations;
use super::payments::Gateway;
use super::rate_limits::RateLimits;
use crate::domain::price::Price;

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
}
