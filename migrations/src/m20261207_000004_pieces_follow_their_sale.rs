//! A piece is now its buyer's to see (and only its composer may buy it), but
//! until 3 December 2026 another account could buy a piece: each piece sold
//! so goes to its buyer, or the buyer would lose it and its composer keep it.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, Statement};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Written once for both databases: correlated subqueries read alike there.
const GIVE_TO_BUYERS: &str = "UPDATE pieces \
     SET owner_id = (SELECT s.buyer_id FROM sales s WHERE s.piece_id = pieces.id AND s.status = 'paid'), \
         visitor = NULL \
     WHERE EXISTS (SELECT 1 FROM sales s WHERE s.piece_id = pieces.id AND s.status = 'paid' \
                   AND (pieces.owner_id IS NULL OR s.buyer_id <> pieces.owner_id))";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_raw(Statement::from_string(
            db.get_database_backend(),
            GIVE_TO_BUYERS,
        ))
        .await
        .map(|_| ())
    }

    /// Who composed those pieces was not kept: they stay their buyers'.
    async fn down(&self, _: &SchemaManager) -> Result<(), DbErr> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use sea_orm_migration::MigratorTrait;

    use crate::Migrator;
    use crate::data_test::{before, column, execute};

    #[tokio::test]
    async fn a_piece_another_account_bought_goes_to_its_buyer() {
        let dir = tempfile::tempdir().unwrap();
        let db = before(dir.path(), "m20261207_000004_pieces_follow_their_sale").await;
        let run = |sql: &str| {
            let (db, sql) = (&db, sql.to_owned());
            async move { execute(db, &sql).await }
        };
        for user in [1, 2] {
            run(&format!(
                "INSERT INTO users (id, email, password_hash, display_name, created_at) \
                 VALUES ({user}, 'u{user}@example.com', 'x', 'U{user}', 0)"
            ))
            .await;
        }
        // Piece 10 bought by another account, 11 by its composer, 12 only reserved.
        for (piece, owner) in [(10, 1), (11, 1), (12, 1)] {
            run(&format!(
                "INSERT INTO pieces (id, instrument, length_seconds, tempo_bpm, creativity, seed, \
                 model_version, seconds, midi, fingerprint, created_at, owner_id) \
                 VALUES ({piece}, 'piano', 10, 100, 1.0, 1, 'v', 10.0, '', 'f{piece}', 0, {owner})"
            ))
            .await;
        }
        for (sale, piece, buyer, status) in [
            (1, 10, 2, "paid"),
            (2, 11, 1, "paid"),
            (3, 12, 2, "reserved"),
        ] {
            run(&format!(
                "INSERT INTO sales (id, piece_id, fingerprint, buyer_id, copyright_id, status, \
                 price_minor, currency, licence_version, idempotency_key, reserved_at) \
                 VALUES ({sale}, {piece}, 'f{piece}', {buyer}, 'MT-{sale}', '{status}', 1, 'INR', \
                 'MT-EXCLUSIVE-1', 'k{sale}', 0)"
            ))
            .await;
        }
        Migrator::up(&db, None).await.unwrap();
        let owners: Vec<i64> = column(&db, "SELECT owner_id FROM pieces ORDER BY id").await;
        assert_eq!(owners, [2, 1, 1]);
    }
}
