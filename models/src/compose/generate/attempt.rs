//! One attempt at a piece, step by step: the grammar, the steering and the
//! ending applied as each event is drawn.

use super::choice::{ENERGY_STREAM, choose_key, choose_style};
use super::ending::{Ending, steps_in};
use super::sampler::{Nucleus, sample};
use super::settings::{Length, Settings};
use super::steering::{self, Moment, Rule, Weights};
use super::{
    FINAL_SPAN_PER_NOTE, Generator, Grammar, MAX_FINAL_NOTES, MAX_PRIMER_EVENTS, MIN_FINAL_NOTES,
    PieceState,
};
use crate::music::energy::{ClassChain, EnergyConfig};
use crate::music::events::{
    Event, GridNote, STEPS_PER_BEAT, Step, VELOCITY_BANDS, bar_positions, tokens_of,
};
use crate::music::key::{Key, estimate_key, to_mode, transpose_to};
use crate::music::piece::Parts;
use crate::rng::Rng;

/// One attempt at a piece between network steps: what was sampled, and the
/// logits of the next event.
pub(super) struct Attempt {
    pub(super) rng: Rng,
    /// The nucleus of rests and lengths outside an echoing bar (the model's
    /// `rhythm_top_p`, else the settings' `top_p`).
    pub(super) rhythm_top_p: Option<f64>,
    pub(super) grammar: Grammar,
    pub(super) range: std::ops::RangeInclusive<u8>,
    pub(super) events: Vec<Event>,
    pub(super) logits: Vec<f32>,
    pub(super) target_steps: u32,
    pub(super) target_events: usize,
    pub(super) cap: usize,
    /// The key the piece is composed in.
    pub(super) key: Key,
    /// Steps into a bar where the new music starts (after a primer).
    pub(super) offset: u32,
    /// Grid steps per bar of the piece's meter.
    pub(super) bar_steps: u32,
    /// What every step tells the network beside its token and position:
    /// the key, the meter and the energy class of the bar.
    pub(super) told: Step,
    /// How the bars' energy classes are drawn, and the bar the last one was drawn for.
    pub(super) classes: (ClassChain, u32),
    /// The generator the classes are drawn with, apart from the sampler's.
    pub(super) class_rng: Rng,
    /// The primer as the piece plays it, in its key; empty without one.
    pub(super) primer: Vec<GridNote>,
    /// The cadence, for pieces measured in seconds.
    pub(super) ending: Option<Ending>,
    /// Set when the final chord is complete.
    pub(super) finished: bool,
    /// Whether the piece, with no primer, has yet to play its first note.
    pub(super) opening: bool,
    /// The notes written so far, in order.
    pub(super) notes: Vec<GridNote>,
    /// The steering rules, in the order they apply.
    pub(super) rules: Vec<Box<dyn Rule>>,
    /// Notes of the final chord at most: twice the excerpt's notes per onset
    /// (a solo violin closes on a double stop, a piano on a full chord).
    pub(super) final_notes: usize,
    /// The lowest note before the final chord, whose bass is the tonic at
    /// most an octave above it: the close stays in the piece's register.
    pub(super) lowest: Option<u8>,
}

