//! The database's tables as sea-orm entities, with their relations and
//! statuses. Only the services query them; `migrations` creates them.

pub mod api_key;
pub mod generation;
pub mod piece;
pub mod rate_limit;
pub mod sale;
pub mod sale_gram;
pub mod sandbox_charge;
pub mod session;
pub mod user;

/// The current Unix time in seconds, as the tables store it.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// The current Unix time in microseconds, for orderings finer than a second.
pub fn now_micros() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as i64)
}
