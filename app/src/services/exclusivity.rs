//! Exclusivity by music, not by bytes: a piece whose music is the same as a
//! sold (or reserved) piece's, by `models::music::similarity` (transposed, at
//! another tempo, longer, shorter or with a few notes changed), cannot be
//! sold. Each sale records its piece's shingles in `sale_shingles`, so a new
//! sale looks up only the sales sharing its shingles, however many there are.

use std::collections::HashMap;

use models::music::similarity::{self, MIN_SHARED};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QuerySelect,
    Set, TransactionTrait,
};

use crate::domain::error::AppError;
use crate::storage::{piece, sale, sale_shingle};

/// Shingles looked up per query, well under every backend's limit on
/// parameters (SQLite: 32,766).
const CHUNK: usize = 1000;

/// The refusal for a piece whose music was sold before.
pub fn too_close() -> AppError {
    AppError::Conflict(
        "This piece's music is too close to a piece already sold, so its exclusive rights cannot be sold. Compose another piece."
            .into(),
    )
}

/// The shingles of the music in a standard MIDI file.
pub fn shingles_of(midi: &[u8]) -> Result<Vec<u64>, AppError> {
    let music = models::music::midi::read(midi)
        .map_err(|err| AppError::internal("This piece's music cannot be read.", &err))?;
    let (notes, _) = models::music::events::quantise(&music);
    Ok(similarity::shingles(&notes))
}

/// A sale, other than one of piece `except_piece`, whose piece's music is the
/// same as the music with `shingles`.
pub async fn sold_alike<C: ConnectionTrait>(
    db: &C,
    shingles: &[u64],
    except_piece: i64,
) -> Result<Option<i64>, DbErr> {
    let mut shared: HashMap<i64, usize> = HashMap::new();
    for chunk in shingles.chunks(CHUNK) {
        // Stored as the signed integers of the same 64 bits.
        let keys = chunk.iter().map(|&shingle| shingle as i64);
        let counts: Vec<(i64, i64)> = sale_shingle::Entity::find()
            .select_only()
            .column(sale_shingle::Column::SaleId)
            .column_as(sale_shingle::Column::Shingle.count(), "shared")
            .filter(sale_shingle::Column::Shingle.is_in(keys))
            .group_by(sale_shingle::Column::SaleId)
            .into_tuple()
            .all(db)
            .await?;
        for (sale, count) in counts {
            *shared.entry(sale).or_default() += count as usize;
        }
    }
    shared.retain(|_, count| *count >= MIN_SHARED);
    if shared.is_empty() {
        return Ok(None);
    }
    let candidates: Vec<(i64, i64, Option<i32>)> = sale::Entity::find()
        .select_only()
        .columns([
            sale::Column::Id,
            sale::Column::PieceId,
            sale::Column::Shingles,
        ])
        .filter(sale::Column::Id.is_in(shared.keys().copied()))
        .into_tuple()
        .all(db)
        .await?;
    Ok(candidates
        .into_iter()
        .find(|&(id, piece_id, count)| {
            piece_id != except_piece
                && similarity::similar(shared[&id], shingles.len(), count.map_or(0, |c| c as usize))
        })
        .map(|(id, _, _)| id))
}

/// Whether the music of `piece`, not yet sold itself, is a sold piece's.
pub async fn sold_before(db: &DatabaseConnection, piece: &piece::Model) -> Result<bool, AppError> {
    let shingles = shingles_of(&piece.midi)?;
    Ok(sold_alike(db, &shingles, piece.id).await?.is_some())
}

/// Records the shingles of sale `sale_id`'s piece.
pub async fn record<C: ConnectionTrait>(
    db: &C,
    sale_id: i64,
    shingles: &[u64],
) -> Result<(), DbErr> {
    for chunk in shingles.chunks(CHUNK) {
        let rows = chunk.iter().map(|&shingle| sale_shingle::ActiveModel {
            shingle: Set(shingle as i64),
            sale_id: Set(sale_id),
        });
        sale_shingle::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await?;
    }
    sale::Entity::update_many()
        .col_expr(sale::Column::Shingles, Expr::value(shingles.len() as i32))
        .filter(sale::Column::Id.eq(sale_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Forgets the shingles of sale `sale_id` (a released reservation).
pub async fn forget<C: ConnectionTrait>(db: &C, sale_id: i64) -> Result<(), DbErr> {
    sale_shingle::Entity::delete_many()
        .filter(sale_shingle::Column::SaleId.eq(sale_id))
        .exec(db)
        .await
        .map(|_| ())
}

/// Records the shingles of the sales made before they were recorded; the
/// number of sales indexed.
pub async fn index_earlier_sales(db: &DatabaseConnection) -> Result<usize, AppError> {
    let unindexed = sale::Entity::find()
        .filter(sale::Column::Shingles.is_null())
        .find_also_related(piece::Entity)
        .all(db)
        .await?;
    let mut indexed = 0;
    for (sale, piece) in unindexed {
        let Some(piece) = piece else { continue };
        let shingles = shingles_of(&piece.midi)?;
        let txn = db.begin().await?;
        // Another instance starting at the same time may have done it.
        forget(&txn, sale.id).await?;
        record(&txn, sale.id, &shingles).await?;
        txn.commit().await?;
        indexed += 1;
    }
    Ok(indexed)
}