impl Attempt {
    /// Starts an attempt with `seed`, reading the primer into `state`.
    pub(super) fn start(
        generator: &Generator,
        settings: &Settings,
        seed: u64,
        state: &mut PieceState,
    ) -> Attempt {
        let primer_key = estimate_key(&settings.motif);
        let key = choose_key(settings, primer_key, &generator.model.config.key_counts);
        let range = generator.model.instrument.range();
        let primer = primer_in_key(&settings.motif, primer_key, key, &range);
        let bar_steps = settings.bar_steps();
        let (chain, class_rng, first_class) = bar_classes(generator, settings, seed);
        let told = Step {
            key: key.index(),
            meter: settings.meter.index(),
            energy: first_class,
            ..Step::default()
        };
        let primed = Primed::read(generator, state, &primer, told, bar_steps);
        let grammar = Grammar {
            band: primed.band,
            ..Grammar::default()
        };
        let offset = primed.offset;
        let extent = Extent::of(settings, &primer, offset, bar_steps);
        let ending = extent.ending;
        let styles = generator.model.config.style.as_ref();
        // An instrument that learns from its files' first parts plays one
        // line, whose downbeats are its melody's rather than a bass's.
        let solo = generator.model.instrument.parts() == Parts::First;
        // Per attempt: a piece composed again also follows another excerpt.
        let style = choose_style(
            seed,
            key.mode,
            styles.map_or(&[][..], |s| s.excerpts.as_slice()),
        );
        Attempt {
            rng: Rng::new(seed),
            rhythm_top_p: generator.model.config.rhythm_top_p,
            grammar,
            range,
            events: Vec::new(),
            logits: primed.logits,
            target_steps: extent.steps,
            target_events: extent.events,
            cap: extent.cap,
            key,
            offset,
            bar_steps,
            told,
            classes: (chain, offset / bar_steps),
            class_rng,
            primer,
            ending,
            finished: false,
            opening: settings.motif.is_empty(),
            notes: Vec::new(),
            rules: steering::rules(
                &steering::Piece {
                    style,
                    key,
                    hold: ending.map(|e| e.hold),
                    solo,
                    seed,
                },
                &generator.model.config.steering,
            ),
            final_notes: style.map_or(MAX_FINAL_NOTES, |s| {
                ((2.0 * f64::from(s.polyphony)).round() as usize)
                    .clamp(MIN_FINAL_NOTES, MAX_FINAL_NOTES)
            }),
            lowest: None,
        }
    }

    /// Whether the grammar, the ending and the instrument allow `event` now.
    pub(super) fn allows(&self, event: Event) -> bool {
        let grammar = &self.grammar;
        if !grammar.allows(event, &self.range) {
            return false;
        }
        // The primer's last chord stays as it was given: the piece's own
        // notes start after it, so the primer is heard, and told apart, whole.
        if !self.primer.is_empty() && grammar.time == 0 && matches!(event, Event::Note(_)) {
            return false;
        }
        let degree = |p: u8| (p + 12 - self.key.tonic % 12) % 12;
        let Some(ending) = self.ending else {
            // A piece counted in events ends on a note (and its length):
            // time after the last note would be dropped, leaving it short.
            let last = self.events.len() + 1 >= self.target_events;
            return !(last && matches!(event, Event::Shift(_) | Event::Velocity(_)));
        };
        let now = grammar.time;
        if now < ending.onset {
            if self.opening && matches!(event, Event::Note(_)) {
                // A piece of its own opens on the tonic, as the ending closes on it.
                return matches!(event, Event::Note(p) if degree(p) == 0);
            }
            // Time lands on the final downbeat, and every note ends by it.
            return match event {
                Event::Shift(n) => now + u32::from(n) <= ending.onset,
                Event::Duration(d) => now + u32::from(d) <= ending.onset,
                _ => true,
            };
        }
        // The final chord: the tonic low in the bass, the tonic triad above it, held.
        match event {
            Event::Note(p) => match grammar.at_onset.iter().max() {
                None => {
                    let low = self.lowest.unwrap_or(*self.range.start());
                    degree(p) == 0 && (low..low.saturating_add(12)).contains(&p)
                }
                // Each note at most the span above the one below it, so that a
                // chord that stops at two notes spans no more than two may.
                Some(&top) => {
                    p > top
                        && p <= top.saturating_add(FINAL_SPAN_PER_NOTE)
                        && self.key.triad().contains(&degree(p))
                }
            },
            Event::Duration(d) => u32::from(d) == ending.hold,
            // A shift once the chord has its notes ends the piece.
            Event::Shift(_) => grammar.at_onset.len() >= MIN_FINAL_NOTES,
            Event::Velocity(_) => false,
        }
    }

