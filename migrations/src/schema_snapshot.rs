//! The schema the migrations build, read back from the database itself and
//! compared with a snapshot per backend, so that rewriting a migration (as
//! with sea-orm-migration's schema helpers) cannot change a column, an index
//! or a key unnoticed. `MIXTAPE_UPDATE_SCHEMA=1` rewrites the snapshot after
//! an intended change.

use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, Statement};

/// Queries that describe every table, column, index and key, one line per row.
const SQLITE: &[&str] = &[
    // Columns, and whether the table's key counts with AUTOINCREMENT.
    "SELECT 'column', m.name, p.name, p.type, CAST(p.\"notnull\" AS TEXT), p.dflt_value,
            CAST(p.pk AS TEXT), CAST(instr(upper(m.sql), 'AUTOINCREMENT') > 0 AS TEXT)
     FROM sqlite_master m JOIN pragma_table_info(m.name) p
     WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> 'seaql_migrations'
     ORDER BY m.name, p.cid",
    "SELECT 'index', m.name, l.name, CAST(l.\"unique\" AS TEXT), l.origin,
            (SELECT group_concat(name, ',') FROM (SELECT i.name FROM pragma_index_info(l.name) i ORDER BY i.seqno))
     FROM sqlite_master m JOIN pragma_index_list(m.name) l
     WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> 'seaql_migrations'
     ORDER BY m.name, l.name",
    "SELECT 'foreign key', m.name, f.\"from\", f.\"table\", f.\"to\", f.on_update, f.on_delete
     FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) f
     WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> 'seaql_migrations'
     ORDER BY m.name, f.\"from\"",
];

const POSTGRES: &[&str] = &[
    "SELECT 'column', table_name::text, column_name::text, data_type::text,
            character_maximum_length::text, is_nullable::text, column_default::text,
            is_identity::text, identity_generation::text
     FROM information_schema.columns
     WHERE table_schema = 'public' AND table_name <> 'seaql_migrations'
     ORDER BY table_name, ordinal_position",
    "SELECT 'index', tablename::text, indexname::text, indexdef::text
     FROM pg_indexes
     WHERE schemaname = 'public' AND tablename <> 'seaql_migrations'
     ORDER BY tablename, indexname",
    "SELECT 'constraint', c.conrelid::regclass::text, c.conname::text, pg_get_constraintdef(c.oid)
     FROM pg_constraint c
     WHERE c.connamespace = 'public'::regnamespace AND c.conrelid::regclass::text <> 'seaql_migrations'
     ORDER BY 2, 3",
];

/// The schema of `db` as text, one line per column, index and key.
pub async fn describe(db: &DatabaseConnection) -> String {
    let backend = db.get_database_backend();
    let queries = match backend {
        DatabaseBackend::Sqlite => SQLITE,
        DatabaseBackend::Postgres => POSTGRES,
        other => panic!("no schema description for {other:?}"),
    };
    let mut lines = Vec::new();
    for query in queries {
        for row in db
            .query_all_raw(Statement::from_string(backend, *query))
            .await
            .unwrap_or_else(|err| panic!("{query}: {err}"))
        {
            let mut cells = Vec::new();
            for index in 0.. {
                match row.try_get_by_index::<Option<String>>(index) {
                    Ok(cell) => cells.push(cell.unwrap_or_else(|| "NULL".into())),
                    Err(_) => break,
                }
            }
            lines.push(cells.join(" | "));
        }
    }
    lines.join("\n") + "\n"
}

#[cfg(test)]
mod tests {
    use super::describe;
    use crate::testing::migrated_database;

    #[tokio::test]
    async fn the_migrations_build_the_recorded_schema() {
        let dir = tempfile::tempdir().unwrap();
        let db = migrated_database(dir.path()).await;
        let backend = match db.get_database_backend() {
            sea_orm_migration::sea_orm::DatabaseBackend::Postgres => "postgres",
            _ => "sqlite",
        };
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("schema")
            .join(format!("{backend}.txt"));
        let schema = describe(&db).await;
        if std::env::var_os("MIXTAPE_UPDATE_SCHEMA").is_some() {
            std::fs::write(&path, &schema).unwrap();
        }
        let recorded = std::fs::read_to_string(&path)
            .unwrap_or_else(|err| panic!("{}: {err}", path.display()));
        assert_eq!(
            schema,
            recorded,
            "the schema on {backend} differs from {}",
            path.display()
        );
    }
}
