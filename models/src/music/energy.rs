//! Energy as the network learns it: each bar's notes per beat, in five
//! classes, given to the network with every event (as REMI-style attribute
//! controls give a bar's density), so that asking for a level asks for bars
//! like the training bars of that class.
//!
//! The classes are centred on the 10th and 90th percentiles of the training
//! bars' densities and three steps evenly spaced between them on a log scale
//! (density is a rate: eighths to sixteenths is one step as quarters to
//! eighths is). Quintiles were the first idea, but densities are counts over
//! a few beats, so a fifth of a corpus often shares one value (eight eighths)
//! and two quintiles fell on it: two levels with the same music.
//!
//! Level 3 does not ask for one class in every bar: real music moves between
//! them, and a piece held in the middle class is flatter than real excerpts
//! (the chorale's feature overlap fell from 0.83 to 0.72 of the ceiling). Its
//! bars' classes are drawn from how the training music's bar classes follow
//! one another (a Markov chain, `transitions`). The other levels hold their
//! own class in every bar: the chain tilted towards a level's class (each
//! class's chance times e^(t x (class - 2) x (level - 3)), t = 1.5 and 2.5)
//! merged levels 1 with 2 and 4 with 5 on the chorale (2.62 and 2.73, 4.51
//! and 4.62 notes per beat at t = 1.5), since its bars lean to the lively classes.

use burn::config::Config;
use vocabulary::{Energy, STEPS_PER_BEAT};

use crate::music::events::{Event, GridNote, VELOCITY_BANDS};
use crate::rng::Rng;

/// Notes per beat in each bar of `notes` (bars of `bar_steps`, the first
/// starting at step 0), up to the bar of the last onset.
pub fn bar_densities(notes: &[GridNote], bar_steps: u32) -> Vec<f32> {
    let bars = notes
        .iter()
        .map(|n| n.onset / bar_steps + 1)
        .max()
        .unwrap_or(0);
    let mut counts = vec![0u32; bars as usize];
    for note in notes {
        counts[(note.onset / bar_steps) as usize] += 1;
    }
    let beats = bar_steps as f32 / STEPS_PER_BEAT as f32;
    counts.into_iter().map(|c| c as f32 / beats).collect()
}

/// The bar that the time after each of `tokens` falls in.
pub fn bars_after(tokens: &[u16], bar_steps: u32) -> Vec<u32> {
    let mut time = 0;
    tokens
        .iter()
        .map(|&token| {
            if let Some(Event::Shift(n)) = Event::from_token(usize::from(token)) {
                time += u32::from(n);
            }
            time / bar_steps
        })
        .collect()
}

/// How a model maps energy to music: the cuts between its density classes,
/// and the stated mapping from level to touch for music of one velocity.
#[derive(Config, Debug, PartialEq)]
pub struct EnergyConfig {
    /// Notes per beat at the four cuts between the five classes (see the module).
    pub cuts: Vec<f32>,
    /// Velocity bands (16 MIDI velocities each) added to every note per level
    /// above 3, taken away per level below: the corpora are mostly score
    /// encodings of one velocity, so touch follows the level by this mapping
    /// rather than by what the network learnt (a band of 72 plays 40 at
    /// level 1 and 104 at level 5).
    #[config(default = 1)]
    pub band_step: u8,
    /// How often a bar of each class follows a bar of each class in the
    /// training music (row: the earlier bar's class), with one added to each:
    /// how level 3's bars move between classes. `None` keeps every bar of
    /// every level in its own class.
    #[config(default = "None")]
    pub transitions: Option<Vec<Vec<f64>>>,
}

/// The bar classes of pieces at one level: the tilted chain to draw them from.
#[derive(Debug, Clone)]
pub struct ClassChain {
    /// Per earlier class, the weight of each next one; `None`: the level's class always.
    rows: Option<Vec<Vec<f64>>>,
    /// The level's own class.
    own: u8,
}

impl ClassChain {
    /// The class of a piece's first bar: drawn in proportion to how often
    /// each class follows another in the training music.
    pub fn first(&self, rng: &mut Rng) -> u8 {
        match &self.rows {
            Some(rows) => {
                let mut shares = vec![0.0; rows.len()];
                for row in rows {
                    for (share, weight) in shares.iter_mut().zip(row) {
                        *share += weight;
                    }
                }
                draw(&shares, rng)
            }
            None => self.own,
        }
    }

    /// The class of the bar after a bar of class `previous`.
    pub fn next(&self, previous: u8, rng: &mut Rng) -> u8 {
        match &self.rows {
            Some(rows) => rows
                .get(usize::from(previous))
                .map_or(self.own, |row| draw(row, rng)),
            None => self.own,
        }
    }
}

