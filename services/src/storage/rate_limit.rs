//! The `rate_limits` table: attempts per key in the current window.

use sea_orm::entity::prelude::*;

/// Attempts under one key in the current window.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "rate_limits")]
pub struct Model {
    /// What is counted and for whom, such as `login:address:203.0.113.7`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    /// Unix time in seconds when the window began.
    pub window_start: i64,
    /// Attempts in the window.
    pub count: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
