//! The music is pinned: the same settings and seed compose byte-identical
//! MIDI, through the same path a request takes (the settings as the form and
//! the API give them, the studio, the model). Work that reshapes the code
//! keeps every piece; work that changes the music on purpose rewrites the
//! pinned digests (`MIXTAPE_UPDATE_PINNED=1`) in the same commit.

use std::collections::BTreeMap;
use std::path::PathBuf;

use domain::compose::{ComposeSettings, Mode, RequestedSettings};
use domain::instrument::InstrumentInfo;
use services::composer::Studio;
use sha2::{Digest, Sha256};

/// Seeds per instrument.
const SEEDS: u64 = 50;

/// The pinned digests, and the matrix kernels they were composed with.
#[derive(serde::Serialize, serde::Deserialize)]
struct Pinned {
    /// The CPU's kernels (see [`kernels`]).
    kernels: String,
    /// Each instrument's digests, by seed.
    pieces: BTreeMap<String, Vec<String>>,
}

/// The kernels the CPU backend picks at run time on this machine: another
/// set rounds its sums otherwise, and may then draw another note.
fn kernels() -> &'static str {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            return "x86-64 AVX-512";
        }
        if std::arch::is_x86_feature_detected!("fma") {
            return "x86-64 AVX2 FMA";
        }
    }
    "portable"
}

/// The shipped models' folder.
fn models_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../models")
}

/// The digests' file.
fn pinned_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/pinned_music.json")
}

/// The settings of seed `seed`: every setting takes several of its values
/// across the seeds, a motif included, so that each one's path to the model
/// is pinned too.
fn settings(instrument: &InstrumentInfo, seed: u64) -> ComposeSettings {
    let motif = "60:0:1:80 62:1:1:80 64:2:1:90 67:3:1:90";
    RequestedSettings {
        instrument: instrument.id.clone(),
        length_seconds: [10, 20, 30][(seed % 3) as usize],
        tempo_bpm: [80, 100, 140, 120][(seed % 4) as usize],
        meter: instrument.meters[(seed / 2) as usize % instrument.meters.len()],
        energy: [3, 1, 5, 2, 4, 3, 3][(seed % 7) as usize],
        tonic: (seed % 13 < 12).then_some((seed % 13) as u8),
        mode: [None, Some(Mode::Major), Some(Mode::Minor)][(seed % 3) as usize],
        creativity: [1.0, 0.8, 1.2, 0.6, 1.4][(seed % 5) as usize],
        seed: Some(seed),
        motif: (seed % 10 == 9).then(|| motif.parse().expect("a motif")),
    }
    .validate()
    .expect("settings within the limits")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_settings_and_seed_compose_the_same_midi() {
    let device = models::DeviceChoice::Cpu.select().expect("the CPU");
    let studio = Studio::new(models_dir(), device, 4, 64);
    let instruments = studio.instruments().expect("the shipped models");
    let mut composed: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for instrument in &instruments {
        // At once, as requests come: pieces composed in one batch are the
        // same as alone.
        let pieces: Vec<_> = (0..SEEDS)
            .map(|seed| {
                let ticket = studio.admit().expect("room in the queue");
                let settings = settings(instrument, seed);
                tokio::spawn(async move {
                    let piece = ticket
                        .composer()
                        .await
                        .compose_settings(&settings)
                        .await
                        .expect("a piece");
                    hex::encode(Sha256::digest(&piece.midi))
                })
            })
            .collect();
        let mut digests = Vec::new();
        for piece in pieces {
            digests.push(piece.await.expect("the composing task"));
        }
        composed.insert(instrument.id.clone(), digests);
    }
    if std::env::var_os("MIXTAPE_UPDATE_PINNED").is_some() {
        let pinned = Pinned {
            kernels: kernels().to_owned(),
            pieces: composed,
        };
        let json = serde_json::to_string_pretty(&pinned).unwrap();
        std::fs::write(pinned_path(), json + "\n").unwrap();
        return;
    }
    let pinned: Pinned =
        serde_json::from_str(&std::fs::read_to_string(pinned_path()).unwrap()).unwrap();
    assert_eq!(
        pinned.pieces.keys().collect::<Vec<_>>(),
        composed.keys().collect::<Vec<_>>(),
        "the instruments changed"
    );
    if pinned.kernels != kernels() {
        eprintln!(
            "pinned with {} kernels, composed here with {}: the digests are not comparable",
            pinned.kernels,
            kernels()
        );
        return;
    }
    for (instrument, digests) in &pinned.pieces {
        let changed: Vec<usize> = (0..digests.len())
            .filter(|&seed| composed[instrument][seed] != digests[seed])
            .collect();
        assert!(
            changed.is_empty(),
            "{instrument}: seeds {changed:?} compose other music than pinned"
        );
    }
}