/// An index drawn in proportion to `weights`.
fn draw(weights: &[f64], rng: &mut Rng) -> u8 {
    let total: f64 = weights.iter().sum();
    let mut left = rng.next_f64() * total;
    for (class, weight) in weights.iter().enumerate() {
        if left < *weight {
            // At most five classes, so it fits.
            return class as u8;
        }
        left -= weight;
    }
    (weights.len() - 1) as u8
}

impl EnergyConfig {
    /// Cuts for the bars of `densities` (see the module); empty bars count
    /// as calm and do not move the cuts.
    pub fn fit(densities: impl IntoIterator<Item = f32>) -> EnergyConfig {
        let mut sorted: Vec<f32> = densities.into_iter().filter(|&d| d > 0.0).collect();
        sorted.sort_by(f32::total_cmp);
        let at = |share: f64| {
            let i = ((sorted.len() as f64 * share) as usize).min(sorted.len().saturating_sub(1));
            f64::from(sorted.get(i).copied().unwrap_or(1.0))
        };
        let (calm, lively) = (at(0.1), at(0.9));
        // A corpus of one density still gets classes: half and twice it.
        let (calm, lively) = if lively > calm {
            (calm, lively)
        } else {
            (calm / 2.0, calm * 2.0)
        };
        let steps = (Energy::LEVELS - 1) as f64;
        let cuts = (1..Energy::LEVELS)
            .map(|k| (calm * (lively / calm).powf((k as f64 - 0.5) / steps)) as f32)
            .collect();
        EnergyConfig::new(cuts)
    }

    /// The class (0 to 4, the row of [`Energy::index`]) of a bar of this
    /// density: how many cuts it reaches.
    pub fn class(&self, density: f32) -> u8 {
        // At most four cuts, so it fits.
        self.cuts.iter().filter(|&&cut| density >= cut).count() as u8
    }

    /// The classes of a song's tokens: the class of the bar the time after each falls in.
    pub fn classes(&self, tokens: &[u16], densities: &[f32], bar_steps: u32) -> Vec<u8> {
        bars_after(tokens, bar_steps)
            .into_iter()
            .map(|bar| self.class(densities.get(bar as usize).copied().unwrap_or(0.0)))
            .collect()
    }

    /// A note's velocity band at `energy`: moved by [`EnergyConfig::band_step`]
    /// per level from the middle, kept within the bands.
    pub fn band(&self, band: u8, energy: Energy) -> u8 {
        let offset = (i32::from(energy.level()) - i32::from(Energy::MIDDLE.level()))
            * i32::from(self.band_step);
        // Within 0..VELOCITY_BANDS (8), so it fits.
        (i32::from(band) + offset).clamp(0, i32::from(VELOCITY_BANDS) - 1) as u8
    }

