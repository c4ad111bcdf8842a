//! The bass's pull home: the lowest note on a downbeat is likelier on the
//! tonic triad, so that the bass keeps coming back and the key is heard.
//! Not for a solo line, whose downbeats are its melody's: pulled to the
//! triad, a cello's line leapt at bar lines (see its model card).

use burn::config::Config;

use super::{Moment, Rule, Weights};
use crate::music::key::Key;

/// How hard the bass is pulled to the tonic triad.
#[derive(Config, Debug, PartialEq)]
pub struct TonicConfig {
    /// How much likelier the tonic triad's pitch classes are for the lowest
    /// note on a downbeat.
    #[config(default = 3.0)]
    pub weight: f64,
}

/// The pull of a piece in one key.
#[derive(Debug, Clone)]
pub(super) struct Tonic([f64; 12]);

impl Tonic {
    /// The pull to `key`'s tonic triad, as strong as `config` sets.
    pub(super) fn new(key: Key, config: &TonicConfig) -> Tonic {
        let mut weights = [1.0; 12];
        for degree in key.triad() {
            weights[usize::from((degree + key.tonic) % 12)] = config.weight;
        }
        Tonic(weights)
    }
}

impl Rule for Tonic {
    fn weigh(&self, moment: &Moment, weights: &mut Weights) {
        let grammar = moment.grammar;
        let bass_on_downbeat = (moment.offset + grammar.time).is_multiple_of(moment.bar_steps)
            && grammar.at_onset.is_empty()
            && !grammar.awaiting_duration;
        if bass_on_downbeat {
            weights.classes.push(self.0);
        }
    }
}
