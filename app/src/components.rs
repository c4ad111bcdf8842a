//! Components several pages share: error alerts, page metadata, the player.

pub mod alerts;
pub mod meta;
pub mod player;
