//! How long checking a new piece against every sold piece takes, and what
//! the index costs per sale, as the sales grow to 100,000: printed as a
//! Markdown table.
//!
//! `cargo bench -p server --bench exclusivity` (SQLite in a temporary
//! folder; with `MIXTAPE_TEST_POSTGRES` set, a new database on that
//! PostgreSQL server). The sold music is real: 25-beat halves of the
//! shared corpora's files, each sale two halves of different files, so that
//! the index holds the keys real music has (31,000 halves make 100,000
//! sales, so each half is sold about six times: the index's lists are longer
//! than new music's would be). Each lookup is the service's own
//! (`exclusivity::sold_alike`), the database's time included, one at a time:
//! half of them new music (two halves of the tenth never sold), half a sold
//! piece transposed.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use models::music::events::GridNote;
use models::music::similarity::Melody;
use models::rng::Rng;
use models::training::collisions::all_excerpts;
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection, Set, TransactionTrait,
};
use services::exclusivity;
use services::storage::sale;

/// Sales at which lookups are timed.
const SIZES: [usize; 3] = [1_000, 10_000, 100_000];
/// Lookups timed at each size.
const LOOKUPS: usize = 200;

/// 25-beat halves of every file of every shared corpus.
fn halves() -> Vec<Vec<GridNote>> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/datasets");
    let mut sets: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("the shared datasets")
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_dir() && !path.ends_with("tiny"))
        .collect();
    sets.sort();
    let mut halves = all_excerpts(&sets, 25).expect("the corpora");
    halves.retain(|notes| notes.len() >= 16);
    halves
}

/// A piece of two halves, one after the other.
fn joined(first: &[GridNote], second: &[GridNote]) -> Vec<GridNote> {
    let mut notes = first.to_vec();
    notes.extend(second.iter().map(|n| GridNote {
        onset: n.onset + 25 * 12,
        ..*n
    }));
    notes
}

fn two_halves(rng: &mut Rng, halves: &[Vec<GridNote>]) -> Vec<GridNote> {
    let first = rng.below(halves.len());
    let second = (first + 1 + rng.below(halves.len() - 1)) % halves.len();
    joined(&halves[first], &halves[second])
}

/// `count` pieces and a buyer for their sales, written directly.
async fn pieces(db: &DatabaseConnection, from: usize, count: usize) {
    let blob = match db.get_database_backend() {
        DatabaseBackend::Postgres => "'\\x00'::bytea",
        _ => "X'00'",
    };
    db.execute_unprepared(&format!(
        "INSERT INTO pieces (id, instrument, length_seconds, tempo_bpm, creativity, seed, model_version, seconds, midi, fingerprint, created_at) \
         WITH RECURSIVE n(i) AS (SELECT {} UNION ALL SELECT i + 1 FROM n WHERE i < {}) \
         SELECT i, 'piano', 30, 100, 1.0, i, 'bench', 30.0, {blob}, 'bench' || i, 0 FROM n",
        from + 1,
        from + count
    ))
    .await
    .expect("pieces written");
}

/// Sells pieces `from + 1 ..= from + melodies.len()`, recording each melody.
async fn sell(db: &DatabaseConnection, from: usize, melodies: &[Melody]) {
    pieces(db, from, melodies.len()).await;
    for (chunk_start, chunk) in melodies.chunks(1000).enumerate() {
        let txn = db.begin().await.unwrap();
        for (offset, melody) in chunk.iter().enumerate() {
            let id = (from + chunk_start * 1000 + offset + 1) as i64;
            let row = sale::ActiveModel {
                id: Set(id),
                piece_id: Set(id),
                fingerprint: Set(format!("bench{id}")),
                buyer_id: Set(1),
                copyright_id: Set(format!("MT-BENCH-{id}")),
                status: Set(sale::Status::Paid),
                price_minor: Set(100),
                currency: Set("EUR".into()),
                licence_version: Set("MT-EXCLUSIVE-1".into()),
                idempotency_key: Set(format!("bench{id}")),
                reserved_at: Set(0),
                ..Default::default()
            };
            row.insert(&txn).await.expect("a sale");
            exclusivity::record(&txn, id, melody)
                .await
                .expect("its melody");
        }
        txn.commit().await.unwrap();
    }
    // A database that has lived with its sales knows how many rows each
    // table has; a bulk load has to be told, or PostgreSQL plans blind.
    db.execute_unprepared("ANALYZE").await.expect("statistics");
}

