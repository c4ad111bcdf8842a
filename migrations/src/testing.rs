//! Fresh databases for tests: SQLite, or PostgreSQL when `MIXTAPE_TEST_POSTGRES`
//! names a server (`scripts/test.sh` starts a throw-away one and runs the tests
//! on both).

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use sea_orm_migration::sea_orm::{ConnectionTrait, Database, DatabaseConnection};

/// Names a PostgreSQL server, `postgres://USER@HOST:PORT`, where tests may create databases.
pub const POSTGRES_ENV: &str = "MIXTAPE_TEST_POSTGRES";

/// The URL of a new, empty database on the tests' PostgreSQL server, when
/// they run on one.
pub async fn new_postgres_database() -> Option<String> {
    let server = std::env::var(POSTGRES_ENV)
        .ok()
        .filter(|url| !url.is_empty())?;
    let server = server.trim_end_matches('/');
    static CREATED: AtomicU64 = AtomicU64::new(0);
    // Unique across the test processes that share the server.
    let name = format!(
        "mixtape_test_{}_{}",
        std::process::id(),
        CREATED.fetch_add(1, Ordering::Relaxed)
    );
    let admin = Database::connect(format!("{server}/postgres"))
        .await
        .unwrap_or_else(|err| panic!("cannot reach {POSTGRES_ENV}={server}: {err}"));
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap_or_else(|err| panic!("cannot create database {name} on {server}: {err}"));
    admin.close().await.ok();
    Some(format!("{server}/{name}"))
}

/// The URL of a new, empty database: on the tests' PostgreSQL server, else a
/// SQLite file in `dir`.
pub async fn new_database(dir: &Path) -> String {
    match new_postgres_database().await {
        Some(url) => url,
        None => format!("sqlite://{}?mode=rwc", dir.join("mixtape.db").display()),
    }
}

/// A new database with every migration applied.
pub async fn migrated_database(dir: &Path) -> DatabaseConnection {
    let db = Database::connect(new_database(dir).await).await.unwrap();
    crate::migrate(&db).await.unwrap();
    db
}
