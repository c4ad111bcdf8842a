//! Where and how a piece ends: a tonic chord on a downbeat, held.

use super::PHRASE_BARS;
use crate::music::events::STEPS_PER_BEAT;

/// Where a piece ends: a tonic chord on a downbeat, held.
#[derive(Debug, Clone, Copy)]
pub(super) struct Ending {
    /// The final chord's onset, in steps from the piece's start.
    pub(super) onset: u32,
    /// How long it is held, in steps.
    pub(super) hold: u32,
}

impl Ending {
    /// The ending of a piece of about `target` steps that starts `offset`
    /// steps into a bar of `bar_steps`: the final chord on the downbeat after the start that
    /// makes the piece, chord included, nearest to `target` long; or in the
    /// last bar of a four-bar phrase if that is at most half a bar further
    /// from it. Real music closes its phrases in four-bar groups (a close a
    /// bar later sounds like an afterthought), but an advert's slot is the
    /// length asked, so the length comes first.
    pub(super) fn for_length(target: u32, offset: u32, bar_steps: u32) -> Ending {
        // A bar's chord for a piece of four bars or more; half a bar's before.
        let hold = if target >= 4 * bar_steps {
            bar_steps
        } else {
            bar_steps / 2
        };
        // Bars counted from the bar the piece (or its primer) starts in.
        let length = |bar: u32| (bar * bar_steps + hold - offset).abs_diff(target);
        let bars = offset / bar_steps + 1..=(offset + target) / bar_steps + 1;
        let closes_phrase = |&bar: &u32| (bar + 1).is_multiple_of(PHRASE_BARS);
        let nearest = bars
            .clone()
            .min_by_key(|&bar| length(bar))
            .expect("at least one bar");
        let bar = bars
            .filter(closes_phrase)
            .filter(|&bar| length(bar) <= length(nearest) + bar_steps / 2)
            .min_by_key(|&bar| length(bar))
            .unwrap_or(nearest);
        Ending {
            onset: bar * bar_steps - offset,
            hold,
        }
    }
}

/// How many steps a piece asked to be `target` steps long in bars of
/// `bar_steps` (without a primer) lasts: to the end of its final chord.
pub fn closing_length(target: u32, bar_steps: u32) -> u32 {
    let ending = Ending::for_length(target, 0, bar_steps);
    ending.onset + ending.hold
}

/// Grid steps in `seconds` at `quarters_per_minute`, rounded up.
pub(super) fn steps_in(seconds: f64, quarters_per_minute: f64) -> u32 {
    (seconds * quarters_per_minute / 60.0 * f64::from(STEPS_PER_BEAT)).ceil() as u32
}
