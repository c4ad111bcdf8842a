//! Recognisable forms of sold music sell once: each sold or reserved piece's
//! melody (`models::music::similarity::Melody`) is kept on its sale, and its
//! index keys in `sale_grams`, replacing the exact shingles that an octave
//! doubling or a changed note every few notes escaped. Sales lose their
//! shingles and are indexed again as the server starts.

use sea_orm_migration::{prelude::*, schema::*};

use crate::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The migration whose shingles this one replaces: undone on the way up,
/// done again on the way down.
use crate::m20261203_000002_sale_shingles as shingles;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        shingles::Migration.down(manager).await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Sales::Table)
                    .add_column(blob_null(Sales::Melody))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SaleGrams::Table)
                    .if_not_exists()
                    .col(big_integer(SaleGrams::Gram))
                    .col(big_integer(SaleGrams::SaleId))
                    // By gram first: a new sale looks its keys up.
                    .primary_key(Index::create().col(SaleGrams::Gram).col(SaleGrams::SaleId))
                    // A released reservation takes its keys with it.
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_sale_grams_sale")
                            .from(SaleGrams::Table, SaleGrams::SaleId)
                            .to(Sales::Table, Sales::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(SaleGrams::Table, [SaleGrams::SaleId]))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SaleGrams::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Sales::Table)
                    .drop_column(Sales::Melody)
                    .to_owned(),
            )
            .await?;
        shingles::Migration.up(manager).await
    }
}

#[derive(DeriveIden)]
enum Sales {
    Table,
    Id,
    Melody,
}

#[derive(DeriveIden)]
enum SaleGrams {
    Table,
    Gram,
    SaleId,
}
