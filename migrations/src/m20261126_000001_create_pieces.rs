//! Generated pieces: the settings that made them, the model version, the MIDI
//! and the fingerprint that the sale rules compare.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Pieces::Table)
                    .if_not_exists()
                    // Ids are never reused (AUTOINCREMENT on SQLite), so a cached
                    // preview URL can never start naming another piece.
                    .col(
                        ColumnDef::new(Pieces::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Pieces::Instrument).string_len(32).not_null())
                    .col(ColumnDef::new(Pieces::LengthSeconds).integer().not_null())
                    .col(ColumnDef::new(Pieces::TempoBpm).integer().not_null())
                    .col(ColumnDef::new(Pieces::Tonic).small_integer().null())
                    .col(ColumnDef::new(Pieces::Mode).string_len(8).null())
                    .col(ColumnDef::new(Pieces::Creativity).double().not_null())
                    .col(ColumnDef::new(Pieces::Seed).big_integer().not_null())
                    .col(
                        ColumnDef::new(Pieces::ModelVersion)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Pieces::KeyName).string_len(16).null())
                    .col(ColumnDef::new(Pieces::Seconds).double().not_null())
                    .col(ColumnDef::new(Pieces::Midi).binary().not_null())
                    .col(
                        ColumnDef::new(Pieces::Fingerprint)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Pieces::CreatedAt).big_integer().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_pieces_fingerprint")
                    .table(Pieces::Table)
                    .col(Pieces::Fingerprint)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Pieces::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Pieces {
    Table,
    Id,
    Instrument,
    LengthSeconds,
    TempoBpm,
    Tonic,
    Mode,
    Creativity,
    Seed,
    ModelVersion,
    KeyName,
    Seconds,
    Midi,
    Fingerprint,
    CreatedAt,
}
