//! The motif a piece starts from, when its customer gave one: kept with the
//! piece so that "More like this" starts from it again and its piano roll
//! shows it apart.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Pieces::Table)
                    // JSON, as `domain::motif::Motif` writes it.
                    .add_column(text_null(Pieces::Motif))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Pieces::Table)
                    .drop_column(Pieces::Motif)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Pieces {
    Table,
    Motif,
}
