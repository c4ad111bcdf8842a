//! Server-only services, each a small public API over the database: what
//! server functions, the server's own routes and (next) the HTTP API call.
//! None reads the request: who asks, and from where, are arguments.

pub mod accounts;
pub mod composer;
pub mod context;
pub mod generations;
pub mod library;
pub mod payments;
pub mod pieces;
pub mod rate_limits;
pub mod rights;
pub mod sales;
pub mod session_store;
pub mod sessions;

pub use context::{PieceFiles, ServerContext};

use password_hash::rand_core::{OsRng, RngCore};

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