/// Bytes the sales and their keys take in the database.
async fn index_bytes(db: &DatabaseConnection) -> Option<u64> {
    let sql = match db.get_database_backend() {
        DatabaseBackend::Postgres => {
            "SELECT (pg_total_relation_size('sale_grams') + pg_total_relation_size('sales'))::bigint AS bytes"
        }
        _ => {
            "SELECT SUM(pgsize) AS bytes FROM dbstat WHERE name IN ('sale_grams', 'sales') OR name LIKE 'sqlite_autoindex_sale%' OR name LIKE 'idx_sale%'"
        }
    };
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            sql,
        ))
        .await
        .ok()??;
    row.try_get::<i64>("", "bytes").ok().map(|b| b as u64)
}

fn percentile(sorted: &[Duration], share: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * share).round() as usize]
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut halves = halves();
    let unsold = halves.split_off(halves.len() * 9 / 10);
    let dir = tempfile::tempdir().unwrap();
    let db = migrations::testing::migrated_database(dir.path()).await;
    db.execute_unprepared(
        "INSERT INTO users (id, email, display_name, password_hash, created_at) VALUES (1, 'bench@example.com', 'Bench', 'x', 0)",
    )
    .await
    .unwrap();
    let mut rng = Rng::new(7);
    let mut sold: Vec<Vec<GridNote>> = Vec::new();
    println!(
        "{} halves of real music; {LOOKUPS} lookups per size, one at a time.\n",
        halves.len()
    );
    println!(
        "| sales | keys per sale | index per sale | lookup p50 | p95 | max | refused (copies / new) |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    let mut keys = 0usize;
    for size in SIZES {
        let new: Vec<Vec<GridNote>> = (sold.len()..size)
            .map(|_| two_halves(&mut rng, &halves))
            .collect();
        let melodies: Vec<Melody> = new.iter().map(|notes| Melody::of(notes)).collect();
        keys += melodies.iter().map(|m| m.keys().len()).sum::<usize>();
        sell(&db, sold.len(), &melodies).await;
        sold.extend(new);
        let mut times = Vec::with_capacity(LOOKUPS);
        let (mut copies, mut fresh) = (0, 0);
        for lookup in 0..LOOKUPS {
            let copy = lookup % 2 == 0;
            let notes = if copy {
                let original = &sold[rng.below(sold.len())];
                original
                    .iter()
                    .map(|n| GridNote {
                        pitch: n.pitch + 2,
                        ..*n
                    })
                    .collect()
            } else {
                two_halves(&mut rng, &unsold)
            };
            let melody = Melody::of(&notes);
            let started = Instant::now();
            let found = exclusivity::sold_alike(&db, &melody, 0).await.unwrap();
            times.push(started.elapsed());
            if found.is_some() {
                if copy {
                    copies += 1;
                } else {
                    fresh += 1;
                }
            }
        }
        times.sort();
        let bytes = index_bytes(&db).await;
        println!(
            "| {size} | {:.0} | {} | {:.1} ms | {:.1} ms | {:.1} ms | {copies} of {} / {fresh} of {} |",
            keys as f64 / size as f64,
            bytes.map_or("?".into(), |b| format!(
                "{:.1} KB",
                b as f64 / size as f64 / 1000.0
            )),
            percentile(&times, 0.5).as_secs_f64() * 1000.0,
            percentile(&times, 0.95).as_secs_f64() * 1000.0,
            times.last().unwrap().as_secs_f64() * 1000.0,
            LOOKUPS / 2,
            LOOKUPS / 2,
        );
    }
}
