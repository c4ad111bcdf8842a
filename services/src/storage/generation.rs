//! The `generations` table: pieces being composed, from request to stored piece.

use sea_orm::entity::prelude::*;

/// Where a generation is, stored as its lowercase name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(10))")]
pub enum Status {
    /// Waiting for a composer.
    #[sea_orm(string_value = "queued")]
    Queued,
    /// A composer is writing it.
    #[sea_orm(string_value = "composing")]
    Composing,
    /// Stored as piece `piece_id`.
    #[sea_orm(string_value = "done")]
    Done,
    /// It could not be composed; `error` says why.
    #[sea_orm(string_value = "failed")]
    Failed,
}

/// A requested piece.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "generations")]
pub struct Model {
    /// Random (`services::random_id`), since it is the generation's address.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The server process composing it.
    pub instance: String,
    /// The compose settings as JSON (`domain::compose::ComposeSettings`)
    /// until the piece exists, whose columns then hold them (stored once);
    /// rows from before 3 December 2026 hold the form's query string.
    pub settings: Option<String>,
    /// The account it will belong to.
    pub owner_id: Option<i64>,
    /// The visitor session it will belong to.
    pub visitor: Option<String>,
    /// Where it is.
    pub status: Status,
    /// The stored piece, once done.
    pub piece_id: Option<i64>,
    /// Why it failed, written for the person who asked.
    pub error: Option<String>,
    /// Unix time in seconds.
    pub created_at: i64,
    /// Unix time in seconds, refreshed while its instance is alive.
    pub updated_at: i64,
    /// Unix time in microseconds when it was queued: its place in the queue
    /// (0 for generations from before 3 December 2026).
    pub queued_at_micros: i64,
    /// How many instances took it up after the one that queued it stopped.
    pub attempts: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The piece it composed, once done.
    #[sea_orm(
        belongs_to = "super::piece::Entity",
        from = "Column::PieceId",
        to = "super::piece::Column::Id"
    )]
    Piece,
}

impl Related<super::piece::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Piece.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
