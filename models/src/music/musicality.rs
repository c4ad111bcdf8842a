//! Musical features of pieces, and how close generated pieces come to real
//! music on them: the musicality report of `mixtape eval`.
//!
//! Each feature is a number per piece; a set of pieces gives a distribution
//! per feature, and two sets are compared by the overlapping area of their
//! Gaussian kernel density estimates (1 when the distributions coincide, 0
//! when they are apart). Bits per note say how well a network predicts real
//! music; these say whether what it composes sounds like it.

use serde::{Deserialize, Serialize};

use crate::music::events::{GridNote, STEPS_PER_BEAT};
use crate::music::key::{Key, KeyProfile, Mode, estimate_key, pitch_class_weights};

/// The features, in the order of [`features`]' values.
pub const FEATURES: [&str; 15] = [
    "pitch count",
    "pitch range",
    "pitch-class entropy (bits)",
    "top-line interval (semitones)",
    "inter-onset interval (beats)",
    "duration (beats)",
    "distinct durations",
    "notes per beat",
    "polyphony (notes per onset)",
    "scale consistency",
    "notes of 1/8 beat or more",
    "repeated top-line pitches",
    "longest repeated top-line pitch",
    "bar repetition",
    "tonic ending",
];

/// Index of scale consistency in [`FEATURES`].
pub const SCALE_CONSISTENCY: usize = 9;
/// Index of pitch-class entropy in [`FEATURES`].
pub const PITCH_CLASS_ENTROPY: usize = 2;
/// Index of the top line's mean interval in [`FEATURES`].
pub const TOP_LINE_INTERVAL: usize = 3;
/// Index of the share of repeated top-line pitches in [`FEATURES`].
pub const REPEATED_TOP_LINE: usize = 11;
/// Index of polyphony in [`FEATURES`].
pub const POLYPHONY: usize = 8;
/// Index of bar repetition in [`FEATURES`].
pub const BAR_REPETITION: usize = 13;
/// Index of the tonic ending in [`FEATURES`].
pub const TONIC_ENDING: usize = 14;

/// What the sampler keeps of a model's training music beyond what the network
/// learnt (see [`crate::compose::generate`]): measured on training excerpts, stored in
/// the model's config by `train` and `calibrate`.
///
/// A piece follows one excerpt's figures, drawn by its seed, rather than the
/// corpus's means: real pieces differ from one another, and pieces held to a
/// mean would all sound alike.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Style {
    /// The training excerpts' figures.
    pub excerpts: Vec<ExcerptStyle>,
}

/// One training excerpt's figures that a composed piece may follow.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ExcerptStyle {
    /// Its key profile: the pitch balance.
    pub profile: KeyProfile,
    /// Its share of top-line notes that repeat the pitch before
    /// ([`FEATURES`]' "repeated top-line pitches"), to thousandths.
    pub top_line_repeats: f32,
    /// How much its bars restate earlier ones ([`FEATURES`]' "bar
    /// repetition"), to thousandths.
    pub bar_repetition: f32,
    /// Its notes per onset ([`FEATURES`]' "polyphony"), to thousandths.
    pub polyphony: f32,
    /// Its top line's mean interval in semitones ([`FEATURES`]' "top-line
    /// interval"), to thousandths; absent from a style measured before it
    /// was kept (`calibrate` adds it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_line_interval: Option<f32>,
}

impl Style {
    /// The style of `excerpts`, each with its bar length in steps.
    pub fn measure<'a>(excerpts: impl IntoIterator<Item = (&'a [GridNote], u32)>) -> Style {
        let excerpts = excerpts
            .into_iter()
            .filter_map(|(notes, bar_steps)| {
                let values = features(notes, bar_steps);
                let thousandths = |x: f64| ((x * 1000.0).round() / 1000.0) as f32;
                Some(ExcerptStyle {
                    profile: KeyProfile::of(notes)?,
                    top_line_repeats: thousandths(values[REPEATED_TOP_LINE]),
                    bar_repetition: thousandths(values[BAR_REPETITION]),
                    polyphony: thousandths(values[POLYPHONY]),
                    top_line_interval: Some(thousandths(values[TOP_LINE_INTERVAL])),
                })
            })
            .collect();
        Style { excerpts }
    }
}

