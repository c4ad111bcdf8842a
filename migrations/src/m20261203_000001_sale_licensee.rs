//! The licensee a buyer names at checkout: what the certificate and the
//! public verification page show of them, and nothing more.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Sales::Table)
                    .add_column(string_len_null(Sales::Licensee, 120))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Sales::Table)
                    .drop_column(Sales::Licensee)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Sales {
    Table,
    Licensee,
}
