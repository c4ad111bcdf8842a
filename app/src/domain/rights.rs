//! Exclusive rights as pages show them: the checkout, the licence
//! certificate and the public verification of a copyright ID.

use serde::{Deserialize, Serialize};

/// What the payment page shows and sends back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checkout {
    /// The piece being bought.
    pub piece_id: i64,
    /// Its title.
    pub title: String,
    /// The price, written out.
    pub price: String,
    /// This checkout's idempotency key: a repeated submit charges once.
    pub key: String,
}

/// The terms of licence `MT-EXCLUSIVE-1`, which every sale grants.
pub const LICENCE_TERMS: &str = "MixTape grants the owner named above the exclusive, perpetual, worldwide right to use, copy, modify, publish, broadcast and synchronise this piece with any media, commercially or not. MixTape will not sell or license this piece, or any piece with the same music, to anyone else, and uses it only to show this certificate and the piece's preview on its public verification page.";

/// A licence certificate, as its page prints it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Certificate {
    /// The copyright ID.
    pub copyright_id: String,
    /// The owner's display or company name.
    pub owner: String,
    /// The piece's id.
    pub piece_id: i64,
    /// The piece's title.
    pub title: String,
    /// Length in seconds.
    pub seconds: f64,
    /// The key it is in.
    pub key_name: Option<String>,
    /// Tempo in beats per minute.
    pub tempo_bpm: i32,
    /// The date of the sale, written out.
    pub date: String,
    /// What was paid.
    pub price: String,
    /// The licence's version.
    pub licence_version: String,
}

/// What the verification page shows about a copyright ID.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verification {
    /// The copyright ID, as written.
    pub copyright_id: String,
    /// The owner's display or company name.
    pub owner: String,
    /// The date of the sale, written out.
    pub date: String,
    /// The piece's id.
    pub piece_id: i64,
    /// The piece's title.
    pub title: String,
}
