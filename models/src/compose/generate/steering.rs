//! Steering a piece towards a real excerpt's way of moving: the balance of
//! pitch classes, the top line's repeats and leaps, bar echoes, and the
//! choice of key and excerpt.

use super::settings::Settings;
use super::{
    BALANCE_LIMIT, BALANCE_STEPS, CHROMATIC_KEPT, LEAP_LIMIT, REPEAT_GAIN, REPEAT_MOST,
    RESTATE_GAIN,
};
use crate::music::key::{Key, KeyProfile, Mode};
use crate::music::musicality::ExcerptStyle;
use crate::rng::Rng;
use crate::saved::ModelConfig;

/// The pitch balance a piece is steered to: a key profile of the model's
/// training music, drawn per piece, in the piece's key.
///
/// The network, told the key, still drifts: over a piece its notes wander to
/// neighbouring keys and to more chromatic notes than real music has, and a
/// listener (and the key estimate) hears no key. Real excerpts of the same
/// length each have a balance of their own, so a piece follows one of them,
/// drawn by its seed: pieces differ as real ones do. The steering is feedback
/// on what has sounded, so the network's own choice of the next note stays
/// free wherever the piece is in balance.
#[derive(Debug, Clone)]
pub(super) struct Balance {
    /// Wanted shares of sounding time per pitch class (0 = C), adding up to 1.
    pub(super) target: [f64; 12],
    /// Sounding time so far per pitch class, in steps.
    pub(super) sounded: [f64; 12],
    /// The final chord's sounding time per pitch class, in steps: counted in
    /// as the piece nears it, so that the music before leaves it room.
    pub(super) ahead: [f64; 12],
    /// Steps of sounding time short of its share that make a class e times
    /// likelier (the model's `balance_steps`, else [`BALANCE_STEPS`]).
    pub(super) steps: f64,
}

impl Balance {
    /// A piece in `key` following `profile`, ending on a tonic chord held
    /// `hold` steps, steered back `steps` at a time.
    pub(super) fn new(profile: &KeyProfile, key: Key, hold: Option<u32>, steps: f64) -> Balance {
        let mut ahead = [0.0; 12];
        if let Some(hold) = hold {
            for degree in key.triad() {
                ahead[usize::from((degree + key.tonic) % 12)] += f64::from(hold);
            }
        }
        Balance {
            target: profile.in_key(key.tonic),
            sounded: [0.0; 12],
            ahead,
            steps,
        }
    }

    /// Per pitch class, how much likelier its notes are, `progress` (0 to 1)
    /// of the way to the final chord: e^(d / [`BALANCE_STEPS`]) for a class
    /// `d` steps of sounding time short of its share so far (below 1 for one
    /// heard more). Counted in steps rather than as a ratio of shares, so that
    /// a class real music hardly sounds is not pushed in for being unheard.
    pub(super) fn weights(&self, progress: f64) -> [f64; 12] {
        let counted = |pc: usize| self.sounded[pc] + self.ahead[pc] * progress;
        let heard: f64 = (0..12).map(counted).sum();
        let mut weights = [1.0; 12];
        for (pc, weight) in weights.iter_mut().enumerate() {
            let short = self.target[pc] * heard - counted(pc);
            *weight = (short / self.steps)
                .clamp(-BALANCE_LIMIT, BALANCE_LIMIT)
                .exp();
        }
        weights
    }
}

/// A piece's top line (the highest note of each onset): how often it repeats
/// its last pitch and how far it moves, steered to its excerpt's figures.
#[derive(Debug, Clone)]
pub(super) struct TopLine {
    /// The excerpt's share of top-line notes that repeat the one before.
    pub(super) rate: f64,
    /// The excerpt's mean interval between top-line notes, in semitones, and
    /// the model's `leap_gain`, when the style has the one and the model the
    /// other.
    pub(super) leap: Option<(f64, f64)>,
    /// The top line's last pitch.
    pub(super) last: Option<u8>,
    /// Top-line notes after the first, how many of them repeated, and the
    /// semitones they moved in all.
    pub(super) moves: u32,
    pub(super) repeated: u32,
    pub(super) travelled: f64,
}

