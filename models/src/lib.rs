//! MixTape's machine-learning crate.
//!
//! Today it knows the instruments MixTape can compose for and which of them
//! have a trained model on disk; the MIDI layer, the LSTM, training and
//! generation land here next.

pub mod catalog;
pub mod instrument;

pub use catalog::{Catalog, CatalogError};
pub use instrument::Instrument;
