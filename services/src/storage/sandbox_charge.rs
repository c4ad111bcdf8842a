//! The `sandbox_charges` table: the built-in sandbox gateway's own ledger,
//! standing in for the records a real payment provider keeps on its side.

use sea_orm::entity::prelude::*;

/// One charge attempt, by its idempotency key.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "sandbox_charges")]
pub struct Model {
    /// The charge id, `ch_sandbox_...`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// The merchant's idempotency key (unique).
    pub idempotency_key: String,
    /// Amount in the currency's minor unit.
    pub amount_minor: i64,
    /// ISO 4217 currency code.
    pub currency: String,
    /// `succeeded`, or the reason the card was declined.
    pub outcome: String,
    /// The card's network.
    pub card_brand: String,
    /// The card's last four digits.
    pub card_last4: String,
    /// Whether the money went back.
    pub refunded: bool,
    /// Unix time of the attempt.
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
