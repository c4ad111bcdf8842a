//! The `api_keys` table: the keys an account made for the HTTP API.

use sea_orm::entity::prelude::*;

/// A stored API key; its secret is known only by its digest.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_keys")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The account it acts for.
    pub user_id: i64,
    /// What the account named it.
    pub name: String,
    /// The secret's first characters, shown to tell keys apart.
    pub prefix: String,
    /// SHA-256 of the whole secret, in hex.
    #[sea_orm(unique)]
    pub secret_hash: String,
    /// Unix time in seconds.
    pub created_at: i64,
    /// When a request last used it (to the day), Unix seconds.
    pub last_used_at: Option<i64>,
    /// When it was revoked; a revoked key authenticates nothing.
    pub revoked_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The account it acts for.
    #[sea_orm(
        belongs_to = "super::user::Entity",
        from = "Column::UserId",
        to = "super::user::Column::Id",
        on_delete = "Cascade"
    )]
    User,
}

impl Related<super::user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
