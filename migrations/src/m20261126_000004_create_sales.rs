//! Exclusive rights: one sale per piece and per music (near-identical pieces
//! share a fingerprint), enforced by unique indexes; and the sandbox payment
//! gateway's own ledger of charges.

use sea_orm_migration::{prelude::*, schema::*};

use crate::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Sales::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Sales::Id))
                    .col(big_integer(Sales::PieceId))
                    .col(string_len(Sales::Fingerprint, 80))
                    .col(big_integer(Sales::BuyerId))
                    .col(string_len(Sales::CopyrightId, 20))
                    // `reserved` while the card is charged, then `paid`.
                    .col(string_len(Sales::Status, 10))
                    .col(big_integer(Sales::PriceMinor))
                    .col(string_len(Sales::Currency, 3))
                    .col(string_len(Sales::LicenceVersion, 20))
                    .col(string_len(Sales::IdempotencyKey, 64))
                    .col(string_len_null(Sales::ChargeId, 64))
                    .col(string_len_null(Sales::CardBrand, 20))
                    .col(string_len_null(Sales::CardLast4, 4))
                    .col(big_integer(Sales::ReservedAt))
                    .col(big_integer_null(Sales::PaidAt))
                    // A sold piece cannot be deleted; a buyer's account stays.
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_sales_piece")
                            .from(Sales::Table, Sales::PieceId)
                            .to(Pieces::Table, Pieces::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_sales_buyer")
                            .from(Sales::Table, Sales::BuyerId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        for column in [
            Sales::PieceId,
            Sales::Fingerprint,
            Sales::CopyrightId,
            Sales::IdempotencyKey,
        ] {
            manager
                .create_index(index(Sales::Table, [column]).unique().to_owned())
                .await?;
        }
        manager
            .create_index(index(Sales::Table, [Sales::BuyerId]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(SandboxCharges::Table)
                    .if_not_exists()
                    .col(string_len(SandboxCharges::Id, 64).primary_key())
                    .col(string_len(SandboxCharges::IdempotencyKey, 64))
                    .col(big_integer(SandboxCharges::AmountMinor))
                    .col(string_len(SandboxCharges::Currency, 3))
                    // `succeeded`, or why the card was declined.
                    .col(string_len(SandboxCharges::Outcome, 20))
                    .col(string_len(SandboxCharges::CardBrand, 20))
                    .col(string_len(SandboxCharges::CardLast4, 4))
                    .col(boolean(SandboxCharges::Refunded))
                    .col(big_integer(SandboxCharges::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(SandboxCharges::Table, [SandboxCharges::IdempotencyKey])
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SandboxCharges::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Sales::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Sales {
    Table,
    Id,
    PieceId,
    Fingerprint,
    BuyerId,
    CopyrightId,
    Status,
    PriceMinor,
    Currency,
    LicenceVersion,
    IdempotencyKey,
    ChargeId,
    CardBrand,
    CardLast4,
    ReservedAt,
    PaidAt,
}

#[derive(DeriveIden)]
enum SandboxCharges {
    Table,
    Id,
    IdempotencyKey,
    AmountMinor,
    Currency,
    Outcome,
    CardBrand,
    CardLast4,
    Refunded,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Pieces {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}
