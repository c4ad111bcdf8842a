//! A piece's top line (the highest note of each onset), steered to its
//! excerpt's figures: how often it repeats its last pitch (the network,
//! sampling, stalls on one pitch about twice as often as real melodies) and,
//! for a solo line, how far it moves from one note to the next.

use burn::config::Config;

use super::{Moment, Rule, Weights};
use crate::music::events::Event;
use crate::music::musicality::ExcerptStyle;
use crate::rng::Rng;

/// How hard the top line is held to its excerpt's repeats and intervals.
#[derive(Config, Debug, PartialEq)]
pub struct TopLineConfig {
    /// How much likelier a repeat of the top line's last pitch is made per
    /// repeat the piece is behind its excerpt's rate, as a power of e (less
    /// likely, per repeat ahead).
    #[config(default = 1.0)]
    pub repeat_gain: f64,
    /// The most a repeat is made likelier.
    #[config(default = 3.0)]
    pub repeat_most: f64,
    /// How steeply a solo line is held to its excerpt's mean interval: the
    /// tilt against moving far, per semitone, per semitone the line has
    /// moved beyond that mean. `None` leaves its leaps free.
    #[config(default = "None")]
    pub leap_gain: Option<f64>,
    /// The steepest tilt, per semitone, as a power of e.
    #[config(default = 0.5)]
    pub leap_limit: f64,
}

/// A piece's top line and the excerpt's figures it is held to.
#[derive(Debug, Clone)]
pub(super) struct TopLine {
    /// The excerpt's share of top-line notes that repeat the one before.
    pub(super) rate: f64,
    /// The excerpt's mean interval between top-line notes, in semitones,
    /// and the gain, when the excerpt has the one, the config the other, and
    /// the instrument plays one line.
    pub(super) leap: Option<(f64, f64)>,
    /// The top line's last pitch.
    pub(super) last: Option<u8>,
    /// Top-line notes after the first, how many of them repeated, and the
    /// semitones they moved in all.
    pub(super) moves: u32,
    pub(super) repeated: u32,
    pub(super) travelled: f64,
    solo: bool,
    repeat_gain: f64,
    repeat_most: f64,
    leap_limit: f64,
}

impl TopLine {
    /// The top line of a piece following `style`, before its first note;
    /// `solo` for an instrument that plays one line.
    pub(super) fn new(style: &ExcerptStyle, solo: bool, config: &TopLineConfig) -> TopLine {
        TopLine {
            rate: f64::from(style.top_line_repeats),
            leap: style.top_line_interval.map(f64::from).zip(config.leap_gain),
            last: None,
            moves: 0,
            repeated: 0,
            travelled: 0.0,
            solo,
            repeat_gain: config.repeat_gain,
            repeat_most: config.repeat_most,
            leap_limit: config.leap_limit,
        }
    }

    /// Counts an onset whose highest note is `top`.
    pub(super) fn onset(&mut self, top: u8) {
        if let Some(last) = self.last {
            self.moves += 1;
            self.repeated += u32::from(last == top);
            self.travelled += f64::from(last.abs_diff(top));
        }
        self.last = Some(top);
    }

    /// How much likelier a repeat of the last pitch is: less the more the
    /// piece has repeated beyond the rate, more (up to `repeat_most`) the
    /// further it is behind.
    pub(super) fn weight(&self) -> f64 {
        let excess = f64::from(self.repeated) - self.rate * f64::from(self.moves + 1);
        (-excess * self.repeat_gain).exp().min(self.repeat_most)
    }

    /// How much less likely, as a power of e per semitone, the next top-line
    /// note is made the further it lies from the last: an exponential tilt
    /// of the network's intervals, whose mean it lowers in proportion to how
    /// far the piece has moved beyond its excerpt's mean so far. Fed back on
    /// what has sounded, it settles where the piece's intervals average the
    /// excerpt's. A piece that moves less is not pushed to leap (a violin
    /// line that was, following an excerpt of double stops, leapt two
    /// octaves); 0 without a target or a gain.
    pub(super) fn tilt(&self) -> f64 {
        let Some((interval, gain)) = self.leap else {
            return 0.0;
        };
        let excess = self.travelled - interval * f64::from(self.moves);
        (excess * gain).clamp(0.0, self.leap_limit)
    }
}

