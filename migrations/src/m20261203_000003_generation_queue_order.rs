//! Generations and pieces get random ids (their addresses must not lead to
//! one another), so a generation's place in the queue is its own column: the
//! time it was queued, in microseconds.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Generations::Table)
                    .add_column(big_integer(Generations::QueuedAtMicros).default(0))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Generations::Table)
                    .drop_column(Generations::QueuedAtMicros)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Generations {
    Table,
    QueuedAtMicros,
}
