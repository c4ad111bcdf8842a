//! Music as MixTape reads and writes it: notes and pieces, the event
//! vocabulary the network speaks, MIDI files, keys, instruments, and the
//! musical features pieces are measured by.

pub mod energy;
pub mod events;
pub mod instrument;
pub mod key;
pub mod midi;
pub mod musicality;
pub mod piece;
pub mod similarity;

/// The meters and energy levels, as every crate names them.
pub use vocabulary::{Energy, Meter};
