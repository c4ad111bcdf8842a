//! Exclusivity by music, not by bytes: a piece whose music is a sold (or
//! reserved) piece's in any recognisable form, by `models::music::similarity`
//! (transposed, in another octave, at another tempo, with notes added, left
//! out or changed, inside other music, in the parallel mode), cannot be sold.
//! Each sale keeps its piece's melody and records the melody's index keys in
//! `sale_grams`, so a new sale compares itself only with the few sales that
//! share the most keys with it, however many there are.

use std::collections::HashMap;

use models::music::similarity::{CANDIDATES, Melody, most_shared, same_music};
use sea_orm::sea_query::{Alias, Expr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionTrait,
};

use crate::storage::{piece, sale, sale_gram};
use domain::error::AppError;

/// Keys looked up per query, well under every backend's limit on
/// parameters (SQLite: 32,766).
const CHUNK: usize = 1000;

/// The refusal for a piece whose music was sold before.
pub fn too_close() -> AppError {
    AppError::Conflict(
        "This piece's music is too close to a piece already sold, so its exclusive rights cannot be sold. Compose another piece."
            .into(),
    )
}

/// The melody of the music in a standard MIDI file.
pub fn melody_of(midi: &[u8]) -> Result<Melody, AppError> {
    let music = models::music::midi::read(midi)
        .map_err(|err| AppError::internal("This piece's music cannot be read.", &err))?;
    let (notes, _) = models::music::events::quantise(&music);
    Ok(Melody::of(&notes))
}

/// A sale, other than one of piece `except_piece`, whose piece's music is the
/// same as `melody`.
pub async fn sold_alike<C: ConnectionTrait>(
    db: &C,
    melody: &Melody,
    except_piece: i64,
) -> Result<Option<i64>, DbErr> {
    let keys = melody.keys();
    let mut shared: HashMap<i64, usize> = HashMap::new();
    for chunk in keys.chunks(CHUNK) {
        // Stored as the signed integers of the same 64 bits.
        let query = sale_gram::Entity::find()
            .select_only()
            .column(sale_gram::Column::SaleId)
            .column_as(sale_gram::Column::Gram.count(), "shared")
            .filter(sale_gram::Column::Gram.is_in(chunk.iter().map(|&key| key as i64)))
            .group_by(sale_gram::Column::SaleId);
        // A piece's keys fit one query (up to about ten minutes of music):
        // the database ranks the sales, and only the first few come back.
        let query = if keys.len() <= CHUNK {
            query
                .order_by_desc(Expr::col(Alias::new("shared")))
                .order_by_asc(sale_gram::Column::SaleId)
                .limit(CANDIDATES as u64)
        } else {
            query
        };
        let counts: Vec<(i64, i64)> = query.into_tuple().all(db).await?;
        for (sale, count) in counts {
            *shared.entry(sale).or_default() += count as usize;
        }
    }
    let ranked = most_shared(shared);
    if ranked.is_empty() {
        return Ok(None);
    }
    let candidates: Vec<(i64, i64, Option<Vec<u8>>)> = sale::Entity::find()
        .select_only()
        .columns([
            sale::Column::Id,
            sale::Column::PieceId,
            sale::Column::Melody,
        ])
        .filter(sale::Column::Id.is_in(ranked))
        .filter(sale::Column::PieceId.ne(except_piece))
        .into_tuple()
        .all(db)
        .await?;
    Ok(candidates
        .into_iter()
        .find(|(_, _, stored)| {
            stored
                .as_deref()
                .and_then(Melody::from_bytes)
                .is_some_and(|sold| same_music(&sold, melody))
        })
        .map(|(id, _, _)| id))
}

/// Whether the music of `piece`, not yet sold itself, is a sold piece's.
pub(crate) async fn sold_before(
    db: &DatabaseConnection,
    piece: &piece::Model,
) -> Result<bool, AppError> {
    let melody = melody_of(&piece.midi)?;
    Ok(sold_alike(db, &melody, piece.id).await?.is_some())
}

