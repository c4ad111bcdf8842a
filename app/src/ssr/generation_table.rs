//! The `generations` table: pieces being composed, from request to stored piece.

use sea_orm::entity::prelude::*;

/// Waiting for a composer.
pub const QUEUED: &str = "queued";
/// A composer is writing it.
pub const COMPOSING: &str = "composing";
/// Stored as piece `piece_id`.
pub const DONE: &str = "done";
/// It could not be composed; `error` says why.
pub const FAILED: &str = "failed";

/// A requested piece.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "generations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The server process composing it.
    pub instance: String,
    /// The form's settings, as a query string.
    pub settings: String,
    /// The account it will belong to.
    pub owner_id: Option<i64>,
    /// The visitor session it will belong to.
    pub visitor: Option<String>,
    /// [`QUEUED`], [`COMPOSING`], [`DONE`] or [`FAILED`].
    pub status: String,
    /// The stored piece, once done.
    pub piece_id: Option<i64>,
    /// Why it failed, written for the person who asked.
    pub error: Option<String>,
    /// Unix time in seconds.
    pub created_at: i64,
    /// Unix time in seconds, refreshed while its instance is alive.
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
