//! Load test: simulated users compose pieces and listen to their previews
//! against a running server for a while, then a table of requests, latency
//! percentiles, throughput and errors is printed.
//!
//! ```text
//! cargo run --release -p server --example load -- --url http://127.0.0.1:3000 \
//!     --users 32 --seconds 60 --pid "$(pidof mixtape)"
//! ```
//!
//! Each user loops: ask for a piece (waiting as told when the studio answers
//! 429), follow it until it is stored, open its page, download its preview,
//! listen to it for `--listen-seconds`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Parser;
use reqwest::StatusCode;

/// Drives simulated users against a MixTape server.
#[derive(Debug, Parser)]
struct Args {
    /// The server's address.
    #[arg(long, default_value = "http://127.0.0.1:3000")]
    url: String,
    /// Users at once.
    #[arg(long, default_value_t = 32)]
    users: usize,
    /// How long to run, in seconds.
    #[arg(long, default_value_t = 60)]
    seconds: u64,
    /// Length of each piece asked for, in seconds.
    #[arg(long, default_value_t = 20)]
    piece_seconds: u32,
    /// Seconds each user listens to a preview before asking for the next piece
    /// (0: at once, a stress test).
    #[arg(long, default_value_t = 0)]
    listen_seconds: u64,
    /// The server's process id, to follow its memory.
    #[arg(long)]
    pid: Option<u32>,
}

/// What happened to one kind of request.
#[derive(Debug, Default)]
struct Tally {
    latencies: Vec<Duration>,
    busy: usize,
    client_errors: usize,
    server_errors: usize,
    failed: usize,
}

#[derive(Debug, Default)]
struct Results {
    kinds: BTreeMap<&'static str, Tally>,
}

type Shared = Arc<Mutex<Results>>;

/// Sends a request, records its latency and outcome under `kind`; the response if it came.
async fn timed(
    results: &Shared,
    kind: &'static str,
    request: reqwest::RequestBuilder,
) -> Option<(StatusCode, reqwest::header::HeaderMap, Vec<u8>)> {
    let started = Instant::now();
    let outcome = match request.send().await {
        Ok(response) => {
            let (status, headers) = (response.status(), response.headers().clone());
            let body = response.bytes().await.ok();
            body.map(|body| (status, headers, body.to_vec()))
        }
        Err(_) => None,
    };
    let took = started.elapsed();
    let mut results = results.lock().unwrap();
    let tally = results.kinds.entry(kind).or_default();
    match &outcome {
        None => tally.failed += 1,
        Some((status, _, _)) => {
            tally.latencies.push(took);
            if *status == StatusCode::TOO_MANY_REQUESTS {
                tally.busy += 1;
            } else if status.is_server_error() {
                tally.server_errors += 1;
            } else if status.is_client_error() {
                tally.client_errors += 1;
            }
        }
    }
    outcome
}