    /// Samples the next event from the current logits; the step the network
    /// reads next, or `None` once the piece is complete.
    pub(super) fn next_step(&mut self, settings: &Settings) -> Option<Step> {
        if self.finished || self.events.len() >= self.cap {
            return None;
        }
        let now = self.grammar.time;
        let awaiting = self.grammar.awaiting_duration;
        match self.ending {
            None => {
                let done = self.events.len() >= self.target_events || now >= self.target_steps;
                if done && !awaiting {
                    return None;
                }
            }
            Some(ending) => {
                if now >= ending.onset
                    && !awaiting
                    && self.grammar.at_onset.len() >= self.final_notes
                {
                    return None;
                }
            }
        }
        let weights = self.weigh();
        // A note's length is drawn no bolder than at temperature 1: flattened,
        // the lengths stretch, and the balance, which counts sounding time,
        // let one long note pay a class's share. At creativity 1.5 a
        // quartet's notes outside the scale lasted 2.2 beats against 1.2
        // inside (0.7 and 0.75 at 0.5), so by count its pieces were 0.910 in
        // scale against 0.887 at 0.5. Boldness is in which notes and when.
        let temperature = if awaiting {
            settings.creativity.min(1.0)
        } else {
            settings.creativity
        };
        // The generator is moved out while the filter borrows the attempt.
        let mut rng = std::mem::replace(&mut self.rng, Rng::new(0));
        let token = sample(
            &self.logits,
            |t| Event::from_token(t).is_some_and(|e| self.allows(e)),
            temperature,
            Nucleus {
                notes: settings.top_p,
                rhythm: self.rhythm_top_p.unwrap_or(settings.top_p),
            },
            Some(&weights),
            &mut rng,
        );
        self.rng = rng;
        let event = Event::from_token(token).expect("sampled from the vocabulary");
        if self.ending.is_some_and(|e| now >= e.onset) && matches!(event, Event::Shift(_)) {
            self.finished = true;
            return None;
        }
        self.write(event);
        self.grammar.push(event);
        self.events.push(event);
        let now = self.offset + self.grammar.time;
        let (chain, bar) = &mut self.classes;
        while *bar < now / self.bar_steps {
            *bar += 1;
            self.told.energy = chain.next(self.told.energy, &mut self.class_rng);
        }
        Some(Step {
            token,
            position: (now % self.bar_steps) as u8,
            ..self.told
        })
    }

    /// How far the piece is to its final chord, from 0 to 1 (0 without one).
    fn progress(&self) -> f64 {
        self.ending.map_or(0.0, |e| {
            f64::from(self.grammar.time) / f64::from(e.onset.max(1))
        })
    }

    /// The steering rules' weights for the next choice.
    fn weigh(&self) -> Weights {
        let moment = Moment {
            grammar: &self.grammar,
            notes: &self.notes,
            offset: self.offset,
            bar_steps: self.bar_steps,
            progress: self.progress(),
            closing: self.ending.is_some_and(|e| self.grammar.time >= e.onset),
        };
        let mut weights = Weights::default();
        for rule in &self.rules {
            rule.weigh(&moment, &mut weights);
        }
        weights
    }

    /// Writes `event` into the notes and tells the rules, before the grammar takes it.
    fn write(&mut self, event: Event) {
        let now = self.grammar.time;
        // The final chord's notes are counted apart.
        let closing = self.ending.is_some_and(|e| now >= e.onset);
        match event {
            Event::Note(pitch) => {
                self.opening = false;
                if !closing {
                    self.lowest = Some(self.lowest.map_or(pitch, |low| low.min(pitch)));
                }
                self.notes.push(GridNote {
                    onset: now,
                    pitch,
                    duration: 0,
                    velocity_band: 0,
                });
            }
            Event::Duration(d) => {
                if let Some(note) = self.notes.last_mut() {
                    note.duration = u32::from(d);
                }
            }
            Event::Shift(_) | Event::Velocity(_) => {}
        }
        let moment = Moment {
            grammar: &self.grammar,
            notes: &self.notes,
            offset: self.offset,
            bar_steps: self.bar_steps,
            progress: self.progress(),
            closing,
        };
        for rule in &mut self.rules {
            rule.observe(event, &moment, &mut self.rng);
        }
    }

    /// The events sampled.
    pub(super) fn into_events(self) -> Vec<Event> {
        without_trailing_time(self.events)
    }
}

