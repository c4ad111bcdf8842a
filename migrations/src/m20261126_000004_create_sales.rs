//! Exclusive rights: one sale per piece and per music (near-identical pieces
//! share a fingerprint), enforced by unique indexes; and the sandbox payment
//! gateway's own ledger of charges.

use sea_orm_migration::prelude::*;

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
                    .col(
                        ColumnDef::new(Sales::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Sales::PieceId).big_integer().not_null())
                    .col(ColumnDef::new(Sales::Fingerprint).string_len(80).not_null())
                    .col(ColumnDef::new(Sales::BuyerId).big_integer().not_null())
                    .col(ColumnDef::new(Sales::CopyrightId).string_len(20).not_null())
                    // `reserved` while the card is charged, then `paid`.
                    .col(ColumnDef::new(Sales::Status).string_len(10).not_null())
                    .col(ColumnDef::new(Sales::PriceMinor).big_integer().not_null())
                    .col(ColumnDef::new(Sales::Currency).string_len(3).not_null())
                    .col(
                        ColumnDef::new(Sales::LicenceVersion)
                            .string_len(20)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Sales::IdempotencyKey)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Sales::ChargeId).string_len(64).null())
                    .col(ColumnDef::new(Sales::CardBrand).string_len(20).null())
                    .col(ColumnDef::new(Sales::CardLast4).string_len(4).null())
                    .col(ColumnDef::new(Sales::ReservedAt).big_integer().not_null())
                    .col(ColumnDef::new(Sales::PaidAt).big_integer().null())
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
        for (name, column) in [
            ("idx_sales_piece_id", Sales::PieceId),
            ("idx_sales_fingerprint", Sales::Fingerprint),
            ("idx_sales_copyright_id", Sales::CopyrightId),
            ("idx_sales_idempotency_key", Sales::IdempotencyKey),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Sales::Table)
                        .col(column)
                        .unique()
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("idx_sales_buyer_id")
                    .table(Sales::Table)
                    .col(Sales::BuyerId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(SandboxCharges::Table)
                    .if_not_exists()
                    .col(
                        ColumnDef::new(SandboxCharges::Id)
                            .string_len(64)
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(SandboxCharges::IdempotencyKey)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(SandboxCharges::AmountMinor)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(SandboxCharges::Currency)
                            .string_len(3)
                            .not_null(),
                    )
                    // `succeeded`, or why the card was declined.
                    .col(
                        ColumnDef::new(SandboxCharges::Outcome)
                            .string_len(20)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(SandboxCharges::CardBrand)
                            .string_len(20)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(SandboxCharges::CardLast4)
                            .string_len(4)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(SandboxCharges::Refunded)
                            .boolean()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(SandboxCharges::CreatedAt)
                            .big_integer()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_sandbox_charges_idempotency_key")
                    .table(SandboxCharges::Table)
                    .col(SandboxCharges::IdempotencyKey)
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
