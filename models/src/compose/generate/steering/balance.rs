//! The pitch balance a piece is steered to: a key profile of the model's
//! training music, drawn per piece, in the piece's key.
//!
//! The network, told the key, still drifts: over a piece its notes wander to
//! neighbouring keys and to more chromatic notes than real music has, and a
//! listener (and the key estimate) hears no key. Real excerpts of the same
//! length each have a balance of their own, so a piece follows one of them,
//! drawn by its seed: pieces differ as real ones do. The steering is feedback
//! on what has sounded, so the network's own choice of the next note stays
//! free wherever the piece is in balance. A model that kept no excerpts
//! keeps its key's scale instead ([`Scale`]).

use burn::config::Config;

use super::{Moment, Rule, Weights};
use crate::music::events::Event;
use crate::music::key::{Key, KeyProfile};
use crate::rng::Rng;

/// How hard a piece is held to its pitch balance.
#[derive(Config, Debug, PartialEq)]
pub struct BalanceConfig {
    /// Steps of sounding time a pitch class is short of its share that make
    /// its notes e times likelier (more than its share, less likely): lower
    /// steers harder. 12 is a beat of one note; a solo line sounds a fraction
    /// of a piano's time, so it needs fewer.
    #[config(default = 12.0)]
    pub steps: f64,
    /// The most a class's notes are made likelier, as a power of e (and the
    /// least, as its inverse): a class far behind is wanted, not forced.
    #[config(default = 6.0)]
    pub limit: f64,
    /// For a model that kept no excerpts: the share of the network's
    /// probability of notes outside the key's scale that is kept.
    #[config(default = 0.8)]
    pub chromatic_kept: f64,
}

/// Steering to an excerpt's pitch balance.
#[derive(Debug, Clone)]
pub(super) struct Balance {
    /// Wanted shares of sounding time per pitch class (0 = C), adding up to 1.
    pub(super) target: [f64; 12],
    /// Sounding time so far per pitch class, in steps.
    pub(super) sounded: [f64; 12],
    /// The final chord's sounding time per pitch class, in steps: counted in
    /// as the piece nears it, so that the music before leaves it room.
    pub(super) ahead: [f64; 12],
    steps: f64,
    limit: f64,
}

impl Balance {
    /// A piece in `key` following `profile`, ending on a tonic chord held
    /// `hold` steps, steered as `config` sets.
    pub(super) fn new(
        profile: &KeyProfile,
        key: Key,
        hold: Option<u32>,
        config: &BalanceConfig,
    ) -> Balance {
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
            steps: config.steps,
            limit: config.limit,
        }
    }

    /// Per pitch class, how much likelier its notes are, `progress` (0 to 1)
    /// of the way to the final chord: e^(d / steps) for a class `d` steps of
    /// sounding time short of its share so far (below 1 for one heard more).
    /// Counted in steps rather than as a ratio of shares, so that a class
    /// real music hardly sounds is not pushed in for being unheard.
    pub(super) fn weights(&self, progress: f64) -> [f64; 12] {
        let counted = |pc: usize| self.sounded[pc] + self.ahead[pc] * progress;
        let heard: f64 = (0..12).map(counted).sum();
        let mut weights = [1.0; 12];
        for (pc, weight) in weights.iter_mut().enumerate() {
            let short = self.target[pc] * heard - counted(pc);
            *weight = (short / self.steps).clamp(-self.limit, self.limit).exp();
        }
        weights
    }
}

impl Rule for Balance {
    fn observe(&mut self, event: Event, moment: &Moment, _rng: &mut Rng) {
        // The final chord was counted ahead.
        if let (Event::Duration(d), Some(note), false) =
            (event, moment.notes.last(), moment.closing)
        {
            self.sounded[usize::from(note.pitch % 12)] += f64::from(d);
        }
    }

    fn weigh(&self, moment: &Moment, weights: &mut Weights) {
        weights.classes.push(self.weights(moment.progress));
    }
}

/// For a model that kept no excerpts: the key's scale as it is, the other
/// classes scaled by the config's `chromatic_kept`.
#[derive(Debug, Clone)]
pub(super) struct Scale([f64; 12]);

impl Scale {
    /// The scale of `key`.
    pub(super) fn new(key: Key, config: &BalanceConfig) -> Scale {
        Scale(scale_weights(key, config.chromatic_kept))
    }
}

/// The weights of `key`'s scale: 1 inside, `kept` outside.
pub(crate) fn scale_weights(key: Key, kept: f64) -> [f64; 12] {
    key.scale().map(|inside| if inside { 1.0 } else { kept })
}

impl Rule for Scale {
    fn weigh(&self, _moment: &Moment, weights: &mut Weights) {
        weights.classes.push(self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::music::key::Mode;

    #[test]
    fn the_balance_steers_towards_the_profile_in_the_piece_key() {
        // Half the time on the tonic, the rest on the fifth.
        let mut shares = [0.0f32; 12];
        shares[0] = 0.5;
        shares[7] = 0.5;
        let profile = KeyProfile {
            mode: Mode::Major,
            shares,
        };
        let g_major = Key {
            tonic: 7,
            mode: Mode::Major,
        };
        let config = BalanceConfig::new();
        let mut balance = Balance::new(&profile, g_major, None, &config);
        // Nothing heard yet: no class is pushed either way.
        let weights = balance.weights(0.0);
        assert!(
            weights.iter().all(|w| (w - 1.0).abs() < 1e-9),
            "{weights:?}"
        );
        // After a G (the tonic) a beat long, D (the fifth) is wanted, G less.
        balance.sounded[7] = 12.0;
        let weights = balance.weights(0.0);
        assert!((weights[2] - 0.5f64.exp()).abs() < 1e-9, "{weights:?}");
        assert!((weights[7] - (-0.5f64).exp()).abs() < 1e-9, "{weights:?}");
        // Steps of 4 steer three times as hard.
        let mut tight = Balance::new(&profile, g_major, None, &config.clone().with_steps(4.0));
        tight.sounded[7] = 12.0;
        assert!((tight.weights(0.0)[2] - 1.5f64.exp()).abs() < 1e-9);
        // A class the profile never sounds is not pushed in for being unheard.
        assert_eq!(weights[1], 1.0);
        // Far behind is wanted, not forced.
        balance.sounded[7] = 10_000.0;
        assert_eq!(balance.weights(0.0)[2], config.limit.exp());
        // A final chord held a bar is counted in as the piece nears it.
        let ahead = Balance::new(&profile, g_major, Some(48), &config);
        assert_eq!(ahead.weights(0.0), [1.0; 12]);
        let near = ahead.weights(1.0);
        // Its triad: G and D wanted half the time each, B not at all.
        assert!(near[11] < 1.0 && near[7] > 1.0 && near[2] > 1.0, "{near:?}");
    }
}
