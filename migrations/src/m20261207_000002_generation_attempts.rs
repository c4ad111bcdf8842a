//! A generation whose instance stopped is taken over by another instance (or
//! the same one restarted); how many instances took it up is counted, so that
//! a request which stops every instance that composes it is given up.

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
                    .add_column(integer(Generations::Attempts).default(0))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Generations::Table)
                    .drop_column(Generations::Attempts)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Generations {
    Table,
    Attempts,
}
