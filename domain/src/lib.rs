//! Domain types and their rules that the browser also needs: compose
//! settings and their limits, motifs, prices, card checks, copyright IDs, errors, and
//! what pages show of pieces, accounts and rights. Builds for wasm: nothing
//! here touches the database or the models.

pub mod account;
pub mod api_key;
pub mod card;
pub mod compose;
pub mod copyright_id;
pub mod error;
pub mod generation;
pub mod instrument;
pub mod motif;
pub mod piece;
pub mod price;
pub mod rights;
