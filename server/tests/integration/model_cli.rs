//! `mixtape train`, `eval` and `generate` as a person runs them.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn mixtape() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mixtape"));
    command.env("NO_COLOR", "1");
    command
}

fn tiny_corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/datasets/tiny")
}

fn shipped(instrument: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../models")
        .join(instrument)
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn json(output: &Output) -> serde_json::Value {
    assert!(output.status.success(), "{}", stderr(output));
    serde_json::from_slice(&output.stdout).expect("one JSON object on stdout")
}

#[test]
fn train_then_eval_then_generate() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("piano");
    let output = mixtape()
        .args([
            "train",
            "--instrument",
            "piano",
            "--epochs",
            "1",
            "--device",
            "cpu",
            "--data",
        ])
        .arg(tiny_corpus())
        .arg("--out")
        .arg(&model)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.starts_with("trained piano (default) on 3 files"),
        "{stdout}"
    );
    assert!(
        stderr(&output).contains("device selected device=CPU"),
        "the log names the device"
    );

    let report = json(
        &mixtape()
            .args([
                "eval",
                "--json",
                "--samples",
                "2",
                "--device",
                "cpu",
                "--model",
            ])
            .arg(&model)
            .arg("--data")
            .arg(tiny_corpus())
            .output()
            .unwrap(),
    );
    assert_eq!(report["files"], 4);
    assert_eq!(report["notes"], 555);
    for field in [
        "model_bits_per_note",
        "ngram_bits_per_note",
        "model_accuracy",
    ] {
        assert!(report[field].as_f64().unwrap() > 0.0, "{field}: {report}");
    }

    let piece = dir.path().join("piece.mid");
    let result = json(
        &mixtape()
            .args([
                "generate",
                "--json",
                "--seed",
                "9",
                "--seconds",
                "10",
                "--device",
                "cpu",
                "--model",
            ])
            .arg(&model)
            .arg("--out")
            .arg(&piece)
            .output()
            .unwrap(),
    );
    assert_eq!(result["seed"], 9);
    assert_eq!(result["instrument"], "piano");
    let written = models::music::midi::read_file(&piece).unwrap();
    assert_eq!(
        written.notes.len() as u64,
        result["notes"].as_u64().unwrap()
    );
}

#[test]
fn shipped_models_compose_reproducibly() {
    let dir = tempfile::tempdir().unwrap();
    let run = |name: &str| {
        let out = dir.path().join(name);
        let result = json(
            &mixtape()
                .args([
                    "generate",
                    "--json",
                    "--seed",
                    "42",
                    "--tonic",
                    "G",
                    "--tempo-bpm",
                    "90",
                    "--device",
                    "cpu",
                    "--model",
                ])
                .arg(shipped("guitar"))
                .arg("--out")
                .arg(&out)
                .output()
                .unwrap(),
        );
        (result, std::fs::read(out).unwrap())
    };
    let (first, first_bytes) = run("a.mid");
    let (_, second_bytes) = run("b.mid");
    assert_eq!(
        first_bytes, second_bytes,
        "same seed and settings, same file"
    );
    assert_eq!(first["copy_check"], true);
    assert!(first["key"].as_str().unwrap().starts_with("G "), "{first}");
    let seconds = first["seconds"].as_f64().unwrap();
    assert!((29.0..40.0).contains(&seconds), "{first}");
}

#[test]
fn a_jig_is_written_in_6_8_with_its_energy() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("jig.mid");
    let result = json(
        &mixtape()
            .args([
                "generate",
                "--json",
                "--seed",
                "3",
                "--meter",
                "6/8",
                "--energy",
                "5",
                "--tempo-bpm",
                "100",
                "--seconds",
                "20",
                "--device",
                "cpu",
                "--model",
            ])
            .arg(shipped("folk"))
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap(),
    );
    assert_eq!(
        (result["meter"].as_str(), result["energy"].as_u64()),
        (Some("6/8"), Some(5))
    );
    let piece = models::music::midi::read_file(&out).unwrap();
    let signature = piece.time_signature;
    assert_eq!((signature.numerator, signature.denominator), (6, 8));
    // 100 dotted quarters a minute are 150 quarters, which MIDI counts.
    assert!(
        (piece.initial_bpm() - 150.0).abs() < 0.01,
        "{}",
        piece.initial_bpm()
    );
    let seconds = result["seconds"].as_f64().unwrap();
    assert!((19.0..23.0).contains(&seconds), "{result}");
}

