//! The command line's commands beside `serve`: the models crate's (`train`,
//! `eval`, `calibrate`, `generate`) and `render`.

pub mod model;
pub mod render;
