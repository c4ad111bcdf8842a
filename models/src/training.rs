//! Learning from real music: corpora of MIDI files, the training loop,
//! scoring and evaluation against held-out files, and their reports.

mod checkpoint;
pub mod collisions;
pub mod corpus;
pub(crate) mod dataset;
pub mod eval;
pub mod levels;
pub(crate) mod ngram;
pub mod plot;
pub mod report;
pub(crate) mod scoring;
pub mod train;
