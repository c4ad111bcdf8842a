//! Composing: sampling a piece from a saved model under the customer's
//! settings, and the guards every piece passes (no copies of the training
//! music, no degenerate output).

pub mod generate;
pub mod guards;
