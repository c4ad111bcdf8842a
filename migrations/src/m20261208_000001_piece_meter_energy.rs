//! The meter and energy a piece was composed with: pieces from before both
//! were 4/4 at the middle energy, which the defaults say.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement, as SQLite alters a table.
        manager
            .alter_table(
                Table::alter()
                    .table(Pieces::Table)
                    // As `vocabulary::Meter` writes it: `4/4`, `3/4`, `6/8`.
                    .add_column(string(Pieces::Meter).default("4/4"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Pieces::Table)
                    .add_column(small_integer(Pieces::Energy).default(3))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Pieces::Energy, Pieces::Meter] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Pieces::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Pieces {
    Table,
    Meter,
    Energy,
}
