//! A piece on its way: queued, composing, done or failed.

use serde::{Deserialize, Serialize};

use crate::compose::ComposeSettings;

/// Where a requested piece is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum GenerationState {
    /// Waiting for a composer, `ahead` pieces before it.
    Queued {
        /// Pieces that will be composed before it.
        ahead: u64,
    },
    /// The network is composing it.
    Composing,
    /// Stored as this piece.
    Done {
        /// The piece's id.
        piece_id: i64,
    },
    /// It could not be composed.
    Failed {
        /// Why, for the person who asked.
        message: String,
        /// The settings it was asked with, to try again; `None` if unreadable.
        settings: Option<ComposeSettings>,
    },
}
