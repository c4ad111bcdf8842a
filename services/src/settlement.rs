//! Settling what a crash left half done, at every start and every minute
//! after: a reservation whose charge went through is completed, one without
//! a charge released, and a charge without a sale refunded.

use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder};

use crate::payments::Gateway;
use crate::sales::{complete, release};
use crate::storage::now;
use crate::storage::sale::{self as sales, Status};

/// What [`reconcile`] put right.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Reconciled {
    /// Reservations whose charge had gone through, now paid.
    pub completed: usize,
    /// Reservations without a charge, released.
    pub released: usize,
    /// Charges without a sale, refunded.
    pub refunded: usize,
    /// Reservations or charges left for the next pass: the gateway could not
    /// be asked about them.
    pub unsettled: usize,
}

/// How far back a pass looks for charges without a sale: a pass runs every
/// minute, so each charge is looked at a thousand times and more.
const CHARGES_LOOKBACK: i64 = 24 * 60 * 60;

/// Completes or releases reservations older than `older_than` seconds by
/// asking the gateway what became of their charge, then refunds every recent
/// charge that has no sale: no charge without rights, no rights without a
/// charge. A gateway that cannot answer about one leaves it for the next pass.
///
/// One pass at a time across instances (a PostgreSQL advisory lock; on
/// SQLite, one per process): a pass that finds another under way does nothing.
pub async fn reconcile(
    db: &DatabaseConnection,
    gateway: &dyn Gateway,
    older_than: i64,
) -> Result<Reconciled, DbErr> {
    use sea_orm::DatabaseBackend;
    static IN_PROCESS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

    let Ok(_in_process) = IN_PROCESS.try_lock() else {
        return Ok(Reconciled::default());
    };
    if db.get_database_backend() != DatabaseBackend::Postgres {
        return settle(db, gateway, older_than).await;
    }
    // The lock is held by a connection of its own, outside the pool: the pass
    // (and a gateway on the database) works through the pool, so the lock
    // must not take one of its connections, or a pool of one would wait on
    // itself. Closing the connection ends its session and frees the lock.
    use sea_orm::sqlx::{Connection, PgConnection};
    let lost = |err: sea_orm::sqlx::Error| {
        DbErr::Custom(format!("the settlement lock's connection failed: {err}"))
    };
    let options = db.get_postgres_connection_pool().connect_options();
    let mut lock = PgConnection::connect_with(&options).await.map_err(lost)?;
    let locked: bool = sea_orm::sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
        .bind(SETTLEMENT_LOCK)
        .fetch_one(&mut lock)
        .await
        .map_err(lost)?;
    let settled = if locked {
        settle(db, gateway, older_than).await
    } else {
        Ok(Reconciled::default())
    };
    if let Err(err) = lock.close().await {
        tracing::warn!(%err, "the settlement lock's connection did not close cleanly");
    }
    settled
}

/// The key of the PostgreSQL advisory lock a settling pass holds.
const SETTLEMENT_LOCK: i64 = 0x4d69_7854_6170_6502;

async fn settle(
    db: &DatabaseConnection,
    gateway: &dyn Gateway,
    older_than: i64,
) -> Result<Reconciled, DbErr> {
    let mut done = Reconciled::default();
    let stale = sales::Entity::find()
        .filter(sales::Column::Status.eq(Status::Reserved))
        .filter(sales::Column::ReservedAt.lte(now() - older_than))
        .order_by_asc(sales::Column::Id)
        .all(db)
        .await?;
    for sale in stale {
        match gateway.find(&sale.idempotency_key).await {
            Ok(Some(Ok(charge))) if !charge.refunded => {
                match complete(db, gateway, sale, &charge).await {
                    Ok(_) => done.completed += 1,
                    Err(err) => {
                        tracing::warn!(%err, "a charged reservation could not be completed");
                        done.unsettled += 1;
                    }
                }
            }
            Ok(_) => {
                release(db, &sale).await?;
                done.released += 1;
            }
            Err(err) => {
                tracing::warn!(%err, sale = sale.id, "cannot ask the gateway about a reservation");
                done.unsettled += 1;
            }
        }
    }
    let charges = match gateway.unrefunded_charges(now() - CHARGES_LOOKBACK).await {
        Ok(charges) => charges,
        Err(err) => {
            tracing::warn!(%err, "cannot list the gateway's recent charges");
            done.unsettled += 1;
            return Ok(done);
        }
    };
    // The sales of all those charges in one query, not one each.
    let keys: Vec<&str> = charges.iter().map(|(key, _)| key.as_str()).collect();
    let covering = sales::Entity::find()
        .filter(sales::Column::IdempotencyKey.is_in(keys))
        .all(db)
        .await?;
    for (key, charge) in &charges {
        // A reservation in flight will use the charge; a paid sale holds it.
        let covered = covering.iter().any(|sale| {
            sale.idempotency_key == *key
                && (sale.status == Status::Reserved
                    || (sale.status == Status::Paid
                        && sale.charge_id.as_deref() == Some(&charge.id)))
        });
        if covered {
            continue;
        }
        match gateway.refund(&charge.id).await {
            Ok(()) => done.refunded += 1,
            Err(err) => {
                tracing::warn!(%err, charge = %charge.id, "cannot refund a charge without a sale");
                done.unsettled += 1;
            }
        }
    }
    Ok(done)
}
