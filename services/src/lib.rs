//! Server-only services, each a small public API over the database: what
//! server functions, the server's own routes and the HTTP API call. They
//! return domain types; the tables stay inside this crate. None reads the
//! request: who asks, and from where, are arguments.

pub mod accounts;
pub mod api_keys;
pub mod composer;
pub mod context;
pub mod exclusivity;
pub mod generations;
pub mod library;
pub mod motifs;
pub mod owner;
pub mod payments;
pub mod pieces;
pub mod rate_limits;
pub mod rights;
pub mod sales;
pub mod session_store;
pub mod sessions;
pub mod settlement;
// The tables are this crate's own; tests that set up or inspect rows see them.
#[cfg(not(feature = "testing"))]
mod storage;
#[cfg(feature = "testing")]
pub mod storage;

pub use context::{PieceFiles, ServerContext};

use password_hash::rand_core::{OsRng, RngCore};

/// `bytes` random bytes from the operating system, written as hex.
pub fn random_token(bytes: usize) -> String {
    hex::encode(random_bytes(bytes))
}

/// A new random id for a row whose id is an address anyone may be given
/// (pieces, generations), so that no address leads to the next: 51 random
/// bits, below 2^53 so that JavaScript reads it exactly.
pub fn random_id() -> i64 {
    let bytes: [u8; 8] = random_bytes(8).try_into().expect("eight bytes");
    let random = u64::from_le_bytes(bytes) >> 13;
    (random | 1 << 51) as i64
}

/// Inserts with `insert` under a new [`random_id`], drawing another in the
/// unlikely case that one is taken.
pub async fn with_random_id<T, F, Fut>(mut insert: F) -> Result<T, sea_orm::DbErr>
where
    F: FnMut(i64) -> Fut,
    Fut: std::future::Future<Output = Result<T, sea_orm::DbErr>>,
{
    let mut tries = 0;
    loop {
        match insert(random_id()).await {
            Err(err)
                if tries < 3
                    && matches!(
                        err.sql_err(),
                        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
                    ) =>
            {
                tries += 1;
            }
            done => return done,
        }
    }
}

/// `count` random bytes from the operating system.
pub fn random_bytes(count: usize) -> Vec<u8> {
    let mut bytes = vec![0; count];
    OsRng.fill_bytes(&mut bytes);
    bytes
}
