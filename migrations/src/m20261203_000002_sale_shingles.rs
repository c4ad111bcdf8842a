//! Similar music sells once: the shingles of every sold or reserved piece's
//! music, looked up by shingle, and on each sale how many its piece has.

use sea_orm_migration::{prelude::*, schema::*};

use crate::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Sales::Table)
                    .add_column(integer_null(Sales::Shingles))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SaleShingles::Table)
                    .if_not_exists()
                    .col(big_integer(SaleShingles::Shingle))
                    .col(big_integer(SaleShingles::SaleId))
                    // By shingle first: a new sale looks its shingles up.
                    .primary_key(
                        Index::create()
                            .col(SaleShingles::Shingle)
                            .col(SaleShingles::SaleId),
                    )
                    // A released reservation takes its shingles with it.
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_sale_shingles_sale")
                            .from(SaleShingles::Table, SaleShingles::SaleId)
                            .to(Sales::Table, Sales::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(SaleShingles::Table, [SaleShingles::SaleId]))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SaleShingles::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Sales::Table)
                    .drop_column(Sales::Shingles)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Sales {
    Table,
    Id,
    Shingles,
}

#[derive(DeriveIden)]
enum SaleShingles {
    Table,
    Shingle,
    SaleId,
}