/// The highest pitch at each onset, in time order.
fn top_line(notes: &[GridNote]) -> Vec<u8> {
    let mut sorted: Vec<&GridNote> = notes.iter().collect();
    sorted.sort_by_key(|n| (n.onset, n.pitch));
    let mut line: Vec<(u32, u8)> = Vec::new();
    for note in sorted {
        match line.last_mut() {
            Some((onset, pitch)) if *onset == note.onset => *pitch = (*pitch).max(note.pitch),
            _ => line.push((note.onset, note.pitch)),
        }
    }
    line.into_iter().map(|(_, pitch)| pitch).collect()
}

/// Share of notes inside the best-fitting major or natural-minor scale.
pub fn scale_consistency(notes: &[GridNote]) -> f64 {
    const MAJOR: [u8; 7] = [0, 2, 4, 5, 7, 9, 11];
    if notes.is_empty() {
        return 0.0;
    }
    let mut counts = [0usize; 12];
    for note in notes {
        counts[usize::from(note.pitch % 12)] += 1;
    }
    // Every natural minor is the major scale of its relative major, so the
    // twelve major scales cover both modes.
    let best = (0..12)
        .map(|tonic| {
            MAJOR
                .iter()
                .map(|d| counts[(tonic + usize::from(*d)) % 12])
                .sum::<usize>()
        })
        .max()
        .unwrap_or(0);
    best as f64 / notes.len() as f64
}

/// Entropy in bits of the duration-weighted pitch-class histogram.
pub fn pitch_class_entropy(notes: &[GridNote]) -> f64 {
    let weights = pitch_class_weights(notes);
    let total: f64 = weights.iter().sum();
    if total == 0.0 {
        return 0.0;
    }
    weights
        .iter()
        .filter(|&&w| w > 0.0)
        .map(|&w| -(w / total) * (w / total).log2())
        .sum()
}

/// Whether the lowest note of the last onset is the tonic of the piece's key.
pub fn ends_on_tonic(notes: &[GridNote], key: Option<Key>) -> bool {
    let Some(key) = key.or_else(|| estimate_key(notes)) else {
        return false;
    };
    let last = notes.iter().map(|n| n.onset).max();
    notes
        .iter()
        .filter(|n| Some(n.onset) == last)
        .map(|n| n.pitch)
        .min()
        .is_some_and(|bass| bass % 12 == key.tonic)
}

/// The mean, over bars from the third on, of the Jaccard similarity of the
/// bar's set of (position in the bar, pitch class) with the most similar bar
/// at least two bars earlier: how much material comes back.
pub fn bar_repetition(notes: &[GridNote], bar_steps: u32) -> f64 {
    let sets = bar_sets(notes, bar_steps);
    let scores: Vec<f64> = (2..sets.len())
        .filter_map(|bar| restatement(&sets, bar))
        .collect();
    if scores.is_empty() {
        0.0
    } else {
        scores.iter().sum::<f64>() / scores.len() as f64
    }
}

/// Each bar's set of (onset in the bar, pitch class), sorted, for bars of
/// `bar_steps` from step 0 to the last onset.
pub(crate) fn bar_sets(notes: &[GridNote], bar_steps: u32) -> Vec<Vec<(u32, u8)>> {
    let bar_steps = bar_steps.max(1);
    let bars = notes
        .iter()
        .map(|n| n.onset / bar_steps)
        .max()
        .map_or(0, |b| b + 1) as usize;
    let mut sets: Vec<Vec<(u32, u8)>> = vec![Vec::new(); bars];
    for note in notes {
        sets[(note.onset / bar_steps) as usize].push((note.onset % bar_steps, note.pitch % 12));
    }
    for set in &mut sets {
        set.sort_unstable();
        set.dedup();
    }
    sets
}

/// How much bar `bar` restates earlier material: the Jaccard similarity of
/// its set with the most similar set at least two bars earlier; `None` for
/// an empty bar or one of the first two.
pub(crate) fn restatement(sets: &[Vec<(u32, u8)>], bar: usize) -> Option<f64> {
    let jaccard = |a: &[(u32, u8)], b: &[(u32, u8)]| {
        let common = a.iter().filter(|x| b.binary_search(x).is_ok()).count();
        let union = a.len() + b.len() - common;
        if union == 0 {
            0.0
        } else {
            common as f64 / union as f64
        }
    };
    let set = sets.get(bar).filter(|set| bar >= 2 && !set.is_empty())?;
    Some(
        sets[..=bar - 2]
            .iter()
            .map(|earlier| jaccard(set, earlier))
            .fold(0.0, f64::max),
    )
}