/// One user's loop until `deadline`.
async fn user(args: Arc<Args>, results: Shared, deadline: Instant) {
    // As a browser on the site's own page: the server refuses state-changing
    // requests that do not say they come from it.
    let mut headers = reqwest::header::HeaderMap::new();
    if let Ok(origin) = reqwest::header::HeaderValue::from_str(args.url.trim_end_matches('/')) {
        headers.insert(reqwest::header::ORIGIN, origin);
    }
    let client = reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .expect("a default HTTP client builds");
    let length = args.piece_seconds.to_string();
    while Instant::now() < deadline {
        let form = [
            ("instrument", "piano"),
            ("length_seconds", length.as_str()),
            ("tempo_bpm", "100"),
            ("key", ""),
            ("mode", ""),
            ("creativity", "1"),
            ("seed", ""),
        ];
        let asked = Instant::now();
        let request = client.post(format!("{}/api/compose", args.url)).form(&form);
        let Some((status, headers, body)) = timed(&results, "compose", request).await else {
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        };
        if status == StatusCode::TOO_MANY_REQUESTS {
            let wait = headers
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok()?.parse().ok())
                .unwrap_or(1);
            tokio::time::sleep(Duration::from_secs(wait)).await;
            continue;
        }
        let Some(generation) = std::str::from_utf8(&body)
            .ok()
            .and_then(|b| b.parse::<i64>().ok())
        else {
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        };
        let piece = loop {
            if Instant::now() > deadline + Duration::from_secs(60) {
                return;
            }
            let request = client
                .post(format!("{}/api/generation_status", args.url))
                .form(&[("id", generation.to_string())]);
            let Some((_, _, body)) = timed(&results, "status", request).await else {
                break None;
            };
            let status: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            if let Some(piece) = status["Done"]["piece_id"].as_i64() {
                break Some(piece);
            }
            if status.get("Failed").is_some() {
                break None;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        };
        let Some(piece) = piece else { continue };
        results
            .lock()
            .unwrap()
            .kinds
            .entry("piece ready")
            .or_default()
            .latencies
            .push(asked.elapsed());
        let page = client.get(format!("{}/pieces/{piece}", args.url));
        timed(&results, "page", page).await;
        let preview = client.get(format!("{}/pieces/{piece}/preview.ogg", args.url));
        timed(&results, "preview", preview).await;
        tokio::time::sleep(Duration::from_secs(args.listen_seconds)).await;
    }
}

/// The resident memory of process `pid`, in MiB.
fn resident_mib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[tokio::main]
async fn main() {
    let args = Arc::new(Args::parse());
    let results = Shared::default();
    let started = Instant::now();
    let deadline = started + Duration::from_secs(args.seconds);
    let memory = Arc::new(Mutex::new(Vec::new()));
    if let Some(pid) = args.pid {
        let memory = Arc::clone(&memory);
        tokio::spawn(async move {
            while let Some(mib) = resident_mib(pid) {
                memory.lock().unwrap().push(mib);
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        });
    }
    let users: Vec<_> = (0..args.users)
        .map(|_| tokio::spawn(user(Arc::clone(&args), Arc::clone(&results), deadline)))
        .collect();
    for user in users {
        user.await.unwrap();
    }
    let elapsed = started.elapsed().as_secs_f64();

    println!(
        "{} users for {} s against {}, each listening {} s to a {} s piece before the next ({:.1} s with the last pieces finishing)\n",
        args.users, args.seconds, args.url, args.listen_seconds, args.piece_seconds, elapsed
    );
    println!(
        "| request | count | per s | p50 | p95 | p99 | max | 429 | other 4xx | 5xx | no answer |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut results = results.lock().unwrap();
    for (kind, tally) in results.kinds.iter_mut() {
        tally.latencies.sort();
        let ms = |d: Duration| format!("{:.0} ms", d.as_secs_f64() * 1000.0);
        let l = &tally.latencies;
        println!(
            "| {kind} | {} | {:.1} | {} | {} | {} | {} | {} | {} | {} | {} |",
            l.len(),
            l.len() as f64 / elapsed,
            ms(percentile(l, 50.0)),
            ms(percentile(l, 95.0)),
            ms(percentile(l, 99.0)),
            ms(l.last().copied().unwrap_or_default()),
            tally.busy,
            tally.client_errors,
            tally.server_errors,
            tally.failed,
        );
    }
    let memory = memory.lock().unwrap();
    if let (Some(first), Some(peak), Some(last)) = (
        memory.first(),
        memory.iter().copied().reduce(f64::max),
        memory.last(),
    ) {
        println!(
            "\nserver memory (resident): {first:.0} MiB at start, {peak:.0} MiB at peak, {last:.0} MiB at the end"
        );
    }
    let server_errors: usize = results.kinds.values().map(|t| t.server_errors).sum();
    if server_errors > 0 {
        println!("\n{server_errors} responses were 5xx");
        std::process::exit(1);
    }
}
