//! MixTape's machine-learning crate.
//!
//! It knows the instruments MixTape composes for and which of them have a
//! trained model on disk, turns MIDI files into event sequences and back, and
//! trains, evaluates and samples the LSTM that composes.
//!
//! By concern, each depending only on those above it:
//! - [`music`]: notes, events, MIDI, keys, instruments and musical features;
//! - [`network`]: the LSTM composer, its CPU kernels and the devices it runs on;
//! - [`saved`]: trained models on disk and the catalog of them;
//! - [`compose`]: composing a piece from a saved model, with its guards;
//! - [`training`]: corpora, training, evaluation and their reports.

pub mod compose;
pub mod music;
pub mod network;
pub mod rng;
pub mod saved;
pub mod training;

pub use music::instrument::Instrument;
pub use music::piece::{Note, Piece};
pub use network::device::{DeviceChoice, SelectedDevice};
pub use saved::catalog::{Catalog, CatalogError};
