//! The `sessions` table: browser sessions, shared by every instance.

use sea_orm::entity::prelude::*;

/// A stored session.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sessions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// The session's data as JSON.
    pub data: Vec<u8>,
    /// Unix time in seconds after which the session is gone.
    pub expires_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
