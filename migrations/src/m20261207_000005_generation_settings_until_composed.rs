//! A compose request's settings are stored once: a generation keeps them
//! only until its piece exists, whose columns then hold them (with the seed
//! drawn), so the generation's copy is dropped. `settings` becomes nullable,
//! and the settings of generations that have a piece are cleared.
//!
//! SQLite cannot change a column's nullability, so the column is rebuilt:
//! a nullable one is added, filled, the old one dropped and the new renamed.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, Statement};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// Its four steps are one: on SQLite too, a stop halfway leaves nothing done.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        rebuild(
            manager,
            text_null(Generations::Rebuilt),
            "UPDATE generations SET rebuilt = settings WHERE piece_id IS NULL",
        )
        .await
    }

    /// The settings of composed pieces stay in their pieces' columns; their
    /// generations get an empty text, which reads as no settings.
    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        rebuild(
            manager,
            text(Generations::Rebuilt).default("").to_owned(),
            "UPDATE generations SET rebuilt = COALESCE(settings, '')",
        )
        .await
    }
}

/// Replaces `generations.settings` with `column`, filled by `fill`.
async fn rebuild(manager: &SchemaManager<'_>, column: ColumnDef, fill: &str) -> Result<(), DbErr> {
    let mut column = column;
    manager
        .alter_table(
            Table::alter()
                .table(Generations::Table)
                .add_column(&mut column)
                .to_owned(),
        )
        .await?;
    let db = manager.get_connection();
    db.execute_raw(Statement::from_string(db.get_database_backend(), fill))
        .await?;
    manager
        .alter_table(
            Table::alter()
                .table(Generations::Table)
                .drop_column(Generations::Settings)
                .to_owned(),
        )
        .await?;
    manager
        .alter_table(
            Table::alter()
                .table(Generations::Table)
                .rename_column(Generations::Rebuilt, Generations::Settings)
                .to_owned(),
        )
        .await
}

#[cfg(test)]
mod tests {
    use sea_orm_migration::MigratorTrait;

    use crate::Migrator;
    use crate::data_test::{before, column, execute};

    #[tokio::test]
    async fn a_composed_generation_leaves_its_settings_to_its_piece() {
        let dir = tempfile::tempdir().unwrap();
        let db = before(
            dir.path(),
            "m20261207_000005_generation_settings_until_composed",
        )
        .await;
        let run = |sql: &str| {
            let (db, sql) = (&db, sql.to_owned());
            async move { execute(db, &sql).await }
        };
        run(
            "INSERT INTO pieces (id, instrument, length_seconds, tempo_bpm, creativity, seed, \
             model_version, seconds, midi, fingerprint, created_at) \
             VALUES (10, 'piano', 10, 100, 1.0, 1, 'v', 10.0, '', 'f', 0)",
        )
        .await;
        // Generation 1 composed piece 10; 2 failed; 3 waits.
        for (id, status, piece) in [
            (1, "done", "10"),
            (2, "failed", "NULL"),
            (3, "queued", "NULL"),
        ] {
            run(&format!(
                "INSERT INTO generations (id, instance, settings, status, piece_id, created_at, \
                 updated_at, queued_at_micros) \
                 VALUES ({id}, 'a', '{{\"seed\":{id}}}', '{status}', {piece}, 0, 0, {id})"
            ))
            .await;
        }
        let settings =
            |db| column::<Option<String>>(db, "SELECT settings FROM generations ORDER BY id");
        // This migration alone, so that rolling one back rolls it back.
        Migrator::up(&db, Some(1)).await.unwrap();
        let kept = |id: u8| Some(format!("{{\"seed\":{id}}}"));
        assert_eq!(settings(&db).await, [None, kept(2), kept(3)]);
        // Rolled back, the column is required again and the composed one empty.
        Migrator::down(&db, Some(1)).await.unwrap();
        assert_eq!(settings(&db).await, [Some(String::new()), kept(2), kept(3)]);
    }
}

#[derive(DeriveIden)]
enum Generations {
    Table,
    Settings,
    Rebuilt,
}
