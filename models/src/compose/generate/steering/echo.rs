//! Bars that echo earlier ones, as phrases come back in real music: at each
//! bar line the next bar may echo the bar two or four bars back, and while it
//! does, the events that would play that bar again are made likelier. How
//! often follows the piece's excerpt: the chance of an echo rises the more
//! the piece so far restates less than the excerpt's bar repetition.

use burn::config::Config;

use super::{Moment, Rule, Weights};
use crate::compose::generate::choice::ECHO_STREAM;
use crate::music::events::{Event, GridNote, MAX_SHIFT};
use crate::music::musicality::{ExcerptStyle, bar_sets, restatement};
use crate::rng::Rng;

/// How bars echo.
#[derive(Config, Debug, PartialEq)]
pub struct EchoConfig {
    /// How much likelier an echoing bar makes the events of the bar it
    /// echoes: too low and echoes stay loose (pieces restate less than real
    /// ones), too high and echoed bars crowd out the network's rhythm.
    #[config(default = 200.0)]
    pub weight: f64,
    /// How steeply the chance of an echoing bar follows the piece's
    /// shortfall of restated material (a logistic of the shortfall, in
    /// bars' worth): at 4, half a bar's worth gives 88%.
    #[config(default = 4.0)]
    pub restate_gain: f64,
}

/// How much a piece's bars restate earlier ones, against its excerpt's.
#[derive(Debug, Clone)]
pub(super) struct Restated {
    /// The excerpt's bar repetition (see [`crate::music::musicality::bar_repetition`]).
    pub(super) target: f64,
    /// The restatement of each bar scored so far, added up, and how many.
    pub(super) sum: f64,
    pub(super) scored: u32,
    gain: f64,
}

impl Restated {
    /// The chance that the next bar echoes: even when the piece restates as
    /// much as its excerpt, likelier the further it is behind, less likely
    /// the further ahead.
    pub(super) fn echo_chance(&self) -> f64 {
        let short = self.target * f64::from(self.scored + 1) - self.sum;
        1.0 / (1.0 + (-self.gain * short).exp())
    }
}

/// Echoing bars in one attempt at a piece.
#[derive(Debug, Clone)]
pub(super) struct Echo {
    /// The restatement steered to; `None` for a model that kept no excerpts.
    restated: Option<Restated>,
    /// For a model that kept no excerpts, this piece's chance that a bar
    /// (from the third on) echoes, the square root of an even draw from 0 to
    /// 1: most real pieces restate their bars often, a few hardly ever, and
    /// a fixed chance made every piece alike.
    chance: f64,
    /// How many steps back the current bar echoes, if it does.
    lag: Option<u32>,
    weight: f64,
}

impl Echo {
    /// Echoes of a piece following `style` (if any), composed with `seed`.
    pub(super) fn new(style: Option<&ExcerptStyle>, seed: u64, config: &EchoConfig) -> Echo {
        Echo {
            restated: style.map(|style| Restated {
                target: f64::from(style.bar_repetition),
                sum: 0.0,
                scored: 0,
                gain: config.restate_gain,
            }),
            chance: Rng::new(Rng::derive(seed, ECHO_STREAM)).next_f64().sqrt(),
            lag: None,
            weight: config.weight,
        }
    }

    /// Whether bar `bar` (counted from the primer's first) echoes an earlier
    /// one, and how many steps back: two bars back, or four.
    fn choose(&self, bar: u32, moment: &Moment, rng: &mut Rng) -> Option<u32> {
        let bar = bar - moment.offset / moment.bar_steps;
        let chance = self
            .restated
            .as_ref()
            .map_or(self.chance, Restated::echo_chance);
        if bar < 2 || rng.next_f64() >= chance {
            return None;
        }
        let bars = if bar >= 4 && rng.next_f64() < 0.5 {
            4
        } else {
            2
        };
        Some(bars * moment.bar_steps)
    }

    /// Scores how much each of `bars` (counted from the primer's first bar),
    /// now complete, restates the piece's earlier bars.
    fn score(&mut self, bars: std::ops::Range<u32>, moment: &Moment) {
        let Some(restated) = &mut self.restated else {
            return;
        };
        let bar_steps = moment.bar_steps;
        let first = moment.offset / bar_steps;
        // The piece's own notes, on bars counted from its first.
        let notes: Vec<GridNote> = moment
            .notes
            .iter()
            .map(|n| GridNote {
                onset: n.onset + moment.offset % bar_steps,
                ..*n
            })
            .collect();
        let sets = bar_sets(&notes, bar_steps);
        for bar in bars {
            if let Some(score) = restatement(&sets, (bar - first) as usize) {
                restated.sum += score;
                restated.scored += 1;
            }
        }
    }

    /// In a bar that echoes an earlier one, the events that would play that
    /// bar again from here: the next note of its chord at this moment, that
    /// note's duration, or the shift to its next onset.
    fn echoed(&self, moment: &Moment) -> Vec<usize> {
        let Some(lag) = self.lag else {
            return Vec::new();
        };
        let grammar = moment.grammar;
        let Some(then) = grammar.time.checked_sub(lag) else {
            return Vec::new();
        };
        let notes = moment.notes;
        let from = notes.partition_point(|n| n.onset < then);
        let at_then = notes[from..].iter().take_while(|n| n.onset == then);
        if grammar.awaiting_duration {
            let pitch = grammar.at_onset.last().copied();
            return at_then
                .filter(|n| Some(n.pitch) == pitch && n.duration > 0)
                .map(|n| Event::Duration(n.duration as u8).token())
                .collect();
        }
        let top = grammar.at_onset.iter().max().copied();
        if let Some(next) = at_then.clone().find(|n| top.is_none_or(|t| n.pitch > t)) {
            return vec![Event::Note(next.pitch).token()];
        }
        let next_onset = notes[from..].iter().map(|n| n.onset).find(|&o| o > then);
        match next_onset {
            Some(onset) if onset - then <= MAX_SHIFT => {
                vec![Event::Shift((onset - then) as u8).token()]
            }
            _ => Vec::new(),
        }
    }
}

impl Rule for Echo {
    fn observe(&mut self, event: Event, moment: &Moment, rng: &mut Rng) {
        let Event::Shift(n) = event else {
            return;
        };
        let now = moment.offset + moment.grammar.time;
        let bar_steps = moment.bar_steps;
        let (this, next) = (now / bar_steps, (now + u32::from(n)) / bar_steps);
        if next != this {
            self.score(this..next, moment);
            self.lag = self.choose(next, moment, rng);
        }
    }

    fn weigh(&self, moment: &Moment, weights: &mut Weights) {
        let echoed = self.echoed(moment);
        weights.restating = !echoed.is_empty();
        weights
            .events
            .extend(echoed.into_iter().map(|token| (token, self.weight)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_echo_more_when_the_piece_restates_less_than_its_excerpt() {
        let mut restated = Restated {
            target: 0.4,
            sum: 0.0,
            scored: 0,
            gain: EchoConfig::new().restate_gain,
        };
        // Nothing scored: 0.4 of a bar's worth short, so likely to echo.
        assert!((restated.echo_chance() - 1.0 / (1.0 + (-1.6f64).exp())).abs() < 1e-9);
        // Two bars restated fully: 0.8 against 1.2 wanted by the third, ahead.
        restated.sum = 2.0;
        restated.scored = 2;
        assert!(restated.echo_chance() < 0.2, "{}", restated.echo_chance());
        // Ten bars that restated nothing: far behind, nearly certain.
        restated.sum = 0.0;
        restated.scored = 10;
        assert!(restated.echo_chance() > 0.99);
    }
}
