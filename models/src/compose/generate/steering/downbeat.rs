//! Downbeats: a rest that would carry the music past the next bar line, or
//! begin on a bar line where no note has started yet, is made less likely,
//! so that a bar's first beat is struck about as often as in real music. The network tells bar
//! positions and meters apart, but in the meters few training files are in
//! (3/4 in the chorales, 6/8 in the fiddle tunes) it skips downbeats more
//! often than real music does (the model cards measure it).

use burn::config::Config;

use super::{Moment, Rule, Weights};
use crate::music::events::{Event, MAX_SHIFT};

/// How rests across a bar line are weighed.
#[derive(Config, Debug, PartialEq)]
pub struct DownbeatConfig {
    /// What a rest that skips the next downbeat is multiplied by: 1 leaves
    /// the network's choice, below 1 makes it rarer.
    #[config(default = 1.0)]
    pub skip_weight: f64,
}

/// The weight of rests across a bar line.
#[derive(Debug, Clone)]
pub(super) struct Downbeat(f64);

impl Downbeat {
    /// The rule as `config` sets it.
    pub(super) fn new(config: &DownbeatConfig) -> Downbeat {
        Downbeat(config.skip_weight)
    }
}

impl Rule for Downbeat {
    fn weigh(&self, moment: &Moment, weights: &mut Weights) {
        if self.0 == 1.0 || moment.grammar.awaiting_duration || moment.closing {
            return;
        }
        let now = moment.offset + moment.grammar.time;
        let on_downbeat = now.is_multiple_of(moment.bar_steps);
        if on_downbeat && !moment.grammar.at_onset.is_empty() {
            return;
        }
        // On an unstruck downbeat every rest skips it; elsewhere, those past the next.
        let to_bar = if on_downbeat {
            0
        } else {
            moment.bar_steps - now % moment.bar_steps
        };
        for n in to_bar + 1..=MAX_SHIFT {
            // Below MAX_SHIFT (48), so it fits.
            weights.events.push((Event::Shift(n as u8).token(), self.0));
        }
    }
}
