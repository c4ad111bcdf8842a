//! The `users` table: one account per email address.

use sea_orm::entity::prelude::*;

/// A stored account.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The email address in lower case.
    pub email: String,
    /// The person's or the company's name, as the site shows it.
    pub display_name: String,
    /// argon2id hash in the PHC string format.
    pub password_hash: String,
    /// Unix time in seconds.
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
