//! MixTape's database schema, as sea-orm migrations that run on SQLite and PostgreSQL.

pub use sea_orm_migration::prelude::*;

mod m20261125_000001_create_sessions;
mod m20261126_000001_create_pieces;
mod m20261126_000002_create_users;
mod m20261126_000003_piece_owners;
mod m20261126_000004_create_sales;

/// Applies MixTape's migrations in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_create_sessions::Migration),
            Box::new(m20261126_000001_create_pieces::Migration),
            Box::new(m20261126_000002_create_users::Migration),
            Box::new(m20261126_000003_piece_owners::Migration),
            Box::new(m20261126_000004_create_sales::Migration),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm_migration::sea_orm::Database;

    #[tokio::test]
    async fn migrations_apply_and_roll_back_on_sqlite() {
        let db = Database::connect("sqlite::memory:").await.unwrap();
        Migrator::up(&db, None).await.unwrap();
        let manager = SchemaManager::new(&db);
        assert!(manager.has_table("sessions").await.unwrap());
        assert!(manager.has_table("pieces").await.unwrap());
        assert!(manager.has_table("users").await.unwrap());
        assert!(manager.has_table("sales").await.unwrap());
        assert!(manager.has_table("sandbox_charges").await.unwrap());
        // Running again is a no-op, as at every server start.
        Migrator::up(&db, None).await.unwrap();
        Migrator::down(&db, None).await.unwrap();
        assert!(!manager.has_table("sessions").await.unwrap());
        assert!(!manager.has_table("pieces").await.unwrap());
        assert!(!manager.has_table("users").await.unwrap());
        assert!(!manager.has_table("sales").await.unwrap());
    }
}