impl TopLine {
    /// The top line of a piece following `style`, before its first note,
    /// held to its intervals by `leap_gain`, if any.
    pub(super) fn new(style: &ExcerptStyle, leap_gain: Option<f64>) -> TopLine {
        TopLine {
            rate: f64::from(style.top_line_repeats),
            leap: style.top_line_interval.map(f64::from).zip(leap_gain),
            last: None,
            moves: 0,
            repeated: 0,
            travelled: 0.0,
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
    /// piece has repeated beyond the rate, more (up to [`REPEAT_MOST`]) the
    /// further it is behind.
    pub(super) fn weight(&self) -> f64 {
        let excess = f64::from(self.repeated) - self.rate * f64::from(self.moves + 1);
        (-excess * REPEAT_GAIN).exp().min(REPEAT_MOST)
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
        (excess * gain).clamp(0.0, LEAP_LIMIT)
    }
}

/// How much a piece's bars restate earlier ones, steered to its excerpt's
/// bar repetition through the chance that the next bar echoes.
#[derive(Debug, Clone)]
pub(super) struct Restated {
    /// The excerpt's bar repetition (see [`crate::music::musicality::bar_repetition`]).
    pub(super) target: f64,
    /// The restatement of each bar scored so far, added up, and how many.
    pub(super) sum: f64,
    pub(super) scored: u32,
}

impl Restated {
    /// The chance that the next bar echoes: even when the piece restates as
    /// much as its excerpt, likelier the further it is behind, less likely
    /// the further ahead (a logistic of the shortfall, in bars' worth).
    pub(super) fn echo_chance(&self) -> f64 {
        let short = self.target * f64::from(self.scored + 1) - self.sum;
        1.0 / (1.0 + (-RESTATE_GAIN * short).exp())
    }
}

/// The figures of its training excerpt that a piece is steered to while it is
/// composed (see [`ExcerptStyle`]).
#[derive(Debug, Clone)]
pub(super) struct Steering {
    pub(super) balance: Balance,
    pub(super) top_line: TopLine,
    pub(super) restated: Restated,
}

impl Steering {
    /// Steering to `style` for a piece in `key` that closes on a chord held
    /// `hold` steps, as hard as the model's `config` sets.
    pub(super) fn new(
        style: &ExcerptStyle,
        key: Key,
        hold: Option<u32>,
        config: &ModelConfig,
    ) -> Steering {
        let balance_steps = config.balance_steps.unwrap_or(BALANCE_STEPS);
        Steering {
            balance: Balance::new(&style.profile, key, hold, balance_steps),
            top_line: TopLine::new(style, config.leap_gain),
            restated: Restated {
                target: f64::from(style.bar_repetition),
                sum: 0.0,
                scored: 0,
            },
        }
    }
}

/// The pitch-class weights of a model without a style: the key's scale
/// as it is, the other classes scaled by [`CHROMATIC_KEPT`].
pub(super) fn scale_weights(key: Key) -> [f64; 12] {
    key.scale()
        .map(|inside| if inside { 1.0 } else { CHROMATIC_KEPT })
}

/// The training excerpt whose figures a piece follows: one in `mode`, drawn
/// by the piece's seed (any if none is in that mode).
pub(super) fn choose_style(
    seed: u64,
    mode: Mode,
    styles: &[ExcerptStyle],
) -> Option<&ExcerptStyle> {
    let in_mode: Vec<&ExcerptStyle> = styles.iter().filter(|s| s.profile.mode == mode).collect();
    let pool: Vec<&ExcerptStyle> = if in_mode.is_empty() {
        styles.iter().collect()
    } else {
        in_mode
    };
    if pool.is_empty() {
        return None;
    }
    let mut rng = Rng::new(Rng::derive(seed, PROFILE_STREAM));
    Some(pool[rng.below(pool.len())])
}

/// The stream of a piece's seed that draws its key, apart from the attempts' streams.
pub(super) const KEY_STREAM: u64 = 1 << 32;
/// The stream of an attempt's seed that draws its chance of echoing bars.
pub(super) const ECHO_STREAM: u64 = (1 << 32) + 1;
/// The stream of a piece's seed that draws the training excerpt it follows.
pub(super) const PROFILE_STREAM: u64 = (1 << 32) + 2;

/// The key a piece is composed in: the settings' tonic and mode where given,
/// else the primer's, else drawn (from the piece's seed) as the keys of the
/// model's training music are spread.
pub(super) fn choose_key(settings: &Settings, primer: Option<Key>, counts: &[[u32; 12]; 2]) -> Key {
    let mut rng = Rng::new(Rng::derive(settings.seed, KEY_STREAM));
    let mut pick = |weights: &[u32]| -> Option<usize> {
        let total: u32 = weights.iter().sum();
        if total == 0 {
            return None;
        }
        let mut draw = rng.below(total as usize) as u32;
        weights.iter().position(|&w| {
            if draw < w {
                return true;
            }
            draw -= w;
            false
        })
    };
    let mode = settings.mode.or(primer.map(|k| k.mode)).unwrap_or_else(|| {
        let per_mode: Vec<u32> = counts.iter().map(|row| row.iter().sum()).collect();
        pick(&per_mode).map_or(Mode::Major, |i| Mode::ALL[i])
    });
    let tonic = settings
        .tonic
        .or(primer.map(|k| k.tonic))
        .unwrap_or_else(|| {
            let row = counts[usize::from(mode.index())];
            let all: Vec<u32> = (0..12).map(|t| counts[0][t] + counts[1][t]).collect();
            pick(&row).or_else(|| pick(&all)).unwrap_or(0) as u8
        });
    Key { tonic, mode }
}
