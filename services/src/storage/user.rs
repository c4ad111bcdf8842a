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
pub enum Relation {
    /// The pieces the account owns.
    #[sea_orm(has_many = "super::piece::Entity")]
    Pieces,
    /// The rights the account bought.
    #[sea_orm(has_many = "super::sale::Entity")]
    Purchases,
    /// The keys it made for the HTTP API.
    #[sea_orm(has_many = "super::api_key::Entity")]
    ApiKeys,
}

impl Related<super::api_key::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ApiKeys.def()
    }
}

impl Related<super::piece::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Pieces.def()
    }
}

impl Related<super::sale::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Purchases.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
