//! Components several pages share: error alerts, page metadata, the player;
//! and the motif input of the compose form.

pub mod alerts;
pub mod meta;
pub mod motif;
pub mod player;