/// `motif` (in `found`, its estimated key) moved to the piece's `key` within `range`.
fn primer_in_key(
    motif: &[GridNote],
    found: Option<Key>,
    key: Key,
    range: &std::ops::RangeInclusive<u8>,
) -> Vec<GridNote> {
    match found {
        Some(found) => {
            let moved = to_mode(motif, found, key.mode, range);
            transpose_to(&moved, found.tonic, key.tonic, range)
        }
        None => Vec::new(),
    }
}

/// How an attempt's bars' energy classes are drawn, the generator they are
/// drawn with (a stream of the attempt's seed of their own), and the first bar's.
fn bar_classes(generator: &Generator, settings: &Settings, seed: u64) -> (ClassChain, Rng, u8) {
    let chain = match &generator.model.config.energy {
        Some(energy) => energy.chain(settings.energy),
        None => EnergyConfig::new(Vec::new()).chain(settings.energy),
    };
    let mut rng = Rng::new(Rng::derive(seed, ENERGY_STREAM));
    let first = chain.first(&mut rng);
    (chain, rng, first)
}

/// The primer read into a piece's network state.
struct Primed {
    /// The logits of the first new event.
    logits: Vec<f32>,
    /// Steps into a bar where the new music starts.
    offset: u32,
    /// The primer's last velocity band, which still holds for what follows.
    band: Option<u8>,
}

impl Primed {
    /// Reads `primer` (a velocity alone without one) into `state`, each
    /// step told what `told` tells, in bars of `bar_steps`.
    fn read(
        generator: &Generator,
        state: &mut PieceState,
        primer: &[GridNote],
        told: Step,
        bar_steps: u32,
    ) -> Primed {
        let mut tokens = tokens_of(primer);
        let mut positions = bar_positions(&tokens, bar_steps, 0);
        let offset = positions.last().map_or(0, |&p| u32::from(p));
        if tokens.len() > MAX_PRIMER_EVENTS {
            tokens.drain(..tokens.len() - MAX_PRIMER_EVENTS);
            positions.drain(..positions.len() - MAX_PRIMER_EVENTS);
        }
        if tokens.is_empty() {
            tokens.push(Event::Velocity(VELOCITY_BANDS / 2).token() as u16);
            positions.push(0);
        }
        let steps: Vec<Step> = tokens
            .iter()
            .zip(&positions)
            .map(|(&token, &position)| Step {
                token: usize::from(token),
                position,
                ..told
            })
            .collect();
        let band =
            tokens
                .iter()
                .rev()
                .find_map(|&token| match Event::from_token(usize::from(token)) {
                    Some(Event::Velocity(b)) => Some(b),
                    _ => None,
                });
        Primed {
            // The primer's last logits predict the first new event.
            logits: generator.read(state, &steps),
            offset,
            band,
        }
    }
}

/// How far an attempt runs.
struct Extent {
    /// Steps of the piece's own music, for a length in seconds.
    steps: u32,
    /// Events, for a length in events.
    events: usize,
    /// The cadence, for a length in seconds.
    ending: Option<Ending>,
    /// Events at most: a model that never moves time on would sample forever.
    cap: usize,
}

impl Extent {
    /// The extent of a piece asked for with `settings` after `primer`, its
    /// own music starting `offset` steps into a bar of `bar_steps`.
    fn of(settings: &Settings, primer: &[GridNote], offset: u32, bar_steps: u32) -> Extent {
        // Where the piece's own music starts: the primer's last onset.
        let primer_end = primer.iter().map(|n| n.onset).max().unwrap_or(0);
        match settings.length {
            Length::Seconds(s) => {
                let steps = steps_in(s, settings.quarters_per_minute()).saturating_sub(primer_end);
                Extent {
                    steps,
                    events: usize::MAX,
                    ending: Some(Ending::for_length(steps, offset, bar_steps)),
                    cap: 64 * (steps / STEPS_PER_BEAT) as usize + 256,
                }
            }
            Length::Events(n) => Extent {
                steps: u32::MAX,
                events: n,
                ending: None,
                cap: n + 1,
            },
        }
    }
}

/// `events` without trailing time: with no note in it, it is not music.
pub(super) fn without_trailing_time(mut events: Vec<Event>) -> Vec<Event> {
    while matches!(events.last(), Some(Event::Shift(_) | Event::Velocity(_))) {
        events.pop();
    }
    events
}
