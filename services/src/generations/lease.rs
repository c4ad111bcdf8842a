//! A generation's lease: the instance named in its row composes it, and
//! keeps it by refreshing `updated_at`. A lease nobody refreshed for the
//! instance timeout is taken over, one instance at a time (PostgreSQL: `FOR
//! UPDATE SKIP LOCKED`; SQLite: a write transaction), and every write of an
//! outcome checks the lease is still held, so a piece is stored once.

use std::time::Duration;

use sea_orm::sea_query::{Expr, LockBehavior, LockType};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, SqliteTransactionMode, TransactionOptions,
    TransactionTrait,
};

use crate::composer::Composed;
use crate::owner::Owner;
use crate::pieces;
use crate::storage::generation::{self as table, Status};
use crate::storage::now;
use domain::compose::ComposeSettings;

/// A transaction that holds SQLite's write lock from its first statement, so
/// that two instances on one file cannot both read a row as free.
async fn begin(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

/// The rows of generation `id` while `instance` holds it and it is unfinished.
fn held(id: i64, instance: &str) -> sea_orm::Condition {
    sea_orm::Condition::all()
        .add(table::Column::Id.eq(id))
        .add(table::Column::Instance.eq(instance))
        .add(table::Column::Status.is_in([Status::Queued, Status::Composing]))
}

/// Takes for `instance` the oldest unfinished generation nobody refreshed for
/// `stale_after`; the row as taken (its attempts counted), if there was one.
pub(super) async fn take_stale(
    db: &DatabaseConnection,
    instance: &str,
    stale_after: Duration,
) -> Result<Option<table::Model>, DbErr> {
    let txn = begin(db).await?;
    let stale = table::Entity::find()
        .filter(table::Column::Status.is_in([Status::Queued, Status::Composing]))
        .filter(table::Column::UpdatedAt.lt(now() - stale_after.as_secs() as i64))
        .order_by_asc(table::Column::QueuedAtMicros)
        .order_by_asc(table::Column::Id)
        // Another instance taking one at the same moment skips it.
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .one(&txn)
        .await?;
    let Some(row) = stale else {
        txn.commit().await?;
        return Ok(None);
    };
    let taken = table::Model {
        instance: instance.to_owned(),
        status: Status::Queued,
        updated_at: now(),
        attempts: row.attempts + 1,
        ..row
    };
    table::Entity::update_many()
        .col_expr(table::Column::Instance, Expr::value(taken.instance.clone()))
        .col_expr(table::Column::Status, Expr::value(taken.status))
        .col_expr(table::Column::UpdatedAt, Expr::value(taken.updated_at))
        .col_expr(table::Column::Attempts, Expr::value(taken.attempts))
        .filter(table::Column::Id.eq(taken.id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(Some(taken))
}

/// Sets generation `id` to `status` (with `error`) while `instance` holds
/// it; whether it still did.
pub(super) async fn mark(
    db: &impl ConnectionTrait,
    id: i64,
    instance: &str,
    status: Status,
    error: Option<&str>,
) -> Result<bool, DbErr> {
    let result = table::Entity::update_many()
        .col_expr(table::Column::Status, Expr::value(status))
        .col_expr(table::Column::Error, Expr::value(error))
        .col_expr(table::Column::UpdatedAt, Expr::value(now()))
        .filter(held(id, instance))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// The owner of a piece for `generation`: its account, else its visitor.
pub(super) fn owner_of(generation: &table::Model) -> Owner {
    match (generation.owner_id, &generation.visitor) {
        (Some(user), _) => Owner::User(user),
        (None, visitor) => Owner::Visitor(visitor.clone().unwrap_or_default()),
    }
}

/// Stores `composed` as generation `id`'s piece and marks it done, in one
/// transaction, while `instance` holds it; the piece's id, or none when
/// another instance took the generation over (or it is done already).
pub(super) async fn store_once(
    db: &DatabaseConnection,
    id: i64,
    instance: &str,
    settings: &ComposeSettings,
    composed: Composed,
) -> Result<Option<i64>, DbErr> {
    let txn = begin(db).await?;
    // Done first: the row stays locked until commit, so its owner, read
    // next, cannot move to an account (a visitor signing in) before the piece
    // exists to follow it.
    if !mark(&txn, id, instance, Status::Done, None).await? {
        txn.rollback().await?;
        return Ok(None);
    }
    let generation = table::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("generation {id}")))?;
    let piece = pieces::insert(&txn, settings, composed, &owner_of(&generation)).await?;
    // The piece holds the settings now: they are stored once.
    table::Entity::update_many()
        .col_expr(table::Column::PieceId, Expr::value(piece))
        .col_expr(table::Column::Settings, Expr::value(Option::<String>::None))
        .filter(table::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(Some(piece))
}