/// The features of one piece (see [`FEATURES`]); its bars are `bar_steps` long.
pub fn features(notes: &[GridNote], bar_steps: u32) -> [f64; 15] {
    let mut values = [0.0; 15];
    if notes.is_empty() {
        return values;
    }
    let beats = |steps: f64| steps / f64::from(STEPS_PER_BEAT);
    let count = notes.len() as f64;
    let mut pitches: Vec<u8> = notes.iter().map(|n| n.pitch).collect();
    pitches.sort_unstable();
    pitches.dedup();
    let mut onsets: Vec<u32> = notes.iter().map(|n| n.onset).collect();
    onsets.sort_unstable();
    onsets.dedup();
    let mut durations: Vec<u32> = notes.iter().map(|n| n.duration).collect();
    durations.sort_unstable();
    durations.dedup();
    let start = onsets[0];
    let end = notes
        .iter()
        .map(|n| n.onset + n.duration)
        .max()
        .unwrap_or(start);
    let line = top_line(notes);
    let steps: Vec<i32> = line
        .windows(2)
        .map(|w| i32::from(w[1]) - i32::from(w[0]))
        .collect();
    let mut longest = 1;
    let mut run = 1;
    for step in &steps {
        run = if *step == 0 { run + 1 } else { 1 };
        longest = longest.max(run);
    }
    values[0] = pitches.len() as f64;
    values[1] = f64::from(pitches[pitches.len() - 1] - pitches[0]);
    values[2] = pitch_class_entropy(notes);
    values[TOP_LINE_INTERVAL] = mean(steps.iter().map(|s| f64::from(s.abs())));
    values[4] = mean(onsets.windows(2).map(|w| beats(f64::from(w[1] - w[0]))));
    values[5] = mean(notes.iter().map(|n| beats(f64::from(n.duration))));
    values[6] = durations.len() as f64;
    values[7] = count / beats(f64::from((end - start).max(1)));
    values[POLYPHONY] = count / onsets.len() as f64;
    values[9] = scale_consistency(notes);
    // 1/8 beat is 1.5 grid steps: notes of two steps or more.
    values[10] = notes.iter().filter(|n| n.duration >= 2).count() as f64 / count;
    values[REPEATED_TOP_LINE] = if steps.is_empty() {
        0.0
    } else {
        steps.iter().filter(|&&s| s == 0).count() as f64 / steps.len() as f64
    };
    values[12] = f64::from(longest);
    values[BAR_REPETITION] = bar_repetition(notes, bar_steps);
    values[14] = if ends_on_tonic(notes, None) { 1.0 } else { 0.0 };
    values
}

/// The closing bars of a song: its last `steps` (whole bars) up to the bar
/// after its last onset, moved to start at 0.
///
/// A composed piece ends where a real piece ends, so how it ends is compared
/// with real closings rather than with excerpts cut mid-piece.
pub fn closing(notes: &[GridNote], bar_steps: u32, steps: u32) -> Vec<GridNote> {
    let bar_steps = bar_steps.max(1);
    let Some(last) = notes.iter().map(|n| n.onset).max() else {
        return Vec::new();
    };
    let end = (last / bar_steps + 1) * bar_steps;
    let start = end.saturating_sub(steps.div_ceil(bar_steps) * bar_steps);
    notes
        .iter()
        .filter(|n| n.onset >= start)
        .map(|n| GridNote {
            onset: n.onset - start,
            ..*n
        })
        .collect()
}

