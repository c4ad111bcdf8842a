//! Generations: a piece being composed, from the request to the stored piece,
//! so that any instance can tell its progress and a crashed one's work is
//! marked failed instead of waiting forever.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Generations::Table)
                    .if_not_exists()
                    .col(
                        ColumnDef::new(Generations::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    // The server process composing it.
                    .col(
                        ColumnDef::new(Generations::Instance)
                            .string_len(32)
                            .not_null(),
                    )
                    // The form's settings, as a query string.
                    .col(ColumnDef::new(Generations::Settings).text().not_null())
                    .col(ColumnDef::new(Generations::OwnerId).big_integer().null())
                    .col(ColumnDef::new(Generations::Visitor).string_len(64).null())
                    // `queued`, `composing`, `done` or `failed`.
                    .col(
                        ColumnDef::new(Generations::Status)
                            .string_len(10)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Generations::PieceId).big_integer().null())
                    .col(ColumnDef::new(Generations::Error).text().null())
                    .col(
                        ColumnDef::new(Generations::CreatedAt)
                            .big_integer()
                            .not_null(),
                    )
                    // Refreshed while its instance is alive.
                    .col(
                        ColumnDef::new(Generations::UpdatedAt)
                            .big_integer()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_generations_status_instance")
                    .table(Generations::Table)
                    .col(Generations::Status)
                    .col(Generations::Instance)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Generations::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Generations {
    Table,
    Id,
    Instance,
    Settings,
    OwnerId,
    Visitor,
    Status,
    PieceId,
    Error,
    CreatedAt,
    UpdatedAt,
}