    /// These cuts with the transitions between the classes of consecutive
    /// bars of `songs` (each the densities of its bars, in order).
    pub fn measure_transitions<'a>(
        self,
        songs: impl IntoIterator<Item = &'a [f32]>,
    ) -> EnergyConfig {
        let mut counts = vec![vec![1.0; Energy::LEVELS]; Energy::LEVELS];
        for densities in songs {
            for pair in densities.windows(2) {
                let (from, to) = (self.class(pair[0]), self.class(pair[1]));
                counts[usize::from(from)][usize::from(to)] += 1.0;
            }
        }
        EnergyConfig {
            transitions: Some(counts),
            ..self
        }
    }

    /// The chain that draws the bar classes of pieces at `energy` (see the module).
    pub fn chain(&self, energy: Energy) -> ClassChain {
        ClassChain {
            rows: self
                .transitions
                .clone()
                .filter(|_| energy == Energy::MIDDLE),
            own: energy.index(),
        }
    }

    /// Whether the cuts can work: four of them, rising.
    pub fn check(&self) -> Result<(), String> {
        if self.cuts.len() != Energy::LEVELS - 1 {
            return Err(format!(
                "energy.cuts needs {} cuts, not {}",
                Energy::LEVELS - 1,
                self.cuts.len()
            ));
        }
        if self.cuts.windows(2).any(|w| w[0] > w[1]) || self.cuts.iter().any(|c| !c.is_finite()) {
            return Err(format!("energy.cuts must rise: {:?}", self.cuts));
        }
        let usable = |row: &Vec<f64>| {
            row.len() == Energy::LEVELS
                && row.iter().all(|w| w.is_finite() && *w >= 0.0)
                && row.iter().sum::<f64>() > 0.0
        };
        let square = |rows: &Vec<Vec<f64>>| rows.len() == Energy::LEVELS && rows.iter().all(usable);
        if self.transitions.as_ref().is_some_and(|rows| !square(rows)) {
            return Err(
                "energy.transitions must be 5 rows of 5 weights, each row above 0".to_owned(),
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(onset: u32) -> GridNote {
        GridNote {
            onset,
            pitch: 60,
            duration: 3,
            velocity_band: 4,
        }
    }

    #[test]
    fn densities_count_notes_per_beat_per_bar() {
        // Bar 0: four notes in four beats; bar 1: none; bar 2: eight.
        let mut notes: Vec<GridNote> = (0..4).map(|i| note(i * 12)).collect();
        notes.extend((0..8).map(|i| note(96 + i * 6)));
        assert_eq!(bar_densities(&notes, 48), vec![1.0, 0.0, 2.0]);
        // In bars of three beats the fourth note starts the second bar.
        assert_eq!(bar_densities(&notes, 36)[..2], [1.0, 1.0 / 3.0]);
    }

    #[test]
    fn classes_step_evenly_from_the_calm_tenth_to_the_lively() {
        // Densities 1 to 16 notes per beat: the 10th percentile 1, the 90th 16,
        // so classes centre on 1, 2, 4, 8 and 16 and cut between them.
        let densities = [0.0; 50]
            .into_iter()
            .chain([1.0; 20])
            .chain([2.0, 4.0, 8.0].repeat(20))
            .chain([16.0; 20]);
        let config = EnergyConfig::fit(densities);
        let expected = [1.414, 2.828, 5.657, 11.314];
        for (cut, want) in config.cuts.iter().zip(expected) {
            assert!((cut - want).abs() < 0.01, "{:?}", config.cuts);
        }
        assert_eq!(config.check(), Ok(()));
        let classes: Vec<u8> = [0.0, 1.0, 2.0, 4.0, 8.0, 16.0]
            .into_iter()
            .map(|d| config.class(d))
            .collect();
        assert_eq!(classes, vec![0, 0, 1, 2, 3, 4]);
        // One density throughout still has five classes around it.
        let flat = EnergyConfig::fit([2.0; 10]);
        assert_eq!(flat.class(2.0), 2);
        assert_eq!(flat.check(), Ok(()));
    }

    #[test]
    fn each_token_has_its_bars_class() {
        let config = EnergyConfig::new(vec![1.0, 2.0, 3.0, 4.0]);
        let shift = |n| Event::Shift(n).token() as u16;
        let tokens = [shift(24), shift(24), shift(48), shift(12)];
        assert_eq!(bars_after(&tokens, 48), vec![0, 1, 2, 2]);
        assert_eq!(
            config.classes(&tokens, &[0.5, 2.5, 4.5], 48),
            vec![0, 2, 4, 4]
        );
    }

    #[test]
    fn velocity_follows_the_level_within_the_bands() {
        let config = EnergyConfig::new(vec![1.0, 2.0, 3.0, 4.0]);
        let level = |l| Energy::new(l).unwrap();
        assert_eq!(config.band(4, level(3)), 4);
        assert_eq!(config.band(4, level(1)), 2);
        assert_eq!(config.band(4, level(5)), 6);
        assert_eq!(config.band(7, level(5)), 7);
        assert_eq!(config.band(1, level(1)), 0);
        assert!(EnergyConfig::new(vec![2.0, 1.0, 3.0, 4.0]).check().is_err());
        assert!(EnergyConfig::new(vec![1.0]).check().is_err());
    }

    #[test]
    fn the_middle_level_follows_the_training_chain_and_the_others_hold_their_class() {
        let config = EnergyConfig::new(vec![1.0, 2.0, 3.0, 4.0]);
        // Bars that stay in their class, and step up one at a time.
        let song: Vec<f32> = [0.5, 0.5, 1.5, 1.5, 2.5, 2.5, 3.5, 3.5, 4.5, 4.5].repeat(20);
        let config = config.measure_transitions([song.as_slice()]);
        let rows = config.transitions.as_ref().unwrap();
        // Twenty pairs of calm bars, and the one added to every count.
        assert_eq!(rows[0][0], 21.0);
        assert_eq!(rows[0][1], 21.0);
        assert_eq!(rows[0][2], 1.0);
        assert_eq!(config.check(), Ok(()));
        let classes = |level| {
            let chain = config.chain(Energy::new(level).unwrap());
            let mut rng = Rng::new(4);
            let mut class = chain.first(&mut rng);
            let mut seen = [0usize; 5];
            for _ in 0..2000 {
                class = chain.next(class, &mut rng);
                seen[usize::from(class)] += 1;
            }
            seen
        };
        assert_eq!(classes(1), [2000, 0, 0, 0, 0]);
        assert_eq!(classes(4), [0, 0, 0, 2000, 0]);
        let middle = classes(3);
        assert!(
            middle.iter().all(|&n| n > 200),
            "level 3 moves as the music: {middle:?}"
        );
        let mut bad = config.clone();
        bad.transitions = Some(vec![vec![1.0; 5]; 4]);
        assert!(bad.check().is_err());
    }
}
