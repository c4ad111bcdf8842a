//! The energy and meter reports of `mixtape eval`: pieces composed at each
//! energy level and in each meter the model knows, measured as the issue
//! that asked for them does (notes per beat, touch and register per level,
//! their rank correlation with the level, every level's key and ending;
//! downbeats and beats per meter against real music of that meter).

use serde::Serialize;
use vocabulary::{Energy, Meter};

use crate::compose::generate::{Composition, Generator, Settings};
use crate::music::events::{GridNote, STEPS_PER_BEAT, band_velocity};
use crate::music::key::{Key, Mode, estimate_key};
use crate::music::musicality::{
    PITCH_CLASS_ENTROPY, SCALE_CONSISTENCY, TONIC_ENDING, column, mean,
};
use crate::training::dataset::Song;
use crate::training::eval::piece_table;

/// Pieces composed at one energy level, measured.
#[derive(Debug, Clone, Serialize)]
pub struct EnergyRow {
    /// The level, 1 to 5.
    pub level: u8,
    /// Pieces composed.
    pub pieces: usize,
    /// Mean notes per beat (every note, chords' included, over the piece's length).
    pub notes_per_beat: f64,
    /// Mean MIDI velocity of the notes.
    pub velocity: f64,
    /// Mean register: semitones between a piece's 10th and 90th percentile pitch.
    pub register: f64,
    /// Share of pieces, each asked for the next of the 24 keys, heard in it.
    pub asked_key_match: f64,
    /// Share of pieces ending on the tonic.
    pub on_tonic: f64,
    /// Mean scale consistency.
    pub scale_consistency: f64,
    /// Mean pitch-class entropy, in bits.
    pub pitch_class_entropy: f64,
}

/// The energy report: a row per level and how the levels rank.
#[derive(Debug, Clone, Serialize)]
pub struct EnergyReport {
    /// One row per level, calm to lively.
    pub levels: Vec<EnergyRow>,
    /// Spearman's rank correlation of asked level and a piece's notes per beat, over every piece.
    pub spearman_notes_per_beat: f64,
    /// The same for a piece's mean velocity.
    pub spearman_velocity: f64,
}

/// Pieces in one meter, and real music in it, measured.
#[derive(Debug, Clone, Serialize)]
pub struct MeterRow {
    /// The meter.
    pub meter: Meter,
    /// Pieces composed in it.
    pub pieces: usize,
    /// Share of the pieces' bars with a note starting on the downbeat.
    pub downbeats: f64,
    /// Share of the pieces' onsets on a counted beat (dotted quarters in 6/8).
    pub on_beats: f64,
    /// Share of the pieces, asked for keys in turn, heard in the asked key.
    pub asked_key_match: f64,
    /// Files of the model's data in this meter.
    pub real_files: usize,
    /// The same shares over those files' bars and onsets.
    pub real_downbeats: f64,
    /// See `on_beats`.
    pub real_on_beats: f64,
}

/// The `i`th of the 24 keys, major first.
fn key_in_turn(i: usize) -> Key {
    Key {
        tonic: (i % 12) as u8,
        mode: Mode::ALL[(i / 12) % 2],
    }
}

/// Pieces at default settings but `edit`, one per seed, each asked for the next key.
fn compose(
    generator: &Generator,
    seeds: std::ops::Range<u64>,
    edit: impl Fn(&mut Settings),
) -> Vec<(Key, Composition)> {
    seeds
        .enumerate()
        .filter_map(|(i, seed)| {
            let key = key_in_turn(i);
            let mut settings = Settings {
                seed,
                tonic: Some(key.tonic),
                mode: Some(key.mode),
                ..Settings::default()
            };
            edit(&mut settings);
            Some((key, generator.generate(&settings).ok()?))
        })
        .collect()
}

/// Notes per beat over a piece's length, to the end of its last note.
fn notes_per_beat(notes: &[GridNote]) -> f64 {
    let end = notes
        .iter()
        .map(|n| n.onset + n.duration)
        .max()
        .unwrap_or(0);
    notes.len() as f64 / (f64::from(end) / f64::from(STEPS_PER_BEAT)).max(1.0)
}

