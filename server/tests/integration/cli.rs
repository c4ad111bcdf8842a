//! The `mixtape` binary as a person runs it.

use std::path::PathBuf;
use std::process::Command;

fn mixtape() -> Command {
    Command::new(env!("CARGO_BIN_EXE_mixtape"))
}

fn tiny_corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/datasets/tiny")
}

#[test]
fn invalid_configuration_stops_the_start_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let output = mixtape()
        .args(["--models-dir", "/no/such/models", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(
        stderr,
        "mixtape: invalid configuration: --models-dir (MIXTAPE_MODELS_DIR): /no/such/models does not exist\n"
    );
}

#[test]
fn an_unparsable_setting_is_rejected_by_name() {
    let output = mixtape()
        .env("MIXTAPE_LISTEN", "localhost")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("--listen"), "{stderr}");
}

#[test]
fn data_stats_prints_a_table_per_set() {
    let output = mixtape()
        .args(["data", "stats"])
        .arg(tiny_corpus())
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    let row = stdout
        .lines()
        .find(|l| l.starts_with("| tiny |"))
        .expect(&stdout);
    let cells: Vec<_> = row.split('|').map(str::trim).collect();
    assert_eq!(cells[2], "4", "files read: {row}");
    assert_eq!(cells[3], "0", "skipped: {row}");
    assert_eq!(cells[4], "555", "the corpus README counts 555 notes: {row}");
}

#[test]
fn data_stats_reports_skipped_files_and_missing_folders() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("empty.mid"), b"").unwrap();
    std::fs::copy(
        tiny_corpus().join("waltzes4.mid"),
        dir.path().join("waltzes4.mid"),
    )
    .unwrap();
    let output = mixtape()
        .args(["data", "stats"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(output.status.success());
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(stdout.contains("empty.mid: file is empty"), "{stdout}");

    let output = mixtape()
        .args(["data", "stats", "/no/such/corpus"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8(output.stderr)
            .unwrap()
            .starts_with("mixtape: /no/such/corpus: ")
    );
}

#[test]
fn sigterm_shuts_the_server_down_cleanly() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;

    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    std::fs::create_dir_all(&site).unwrap();
    let mut child = mixtape()
        .args(["--listen", "127.0.0.1:0", "--models-dir", "../models"])
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .arg("--site-root")
        .arg(&site)
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let listening = lines
        .by_ref()
        .map(Result::unwrap)
        .find(|line| line.contains("MixTape is listening on"))
        .expect("the server says where it listens");
    assert!(listening.contains("http://127.0.0.1:"), "{listening}");

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let rest: Vec<String> = lines.map(Result::unwrap).collect();
    assert!(
        child.wait().unwrap().success(),
        "exit status 0 after SIGTERM"
    );
    assert!(
        rest.iter().any(|l| l.contains("SIGTERM received")),
        "{rest:?}"
    );
    assert!(
        rest.iter().any(|l| l.contains("shut down cleanly")),
        "{rest:?}"
    );
}

#[test]
fn a_missing_or_corrupt_soundfont_stops_the_start_with_one_error() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    std::fs::create_dir_all(&site).unwrap();
    let corrupt = dir.path().join("corrupt.sf2");
    std::fs::write(&corrupt, b"RIFF\x04\x00\x00\x00sfbk").unwrap();
    let missing = dir.path().join("missing.sf2");
    for (soundfont, expected) in [
        (&missing, "cannot read the SoundFont"),
        (&corrupt, "is not a usable SoundFont 2 file"),
    ] {
        let output = mixtape()
            .args([
                "--listen",
                "127.0.0.1:0",
                "--models-dir",
                "../models",
                "--device",
                "cpu",
            ])
            .arg("--data-dir")
            .arg(dir.path().join("data"))
            .arg("--site-root")
            .arg(&site)
            .arg("--soundfont")
            .arg(soundfont)
            .env("MIXTAPE_LOG", "off")
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1));
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.starts_with("mixtape: cannot load the SoundFont: "),
            "{stderr}"
        );
        assert!(stderr.contains(expected), "{stderr}");
        assert!(stderr.contains(soundfont.to_str().unwrap()), "{stderr}");
    }
}