#[test]
fn a_primer_opens_the_piece_in_the_key_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    // A rising and falling C major line in quarter notes.
    let line = [60u8, 62, 64, 65, 67, 65, 64, 62, 60];
    let notes: Vec<models::Note> = line
        .iter()
        .enumerate()
        .map(|(i, &pitch)| models::Note {
            onset: i as f64,
            duration: 1.0,
            pitch,
            velocity: 90,
            program: 0,
            part: 0,
        })
        .collect();
    let primer = dir.path().join("primer.mid");
    std::fs::write(
        &primer,
        models::music::midi::write(&notes, 0, 100.0, Default::default()),
    )
    .unwrap();
    let out = dir.path().join("piece.mid");
    let result = json(
        &mixtape()
            .args([
                "generate", "--json", "--seed", "7", "--tonic", "D", "--mode", "major",
            ])
            .args(["--seconds", "20", "--device", "cpu", "--model"])
            .arg(shipped("piano"))
            .arg("--motif")
            .arg(&primer)
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap(),
    );
    assert!(
        result["key"].as_str().unwrap().starts_with("D major"),
        "{result}"
    );
    let piece = models::music::midi::read_file(&out).unwrap();
    let mut heard = piece.notes.clone();
    heard.sort_by(|a, b| a.onset.total_cmp(&b.onset).then(a.pitch.cmp(&b.pitch)));
    // The primer, moved up a tone to D major, note for note and on its beats;
    // the piece's own music starts after its last note begins.
    let opening: Vec<(u8, f64)> = heard[..line.len()]
        .iter()
        .map(|n| (n.pitch, n.onset - heard[0].onset))
        .collect();
    let moved: Vec<i32> = opening
        .iter()
        .zip(line)
        .map(|(n, p)| i32::from(n.0) - i32::from(p))
        .collect();
    assert!(
        moved
            .iter()
            .all(|&m| m == moved[0] && m.rem_euclid(12) == 2),
        "{opening:?}"
    );
    for (i, (_, onset)) in opening.iter().enumerate() {
        assert!((onset - i as f64).abs() < 0.01, "{opening:?}");
    }
    assert!(heard[line.len()].onset - heard[0].onset > 8.0);
}

fn fails(args: &[&str], model: Option<&Path>) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut command = mixtape();
    command
        .args(args)
        .arg("--out")
        .arg(dir.path().join("x.mid"));
    if let Some(model) = model {
        command.arg("--model").arg(model);
    }
    let output = command.output().unwrap();
    (output.status.code(), stderr(&output))
}

#[test]
fn bad_input_gets_one_clear_error_each() {
    let guitar = shipped("guitar");
    let (code, message) = fails(&["generate", "--tempo-bpm", "1000"], Some(&guitar));
    assert_eq!(
        (code, message.as_str()),
        (
            Some(2),
            "mixtape: tempo_bpm: must be 30 to 240 beats per minute\n"
        )
    );
    // The flag's name before it was the setting's, as scripts may still write it.
    let (code, message) = fails(&["generate", "--bpm", "1000"], Some(&guitar));
    assert_eq!(
        (code, message.as_str()),
        (
            Some(2),
            "mixtape: tempo_bpm: must be 30 to 240 beats per minute\n"
        )
    );
    let (code, message) = fails(&["generate", "--tonic", "H"], Some(&guitar));
    assert_eq!(code, Some(2));
    assert!(message.contains("unknown key \"H\""), "{message}");
    let (code, message) = fails(&["generate", "--energy", "7"], Some(&guitar));
    assert_eq!(code, Some(2));
    assert!(
        message.contains("energy must be 1 to 5, not 7"),
        "{message}"
    );
    let (code, message) = fails(&["generate", "--meter", "5/4"], Some(&guitar));
    assert_eq!(code, Some(2));
    assert!(message.contains("expected 4/4, 3/4 or 6/8"), "{message}");
    let cello = shipped("cello");
    let (code, message) = fails(
        &["generate", "--meter", "6/8", "--device", "cpu"],
        Some(&cello),
    );
    assert_eq!(code, Some(1));
    assert!(
        message.ends_with("mixtape: meter: this model composes in 4/4, not 6/8\n"),
        "{message}"
    );
    let (code, message) = fails(
        &["generate", "--device", "cpu"],
        Some(Path::new("/no/such/model")),
    );
    assert_eq!(code, Some(1));
    assert!(
        message.ends_with("no model at /no/such/model: config.json is missing\n"),
        "{message}"
    );
    let (code, message) = fails(&["train", "--instrument", "banjo", "--data", "x"], None);
    assert_eq!(code, Some(2));
    assert!(
        message.contains("unknown instrument \"banjo\""),
        "{message}"
    );
    let (code, message) = fails(
        &[
            "train",
            "--instrument",
            "piano",
            "--device",
            "cpu",
            "--data",
            "/no/such/folder",
        ],
        None,
    );
    assert_eq!(code, Some(1));
    assert!(
        message.contains("cannot read data folder /no/such/folder"),
        "{message}"
    );
    let (code, message) = fails(
        &["generate", "--device", "cpu", "--motif", "/no/such.mid"],
        Some(&guitar),
    );
    assert_eq!(code, Some(2));
    assert!(message.starts_with("mixtape: motif:"), "{message}");
}