/// Records the melody of sale `sale_id`'s piece.
pub async fn record<C: ConnectionTrait>(
    db: &C,
    sale_id: i64,
    melody: &Melody,
) -> Result<(), DbErr> {
    for chunk in melody.keys().chunks(CHUNK) {
        let rows = chunk.iter().map(|&key| sale_gram::ActiveModel {
            gram: Set(key as i64),
            sale_id: Set(sale_id),
        });
        sale_gram::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await?;
    }
    sale::Entity::update_many()
        .col_expr(sale::Column::Melody, Expr::value(melody.to_bytes()))
        .filter(sale::Column::Id.eq(sale_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Forgets the melody's keys of sale `sale_id` (a released reservation).
pub async fn forget<C: ConnectionTrait>(db: &C, sale_id: i64) -> Result<(), DbErr> {
    sale_gram::Entity::delete_many()
        .filter(sale_gram::Column::SaleId.eq(sale_id))
        .exec(db)
        .await
        .map(|_| ())
}

/// Records the melodies of the sales made before they were recorded, going
/// past (and logging) a piece whose music cannot be read; the number of
/// sales indexed.
pub async fn index_earlier_sales(db: &DatabaseConnection) -> Result<usize, AppError> {
    let unindexed = sale::Entity::find()
        .filter(sale::Column::Melody.is_null())
        .find_also_related(piece::Entity)
        .all(db)
        .await?;
    let mut indexed = 0;
    for (sale, piece) in unindexed {
        let Some(piece) = piece else { continue };
        let melody = match melody_of(&piece.midi) {
            Ok(melody) => melody,
            Err(err) => {
                tracing::error!(sale = sale.id, piece = piece.id, "sale not indexed: {err}");
                continue;
            }
        };
        let txn = db.begin().await?;
        // Another instance starting at the same time may have done it.
        forget(&txn, sale.id).await?;
        record(&txn, sale.id, &melody).await?;
        txn.commit().await?;
        indexed += 1;
    }
    Ok(indexed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use models::Note;
    use models::music::piece::TimeSignature;
    use sea_orm::ActiveModelTrait;

    /// A short tune as a MIDI file.
    fn tune() -> Vec<u8> {
        let pitches = [
            60u8, 64, 67, 72, 71, 67, 65, 64, 62, 60, 67, 69, 71, 72, 76, 74, 69, 65, 62, 59, 60,
            67, 64, 72, 70, 69, 65, 60, 62, 55, 57, 59, 60,
        ];
        let notes: Vec<Note> = pitches
            .iter()
            .enumerate()
            .map(|(i, &pitch)| Note {
                onset: i as f64 * 0.5,
                duration: 0.5,
                pitch,
                velocity: 80,
                program: 0,
                part: 0,
            })
            .collect();
        models::music::midi::write(&notes, 0, 100.0, TimeSignature::default())
    }

    /// Sells pieces with these MIDI files as sales made before melodies were
    /// kept (no melody recorded).
    async fn earlier_sales(db: &DatabaseConnection, files: &[Vec<u8>]) {
        db.execute_unprepared(
            "INSERT INTO users (id, email, display_name, password_hash, created_at) VALUES (1, 'a@example.com', 'A', 'x', 0)",
        )
        .await
        .unwrap();
        for (index, midi) in files.iter().enumerate() {
            let id = index as i64 + 1;
            piece::ActiveModel {
                id: Set(id),
                instrument: Set("piano".into()),
                length_seconds: Set(30),
                tempo_bpm: Set(100),
                creativity: Set(1.0),
                seed: Set(id),
                model_version: Set("test".into()),
                seconds: Set(30.0),
                midi: Set(midi.clone()),
                fingerprint: Set(format!("f{id}")),
                created_at: Set(0),
                ..Default::default()
            }
            .insert(db)
            .await
            .unwrap();
            sale::ActiveModel {
                id: Set(id),
                piece_id: Set(id),
                fingerprint: Set(format!("f{id}")),
                buyer_id: Set(1),
                copyright_id: Set(format!("MT-TEST-{id}")),
                status: Set(sale::Status::Paid),
                price_minor: Set(100),
                currency: Set("EUR".into()),
                licence_version: Set("MT-EXCLUSIVE-1".into()),
                idempotency_key: Set(format!("k{id}")),
                reserved_at: Set(0),
                ..Default::default()
            }
            .insert(db)
            .await
            .unwrap();
        }
    }

    /// An unreadable piece among the earlier sales is skipped (and logged):
    /// the sales after it are still indexed, where the first error used to
    /// stop them all.
    #[tokio::test]
    async fn indexing_earlier_sales_goes_past_an_unreadable_piece() {
        let dir = tempfile::tempdir().unwrap();
        let db = migrations::testing::migrated_database(dir.path()).await;
        earlier_sales(&db, &[b"not a MIDI file".to_vec(), tune()]).await;
        assert_eq!(index_earlier_sales(&db).await.unwrap(), 1);
        let melodies: Vec<(i64, Option<Vec<u8>>)> = sale::Entity::find()
            .select_only()
            .columns([sale::Column::Id, sale::Column::Melody])
            .into_tuple()
            .all(&db)
            .await
            .unwrap();
        assert!(melodies.iter().any(|(id, m)| *id == 1 && m.is_none()));
        assert!(melodies.iter().any(|(id, m)| *id == 2 && m.is_some()));
        // Its music is found again.
        let melody = melody_of(&tune()).unwrap();
        assert_eq!(sold_alike(&db, &melody, 0).await.unwrap(), Some(2));
    }
}
