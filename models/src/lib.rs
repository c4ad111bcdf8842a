//! MixTape's machine-learning crate.
//!
//! It knows the instruments MixTape composes for and which of them have a
//! trained model on disk, and turns MIDI files into pieces and event sequences
//! for sequence models, and back. The LSTM, training and generation land here next.

pub mod catalog;
pub mod corpus;
pub mod events;
pub mod instrument;
pub mod key;
pub mod midi;
pub mod piece;

pub use catalog::{Catalog, CatalogError};
pub use instrument::Instrument;
pub use piece::{Note, Piece};
