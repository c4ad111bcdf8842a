//! Reading, quantising, encoding, decoding and writing keep every note's pitch,
//! quantised onset and quantised duration: on random pieces and on real files.

use std::path::PathBuf;

use models::music::events::{self, Event, GridNote, MAX_DURATION, VOCAB_SIZE};
use models::music::midi;
use models::music::piece::{Note, Piece, TempoChange, TimeSignature};
use proptest::prelude::*;

fn tiny_corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/datasets/tiny")
}

/// Decoding the events, writing a MIDI file, reading it and quantising again
/// gives back exactly the grid notes.
fn assert_round_trip(grid: &[GridNote]) {
    let encoded = events::encode(grid);
    assert_eq!(events::decode(&encoded), grid, "events round trip");

    let notes: Vec<Note> = grid.iter().map(|n| n.to_note(0)).collect();
    let bytes = midi::write(&notes, 0, 97.0, TimeSignature::default());
    let reread = midi::read(&bytes).expect("MixTape's own file reads back");
    assert!((reread.initial_bpm() - 97.0).abs() < 0.01);
    let (again, _) = events::quantise(&reread);
    assert_eq!(again, grid, "MIDI round trip");
}

#[test]
fn every_tiny_corpus_file_round_trips() {
    let dir = tiny_corpus();
    let files = models::training::corpus::midi_files(&dir).unwrap_or_else(|err| {
        panic!(
            "{}: {err} (shared/ belongs beside the repository)",
            dir.display()
        )
    });
    assert_eq!(files.len(), 4, "the shared tiny corpus is in place");
    for path in files {
        let piece = midi::read_file(&path).unwrap();
        let (grid, report) = events::quantise(&piece);
        assert_eq!(
            grid.len() + report.merged,
            piece.notes.len(),
            "{}",
            path.display()
        );
        assert!(grid.len() > 50, "{}", path.display());
        assert_round_trip(&grid);
    }
}

#[test]
fn quantising_snaps_to_twelfths_and_caps() {
    let note = |onset: f64, duration: f64, pitch: u8| Note {
        onset,
        duration,
        pitch,
        velocity: 100,
        program: 0,
        part: 0,
    };
    let piece = Piece {
        notes: vec![
            note(0.0, 1.0 / 3.0, 60), // a triplet eighth: exact
            note(0.26, 0.24, 64),     // a sixteenth, played late and short
            note(0.26, 0.1, 64),      // a duplicate of the same pitch and onset
            note(1.0, 20.0, 67),      // held past the cap
            note(40.0, 0.001, 72),    // after a long pause; vanishingly short
        ],
        tempo_map: vec![TempoChange {
            beat: 0.0,
            bpm: 120.0,
        }],
        time_signature: TimeSignature::default(),
    };
    let (grid, report) = events::quantise(&piece);
    let summary: Vec<_> = grid
        .iter()
        .map(|n| (n.onset, n.pitch, n.duration))
        .collect();
    assert_eq!(
        summary,
        [
            (0, 60, 4),
            (3, 64, 3),
            (12, 67, MAX_DURATION),
            (12 + 96, 72, 1)
        ]
    );
    assert_eq!(report.merged, 1);
    assert_eq!(report.silences_shortened, 1);
    assert_eq!(report.changed, 3, "all kept notes but the exact triplet");
    assert_eq!(grid[0].velocity_band, 6);
}

#[test]
fn every_token_maps_to_one_event() {
    for token in 0..VOCAB_SIZE {
        let event = Event::from_token(token).unwrap();
        assert_eq!(event.token(), token);
    }
    assert_eq!(Event::from_token(VOCAB_SIZE), None);
}

#[test]
fn decoding_tolerates_any_sequence() {
    let notes = events::decode(&[
        Event::Duration(5), // stray
        Event::Note(60),    // no duration follows: one beat
        Event::Note(60),    // the same pitch at the same time: merged
        Event::Shift(12),
        Event::Velocity(7),
        Event::Note(62),
        Event::Duration(6),
        Event::Duration(9), // second duration: ignored
    ]);
    let summary: Vec<_> = notes
        .iter()
        .map(|n| (n.onset, n.pitch, n.duration, n.velocity_band))
        .collect();
    assert_eq!(summary, [(0, 60, 12, 4), (12, 62, 6, 7)]);
}

#[test]
fn fingerprint_ignores_key_tempo_and_velocity_but_not_the_notes() {
    let note = |onset, pitch, duration, velocity_band| GridNote {
        onset,
        pitch,
        duration,
        velocity_band,
    };
    let tune = [note(0, 60, 6, 4), note(6, 64, 6, 4), note(12, 67, 12, 4)];
    let print = events::fingerprint(&tune);
    assert!(print.starts_with("v1-") && print.len() == 35, "{print}");
    // Up a fourth, starting later, softer, listed in another order.
    let moved = [note(36, 72, 12, 1), note(24, 65, 6, 2), note(30, 69, 6, 2)];
    assert_eq!(events::fingerprint(&moved), print);
    let changed = [note(0, 60, 6, 4), note(6, 63, 6, 4), note(12, 67, 12, 4)];
    assert_ne!(events::fingerprint(&changed), print);
    let longer = [note(0, 60, 6, 4), note(6, 64, 6, 4), note(12, 67, 24, 4)];
    assert_ne!(events::fingerprint(&longer), print);
}

prop_compose! {
    fn random_note()(
        onset in 0.0f64..64.0,
        duration in 0.0f64..12.0,
        pitch in 0u8..128,
        velocity in 1u8..128,
    ) -> Note {
        Note { onset, duration, pitch, velocity, program: 0, part: 0 }
    }
}

proptest! {
    #[test]
    fn random_pieces_round_trip(notes in prop::collection::vec(random_note(), 1..200)) {
        let mut notes = notes;
        notes.sort_by(|a, b| a.onset.total_cmp(&b.onset).then(a.pitch.cmp(&b.pitch)));
        let piece = Piece {
            notes,
            tempo_map: vec![TempoChange { beat: 0.0, bpm: 120.0 }],
            time_signature: TimeSignature::default(),
        };
        let (grid, _) = events::quantise(&piece);
        assert_round_trip(&grid);
        // Quantising is idempotent: the grid is a fixed point.
        let notes: Vec<Note> = grid.iter().map(|n| n.to_note(0)).collect();
        let (again, report) = events::quantise(&Piece { notes, ..piece.clone() });
        prop_assert_eq!(again, grid);
        prop_assert_eq!(report, events::QuantiseReport::default());
    }
}
