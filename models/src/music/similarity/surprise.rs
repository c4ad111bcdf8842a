//! How surprising a line's motion is in real music: the chance of each
//! interval class after the one before, fitted on the corpora by
//! `mixtape fit-similarity` and shipped in `models/similarity.json`. A
//! match on a scale or a repeated note tells little; one on a leap out of a
//! step, much more.

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use super::grams::interval_class;
use super::lines::LineNote;

/// Interval classes: -8 (a wide leap down) to 8.
pub const CLASSES: usize = 17;

/// What a line's first two notes count, having no motion before them to be
/// surprising after: a little, so that a copy's opening still counts.
pub const OPENING_BITS: f32 = 1.0;

/// The surprise, in bits, of each interval class after each other one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Surprise {
    /// `bits[before][next]`, by class + 8.
    pub bits: Vec<Vec<f32>>,
    /// The intervals it was fitted on.
    pub intervals: u64,
}

/// The table MixTape ships.
static SHIPPED: OnceLock<Surprise> = OnceLock::new();

impl Surprise {
    /// Fits the table on `lines`, each pair of intervals counted once more
    /// than seen so that none is impossible.
    pub fn fit<'a>(lines: impl IntoIterator<Item = &'a [LineNote]>) -> Surprise {
        let mut counts = [[1u64; CLASSES]; CLASSES];
        let mut intervals = 0;
        for line in lines {
            let classes = classes(line);
            intervals += classes.len() as u64;
            for pair in classes.windows(2) {
                counts[pair[0]][pair[1]] += 1;
            }
        }
        let bits = counts
            .iter()
            .map(|row| {
                let total: u64 = row.iter().sum();
                row.iter()
                    .map(|&count| -(count as f64 / total as f64).log2() as f32)
                    .collect()
            })
            .collect();
        Surprise { bits, intervals }
    }

    /// The table in `models/similarity.json`.
    pub fn shipped() -> &'static Surprise {
        SHIPPED.get_or_init(|| {
            serde_json::from_str(include_str!("../../../similarity.json"))
                .expect("models/similarity.json is a surprise table")
        })
    }

    /// How surprising each note of `line` is, given the interval before it.
    pub fn of_line(&self, line: &[LineNote]) -> Vec<f32> {
        let classes = classes(line);
        let mut bits = vec![OPENING_BITS; line.len()];
        for (index, pair) in classes.windows(2).enumerate() {
            bits[index + 2] = self.bits[pair[0]][pair[1]];
        }
        bits
    }
}

/// Each interval of `line` as a table index.
fn classes(line: &[LineNote]) -> Vec<usize> {
    line.windows(2)
        .map(|pair| {
            let class = interval_class(i32::from(pair[1].pitch) - i32::from(pair[0].pitch));
            (i32::from(class) + 8) as usize
        })
        .collect()
}