/// Cuts a song into up to `most` consecutive excerpts of `steps` steps, each
/// starting on a bar line and moved to start at 0; a note is cut where its
/// excerpt ends. Excerpts with fewer than two notes are left out.
pub fn excerpts(notes: &[GridNote], bar_steps: u32, steps: u32, most: usize) -> Vec<Vec<GridNote>> {
    let bar_steps = bar_steps.max(1);
    let length = steps.div_ceil(bar_steps) * bar_steps;
    let end = notes.iter().map(|n| n.onset).max().unwrap_or(0);
    let mut out = Vec::new();
    let mut start = 0;
    while start <= end && out.len() < most {
        let excerpt: Vec<GridNote> = notes
            .iter()
            .filter(|n| n.onset >= start && n.onset < start + steps)
            .map(|n| GridNote {
                onset: n.onset - start,
                duration: n.duration.min(start + steps - n.onset),
                ..*n
            })
            .collect();
        if excerpt.len() >= 2 {
            out.push(excerpt);
        }
        start += length;
    }
    out
}

/// Silverman's rule-of-thumb bandwidth; `None` for a sample without spread.
fn bandwidth(sample: &[f64]) -> Option<f64> {
    let n = sample.len() as f64;
    if sample.len() < 2 {
        return None;
    }
    let mean = sample.iter().sum::<f64>() / n;
    let sd = (sample.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    let mut sorted = sample.to_vec();
    sorted.sort_by(f64::total_cmp);
    let quantile = |q: f64| sorted[((n - 1.0) * q).round() as usize];
    let iqr = (quantile(0.75) - quantile(0.25)) / 1.34;
    let spread = if iqr > 0.0 { sd.min(iqr) } else { sd };
    (spread > 0.0).then(|| 0.9 * spread * n.powf(-0.2))
}

/// Points at which densities are evaluated.
const POINTS: usize = 1024;

/// The Gaussian kernel density estimates of samples on one common grid:
/// the grid's points, then each sample's densities.
pub fn densities(samples: &[&[f64]]) -> (Vec<f64>, Vec<Vec<f64>>) {
    let all = samples.iter().flat_map(|s| s.iter().copied());
    let (low, high) = all.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
        (lo.min(x), hi.max(x))
    });
    if !low.is_finite() {
        return (Vec::new(), vec![Vec::new(); samples.len()]);
    }
    // A sample without spread is a narrow bump: a hundredth of the joint
    // range (or of the value) wide, so that equal constants overlap fully.
    let floor = ((high - low) / 100.0).max(1e-3 * high.abs().max(1.0));
    let widths: Vec<f64> = samples
        .iter()
        .map(|s| bandwidth(s).unwrap_or(floor).max(floor))
        .collect();
    let margin = 4.0 * widths.iter().copied().fold(0.0, f64::max);
    let (from, to) = (low - margin, high + margin);
    let dx = (to - from) / (POINTS - 1) as f64;
    let grid: Vec<f64> = (0..POINTS).map(|i| from + i as f64 * dx).collect();
    let curves = samples
        .iter()
        .zip(&widths)
        .map(|(sample, &h)| {
            let norm = 1.0 / (sample.len().max(1) as f64 * h * (2.0 * std::f64::consts::PI).sqrt());
            grid.iter()
                .map(|x| {
                    norm * sample
                        .iter()
                        .map(|s| (-0.5 * ((x - s) / h).powi(2)).exp())
                        .sum::<f64>()
                })
                .collect()
        })
        .collect();
    (grid, curves)
}

/// The overlapping area of the Gaussian kernel density estimates of two
/// samples, from 0 (apart) to 1 (the same distribution).
pub fn overlap(a: &[f64], b: &[f64]) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let (grid, curves) = densities(&[a, b]);
    let dx = grid[1] - grid[0];
    curves[0]
        .iter()
        .zip(&curves[1])
        .map(|(x, y)| x.min(*y) * dx)
        .sum::<f64>()
        .min(1.0)
}

/// The overlapping area of two samples of feature `feature`: of their
/// kernel density estimates, but for the tonic ending, a yes or no, whose
/// distributions are two shares (a kernel's width, fitted to the spread of
/// zeros and ones, would smear a share over values no piece can have).
fn feature_overlap(feature: usize, a: &[f64], b: &[f64]) -> f64 {
    if feature != TONIC_ENDING {
        return overlap(a, b);
    }
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let (p, q) = (mean(a.iter().copied()), mean(b.iter().copied()));
    p.min(q) + (1.0 - p).min(1.0 - q)
}

/// Features of several pieces, one row of [`FEATURES`] per piece.
pub fn feature_table<'a>(
    pieces: impl IntoIterator<Item = (&'a [GridNote], u32)>,
) -> Vec<[f64; 15]> {
    pieces
        .into_iter()
        .map(|(notes, bar_steps)| features(notes, bar_steps))
        .collect()
}