impl Rule for TopLine {
    fn observe(&mut self, event: Event, moment: &Moment, _rng: &mut Rng) {
        if let (Event::Shift(_), Some(&top)) = (event, moment.grammar.at_onset.iter().max()) {
            self.onset(top);
        }
    }

    fn weigh(&self, moment: &Moment, weights: &mut Weights) {
        let Some(last) = self.last else {
            return;
        };
        let grammar = moment.grammar;
        if grammar.awaiting_duration {
            return;
        }
        if grammar.at_onset.iter().all(|&p| p < last) {
            weights
                .events
                .push((Event::Note(last).token(), self.weight()));
        }
        // A solo line's first note at an onset is its melody's next note (a
        // chord's notes come bass first, so elsewhere the top line's note is
        // not known until the onset is complete).
        if self.solo && grammar.at_onset.is_empty() {
            weights.tilt = Some((last, self.tilt()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::music::key::{KeyProfile, Mode};

    /// The cello's `leap_gain`.
    const LEAP_GAIN: f64 = 0.05;

    /// The top line of an excerpt repeating `rate` of its notes and moving
    /// `interval` semitones a note, held to it by [`LEAP_GAIN`], after ten
    /// rising notes: nine moves, no repeat, 16 semitones.
    fn rising(rate: f32, interval: Option<f32>) -> TopLine {
        let style = ExcerptStyle {
            profile: KeyProfile {
                mode: Mode::Major,
                shares: [1.0 / 12.0; 12],
            },
            top_line_repeats: rate,
            bar_repetition: 0.3,
            polyphony: 1.0,
            top_line_interval: interval,
        };
        let config = TopLineConfig::new().with_leap_gain(Some(LEAP_GAIN));
        let mut line = TopLine::new(&style, true, &config);
        for top in [60, 62, 64, 65, 67, 69, 71, 72, 74, 76] {
            line.onset(top);
        }
        line
    }

    #[test]
    fn repeats_of_the_top_line_are_held_to_the_rate() {
        let mut behind = rising(0.1, None);
        // One behind the rate of the tenth move, so a repeat is made e times likelier.
        assert!((behind.weight() - 1f64.exp()).abs() < 1e-6);
        for top in [72, 71, 69, 67, 65, 64, 62, 60, 59, 57, 55, 53, 52, 50, 48] {
            behind.onset(top);
        }
        // Far behind, at most `repeat_most` times.
        assert_eq!(behind.weight(), TopLineConfig::new().repeat_most);
        let mut repeats = rising(0.1, None);
        repeats.onset(76);
        repeats.onset(76);
        // Two repeats in eleven moves, 0.8 above the rate of the twelfth: held back.
        assert_eq!((repeats.moves, repeats.repeated), (11, 2));
        assert!((repeats.weight() - (-0.8f64).exp()).abs() < 1e-6);
        repeats.onset(76);
        assert!(repeats.weight() < 0.2, "a third is held back harder");
    }

    #[test]
    fn leaps_of_a_solo_line_are_tilted_to_its_excerpt() {
        // 16 semitones in nine moves against 1 a move: 7 beyond, held back.
        let mut line = rising(0.1, Some(1.0));
        assert!((line.tilt() - 7.0 * LEAP_GAIN).abs() < 1e-9);
        // Far beyond, at most `leap_limit`.
        for top in [48, 84, 48] {
            line.onset(top);
        }
        assert_eq!(line.tilt(), TopLineConfig::new().leap_limit);
        // Against 2 a move, 2 short: not pushed to leap.
        assert_eq!(rising(0.1, Some(2.0)).tilt(), 0.0);
        // A style measured before intervals were kept does not tilt.
        assert_eq!(rising(0.1, None).tilt(), 0.0);
    }
}
