//! Reading MIDI files: every feature of the format the corpora use, and every kind of bad input.

use models::music::midi::{self, MidiError};
use models::music::piece::{Parts, TimeSignature};

/// A variable-length quantity, as MIDI writes delta times.
fn vlq(mut value: u32) -> Vec<u8> {
    let mut bytes = vec![(value & 0x7f) as u8];
    value >>= 7;
    while value > 0 {
        bytes.insert(0, (value & 0x7f) as u8 | 0x80);
        value >>= 7;
    }
    bytes
}

fn chunk(id: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut out = id.to_vec();
    out.extend((body.len() as u32).to_be_bytes());
    out.extend(body);
    out
}

fn header(format: u16, tracks: u16, division: u16) -> Vec<u8> {
    let mut body = format.to_be_bytes().to_vec();
    body.extend(tracks.to_be_bytes());
    body.extend(division.to_be_bytes());
    chunk(b"MThd", &body)
}

/// A track from (delta, raw event bytes) pairs, with its end-of-track.
fn track(events: &[(u32, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (delta, bytes) in events {
        body.extend(vlq(*delta));
        body.extend(*bytes);
    }
    body.extend([0x00, 0xff, 0x2f, 0x00]);
    chunk(b"MTrk", &body)
}

fn file(format: u16, division: u16, tracks: &[Vec<u8>]) -> Vec<u8> {
    let mut out = header(format, tracks.len() as u16, division);
    for t in tracks {
        out.extend(t);
    }
    out
}

#[test]
fn merges_tracks_and_follows_tempo_on_any_track() {
    let bytes = file(
        1,
        96,
        &[
            // Conductor track: time signature only.
            track(&[(0, &[0xff, 0x58, 0x04, 0x03, 0x02, 0x18, 0x08])]),
            // Melody, with the tempo (100 BPM = 600000 us) on this track, running status,
            // and a note-on with velocity 0 as note-off.
            track(&[
                (0, &[0xff, 0x51, 0x03, 0x09, 0x27, 0xc0]),
                (0, &[0xc0, 40]),
                (0, &[0x90, 72, 100]),
                (96, &[74, 90]), // running status: another note-on
                (0, &[72, 0]),   // running status, velocity 0: off
                (48, &[74, 0]),
            ]),
            // Accompaniment on another channel, with a note-off message.
            track(&[(0, &[0x91, 48, 70]), (192, &[0x81, 48, 64])]),
        ],
    );
    let piece = midi::read(&bytes).unwrap();
    let summary: Vec<_> = piece
        .notes
        .iter()
        .map(|n| (n.onset, n.duration, n.pitch, n.velocity, n.program, n.part))
        .collect();
    // Parts are numbered among the tracks and channels that play notes: the
    // conductor track has none, so the melody is the first part.
    assert_eq!(
        summary,
        [
            (0.0, 2.0, 48, 70, 0, 1),
            (0.0, 1.0, 72, 100, 40, 0),
            (1.0, 0.5, 74, 90, 40, 0)
        ]
    );
    let solo: Vec<u8> = piece
        .clone()
        .with_parts(Parts::First)
        .notes
        .iter()
        .map(|n| n.pitch)
        .collect();
    assert_eq!(solo, [72, 74]);
    assert_eq!(piece.initial_bpm(), 100.0);
    assert_eq!(
        piece.time_signature,
        TimeSignature {
            numerator: 3,
            denominator: 4
        }
    );
}

#[test]
fn format_0_with_percussion_and_overlapping_notes_of_one_pitch() {
    let bytes = file(
        0,
        480,
        &[track(&[
            (0, &[0x99, 36, 100]), // drums: left out
            (0, &[0x90, 60, 80]),
            (240, &[0x90, 60, 90]), // same pitch again before the first is released
            (240, &[0x80, 60, 0]),  // releases the first
            (480, &[0x80, 60, 0]),  // releases the second
            (0, &[0x89, 36, 0]),
        ])],
    );
    let piece = midi::read(&bytes).unwrap();
    let summary: Vec<_> = piece
        .notes
        .iter()
        .map(|n| (n.onset, n.duration, n.pitch, n.velocity))
        .collect();
    assert_eq!(summary, [(0.0, 1.0, 60, 80), (0.5, 1.5, 60, 90)]);
    assert_eq!(piece.initial_bpm(), 120.0, "the MIDI default tempo");
}

#[test]
fn notes_never_released_end_with_their_track() {
    let bytes = file(
        1,
        100,
        &[track(&[
            (0, &[0x90, 64, 80]),
            (300, &[0xff, 0x01, 0x01, b'x']),
        ])],
    );
    let piece = midi::read(&bytes).unwrap();
    assert_eq!(piece.notes[0].duration, 3.0);
}

#[test]
fn tempo_changes_form_a_map() {
    let bytes = file(
        1,
        1,
        &[track(&[
            (0, &[0xff, 0x51, 0x03, 0x07, 0xa1, 0x20]), // 120 BPM
            (0, &[0x90, 60, 80]),
            (4, &[0xff, 0x51, 0x03, 0x0f, 0x42, 0x40]), // 60 BPM at beat 4
            (0, &[0x80, 60, 0]),
        ])],
    );
    let piece = midi::read(&bytes).unwrap();
    assert_eq!(piece.tempo_map.len(), 2);
    assert_eq!(piece.seconds_at(4.0), 2.0);
    assert_eq!(piece.seconds_at(5.0), 3.0);
}

fn error(bytes: &[u8]) -> MidiError {
    midi::read(bytes).expect_err("bad input must be an error")
}

#[test]
fn bad_input_is_an_error_never_a_panic() {
    let good = file(
        1,
        96,
        &[track(&[(0, &[0x90, 60, 80]), (96, &[0x80, 60, 0])])],
    );
    assert_eq!(error(&[]), MidiError::Empty);
    assert_eq!(error(b"RIFX garbage here"), MidiError::NotMidi);
    assert!(matches!(
        error(&good[..good.len() - 3]),
        MidiError::Truncated(_)
    ));
    assert!(matches!(error(&good[..10]), MidiError::Truncated(_)));

    // A track claiming more bytes than the file has.
    let mut long_track = good.clone();
    let at = 14 + 4;
    long_track[at..at + 4].copy_from_slice(&1_000_000u32.to_be_bytes());
    let err = error(&long_track);
    assert!(err.to_string().contains("declares 1000000 bytes"), "{err}");

    // Division 0.
    let zero_division = file(1, 0, &[track(&[(0, &[0x90, 60, 80]), (1, &[0x80, 60, 0])])]);
    assert!(matches!(error(&zero_division), MidiError::BadHeader(_)));

    // An SMPTE division with no valid frame rate (0x80 made midly overflow).
    let smpte = file(
        1,
        0x8004,
        &[track(&[(0, &[0x90, 60, 80]), (1, &[0x80, 60, 0])])],
    );
    assert!(matches!(error(&smpte), MidiError::UnsupportedTiming(_)));
    let smpte_25 = file(
        1,
        0xe728,
        &[track(&[(0, &[0x90, 60, 80]), (50, &[0x80, 60, 0])])],
    );
    // 25 frames of 40 ticks: 50 ticks are 0.05 s, read as beats at 120 BPM.
    assert_eq!(midi::read(&smpte_25).unwrap().notes[0].duration, 0.1);

    // The same in a second header chunk, which midly parses as well.
    let mut repeated = good.clone();
    repeated.extend(header(1, 1, 0x808c));
    assert!(matches!(error(&repeated), MidiError::UnsupportedTiming(_)));

    // A header announcing 65,535 tracks, with one.
    let mut absurd = header(1, 65_535, 96);
    absurd.extend(track(&[(0, &[0x90, 60, 80]), (96, &[0x80, 60, 0])]));
    assert_eq!(midi::read(&absurd).unwrap().notes.len(), 1);

    // No notes at all, or drums only.
    let empty = file(
        1,
        96,
        &[track(&[(0, &[0xff, 0x51, 0x03, 0x07, 0xa1, 0x20])])],
    );
    assert_eq!(error(&empty), MidiError::NoNotes);
    let drums = file(
        1,
        96,
        &[track(&[(0, &[0x99, 36, 80]), (96, &[0x89, 36, 0])])],
    );
    assert_eq!(error(&drums), MidiError::NoNotes);

    // Too large.
    let huge = vec![0u8; midi::MAX_FILE_BYTES + 1];
    assert!(matches!(error(&huge), MidiError::TooLarge(_)));
}

#[test]
fn random_bytes_never_panic() {
    // A fixed xorshift stream, so a failure reproduces.
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let good = file(
        1,
        96,
        &[track(&[(0, &[0x90, 60, 80]), (96, &[0x80, 60, 0])])],
    );
    for _ in 0..2000 {
        let len = (next() % 200) as usize;
        let mut bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        let _ = midi::read(&bytes);
        // And mutations of a valid file, which get past the header check.
        bytes = good.clone();
        for _ in 0..3 {
            let at = (next() as usize) % bytes.len();
            bytes[at] = next() as u8;
        }
        let _ = midi::read(&bytes);
    }
}

#[test]
fn file_errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.mid");
    std::fs::write(&path, b"MThd").unwrap();
    let err = midi::read_file(&path).unwrap_err().to_string();
    assert!(err.starts_with(&path.display().to_string()), "{err}");
    assert!(err.contains("truncated"), "{err}");

    // A 50 MB file is refused from its size, without reading it.
    let big = dir.path().join("big.mid");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(50 * 1024 * 1024)
        .unwrap();
    let err = midi::read_file(&big).unwrap_err().to_string();
    assert!(err.contains("big.mid") && err.contains("over the"), "{err}");

    let err = midi::read_file(&dir.path().join("absent.mid"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("absent.mid"), "{err}");
}