/// Semitones between the 10th and the 90th percentile pitch.
fn register(notes: &[GridNote]) -> f64 {
    let mut pitches: Vec<u8> = notes.iter().map(|n| n.pitch).collect();
    pitches.sort_unstable();
    let at = |share: f64| {
        pitches
            .get((pitches.len() as f64 * share) as usize)
            .copied()
    };
    match (at(0.1), at(0.9)) {
        (Some(low), Some(high)) => f64::from(high - low),
        _ => 0.0,
    }
}

/// Share of `matched`.
fn share(matched: impl IntoIterator<Item = bool>) -> f64 {
    mean(matched.into_iter().map(|m| f64::from(u8::from(m))))
}

/// The energy report of `generator`: pieces at every level, one per seed of `seeds`.
pub fn energy_report(generator: &Generator, seeds: std::ops::Range<u64>) -> EnergyReport {
    let mut levels = Vec::new();
    let mut ranked: Vec<(f64, f64, f64)> = Vec::new();
    for energy in Energy::all() {
        let pieces = compose(generator, seeds.clone(), |s| s.energy = energy);
        let compositions: Vec<Composition> = pieces.iter().map(|(_, p)| p.clone()).collect();
        let table = piece_table(&compositions);
        let density: Vec<f64> = compositions
            .iter()
            .map(|p| notes_per_beat(&p.notes))
            .collect();
        let velocity: Vec<f64> = compositions
            .iter()
            .map(|p| {
                mean(
                    p.notes
                        .iter()
                        .map(|n| f64::from(band_velocity(n.velocity_band))),
                )
            })
            .collect();
        for (d, v) in density.iter().zip(&velocity) {
            ranked.push((f64::from(energy.level()), *d, *v));
        }
        levels.push(EnergyRow {
            level: energy.level(),
            pieces: pieces.len(),
            notes_per_beat: mean(density.iter().copied()),
            velocity: mean(velocity.iter().copied()),
            register: mean(compositions.iter().map(|p| register(&p.notes))),
            asked_key_match: share(
                pieces
                    .iter()
                    .map(|(k, p)| estimate_key(&p.notes) == Some(*k)),
            ),
            on_tonic: mean(column(&table, TONIC_ENDING)),
            scale_consistency: mean(column(&table, SCALE_CONSISTENCY)),
            pitch_class_entropy: mean(column(&table, PITCH_CLASS_ENTROPY)),
        });
    }
    let level: Vec<f64> = ranked.iter().map(|r| r.0).collect();
    let density: Vec<f64> = ranked.iter().map(|r| r.1).collect();
    let velocity: Vec<f64> = ranked.iter().map(|r| r.2).collect();
    EnergyReport {
        levels,
        spearman_notes_per_beat: spearman(&level, &density),
        spearman_velocity: spearman(&level, &velocity),
    }
}

/// Shares of bars with an onset on their downbeat, and of onsets on a beat,
/// over `pieces` of notes in bars of `bar_steps` and beats of `beat_steps`.
fn metric_shares<'a>(pieces: impl IntoIterator<Item = (&'a [GridNote], u32, u32)>) -> (f64, f64) {
    let (mut bars, mut downbeats, mut onsets, mut on_beats) = (0usize, 0usize, 0usize, 0usize);
    for (notes, bar_steps, beat_steps) in pieces {
        let mut starts: Vec<u32> = notes.iter().map(|n| n.onset).collect();
        starts.dedup();
        let last = starts.iter().max().copied().unwrap_or(0);
        bars += (last / bar_steps + 1) as usize;
        let mut struck: Vec<u32> = starts
            .iter()
            .filter(|&&s| s.is_multiple_of(bar_steps))
            .map(|&s| s / bar_steps)
            .collect();
        struck.dedup();
        downbeats += struck.len();
        onsets += starts.len();
        on_beats += starts
            .iter()
            .filter(|&&s| (s % bar_steps).is_multiple_of(beat_steps))
            .count();
    }
    (
        downbeats as f64 / bars.max(1) as f64,
        on_beats as f64 / onsets.max(1) as f64,
    )
}