/// One column of a feature table.
pub fn column(table: &[[f64; 15]], feature: usize) -> Vec<f64> {
    table.iter().map(|row| row[feature]).collect()
}

/// The mean of some values; 0 for none.
pub(crate) fn mean(values: impl IntoIterator<Item = f64>) -> f64 {
    let (sum, count) = values
        .into_iter()
        .fold((0.0, 0usize), |(s, c), v| (s + v, c + 1));
    sum / count.max(1) as f64
}

/// One feature: generated against real held-out music, and, as the ceiling,
/// real held-out against real training music.
#[derive(Debug, Clone, Serialize)]
pub struct FeatureRow {
    /// The feature's name.
    pub feature: &'static str,
    /// Its mean over the generated pieces.
    pub generated: f64,
    /// Its mean over the held-out excerpts.
    pub real: f64,
    /// Its mean over the training excerpts.
    pub training: f64,
    /// Overlapping area, generated vs held-out.
    pub overlap: f64,
    /// Overlapping area, held-out vs training.
    pub ceiling: f64,
}

/// Compares three feature tables feature by feature.
pub fn compare(
    generated: &[[f64; 15]],
    real: &[[f64; 15]],
    training: &[[f64; 15]],
) -> Vec<FeatureRow> {
    FEATURES
        .iter()
        .enumerate()
        .map(|(i, &feature)| {
            let (g, r, t) = (column(generated, i), column(real, i), column(training, i));
            FeatureRow {
                feature,
                generated: mean(g.iter().copied()),
                real: mean(r.iter().copied()),
                training: mean(t.iter().copied()),
                overlap: feature_overlap(i, &g, &r),
                ceiling: feature_overlap(i, &r, &t),
            }
        })
        .collect()
}

/// Share of each of the 24 keys (`[mode index][tonic]`) among pieces.
pub fn key_shares(keys: impl IntoIterator<Item = Key>) -> [[f64; 12]; 2] {
    let mut counts = [[0.0; 12]; 2];
    let mut total = 0.0;
    for key in keys {
        counts[usize::from(key.mode.index())][usize::from(key.tonic % 12)] += 1.0;
        total += 1.0;
    }
    if total > 0.0 {
        for row in &mut counts {
            row.iter_mut().for_each(|c| *c /= total);
        }
    }
    counts
}

