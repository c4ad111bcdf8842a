//! Browser sessions for tower-sessions, stored in the database through sea-orm
//! so that they survive a restart and are shared by every server instance.
//!
//! tower-sessions' own SQL stores pin another sqlx than sea-orm's, hence this one.

use std::time::Duration;

use async_trait::async_trait;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, Set, SqlErr};
use tower_sessions::cookie::time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion, SessionStore};

use crate::storage::now;
use crate::storage::session as row;

/// A tower-sessions store on MixTape's database.
#[derive(Debug, Clone)]
pub struct DatabaseSessionStore {
    db: DatabaseConnection,
}

impl DatabaseSessionStore {
    /// A store on `db`, whose `sessions` table the migrations created.
    pub fn new(db: DatabaseConnection) -> Self {
        DatabaseSessionStore { db }
    }

    /// Deletes expired sessions every `period`, forever; run it as a task.
    pub async fn delete_expired_every(self, period: Duration) {
        let mut interval = tokio::time::interval(period);
        loop {
            interval.tick().await;
            if let Err(err) = self.delete_expired().await {
                tracing::warn!(%err, "cannot delete expired sessions");
            }
        }
    }
}

fn backend(err: DbErr) -> session_store::Error {
    session_store::Error::Backend(err.to_string())
}

fn active_row(record: &Record) -> session_store::Result<row::ActiveModel> {
    let data = serde_json::to_vec(&record.data)
        .map_err(|e| session_store::Error::Encode(e.to_string()))?;
    Ok(row::ActiveModel {
        id: Set(record.id.to_string()),
        data: Set(data),
        expires_at: Set(record.expiry_date.unix_timestamp()),
    })
}

#[async_trait]
impl SessionStore for DatabaseSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // A fresh id that collides with a stored one gets a new id, never the other's data.
        loop {
            match row::Entity::insert(active_row(record)?)
                .exec(&self.db)
                .await
            {
                Ok(_) => return Ok(()),
                Err(err) if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
                    record.id = Id::default();
                }
                Err(err) => return Err(backend(err)),
            }
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        row::Entity::insert(active_row(record)?)
            .on_conflict(
                OnConflict::column(row::Column::Id)
                    .update_columns([row::Column::Data, row::Column::ExpiresAt])
                    .to_owned(),
            )
            .exec(&self.db)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let Some(row) = row::Entity::find_by_id(id.to_string())
            .filter(row::Column::ExpiresAt.gt(now()))
            .one(&self.db)
            .await
            .map_err(backend)?
        else {
            return Ok(None);
        };
        let decode = |e: &dyn std::fmt::Display| session_store::Error::Decode(e.to_string());
        Ok(Some(Record {
            id: *id,
            data: serde_json::from_slice(&row.data).map_err(|e| decode(&e))?,
            expiry_date: OffsetDateTime::from_unix_timestamp(row.expires_at)
                .map_err(|e| decode(&e))?,
        }))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        row::Entity::delete_by_id(id.to_string())
            .exec(&self.db)
            .await
            .map_err(backend)?;
        Ok(())
    }
}

#[async_trait]
impl ExpiredDeletion for DatabaseSessionStore {
    async fn delete_expired(&self) -> session_store::Result<()> {
        row::Entity::delete_many()
            .filter(row::Column::ExpiresAt.lte(now()))
            .exec(&self.db)
            .await
            .map_err(backend)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::PaginatorTrait;
    use tower_sessions::cookie::time::Duration as TimeDuration;

    async fn store() -> (DatabaseSessionStore, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let db = migrations::testing::migrated_database(dir.path()).await;
        (DatabaseSessionStore::new(db), dir)
    }

    fn record(expires_in: TimeDuration) -> Record {
        let mut data = std::collections::HashMap::new();
        data.insert(
            "visitor".to_string(),
            serde_json::json!({ "pieces": [1, 2] }),
        );
        Record {
            id: Id::default(),
            data,
            expiry_date: OffsetDateTime::now_utc() + expires_in,
        }
    }

    #[tokio::test]
    async fn create_load_save_delete() {
        let (store, _dir) = store().await;
        let mut session = record(TimeDuration::hours(1));
        store.create(&mut session).await.unwrap();
        assert_eq!(
            store.load(&session.id).await.unwrap().unwrap().data,
            session.data
        );

        session.data.insert("user".into(), serde_json::json!(7));
        store.save(&session).await.unwrap();
        let loaded = store.load(&session.id).await.unwrap().unwrap();
        assert_eq!(loaded.data["user"], serde_json::json!(7));
        assert_eq!(
            loaded.expiry_date.unix_timestamp(),
            session.expiry_date.unix_timestamp()
        );

        store.delete(&session.id).await.unwrap();
        assert!(store.load(&session.id).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn a_colliding_id_gets_a_new_one_and_leaves_the_other_session_alone() {
        let (store, _dir) = store().await;
        let mut first = record(TimeDuration::hours(1));
        store.create(&mut first).await.unwrap();
        let mut second = record(TimeDuration::hours(1));
        second.id = first.id;
        second.data.clear();
        store.create(&mut second).await.unwrap();
        assert_ne!(second.id, first.id);
        assert_eq!(
            store.load(&first.id).await.unwrap().unwrap().data,
            first.data
        );
    }

    #[tokio::test]
    async fn expired_sessions_do_not_load_and_are_deleted() {
        let (store, _dir) = store().await;
        let mut expired = record(TimeDuration::seconds(-5));
        let mut live = record(TimeDuration::hours(1));
        store.create(&mut expired).await.unwrap();
        store.create(&mut live).await.unwrap();
        assert!(store.load(&expired.id).await.unwrap().is_none());

        store.delete_expired().await.unwrap();
        assert_eq!(row::Entity::find().count(&store.db).await.unwrap(), 1);
        assert!(store.load(&live.id).await.unwrap().is_some());
    }
}
