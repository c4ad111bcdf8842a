//! Pieces as pages show them: one piece with its notes and rights, and the
//! library's pages.

use serde::{Deserialize, Serialize};

use crate::compose::ComposeSettings;

/// A stored piece as its page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PieceView {
    /// Its id, in its address.
    pub id: i64,
    /// Its title, such as `Piano piece No. 4F1ZQ8K2XA`.
    pub title: String,
    /// The instrument's name.
    pub instrument: String,
    /// Length in seconds.
    pub seconds: f64,
    /// The key it is in, such as `D minor`.
    pub key_name: Option<String>,
    /// The model that composed it.
    pub model_version: String,
    /// The settings it was composed with; the seed only for its owner, since
    /// the seed and settings compose the same music again.
    pub settings: ComposeSettings,
    /// Whether its rights can be bought, and by whom they were.
    pub sale: SaleState,
    /// Its notes, for the piano roll.
    pub notes: Vec<RollNote>,
}

/// A piece's exclusive rights, as its owner sees them (nobody else sees a piece).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum SaleState {
    /// Nobody has bought it; this is the price, for the person who composed it.
    ForSale(String),
    /// Nobody has bought it, but its music is too close to a piece already
    /// sold (the person who composed it is told so instead of offered it).
    TooClose,
    /// Its owner's payment is going through right now.
    Pending,
    /// The person looking bought it, under this copyright ID.
    Yours(String),
}

impl PieceView {
    /// The address of its preview audio.
    pub fn preview_url(&self) -> String {
        format!("/pieces/{}/preview.ogg", self.id)
    }
}

/// A note as the piano roll draws it, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RollNote {
    /// When it starts.
    pub start: f64,
    /// When it ends.
    pub end: f64,
    /// MIDI pitch.
    pub pitch: u8,
    /// MIDI velocity, 1-127.
    pub velocity: u8,
    /// Whether it is a note of the motif the piece starts from.
    pub motif: bool,
}

/// One piece in the library's list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PieceSummary {
    /// Its id.
    pub id: i64,
    /// Its title, such as `Piano piece No. 4F1ZQ8K2XA`.
    pub title: String,
    /// Length in seconds.
    pub seconds: f64,
    /// Its key, such as `D minor`.
    pub key_name: Option<String>,
    /// Whether its rights are sold (or being paid for): it can no longer be deleted.
    pub sold: bool,
}

/// A piece the browsing person bought.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Purchase {
    /// The piece's id.
    pub piece_id: i64,
    /// Its title.
    pub title: String,
    /// The copyright ID of the sale.
    pub copyright_id: String,
}

/// A page of the library.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Library {
    /// The pieces on this page, newest first.
    pub pieces: Vec<PieceSummary>,
    /// This page's number, from 1.
    pub page: u64,
    /// How many pages there are (at least 1).
    pub pages: u64,
    /// Whether the browser is signed in (a visitor's pieces live in the session).
    pub signed_in: bool,
    /// What the signed-in person bought, newest first.
    pub purchases: Vec<Purchase>,
}
