//! MixTape's database schema, as sea-orm migrations that run on SQLite and PostgreSQL.

pub use sea_orm_migration::prelude::*;

mod m20261125_000001_create_sessions;
mod m20261126_000001_create_pieces;
mod m20261126_000002_create_users;
mod m20261126_000003_piece_owners;
mod m20261126_000004_create_sales;
mod m20261126_000005_create_generations;
mod m20261126_000006_create_rate_limits;
mod m20261203_000001_sale_licensee;
mod m20261203_000002_sale_shingles;
mod m20261203_000003_generation_queue_order;
mod m20261204_000001_create_api_keys;
mod m20261204_000002_piece_motif;
mod m20261207_000001_sale_melodies;
mod m20261207_000002_generation_attempts;
mod m20261207_000003_sale_request_digest;
mod m20261207_000004_pieces_follow_their_sale;
mod m20261207_000005_generation_settings_until_composed;
mod m20261208_000001_piece_meter_energy;
#[cfg(test)]
mod schema_snapshot;
#[cfg(any(test, feature = "testing"))]
pub mod testing;

/// An index on `columns` of `table`, named `idx_<table>_<columns>` as every
/// index here is; `.unique()` on it for a unique one.
fn index<T, C, const N: usize>(table: T, columns: [C; N]) -> IndexCreateStatement
where
    T: Iden + 'static,
    C: Iden + 'static,
{
    let mut name = format!("idx_{}", table.to_string());
    let mut statement = Index::create();
    for column in columns {
        name.push('_');
        name.push_str(&column.to_string());
        statement.col(column);
    }
    statement.name(name).table(table).to_owned()
}

/// Applies MixTape's migrations in order.
pub struct Migrator;

/// The key of the PostgreSQL advisory lock that migrating holds: any number,
/// as long as nothing else here takes the same lock.
const MIGRATION_LOCK: i64 = 0x4d69_7854_6170_6501;

/// Brings `db` up to date, also when several instances start at once: on
/// PostgreSQL under an advisory lock held for the whole run, so that they take
/// turns instead of creating the same tables side by side (one would fail)
/// and the later ones find nothing to do. SQLite has no such lock: there an
/// instance that lost a race for a statement tries again once the winner has
/// recorded the migration.
pub async fn migrate(db: &sea_orm_migration::sea_orm::DatabaseConnection) -> Result<(), DbErr> {
    use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend, TransactionTrait};

    if db.get_database_backend() != DatabaseBackend::Postgres {
        let mut tries = 1;
        loop {
            match Migrator::up(db, None).await {
                Err(_) if tries < 10 => {
                    tokio::time::sleep(std::time::Duration::from_millis(100 * tries)).await;
                    tries += 1;
                }
                done => return done,
            }
        }
    }
    // A transaction holds one connection, and the lock with it until it ends.
    let lock = db.begin().await?;
    lock.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK})"))
        .await?;
    let migrated = Migrator::up(db, None).await;
    lock.commit().await?;
    migrated
}

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_create_sessions::Migration),
            Box::new(m20261126_000001_create_pieces::Migration),
            Box::new(m20261126_000002_create_users::Migration),
            Box::new(m20261126_000003_piece_owners::Migration),
            Box::new(m20261126_000004_create_sales::Migration),
            Box::new(m20261126_000005_create_generations::Migration),
            Box::new(m20261126_000006_create_rate_limits::Migration),
            Box::new(m20261203_000001_sale_licensee::Migration),
            Box::new(m20261203_000002_sale_shingles::Migration),
            Box::new(m20261203_000003_generation_queue_order::Migration),
            Box::new(m20261204_000001_create_api_keys::Migration),
            Box::new(m20261204_000002_piece_motif::Migration),
            Box::new(m20261207_000001_sale_melodies::Migration),
            Box::new(m20261207_000002_generation_attempts::Migration),
            Box::new(m20261207_000003_sale_request_digest::Migration),
            Box::new(m20261207_000004_pieces_follow_their_sale::Migration),
            Box::new(m20261207_000005_generation_settings_until_composed::Migration),
            Box::new(m20261208_000001_piece_meter_energy::Migration),
        ]
    }
}

/// What the tests of data migrations share: a database migrated up to the
/// migration under test, rows written there in SQL, and a column read back.
#[cfg(test)]
mod data_test {
    use sea_orm_migration::MigratorTrait;
    use sea_orm_migration::sea_orm::{
        self, ConnectionTrait, DatabaseConnection, Statement, TryGetable,
    };

    use crate::Migrator;

    /// A fresh database in `dir` with every migration before the one named `name` applied.
    pub async fn before(dir: &std::path::Path, name: &str) -> DatabaseConnection {
        let url = crate::testing::new_database(dir).await;
        let db = sea_orm::Database::connect(url).await.unwrap();
        let before = Migrator::migrations()
            .iter()
            .position(|m| m.name() == name)
            .unwrap_or_else(|| panic!("no migration {name}"));
        Migrator::up(&db, Some(before as u32)).await.unwrap();
        db
    }

    /// Runs `sql` on `db`.
    pub async fn execute(db: &DatabaseConnection, sql: &str) {
        let statement = Statement::from_string(db.get_database_backend(), sql.to_owned());
        db.execute_raw(statement).await.unwrap();
    }

    /// The first column of the rows `sql` selects.
    pub async fn column<T: TryGetable>(db: &DatabaseConnection, sql: &str) -> Vec<T> {
        let statement = Statement::from_string(db.get_database_backend(), sql.to_owned());
        let rows = db.query_all_raw(statement).await.unwrap();
        rows.iter()
            .map(|row| row.try_get_by_index::<T>(0).unwrap())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn migrations_apply_and_roll_back() {
        let dir = tempfile::tempdir().unwrap();
        let db = testing::migrated_database(dir.path()).await;
        let manager = SchemaManager::new(&db);
        let tables = [
            "sessions",
            "pieces",
            "users",
            "sales",
            "sandbox_charges",
            "generations",
            "rate_limits",
            "sale_grams",
            "api_keys",
        ];
        for table in tables {
            assert!(manager.has_table(table).await.unwrap(), "{table}");
        }
        // Running again is a no-op, as at every server start.
        Migrator::up(&db, None).await.unwrap();
        Migrator::down(&db, None).await.unwrap();
        for table in tables {
            assert!(!manager.has_table(table).await.unwrap(), "{table}");
        }
        // And back up, as after a rollback that is undone.
        Migrator::up(&db, None).await.unwrap();
        assert!(manager.has_table("sales").await.unwrap());
    }
}
