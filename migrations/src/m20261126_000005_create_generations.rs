//! Generations: a piece being composed, from the request to the stored piece,
//! so that any instance can tell its progress and a crashed one's work is
//! marked failed instead of waiting forever.

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
                    .table(Generations::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Generations::Id))
                    // The server process composing it.
                    .col(string_len(Generations::Instance, 32))
                    // The compose settings.
                    .col(text(Generations::Settings))
                    .col(big_integer_null(Generations::OwnerId))
                    .col(string_len_null(Generations::Visitor, 64))
                    // `queued`, `composing`, `done` or `failed`.
                    .col(string_len(Generations::Status, 10))
                    .col(big_integer_null(Generations::PieceId))
                    .col(text_null(Generations::Error))
                    .col(big_integer(Generations::CreatedAt))
                    // Refreshed while its instance is alive.
                    .col(big_integer(Generations::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                Generations::Table,
                [Generations::Status, Generations::Instance],
            ))
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