/// The meter report of `generator`: pieces in each meter it knows, one per
/// seed of `seeds`, beside the files of `songs` in that meter.
pub fn meter_report(
    generator: &Generator,
    seeds: std::ops::Range<u64>,
    songs: &[&Song],
) -> Vec<MeterRow> {
    generator
        .model
        .config
        .known_meters()
        .into_iter()
        .map(|meter| {
            let pieces = compose(generator, seeds.clone(), |s| s.meter = meter);
            let (downbeats, on_beats) = metric_shares(
                pieces
                    .iter()
                    .map(|(_, p)| (p.notes.as_slice(), meter.bar_steps(), meter.beat_steps())),
            );
            let real: Vec<&&Song> = songs.iter().filter(|s| s.meter == meter).collect();
            let (real_downbeats, real_on_beats) = metric_shares(real.iter().map(|s| {
                let beat = s.bar_steps.min(meter.beat_steps());
                (s.notes.as_slice(), s.bar_steps, beat)
            }));
            MeterRow {
                meter,
                pieces: pieces.len(),
                downbeats,
                on_beats,
                asked_key_match: share(
                    pieces
                        .iter()
                        .map(|(k, p)| estimate_key(&p.notes) == Some(*k)),
                ),
                real_files: real.len(),
                real_downbeats,
                real_on_beats,
            }
        })
        .collect()
}

/// Ranks of `values` from 1, ties sharing their mean rank.
fn ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && values[order[end]] == values[order[start]] {
            end += 1;
        }
        let shared = (start + end + 1) as f64 / 2.0;
        for &i in &order[start..end] {
            ranks[i] = shared;
        }
        start = end;
    }
    ranks
}

/// Spearman's rank correlation, ties ranked by their mean (Pearson's
/// correlation of the ranks); 0 when either side does not vary. Written here
/// rather than taken from a statistics crate, as it is the one statistic needed.
pub fn spearman(xs: &[f64], ys: &[f64]) -> f64 {
    let (rx, ry) = (ranks(xs), ranks(ys));
    let (mx, my) = (mean(rx.iter().copied()), mean(ry.iter().copied()));
    let covariance: f64 = rx.iter().zip(&ry).map(|(x, y)| (x - mx) * (y - my)).sum();
    let spread = |r: &[f64], m: f64| r.iter().map(|v| (v - m).powi(2)).sum::<f64>().sqrt();
    let scale = spread(&rx, mx) * spread(&ry, my);
    if scale == 0.0 {
        0.0
    } else {
        covariance / scale
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spearman_ranks_with_ties() {
        assert!((spearman(&[1.0, 2.0, 3.0], &[10.0, 20.0, 30.0]) - 1.0).abs() < 1e-12);
        assert!((spearman(&[1.0, 2.0, 3.0], &[3.0, 1.0, 0.0]) + 1.0).abs() < 1e-12);
        assert_eq!(ranks(&[5.0, 1.0, 5.0, 2.0]), vec![3.5, 1.0, 3.5, 2.0]);
        // Two levels, each with two pieces that overlap: not perfect.
        let r = spearman(&[1.0, 1.0, 2.0, 2.0], &[1.0, 3.0, 2.0, 4.0]);
        assert!(r > 0.3 && r < 0.95, "{r}");
        assert_eq!(spearman(&[1.0, 1.0], &[1.0, 2.0]), 0.0);
    }

    #[test]
    fn downbeats_and_beats_are_counted_per_meter() {
        let note = |onset| GridNote {
            onset,
            pitch: 60,
            duration: 6,
            velocity_band: 4,
        };
        // A 6/8 bar struck on both dotted-quarter beats, then a bar struck
        // only on its second eighth.
        let jig = [note(0), note(6), note(18), note(42)];
        let (downbeats, on_beats) = metric_shares([(&jig[..], 36, 18)]);
        assert_eq!(downbeats, 0.5);
        assert_eq!(on_beats, 0.5);
        assert_eq!(notes_per_beat(&jig), 4.0 / 4.0);
        assert_eq!(register(&jig), 0.0);
    }
}