/// How much two key distributions share: the sum over keys of the smaller share.
pub fn key_overlap(a: &[[f64; 12]; 2], b: &[[f64; 12]; 2]) -> f64 {
    Mode::ALL
        .iter()
        .map(|m| usize::from(m.index()))
        .flat_map(|m| (0..12).map(move |t| (m, t)))
        .map(|(m, t)| a[m][t].min(b[m][t]))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(onset: u32, pitch: u8, duration: u32) -> GridNote {
        GridNote {
            onset,
            pitch,
            duration,
            velocity_band: 4,
        }
    }

    #[test]
    fn a_c_major_scale_and_its_features() {
        // C D E F G A B C, a beat each, then a held C major chord.
        let mut notes: Vec<GridNote> = [60, 62, 64, 65, 67, 69, 71, 72]
            .iter()
            .enumerate()
            .map(|(i, &p)| note(i as u32 * 12, p, 12))
            .collect();
        notes.extend([48, 64, 67].map(|p| note(96, p, 48)));
        let f = features(&notes, 48);
        assert_eq!(f[0], 9.0); // 60 to 72 and 48; 64 and 67 come again
        assert_eq!(f[1], 24.0);
        assert_eq!(f[SCALE_CONSISTENCY], 1.0);
        assert!((f[4] - 1.0).abs() < 1e-9, "one beat between onsets");
        assert_eq!(f[8], 11.0 / 9.0);
        assert_eq!(f[11], 0.0);
        assert_eq!(f[12], 1.0);
        assert_eq!(f[TONIC_ENDING], 1.0);
        // A chromatic run is not in any one scale; all twelve classes evenly: log2(12).
        let chromatic: Vec<GridNote> = (0..12).map(|i| note(i * 12, 60 + i as u8, 12)).collect();
        assert!((scale_consistency(&chromatic) - 7.0 / 12.0).abs() < 1e-9);
        assert!((pitch_class_entropy(&chromatic) - 12f64.log2()).abs() < 1e-9);
        // Ending on the dominant is not ending on the tonic.
        let half_cadence = &notes[..7];
        assert!(!ends_on_tonic(
            half_cadence,
            Some(Key {
                tonic: 0,
                mode: Mode::Major
            })
        ));
    }

    #[test]
    fn bar_repetition_finds_material_that_comes_back() {
        let bar = |start: u32, pitches: [u8; 4]| -> Vec<GridNote> {
            pitches
                .iter()
                .enumerate()
                .map(|(i, &p)| note(start + i as u32 * 12, p, 12))
                .collect()
        };
        let mut repeated = bar(0, [60, 62, 64, 65]);
        repeated.extend(bar(48, [67, 69, 71, 72]));
        repeated.extend(bar(96, [60, 62, 64, 65]));
        repeated.extend(bar(144, [67, 69, 71, 72]));
        assert_eq!(bar_repetition(&repeated, 48), 1.0);
        let mut wandering = bar(0, [60, 62, 64, 65]);
        wandering.extend(bar(48, [67, 69, 71, 72]));
        wandering.extend(bar(96, [61, 63, 66, 68]));
        wandering.extend(bar(144, [70, 61, 63, 66]));
        assert_eq!(bar_repetition(&wandering, 48), 0.0);
    }

    #[test]
    fn overlap_is_one_for_the_same_sample_and_small_for_distant_ones() {
        let a: Vec<f64> = (0..50).map(|i| f64::from(i) / 10.0).collect();
        assert!((overlap(&a, &a) - 1.0).abs() < 0.01);
        let far: Vec<f64> = a.iter().map(|x| x + 100.0).collect();
        assert!(overlap(&a, &far) < 0.01);
        let shifted: Vec<f64> = a.iter().map(|x| x + 2.5).collect();
        let half = overlap(&a, &shifted);
        assert!((0.3..0.7).contains(&half), "{half}");
        // Constants: equal ones overlap, different ones do not.
        assert!(overlap(&[1.0; 5], &[1.0; 8]) > 0.99);
        assert!(overlap(&[1.0; 5], &[0.0; 8]) < 0.01);
    }

    #[test]
    fn endings_overlap_as_shares() {
        // All pieces on the tonic against three real pieces in four: the
        // shares overlap by three quarters, not by a kernel's sliver.
        let real = [1.0, 1.0, 1.0, 0.0].repeat(10);
        let ending = feature_overlap(TONIC_ENDING, &[1.0; 30], &real);
        assert!((ending - 0.75).abs() < 1e-9, "{ending}");
        assert!(overlap(&[1.0; 30], &real) < 0.5);
        assert!((feature_overlap(TONIC_ENDING, &real, &real) - 1.0).abs() < 1e-9);
    }

    #[test]
    fn the_closing_is_the_last_bars_up_to_the_bar_after_the_last_onset() {
        // Notes on bars 0 to 4 of 48 steps; the last onset in bar 4.
        let notes: Vec<GridNote> = (0..10).map(|i| note(i * 24, 60 + i as u8, 24)).collect();
        let last = closing(&notes, 48, 96);
        // Bars 3 and 4: onsets 144 to 216, moved to start at 0.
        assert_eq!(
            last.iter().map(|n| (n.onset, n.pitch)).collect::<Vec<_>>(),
            vec![(0, 66), (24, 67), (48, 68), (72, 69)]
        );
        // A length beyond the song keeps it all.
        assert_eq!(closing(&notes, 48, 1000).len(), 10);
        assert!(closing(&[], 48, 96).is_empty());
    }

    #[test]
    fn excerpts_start_on_bar_lines_and_cut_notes_at_their_end() {
        let notes: Vec<GridNote> = (0..40).map(|i| note(i * 12, 60, 30)).collect();
        let cut = excerpts(&notes, 48, 100, 10);
        // 100 steps round up to three bars (144) between starts.
        assert_eq!(cut.len(), 4);
        assert_eq!(cut[1][0].onset, 0);
        assert!(cut.iter().flatten().all(|n| n.onset + n.duration <= 100));
        assert_eq!(excerpts(&notes, 48, 100, 2).len(), 2);
    }
}
