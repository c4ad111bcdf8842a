//! Faults the server survives: killed (SIGKILL) while composing and while
//! selling, then started again; and its database stopped while it serves.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, EntityTrait};
use services::storage::{sale as sale_table, sandbox_charge as sandbox_charge_table};

use crate::common::{Browser, Models, Running, Site, client, generation_status, piano_form};
use crate::purchases::checkout;

/// The `mixtape` binary serving on a free loopback port.
struct Process {
    child: Child,
    base: String,
}

impl Site for Process {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl Process {
    /// Starts the server on `database_url` with its files in `dir`, and waits until it answers.
    async fn start(dir: &Path, database_url: &str, extra: &[&str]) -> Process {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let site = dir.join("site");
        std::fs::create_dir_all(&site).unwrap();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("server.log"))
            .unwrap();
        let models = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../models");
        let child = Command::new(env!("CARGO_BIN_EXE_mixtape"))
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--data-dir")
            .arg(dir.join("data"))
            .arg("--database-url")
            .arg(database_url)
            .arg("--models-dir")
            .arg(models)
            .arg("--site-root")
            .arg(&site)
            .args(["--device", "cpu"])
            .args(extra)
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        let process = Process {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        for _ in 0..600 {
            if let Ok(response) = client().get(process.url("/healthz")).send().await
                && response.status() == StatusCode::OK
            {
                return process;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "the server did not start: {}",
            std::fs::read_to_string(dir.join("server.log")).unwrap()
        );
    }

    /// SIGKILL: no shutdown, no flushing, as a crash or the OOM killer.
    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Checks that the database is whole: SQLite's own check, and every table readable.
async fn assert_intact(db: &DatabaseConnection) {
    let backend = db.get_database_backend();
    if backend == sea_orm::DbBackend::Sqlite {
        let row = db
            .query_one_raw(sea_orm::Statement::from_string(
                backend,
                "PRAGMA integrity_check",
            ))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.try_get_by_index::<String>(0).unwrap(), "ok");
    }
    for table in [
        "users",
        "pieces",
        "sales",
        "sandbox_charges",
        "generations",
        "sessions",
    ] {
        db.query_all_raw(sea_orm::Statement::from_string(
            backend,
            format!("SELECT * FROM {table}"),
        ))
        .await
        .unwrap_or_else(|err| panic!("{table}: {err}"));
    }
}

/// An instance killed with generations running and queued: another (on
/// PostgreSQL, one already serving beside it; on SQLite, the same server
/// started again) takes them over once their leases run out and stores each
/// piece once.
#[tokio::test]
async fn killed_while_composing_another_instance_finishes_every_piece_once() {
    use sea_orm::PaginatorTrait;
    use services::storage::piece as piece_table;

    let dir = tempfile::tempdir().unwrap();
    let url = migrations::testing::new_database(dir.path()).await;
    let options = ["--workers", "1", "--instance-timeout", "2"];
    let killed = Process::start(dir.path(), &url, &options).await;
    let shared = url.starts_with("postgres");
    let beside = match shared {
        true => Some(Process::start(&dir.path().join("beside"), &url, &options).await),
        false => None,
    };
    let mut browser = Browser::default();
    let mut generations = Vec::new();
    for seed in ["1", "2", "3", "4", "5", "6"] {
        let (status, body) = browser
            .post(&killed, "compose", &piano_form("180", seed))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        generations.push(body.parse::<i64>().unwrap());
    }
    while generation_status(&killed, &browser, generations[0])
        .await
        .get("Queued")
        .is_some()
    {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let db = Database::connect(url.as_str()).await.unwrap();
    let stored_before = piece_table::Entity::find().count(&db).await.unwrap();
    killed.kill();
    assert!(stored_before < 6, "every piece was done before the kill");

    let server = match beside {
        Some(server) => server,
        None => Process::start(dir.path(), &url, &options).await,
    };
    let mut pieces = Vec::new();
    for id in &generations {
        let mut status = generation_status(&server, &browser, *id).await;
        for _ in 0..1200 {
            if status.get("Done").is_some() || status.get("Failed").is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            status = generation_status(&server, &browser, *id).await;
        }
        let piece = status["Done"]["piece_id"].as_i64();
        pieces.push(piece.unwrap_or_else(|| panic!("generation {id}: {status}")));
    }
    pieces.sort_unstable();
    pieces.dedup();
    assert_eq!(pieces.len(), generations.len(), "{pieces:?}");
    assert_eq!(
        piece_table::Entity::find().count(&db).await.unwrap(),
        generations.len() as u64,
        "each piece stored once"
    );
    // The database is whole, and the server composes again.
    assert_intact(&db).await;
    browser.compose(&server, "").await;
    server.kill();
}

/// A `buy` on the server at `base` that may meet it dead: its status, if it answered.
async fn try_buy(base: &str, cookie: &str, piece: i64, key: &str) -> Option<StatusCode> {
    let piece = piece.to_string();
    let form = [
        ("piece_id", piece.as_str()),
        ("key", key),
        ("name", "Ana Pereira"),
        ("number", "4242 4242 4242 4242"),
        ("expiry", "12/30"),
        ("cvv", "8317"),
    ];
    client()
        .post(format!("{base}/api/buy"))
        .header(reqwest::header::COOKIE, cookie)
        .form(&form)
        .send()
        .await
        .ok()
        .map(|response| response.status())
}

#[tokio::test]
async fn killed_while_selling_no_sale_is_lost_and_no_charge_is_left_without_rights() {
    let dir = tempfile::tempdir().unwrap();
    let url = migrations::testing::new_database(dir.path()).await;
    // Twelve accounts from one address: more than the default allows.
    let options = ["--purchase-timeout", "1", "--register-limit", "100"];
    let server = Process::start(dir.path(), &url, &options).await;
    let mut buyers = Vec::new();
    for i in 0..12 {
        let mut browser = Browser::default();
        browser
            .register(
                &server,
                &format!("shop{i}@example.com"),
                &format!("Shop {i}"),
            )
            .await;
        let piece = browser.compose(&server, &format!("{}", 100 + i)).await;
        let (status, key) = checkout(&server, &mut browser, piece).await;
        assert_eq!(status, StatusCode::OK, "{key}");
        buyers.push((browser.cookie.unwrap(), piece, key));
    }
    let attempts: Vec<_> = buyers
        .iter()
        .cloned()
        .map(|(cookie, piece, key)| {
            let base = server.base.clone();
            tokio::spawn(async move { try_buy(&base, &cookie, piece, &key).await })
        })
        .collect();
    // Some purchases finish, some are cut off half way, some never start.
    tokio::time::sleep(Duration::from_millis(40)).await;
    server.kill();
    let mut confirmed = Vec::new();
    for (attempt, buyer) in attempts.into_iter().zip(&buyers) {
        if attempt.await.unwrap() == Some(StatusCode::OK) {
            confirmed.push(buyer.1);
        }
    }

    // Back after the purchase timeout: the start settles what was cut off.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let server = Process::start(dir.path(), &url, &options).await;
    let db = Database::connect(url.as_str()).await.unwrap();
    assert_intact(&db).await;
    let sales = sale_table::Entity::find().all(&db).await.unwrap();
    let charges = sandbox_charge_table::Entity::find().all(&db).await.unwrap();
    assert!(
        sales
            .iter()
            .all(|sale| sale.status == sale_table::Status::Paid),
        "nothing is left reserved: {sales:?}"
    );
    for piece in &confirmed {
        assert!(
            sales.iter().any(|sale| sale.piece_id == *piece),
            "the confirmed purchase of piece {piece} is kept"
        );
    }
    let kept: Vec<_> = charges
        .iter()
        .filter(|charge| charge.outcome == "succeeded" && !charge.refunded)
        .collect();
    assert_eq!(kept.len(), sales.len(), "one charge per sale: {charges:?}");
    for sale in &sales {
        assert!(
            kept.iter()
                .any(|charge| charge.idempotency_key == sale.idempotency_key),
            "sale {sale:?} has its charge"
        );
    }

    // Every buyer can finish: the same checkout either replays or goes through.
    for (cookie, piece, key) in &buyers {
        assert_eq!(
            try_buy(&server.base, cookie, *piece, key).await,
            Some(StatusCode::OK),
            "piece {piece}"
        );
    }
    let sales = sale_table::Entity::find().all(&db).await.unwrap();
    let charges = sandbox_charge_table::Entity::find().all(&db).await.unwrap();
    assert_eq!(sales.len(), buyers.len());
    assert_eq!(
        charges
            .iter()
            .filter(|charge| charge.outcome == "succeeded" && !charge.refunded)
            .count(),
        buyers.len()
    );
    server.kill();
}

/// A PostgreSQL cluster of the test's own, which it may stop and start.
struct Cluster {
    dir: tempfile::TempDir,
    url: String,
}

impl Cluster {
    fn script(command: &str, dir: &Path) -> String {
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/postgres.sh");
        let output = Command::new(script)
            .arg(command)
            .arg(dir)
            .stderr(Stdio::inherit())
            .output()
            .unwrap();
        assert!(output.status.success(), "postgres.sh {command} failed");
        String::from_utf8(output.stdout).unwrap().trim().to_owned()
    }

    fn start() -> Cluster {
        let dir = tempfile::tempdir().unwrap();
        let url = Cluster::script("start", dir.path());
        Cluster { dir, url }
    }

    fn stop(&self) {
        Cluster::script("stop", self.dir.path());
    }

    fn resume(&self) {
        Cluster::script("resume", self.dir.path());
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ =
            Command::new(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/postgres.sh"))
                .arg("stop")
                .arg(self.dir.path())
                .output();
    }
}

#[tokio::test]
async fn while_the_database_is_stopped_requests_get_503_and_the_server_recovers_by_itself() {
    if migrations::testing::new_postgres_database().await.is_none() {
        eprintln!("skipped: stopping a database needs PostgreSQL (scripts/test.sh provides one)");
        return;
    }
    let cluster = Cluster::start();
    let admin = Database::connect(format!("{}/postgres", cluster.url))
        .await
        .unwrap();
    admin
        .execute_unprepared("CREATE DATABASE outage")
        .await
        .unwrap();
    admin.close().await.unwrap();
    let url = format!("{}/outage", cluster.url);
    let server = Running::start_on_database(Models::Listed(&[]), url).await;
    let mut browser = Browser::default();
    browser
        .register(&server, "ana@bakery.example", "Ana's Bakery")
        .await;

    cluster.stop();
    assert_eq!(server.get("/healthz").await.0, 503);
    let response = client()
        .post(server.url("/api/my_pieces"))
        .header(reqwest::header::COOKIE, browser.cookie.clone().unwrap())
        .form(&[("page", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        response
            .headers()
            .contains_key(reqwest::header::RETRY_AFTER)
    );
    let body = response.text().await.unwrap();
    assert!(!body.is_empty());
    let (status, page) = server.get("/instruments").await;
    assert!(status == 200 || status == 503, "{status}: {page}");

    cluster.resume();
    let mut healthy = false;
    for _ in 0..300 {
        if server.get("/healthz").await.0 == 200 {
            healthy = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(healthy, "the server did not see the database come back");
    assert_eq!(browser.who(&server).await.as_deref(), Some("Ana's Bakery"));
    let (status, _) = browser.post(&server, "my_pieces", &[("page", "1")]).await;
    assert_eq!(status, StatusCode::OK);
    server.stop().await;
}

#[tokio::test]
async fn partial_audio_files_a_crash_left_are_swept_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let url = migrations::testing::new_database(dir.path()).await;
    let server = Process::start(dir.path(), &url, &[]).await;
    server.kill();
    let audio = std::fs::read_dir(dir.path().join("data/audio"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let partial = audio.join("0123456789abcdef.wav.partial-4242");
    let whole = audio.join("0123456789abcdef.ogg");
    std::fs::write(&partial, b"half a file").unwrap();
    std::fs::write(&whole, b"a whole file").unwrap();
    let server = Process::start(dir.path(), &url, &[]).await;
    assert!(!partial.exists(), "the partial file is still there");
    assert!(whole.exists(), "a finished file was swept");
    server.kill();
}
