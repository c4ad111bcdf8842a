//! Generated pieces: the settings that made them, the model version, the MIDI
//! and the fingerprint that the sale rules compare.

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
                    .table(Pieces::Table)
                    .if_not_exists()
                    // Ids are never reused (AUTOINCREMENT on SQLite), so a cached
                    // preview URL can never start naming another piece.
                    .col(big_pk_auto(Pieces::Id))
                    .col(string_len(Pieces::Instrument, 32))
                    .col(integer(Pieces::LengthSeconds))
                    .col(integer(Pieces::TempoBpm))
                    .col(small_integer_null(Pieces::Tonic))
                    .col(string_len_null(Pieces::Mode, 8))
                    .col(double(Pieces::Creativity))
                    .col(big_integer(Pieces::Seed))
                    .col(string_len(Pieces::ModelVersion, 64))
                    .col(string_len_null(Pieces::KeyName, 16))
                    .col(double(Pieces::Seconds))
                    .col(binary(Pieces::Midi))
                    .col(string_len(Pieces::Fingerprint, 64))
                    .col(big_integer(Pieces::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(Pieces::Table, [Pieces::Fingerprint]))
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
