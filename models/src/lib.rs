//! MixTape's machine-learning crate.
//!
//! It knows the instruments MixTape composes for and which of them have a
//! trained model on disk, turns MIDI files into event sequences and back, and
//! trains, evaluates and samples the LSTM that composes.

pub mod catalog;
pub mod corpus;
pub mod dataset;
pub mod device;
pub mod dropout;
pub mod eval;
pub mod events;
pub mod fused_lstm;
pub mod generate;
pub mod guards;
pub mod inference;
pub mod instrument;
pub mod kernels;
pub mod key;
pub mod lstm;
pub mod midi;
pub mod musicality;
pub mod network;
pub mod ngram;
pub mod piece;
pub mod plot;
pub mod rng;
pub mod saved;
pub mod scoring;
pub mod train;

pub use catalog::{Catalog, CatalogError};
pub use device::{DeviceChoice, SelectedDevice};
pub use instrument::Instrument;
pub use piece::{Note, Piece};
