//! Taking money: the payment gateway as a trait, and the built-in sandbox
//! gateway, which decides by test card numbers as payment providers' test
//! modes do and keeps its ledger in its own table.

use async_trait::async_trait;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Set,
};

use crate::storage::sandbox_charge as ledger;
use domain::card::Card;

/// Why a card was declined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decline {
    /// Declined by the bank, no reason given.
    Declined,
    /// Not enough money on the account.
    InsufficientFunds,
    /// The bank says the card has expired.
    ExpiredCard,
}

impl Decline {
    /// What the buyer is told.
    pub fn message(self) -> &'static str {
        match self {
            Decline::Declined => "Your card was declined. Please try another card.",
            Decline::InsufficientFunds => {
                "Your card was declined for insufficient funds. Please try another card."
            }
            Decline::ExpiredCard => {
                "Your bank says this card has expired. Please try another card."
            }
        }
    }

    fn code(self) -> &'static str {
        match self {
            Decline::Declined => "declined",
            Decline::InsufficientFunds => "insufficient_funds",
            Decline::ExpiredCard => "expired_card",
        }
    }

    fn from_code(code: &str) -> Option<Decline> {
        [
            Decline::Declined,
            Decline::InsufficientFunds,
            Decline::ExpiredCard,
        ]
        .into_iter()
        .find(|d| d.code() == code)
    }
}

/// A successful charge, as the gateway reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Charge {
    /// The gateway's id for it.
    pub id: String,
    /// The card's network.
    pub brand: String,
    /// The card's last four digits.
    pub last4: String,
    /// Whether it was refunded since.
    pub refunded: bool,
}

/// What the gateway answers for a charge attempt.
pub type Outcome = Result<Charge, Decline>;

/// The gateway could not be asked (network, its own failure): the outcome is unknown.
#[derive(Debug, thiserror::Error)]
#[error("the payment gateway is unreachable: {0}")]
pub struct GatewayError(pub String);

/// A payment provider. Every charge carries the merchant's idempotency key,
/// and the provider answers a repeated key with the first attempt's outcome,
/// so a retry never charges twice.
#[async_trait]
pub trait Gateway: Send + Sync + std::fmt::Debug {
    /// Charges `card`; a repeated `idempotency_key` gets the first outcome back.
    async fn charge(
        &self,
        amount_minor: i64,
        currency: &str,
        card: &Card,
        idempotency_key: &str,
    ) -> Result<Outcome, GatewayError>;

    /// The outcome of the attempt made with `idempotency_key`, if there was one.
    async fn find(&self, idempotency_key: &str) -> Result<Option<Outcome>, GatewayError>;

    /// Gives the money of charge `charge_id` back.
    async fn refund(&self, charge_id: &str) -> Result<(), GatewayError>;

    /// Successful, unrefunded charges made at or after Unix time
    /// `created_after`, as (idempotency key, charge), oldest first.
    async fn unrefunded_charges(
        &self,
        created_after: i64,
    ) -> Result<Vec<(String, Charge)>, GatewayError>;
}

/// The built-in test gateway; see the README for its test card numbers.
#[derive(Debug, Clone)]
pub struct SandboxGateway {
    db: DatabaseConnection,
}

impl SandboxGateway {
    /// A sandbox gateway keeping its ledger in `db`.
    pub fn new(db: DatabaseConnection) -> SandboxGateway {
        SandboxGateway { db }
    }

    /// What the sandbox does with a card number.
    fn decide(number: &str) -> Result<(), Decline> {
        match number {
            "4242424242424242" | "5555555555554444" => Ok(()),
            "4000000000009995" => Err(Decline::InsufficientFunds),
            "4000000000000069" => Err(Decline::ExpiredCard),
            // Like providers' test modes: anything else, real cards included, is declined.
            _ => Err(Decline::Declined),
        }
    }

    fn outcome(row: &ledger::Model) -> Outcome {
        match Decline::from_code(&row.outcome) {
            Some(decline) => Err(decline),
            None => Ok(Charge {
                id: row.id.clone(),
                brand: row.card_brand.clone(),
                last4: row.card_last4.clone(),
                refunded: row.refunded,
            }),
        }
    }

    async fn by_key(&self, idempotency_key: &str) -> Result<Option<ledger::Model>, DbErr> {
        ledger::Entity::find()
            .filter(ledger::Column::IdempotencyKey.eq(idempotency_key))
            .one(&self.db)
            .await
    }
}

fn unreachable(err: DbErr) -> GatewayError {
    GatewayError(err.to_string())
}

#[async_trait]
impl Gateway for SandboxGateway {
    async fn charge(
        &self,
        amount_minor: i64,
        currency: &str,
        card: &Card,
        idempotency_key: &str,
    ) -> Result<Outcome, GatewayError> {
        if let Some(row) = self.by_key(idempotency_key).await.map_err(unreachable)? {
            return Ok(SandboxGateway::outcome(&row));
        }
        let row = ledger::ActiveModel {
            id: Set(format!("ch_sandbox_{}", super::random_token(12))),
            idempotency_key: Set(idempotency_key.to_owned()),
            amount_minor: Set(amount_minor),
            currency: Set(currency.to_owned()),
            outcome: Set(match SandboxGateway::decide(&card.number) {
                Ok(()) => "succeeded".to_owned(),
                Err(decline) => decline.code().to_owned(),
            }),
            card_brand: Set(card.brand().to_owned()),
            card_last4: Set(card.last4().to_owned()),
            refunded: Set(false),
            created_at: Set(crate::storage::now()),
        };
        match row.insert(&self.db).await {
            Ok(row) => Ok(SandboxGateway::outcome(&row)),
            // The same key at the same moment: the attempt that won is the answer.
            Err(err)
                if matches!(
                    err.sql_err(),
                    Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
                ) =>
            {
                let row = self.by_key(idempotency_key).await.map_err(unreachable)?;
                row.map(|row| SandboxGateway::outcome(&row))
                    .ok_or_else(|| GatewayError("a charge vanished".into()))
            }
            Err(err) => Err(unreachable(err)),
        }
    }

    async fn find(&self, idempotency_key: &str) -> Result<Option<Outcome>, GatewayError> {
        let row = self.by_key(idempotency_key).await.map_err(unreachable)?;
        Ok(row.as_ref().map(SandboxGateway::outcome))
    }

    async fn refund(&self, charge_id: &str) -> Result<(), GatewayError> {
        ledger::Entity::update_many()
            .col_expr(
                ledger::Column::Refunded,
                sea_orm::sea_query::Expr::value(true),
            )
            .filter(ledger::Column::Id.eq(charge_id))
            .exec(&self.db)
            .await
            .map_err(unreachable)?;
        Ok(())
    }

    async fn unrefunded_charges(
        &self,
        created_after: i64,
    ) -> Result<Vec<(String, Charge)>, GatewayError> {
        let rows = ledger::Entity::find()
            .filter(ledger::Column::Outcome.eq("succeeded"))
            .filter(ledger::Column::Refunded.eq(false))
            .filter(ledger::Column::CreatedAt.gte(created_after))
            .order_by_asc(ledger::Column::CreatedAt)
            .all(&self.db)
            .await
            .map_err(unreachable)?;
        Ok(rows
            .iter()
            .filter_map(|row| {
                let charge = SandboxGateway::outcome(row).ok()?;
                Some((row.idempotency_key.clone(), charge))
            })
            .collect())
    }
}
