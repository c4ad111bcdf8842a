//! Composing: stateful sampling from a trained model, with the user's controls
//! and the guards of [`crate::compose::guards`].

use std::path::Path;

use burn::tensor::activation::softmax;
use burn::tensor::{Device, Int, Tensor, TensorData};
use serde::Serialize;

use crate::compose::guards::{COPY_RUN, RunIndex, degenerate};
use crate::music::events::Step;
use crate::music::events::{
    Event, GridNote, MAX_SHIFT, STEPS_PER_BEAT, VELOCITY_BANDS, bar_positions, decode, encode,
    fingerprint, tokens_of,
};
use crate::music::key::{Key, KeyProfile, Mode, estimate_key, to_mode, transpose_to};
use crate::music::midi;
use crate::music::musicality::{ExcerptStyle, bar_sets, restatement};
use crate::music::piece::{Parts, TimeSignature};
use crate::network::Conditions;
use crate::network::device::is_cpu;
use crate::network::inference::{CpuComposer, CpuState};
use crate::network::lstm::LstmState;
use crate::rng::Rng;
use crate::saved::{ModelConfig, ModelError, SavedModel};

/// The copy-check index's file name inside a model folder.
pub const RUNS_FILE: &str = "runs.bin";
/// Tries before giving up on a piece that keeps failing the guards.
pub const MAX_ATTEMPTS: u32 = 8;
/// Attempts in which a piece (of a length in seconds) not heard in its key
/// (the Krumhansl-Schmuckler estimate over the whole piece) is composed
/// again; after them it is kept.
/// A customer who asks for D minor must hear D minor, but a piece is better
/// slightly ambiguous than not composed at all. Even steered to a real
/// excerpt's balance, about one piece in ten sounds in the parallel or a
/// neighbouring key, where the excerpt itself was ambiguous.
pub const KEY_ATTEMPTS: u32 = 4;
/// Longest primer kept, in events (its end matters most).
const MAX_PRIMER_EVENTS: usize = 1024;

/// How long a piece is.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Length {
    /// Until this many seconds of music at the piece's tempo.
    Seconds(f64),
    /// Exactly this many events (then the note in progress is finished).
    Events(usize),
}

/// The user's controls.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Settings {
    /// How long.
    pub length: Length,
    /// Tempo in beats per minute.
    pub bpm: f64,
    /// Pitch class (0 = C) of the piece's tonic; `None` draws one as the
    /// training music's keys are spread (or keeps the primer's).
    pub tonic: Option<u8>,
    /// The piece's mode; `None` draws one as the training music's modes are
    /// spread (or keeps the primer's).
    pub mode: Option<Mode>,
    /// Sampling temperature ("creativity"): below 1 safer, above 1 bolder
    /// (a note's length is never drawn bolder than at 1).
    pub temperature: f64,
    /// Nucleus sampling within each pitch class: a class keeps its likeliest
    /// notes whose probabilities add up to this share of the class (see `sample`).
    pub top_p: f64,
    /// Same seed, model and settings give the same piece.
    pub seed: u64,
    /// Music to continue, such as a customer's motif: the piece starts with
    /// it (moved to the piece's key) and its own music follows the primer's
    /// last onset; a length in seconds counts the primer's time too.
    #[serde(skip)]
    pub primer: Vec<GridNote>,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            length: Length::Seconds(30.0),
            bpm: 100.0,
            tonic: None,
            mode: None,
            temperature: 1.0,
            top_p: 0.9,
            seed: 1,
            primer: Vec::new(),
        }
    }
}

/// Errors of generation.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    /// A control is out of range.
    #[error("{field}: {message}")]
    Invalid {
        /// The control.
        field: &'static str,
        /// What is allowed.
        message: String,
    },
    /// Every attempt failed a guard.
    #[error("no acceptable piece after {MAX_ATTEMPTS} attempts: {}", .0.join("; "))]
    Exhausted(Vec<String>),
}

impl Settings {
    /// Checks every control; the error names the control.
    pub fn validate(&self) -> Result<(), GenerateError> {
        let invalid = |field, message: &str| {
            Err(GenerateError::Invalid {
                field,
                message: message.to_owned(),
            })
        };
        match self.length {
            Length::Seconds(s) if !(5.0..=600.0).contains(&s) => {
                return invalid("length", "must be 5 to 600 seconds");
            }
            Length::Events(n) if !(1..=50_000).contains(&n) => {
                return invalid("length", "must be 1 to 50000 events");
            }
            _ => {}
        }
        if !(30.0..=240.0).contains(&self.bpm) {
            return invalid("tempo", "must be 30 to 240 beats per minute");
        }
        if self.tonic.is_some_and(|t| t > 11) {
            return invalid("key", "tonic must be a pitch class, 0 (C) to 11 (B)");
        }
        if !(0.1..=2.0).contains(&self.temperature) {
            return invalid("temperature", "must be 0.1 to 2.0");
        }
        if !(self.top_p > 0.0 && self.top_p <= 1.0) {
            return invalid("top_p", "must be above 0 and at most 1");
        }
        if let (Length::Seconds(s), Some(end)) =
            (self.length, self.primer.iter().map(|n| n.onset).max())
            && end + BAR_STEPS > steps_in(s, self.bpm)
        {
            return invalid(
                "primer",
                "must leave at least a bar of the length after its last note starts",
            );
        }
        Ok(())
    }
}

/// A generated piece and how it came about.
#[derive(Debug, Clone, Serialize)]
pub struct Composition {
    /// Its notes on the grid.
    pub notes: Vec<GridNote>,
    /// Events sampled for the accepted attempt.
    pub events: usize,
    /// The seed of the accepted attempt (the settings' seed on a first try).
    pub attempt_seed: u64,
    /// Attempts made (1 when the first was accepted).
    pub attempts: u32,
    /// Why each earlier attempt was rejected.
    pub rejected: Vec<String>,
    /// The key it ended up in.
    pub key: Option<Key>,
    /// Tempo in beats per minute.
    pub bpm: f64,
    /// Length in seconds.
    pub seconds: f64,
    /// How many of `notes`, the first ones, are the primer's.
    pub primer_notes: usize,
}

/// A model ready to compose.
#[derive(Debug)]
pub struct Generator {
    /// The model.
    pub model: SavedModel,
    device: Device,
    /// The network in f16 for the CPU; `None` on other devices.
    cpu: Option<CpuComposer>,
    copies: Option<RunIndex>,
}

/// One piece's network state between events.
enum PieceState {
    /// f16 weights on the CPU.
    Cpu(CpuState),
    /// burn's operations on the model's device; `[1, H]` per layer.
    Burn(LstmState),
}

/// Grammar state while sampling, so that only well-formed events are drawn.
#[derive(Debug, Clone, Default)]
struct Grammar {
    awaiting_duration: bool,
    band: Option<u8>,
    time: u32,
    at_onset: Vec<u8>,
}

impl Grammar {
    fn push(&mut self, event: Event) {
        self.awaiting_duration = matches!(event, Event::Note(_));
        match event {
            Event::Shift(n) => {
                self.time += u32::from(n);
                self.at_onset.clear();
            }
            Event::Velocity(b) => self.band = Some(b),
            Event::Note(p) => self.at_onset.push(p),
            Event::Duration(_) => {}
        }
    }

    fn allows(&self, event: Event, range: &std::ops::RangeInclusive<u8>) -> bool {
        match event {
            Event::Duration(_) => self.awaiting_duration,
            _ if self.awaiting_duration => false,
            Event::Note(p) => range.contains(&p) && !self.at_onset.contains(&p),
            Event::Velocity(b) => self.band != Some(b),
            Event::Shift(_) => true,
        }
    }
}

/// Grid steps per bar of the pieces MixTape writes (4/4, the time signature of
/// their MIDI files).
pub const BAR_STEPS: u32 = 4 * STEPS_PER_BEAT;
/// The share of the network's out-of-key note probability the sampler keeps
/// (see [`Prior`]) for a model without a style, set from measured pieces
/// against real ones.
const CHROMATIC_KEPT: f64 = 0.8;
/// How hard a piece is steered back to its key profile, for a model whose
/// config sets no `balance_steps`: a pitch class this many steps of sounding
/// time short of its share has its notes made e times likelier (a beat of one
/// note). Measured on guitar and violin, 50 pieces each: 6, 12 and 24 steps
/// all gave the asked key in 88-98% of pieces. A solo line sounds a fraction
/// of a piano's time, so a beat per class is more slack for it: at 12 violin's
/// scale consistency was 0.036 below held-out and its entropy 0.18 bits above,
/// at 4 within 0.02 and 0.06 (see each model's card).
const BALANCE_STEPS: f64 = STEPS_PER_BEAT as f64;
/// The most the balance multiplies a class's notes by, as a power of e (and
/// the least, as its inverse): a class far behind is wanted, not forced.
const BALANCE_LIMIT: f64 = 6.0;
/// How much likelier the tonic triad's pitch classes are for the lowest note
/// on a downbeat, so that the bass keeps coming home and the key is heard.
/// Not for a solo line, whose downbeats are its melody's: pulled to the
/// triad, a cello's line leapt at bar lines (4.1 semitones a note against
/// 2.9 in held-out music, 3.9 without the pull; 100 pieces).
const TONIC_WEIGHT: f64 = 3.0;
/// How much likelier an echoing bar makes the events of the bar it echoes.
/// Measured (50 pieces each): at 12, echoed bars stayed loose and pieces
/// restated less than real ones whatever the chance of echoing (piano bar
/// repetition 0.27 against 0.38); at 40, with the chance following the
/// excerpt (see [`Restated`]), 0.35, and guitar 0.40 against 0.40, but
/// pieces all restated about as much (guitar's spread 0.09 against 0.19 in
/// real excerpts): a loose echo lifts a piece that should hardly restate and
/// holds back one that should restate a lot. At 200 (100 pieces, two sets)
/// guitar's spread is 0.10-0.11, its mean 0.42-0.44 against 0.40, and its
/// mean overlap against the ceiling 0.905 and 0.896 against 0.887 and 0.892;
/// at 1000 the echoed bars crowd out the network's rhythm (0.870).
const ECHO_WEIGHT: f64 = 200.0;
/// How steeply the chance of an echoing bar follows the piece's shortfall of
/// restated material: a shortfall of half a bar's worth gives 88%.
const RESTATE_GAIN: f64 = 4.0;
/// How much likelier a note that would repeat the top line's last pitch is
/// made, per repeat above the training music's rate (as a power of e): the
/// network, sampling, stalls on one pitch twice as often as real melodies.
const REPEAT_GAIN: f64 = 1.0;
/// The most a note that would repeat the top line's last pitch is made
/// likelier, when the piece repeats less than its excerpt: steered both ways,
/// guitar pieces repeated 0.080 of their top-line notes against 0.082 in its
/// training excerpts (0.067 when only held back; 100 pieces each).
const REPEAT_MOST: f64 = 3.0;
/// The steepest tilt, per semitone, as a power of e.
const LEAP_LIMIT: f64 = 0.5;
/// Bars of a phrase, whose last bar a piece's final chord prefers.
const PHRASE_BARS: u32 = 4;
/// Notes of the final chord at least, its bass included.
const MIN_FINAL_NOTES: usize = 2;
/// Notes of the final chord at most, its bass included.
const MAX_FINAL_NOTES: usize = 4;
/// Semitones a note of the final chord may lie above the one below it, so the
/// chord spans this much per note beyond the bass: a violin's double stop
/// within an octave, a guitar's three notes within two octaves, a pianist's
/// four within three.
const FINAL_SPAN_PER_NOTE: u8 = 12;

/// What the sampler knows of music beyond the network's logits.
///
/// Temperature flattens the network's distribution, and with it moves
/// probability from the notes of the key to the others: a bold piece would
/// also be an atonal one, and a cautious one would circle the tonic. So the
/// share of a step's note probability that goes to each pitch class is taken
/// from the network at temperature 1, weighted by [`Balance`], and temperature
/// reshapes the rest: the choice of octave within a class, between notes and
/// time, of rhythm and dynamics. Creativity changes surprise, not the key.
#[derive(Debug, Clone)]
struct Prior {
    /// Per pitch class (0 = C), how much likelier its notes are made.
    balance: [f64; 12],
    /// Pitch classes made [`TONIC_WEIGHT`] times likelier, if any.
    favoured: Option<[bool; 12]>,
    /// The events an echoing bar would play next (see [`Attempt::echoed`]),
    /// made [`ECHO_WEIGHT`] times likelier.
    echo: Vec<usize>,
    /// The note that would repeat the top line's last pitch, and how much
    /// likelier it is made (see [`TopLine::weight`]).
    repeat: Option<(usize, f64)>,
    /// For the first note of a solo line's onset, the top line's last pitch
    /// and the tilt against moving far from it (see [`TopLine::tilt`]).
    leap: Option<(u8, f64)>,
}

/// How much of the probability [`sample`] keeps (top-p), per kind of event.
#[derive(Debug, Clone, Copy)]
struct Nucleus {
    /// Of each pitch class's notes.
    notes: f64,
    /// Of the rests and lengths, outside a bar that echoes an earlier one.
    rhythm: f64,
}

impl Nucleus {
    /// The same share of everything.
    #[cfg(test)]
    fn all(top_p: f64) -> Nucleus {
        Nucleus {
            notes: top_p,
            rhythm: top_p,
        }
    }
}

/// Draws from `logits` at `temperature`, among the allowed events, with the
/// `prior`'s key balance, within the `nucleus`.
fn sample(
    logits: &[f32],
    allowed: impl Fn(usize) -> bool,
    temperature: f64,
    nucleus: Nucleus,
    prior: Option<&Prior>,
    rng: &mut Rng,
) -> usize {
    let mut candidates: Vec<(usize, f64)> = logits
        .iter()
        .enumerate()
        .filter(|&(token, _)| allowed(token))
        .map(|(token, &logit)| (token, f64::from(logit)))
        .collect();
    if let Some((from, tilt)) = prior.and_then(|p| p.leap) {
        tilt_notes(&mut candidates, from, tilt);
    }
    let top = candidates
        .iter()
        .map(|c| c.1)
        .fold(f64::NEG_INFINITY, f64::max);
    let pitch_class = |token: usize| match Event::from_token(token) {
        Some(Event::Note(p)) => Some(usize::from(p % 12)),
        _ => None,
    };
    // Note mass per pitch class, at temperature 1 and at `temperature`.
    let (mut at_one, mut at_t) = ([0.0f64; 12], [0.0f64; 12]);
    let mut weighted: Vec<(usize, f64)> = candidates
        .iter()
        .map(|&(token, logit)| {
            let weight = ((logit - top) / temperature).exp();
            if let (Some(_), Some(pc)) = (prior, pitch_class(token)) {
                at_one[pc] += (logit - top).exp();
                at_t[pc] += weight;
            }
            (token, weight)
        })
        .collect();
    if let Some(prior) = prior {
        let mut wanted = [0.0f64; 12];
        for pc in 0..12 {
            let favoured = if prior.favoured.is_some_and(|f| f[pc]) {
                TONIC_WEIGHT
            } else {
                1.0
            };
            wanted[pc] = at_one[pc] * prior.balance[pc] * favoured;
        }
        let (notes, wanted_total) = (at_t.iter().sum::<f64>(), wanted.iter().sum::<f64>());
        if wanted_total > 0.0 {
            for (token, weight) in &mut weighted {
                if let Some(pc) = pitch_class(*token) {
                    *weight *= notes * wanted[pc] / wanted_total / at_t[pc];
                }
            }
        }
        for (token, weight) in &mut weighted {
            if let Some((repeat, factor)) = prior.repeat
                && repeat == *token
            {
                *weight *= factor;
            }
            if prior.echo.contains(token) {
                *weight *= ECHO_WEIGHT;
            }
        }
    }
    // The nucleus works within each pitch class: it trims the unlikely
    // octaves of a class (a note far from the music's register), while the
    // prior alone decides how much each class is heard. Rests and lengths
    // form a group of their own, with a nucleus of their own: a model that
    // learned rhythm from enough music keeps its rare ones, which real music
    // has (piano pieces had 6.4 distinct lengths in 48 beats against 8.8 in
    // real ones when they were trimmed), while on thin data they are noise.
    // An echoing bar trims them as notes, so a rare one does not break it.
    let echoing = prior.is_some_and(|p| !p.echo.is_empty());
    let group = |token: usize| pitch_class(token).unwrap_or(12);
    let mut share = [nucleus.notes; 13];
    if !echoing {
        share[12] = nucleus.rhythm;
    }
    weighted.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut group_mass = [0.0f64; 13];
    for &(token, weight) in &weighted {
        group_mass[group(token)] += weight;
    }
    let mut group_kept = [0.0f64; 13];
    weighted.retain(|&(token, weight)| {
        let g = group(token);
        let keep = group_kept[g] < share[g] * group_mass[g];
        group_kept[g] += weight;
        keep
    });
    let mass: f64 = weighted.iter().map(|c| c.1).sum();
    let mut draw = rng.next_f64() * mass;
    for &(token, weight) in &weighted {
        draw -= weight;
        if draw <= 0.0 {
            return token;
        }
    }
    weighted.last().map_or(0, |c| c.0)
}

/// Tilts the note logits among `candidates` by `tilt` per semitone from
/// `from`, keeping the notes' total probability at temperature 1: the tilt
/// chooses among notes, it does not trade notes for rests (unkept, a line
/// held back after a leap fell silent: 224 of a violin run's 383 resampled
/// pieces were silent for over two bars, 2 with the notes' total kept).
fn tilt_notes(candidates: &mut [(usize, f64)], from: u8, tilt: f64) {
    let top = candidates
        .iter()
        .map(|c| c.1)
        .fold(f64::NEG_INFINITY, f64::max);
    let (mut before, mut after) = (0.0f64, 0.0f64);
    for (token, logit) in candidates.iter_mut() {
        if let Some(Event::Note(p)) = Event::from_token(*token) {
            before += (*logit - top).exp();
            *logit -= tilt * f64::from(from.abs_diff(p));
            after += (*logit - top).exp();
        }
    }
    if before > 0.0 && after > 0.0 {
        let lift = (before / after).ln();
        for (token, logit) in candidates.iter_mut() {
            if matches!(Event::from_token(*token), Some(Event::Note(_))) {
                *logit += lift;
            }
        }
    }
}

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
struct Balance {
    /// Wanted shares of sounding time per pitch class (0 = C), adding up to 1.
    target: [f64; 12],
    /// Sounding time so far per pitch class, in steps.
    sounded: [f64; 12],
    /// The final chord's sounding time per pitch class, in steps: counted in
    /// as the piece nears it, so that the music before leaves it room.
    ahead: [f64; 12],
    /// Steps of sounding time short of its share that make a class e times
    /// likelier (the model's `balance_steps`, else [`BALANCE_STEPS`]).
    steps: f64,
}

impl Balance {
    /// A piece in `key` following `profile`, ending on a tonic chord held
    /// `hold` steps, steered back `steps` at a time.
    fn new(profile: &KeyProfile, key: Key, hold: Option<u32>, steps: f64) -> Balance {
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
    fn weights(&self, progress: f64) -> [f64; 12] {
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
struct TopLine {
    /// The excerpt's share of top-line notes that repeat the one before.
    rate: f64,
    /// The excerpt's mean interval between top-line notes, in semitones, and
    /// the model's `leap_gain`, when the style has the one and the model the
    /// other.
    leap: Option<(f64, f64)>,
    /// The top line's last pitch.
    last: Option<u8>,
    /// Top-line notes after the first, how many of them repeated, and the
    /// semitones they moved in all.
    moves: u32,
    repeated: u32,
    travelled: f64,
}

impl TopLine {
    /// The top line of a piece following `style`, before its first note,
    /// held to its intervals by `leap_gain`, if any.
    fn new(style: &ExcerptStyle, leap_gain: Option<f64>) -> TopLine {
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
    fn onset(&mut self, top: u8) {
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
    fn weight(&self) -> f64 {
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
    fn tilt(&self) -> f64 {
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
struct Restated {
    /// The excerpt's bar repetition (see [`crate::music::musicality::bar_repetition`]).
    target: f64,
    /// The restatement of each bar scored so far, added up, and how many.
    sum: f64,
    scored: u32,
}

impl Restated {
    /// The chance that the next bar echoes: even when the piece restates as
    /// much as its excerpt, likelier the further it is behind, less likely
    /// the further ahead (a logistic of the shortfall, in bars' worth).
    fn echo_chance(&self) -> f64 {
        let short = self.target * f64::from(self.scored + 1) - self.sum;
        1.0 / (1.0 + (-RESTATE_GAIN * short).exp())
    }
}

/// The figures of its training excerpt that a piece is steered to while it is
/// composed (see [`ExcerptStyle`]).
#[derive(Debug, Clone)]
struct Steering {
    balance: Balance,
    top_line: TopLine,
    restated: Restated,
}

impl Steering {
    /// Steering to `style` for a piece in `key` that closes on a chord held
    /// `hold` steps, as hard as the model's `config` sets.
    fn new(style: &ExcerptStyle, key: Key, hold: Option<u32>, config: &ModelConfig) -> Steering {
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
fn scale_weights(key: Key) -> [f64; 12] {
    key.scale()
        .map(|inside| if inside { 1.0 } else { CHROMATIC_KEPT })
}

/// The training excerpt whose figures a piece follows: one in `mode`, drawn
/// by the piece's seed (any if none is in that mode).
fn choose_style(seed: u64, mode: Mode, styles: &[ExcerptStyle]) -> Option<&ExcerptStyle> {
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
const KEY_STREAM: u64 = 1 << 32;
/// The stream of an attempt's seed that draws its chance of echoing bars.
const ECHO_STREAM: u64 = (1 << 32) + 1;
/// The stream of a piece's seed that draws the training excerpt it follows.
const PROFILE_STREAM: u64 = (1 << 32) + 2;

/// The key a piece is composed in: the settings' tonic and mode where given,
/// else the primer's, else drawn (from the piece's seed) as the keys of the
/// model's training music are spread.
fn choose_key(settings: &Settings, primer: Option<Key>, counts: &[[u32; 12]; 2]) -> Key {
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

impl Generator {
    /// Opens the model in `dir` with its copy-check index, if it has one.
    pub fn open(dir: &Path, device: &Device) -> Result<Generator, ModelError> {
        let model = SavedModel::load(dir, device)?;
        let runs = dir.join(RUNS_FILE);
        let copies = if runs.exists() {
            Some(RunIndex::load(&runs).map_err(|e| ModelError::BadWeights(runs, e.to_string()))?)
        } else {
            None
        };
        let cpu =
            is_cpu(device).then(|| model.network.for_cpu(model.config.network.instrument_id()));
        Ok(Generator {
            model,
            device: device.clone(),
            cpu,
            copies,
        })
    }

    /// Whether pieces are checked for copies of the training music.
    pub fn checks_copies(&self) -> bool {
        self.copies.is_some()
    }

    /// A piece's state before it has read anything.
    fn zero_state(&self) -> PieceState {
        match &self.cpu {
            Some(composer) => PieceState::Cpu(composer.zero_state()),
            None => PieceState::Burn(self.model.network.zero_state(1, &self.device)),
        }
    }

    /// Reads `steps` (at least one) in order into one piece's state; the
    /// logits of the event after the last.
    fn read(&self, state: &mut PieceState, steps: &[Step]) -> Vec<f32> {
        match (state, &self.cpu) {
            (PieceState::Cpu(state), Some(composer)) => steps
                .iter()
                .map(|&step| composer.step(step, state))
                .last()
                .expect("at least one step"),
            (PieceState::Burn(state), _) => {
                let network = &self.model.network;
                let ids: Vec<i32> = steps.iter().map(|s| s.token as i32).collect();
                let positions: Vec<i32> = steps.iter().map(|s| i32::from(s.position)).collect();
                let inputs = Tensor::<2, Int>::from_data(
                    TensorData::new(ids, [1, steps.len()]),
                    &self.device,
                );
                let conditions = Conditions {
                    instrument: self.model.config.network.instrument_id(),
                    keys: Some(Tensor::from_data(
                        TensorData::new(vec![i32::from(steps[0].key)], [1]),
                        &self.device,
                    )),
                    positions: Some(Tensor::from_data(
                        TensorData::new(positions, [1, steps.len()]),
                        &self.device,
                    )),
                };
                let (logits, next) = network.forward(inputs, &conditions, state.clone());
                *state = next;
                let vocab = logits.dims()[2];
                logits
                    .narrow(1, steps.len() - 1, 1)
                    .reshape([vocab])
                    .into_data()
                    .try_to_vec()
                    .expect("float logits")
            }
            (PieceState::Cpu(_), None) => unreachable!("CPU states come from the CPU composer"),
        }
    }

    /// Reads one step into each piece's state in one network step; each
    /// piece's logits of its next event.
    fn read_batch(&self, states: &mut [&mut PieceState], steps: &[Step]) -> Vec<Vec<f32>> {
        if let Some(composer) = &self.cpu {
            let mut cpu: Vec<&mut CpuState> = states
                .iter_mut()
                .map(|state| match state {
                    PieceState::Cpu(state) => state,
                    PieceState::Burn(_) => unreachable!("a CPU model has CPU states"),
                })
                .collect();
            return composer.step_batch(steps, &mut cpu);
        }
        // On other devices the pieces' states are stacked into one `[B, H]`
        // per layer, stepped together, and split again.
        let burn: Vec<&LstmState> = states
            .iter()
            .map(|state| match state {
                PieceState::Burn(state) => state,
                PieceState::Cpu(_) => unreachable!("a burn model has burn states"),
            })
            .collect();
        let stack = |part: fn(&LstmState) -> &Vec<Tensor<2>>| -> Vec<Tensor<2>> {
            (0..part(burn[0]).len())
                .map(|layer| Tensor::cat(burn.iter().map(|s| part(s)[layer].clone()).collect(), 0))
                .collect()
        };
        let stacked = LstmState {
            hidden: stack(|s| &s.hidden),
            cell: stack(|s| &s.cell),
        };
        let batch = steps.len();
        let ids: Vec<i32> = steps.iter().map(|s| s.token as i32).collect();
        let inputs = Tensor::<2, Int>::from_data(TensorData::new(ids, [batch, 1]), &self.device);
        let instrument = self.model.config.network.instrument_id();
        let conditions = Conditions::of_steps(instrument, steps, &self.device);
        let (logits, next) = self.model.network.forward(inputs, &conditions, stacked);
        for (b, state) in states.iter_mut().enumerate() {
            let row = |tensors: &Vec<Tensor<2>>| -> Vec<Tensor<2>> {
                tensors.iter().map(|t| t.clone().narrow(0, b, 1)).collect()
            };
            **state = PieceState::Burn(LstmState {
                hidden: row(&next.hidden),
                cell: row(&next.cell),
            });
        }
        let logits: Vec<f32> = logits
            .into_data()
            .convert::<f32>()
            .try_into_vec()
            .expect("float logits");
        logits
            .chunks_exact(logits.len() / batch)
            .map(<[f32]>::to_vec)
            .collect()
    }

    /// Samples one attempt's events, carrying the LSTM state from one to the next.
    pub fn sample_events(&self, settings: &Settings, seed: u64) -> Vec<Event> {
        let mut state = self.zero_state();
        let mut attempt = Attempt::start(self, settings, seed, &mut state);
        while let Some(step) = attempt.next_step(settings) {
            attempt.logits = self.read(&mut state, &[step]);
        }
        attempt.into_events()
    }

    /// Composes a piece, resampling with derived seeds while it fails a guard.
    pub fn generate(&self, settings: &Settings) -> Result<Composition, GenerateError> {
        let mut batch = Batch::new(self);
        batch.add(settings.clone(), ()).map_err(|(_, err)| err)?;
        loop {
            if let Some(((), result)) = batch.step().pop() {
                return result;
            }
        }
    }

    /// Turns an attempt's events, composed in `key`, into a composition, or
    /// says which guard it fails.
    fn judge(
        &self,
        primer: &[GridNote],
        events: &[Event],
        key: Key,
        settings: &Settings,
        attempt: u32,
    ) -> Result<Composition, String> {
        // The guards judge what the network wrote; the key is the whole piece's.
        let own = decode(events);
        // The events of the piece's own music follow the primer's from its
        // last onset, where the primer's events leave time.
        let notes = decode(&[encode(primer), events.to_vec()].concat());
        let problem = degenerate(&own)
            .or_else(|| {
                let copies = self.copies.as_ref()?;
                copies.find(&own).map(|start| {
                    format!("{COPY_RUN} notes from note {start} copy the training music")
                })
            })
            .or_else(|| {
                // A piece of so many events is a raw sample, with no close.
                let whole = matches!(settings.length, Length::Seconds(_));
                let heard = estimate_key(&notes).filter(|&heard| heard != key)?;
                (whole && attempt < KEY_ATTEMPTS).then(|| format!("heard in {heard}, not in {key}"))
            });
        if let Some(problem) = problem {
            return Err(problem);
        }
        let end = notes
            .iter()
            .map(|n| n.onset + n.duration)
            .max()
            .unwrap_or(0);
        Ok(Composition {
            events: events.len(),
            attempt_seed: 0,
            attempts: 0,
            rejected: Vec::new(),
            key: Some(key),
            bpm: settings.bpm,
            seconds: f64::from(end) / f64::from(STEPS_PER_BEAT) * 60.0 / settings.bpm,
            primer_notes: notes.len() - own.len(),
            notes,
        })
    }
}

/// Where a piece ends: a tonic chord on a downbeat, held.
#[derive(Debug, Clone, Copy)]
struct Ending {
    /// The final chord's onset, in steps from the piece's start.
    onset: u32,
    /// How long it is held, in steps.
    hold: u32,
}

impl Ending {
    /// The ending of a piece of about `target` steps that starts `offset`
    /// steps into a bar: the final chord on the downbeat after the start that
    /// makes the piece, chord included, nearest to `target` long; or in the
    /// last bar of a four-bar phrase if that is at most half a bar further
    /// from it. Real music closes its phrases in four-bar groups (a close a
    /// bar later sounds like an afterthought), but an advert's slot is the
    /// length asked, so the length comes first.
    fn for_length(target: u32, offset: u32) -> Ending {
        // A bar's chord for a piece of four bars or more; half a bar's before.
        let hold = if target >= 4 * BAR_STEPS {
            BAR_STEPS
        } else {
            BAR_STEPS / 2
        };
        // Bars counted from the bar the piece (or its primer) starts in.
        let length = |bar: u32| (bar * BAR_STEPS + hold - offset).abs_diff(target);
        let bars = offset / BAR_STEPS + 1..=(offset + target) / BAR_STEPS + 1;
        let closes_phrase = |&bar: &u32| (bar + 1).is_multiple_of(PHRASE_BARS);
        let nearest = bars
            .clone()
            .min_by_key(|&bar| length(bar))
            .expect("at least one bar");
        let bar = bars
            .filter(closes_phrase)
            .filter(|&bar| length(bar) <= length(nearest) + BAR_STEPS / 2)
            .min_by_key(|&bar| length(bar))
            .unwrap_or(nearest);
        Ending {
            onset: bar * BAR_STEPS - offset,
            hold,
        }
    }
}

/// How many steps a piece asked to be `target` steps long (without a primer)
/// lasts: to the end of its final chord.
pub fn closing_length(target: u32) -> u32 {
    let ending = Ending::for_length(target, 0);
    ending.onset + ending.hold
}

/// Grid steps in `seconds` at `bpm`, rounded up.
fn steps_in(seconds: f64, bpm: f64) -> u32 {
    (seconds * bpm / 60.0 * f64::from(STEPS_PER_BEAT)).ceil() as u32
}

/// One attempt at a piece between network steps: what was sampled, and the
/// logits of the next event.
struct Attempt {
    rng: Rng,
    /// The nucleus of rests and lengths outside an echoing bar (the model's
    /// `rhythm_top_p`, else the settings' `top_p`).
    rhythm_top_p: Option<f64>,
    grammar: Grammar,
    range: std::ops::RangeInclusive<u8>,
    events: Vec<Event>,
    logits: Vec<f32>,
    target_steps: u32,
    target_events: usize,
    cap: usize,
    /// The key the piece is composed in.
    key: Key,
    /// Steps into a bar where the new music starts (after a primer).
    offset: u32,
    /// The primer as the piece plays it, in its key; empty without one.
    primer: Vec<GridNote>,
    /// The cadence, for pieces measured in seconds.
    ending: Option<Ending>,
    /// Set when the final chord is complete.
    finished: bool,
    /// Whether the piece, with no primer, has yet to play its first note.
    opening: bool,
    /// The notes written so far, in order.
    notes: Vec<GridNote>,
    /// How many steps back the current bar echoes, if it does.
    echo_lag: Option<u32>,
    /// For a model without a style, this piece's chance that a bar (from the
    /// third on) echoes an earlier one, the square root of an even draw from
    /// 0 to 1: most real pieces restate their bars often, a few hardly ever,
    /// and a fixed chance made every piece alike.
    echo_chance: f64,
    /// The excerpt's figures it is steered to; `None` for a model without a style.
    steering: Option<Steering>,
    /// Notes of the final chord at most: twice the excerpt's notes per onset
    /// (a solo violin closes on a double stop, a piano on a full chord).
    final_notes: usize,
    /// The lowest note before the final chord, whose bass is the tonic at
    /// most an octave above it: the close stays in the piece's register.
    lowest: Option<u8>,
    /// Whether the instrument plays one line (it learns from its files' first
    /// parts), whose downbeats are its melody's rather than a bass's.
    solo: bool,
}

impl Attempt {
    /// Starts an attempt with `seed`, reading the primer into `state`.
    fn start(
        generator: &Generator,
        settings: &Settings,
        seed: u64,
        state: &mut PieceState,
    ) -> Attempt {
        let mut grammar = Grammar::default();
        let primer_key = estimate_key(&settings.primer);
        let key = choose_key(settings, primer_key, &generator.model.config.key_counts);
        // The primer moved to the piece's key.
        let range = generator.model.instrument.range();
        let primer = match primer_key {
            Some(found) => {
                let moved = to_mode(&settings.primer, found, key.mode, &range);
                transpose_to(&moved, found.tonic, key.tonic, &range)
            }
            None => Vec::new(),
        };
        let mut tokens = tokens_of(&primer);
        let mut positions = bar_positions(&tokens, BAR_STEPS, 0);
        let offset = positions.last().map_or(0, |&p| u32::from(p));
        // Where the piece's own music starts: the primer's last onset.
        let primer_end = primer.iter().map(|n| n.onset).max().unwrap_or(0);
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
                key: key.index(),
                position,
            })
            .collect();
        // The primer's last logits predict the first new event.
        let logits = generator.read(state, &steps);
        // The last velocity of the primer still holds for what follows.
        for token in &tokens {
            if let Some(Event::Velocity(b)) = Event::from_token(usize::from(*token)) {
                grammar.band = Some(b);
            }
        }
        let (target_steps, target_events) = match settings.length {
            Length::Seconds(s) => (
                steps_in(s, settings.bpm).saturating_sub(primer_end),
                usize::MAX,
            ),
            Length::Events(n) => (u32::MAX, n),
        };
        let ending = match settings.length {
            Length::Seconds(_) => Some(Ending::for_length(target_steps, offset)),
            Length::Events(_) => None,
        };
        // A model that never moves time on would sample forever.
        let cap = match settings.length {
            Length::Seconds(_) => 64 * (target_steps / STEPS_PER_BEAT) as usize + 256,
            Length::Events(n) => n + 1,
        };
        let styles = generator.model.config.style.as_ref();
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
            logits,
            target_steps,
            target_events,
            cap,
            key,
            offset,
            primer,
            ending,
            finished: false,
            opening: settings.primer.is_empty(),
            notes: Vec::new(),
            echo_lag: None,
            echo_chance: Rng::new(Rng::derive(seed, ECHO_STREAM)).next_f64().sqrt(),
            steering: style
                .map(|s| Steering::new(s, key, ending.map(|e| e.hold), &generator.model.config)),
            final_notes: style.map_or(MAX_FINAL_NOTES, |s| {
                ((2.0 * f64::from(s.polyphony)).round() as usize)
                    .clamp(MIN_FINAL_NOTES, MAX_FINAL_NOTES)
            }),
            lowest: None,
            solo,
        }
    }

    /// Whether the grammar, the ending and the instrument allow `event` now.
    fn allows(&self, event: Event) -> bool {
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
    fn next_step(&mut self, settings: &Settings) -> Option<Step> {
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
        let progress = self
            .ending
            .map_or(0.0, |e| f64::from(now) / f64::from(e.onset.max(1)));
        let bass_on_downbeat = !self.solo
            && (self.offset + now).is_multiple_of(BAR_STEPS)
            && self.grammar.at_onset.is_empty()
            && !awaiting;
        let favoured = bass_on_downbeat.then(|| {
            let mut favoured = [false; 12];
            for degree in self.key.triad() {
                favoured[usize::from((degree + self.key.tonic) % 12)] = true;
            }
            favoured
        });
        let prior = Prior {
            balance: self
                .steering
                .as_ref()
                .map_or_else(|| scale_weights(self.key), |s| s.balance.weights(progress)),
            favoured,
            echo: self.echoed(),
            repeat: self.steering.as_ref().and_then(|steering| {
                let top_line = &steering.top_line;
                let last = top_line.last?;
                let below = self.grammar.at_onset.iter().all(|&p| p < last);
                (below && !awaiting).then(|| (Event::Note(last).token(), top_line.weight()))
            }),
            // A solo line's first note at an onset is its melody's next note
            // (a chord's notes come bass first, so elsewhere the top line's
            // note is not known until the onset is complete).
            leap: self.steering.as_ref().and_then(|steering| {
                let top_line = &steering.top_line;
                let first = self.grammar.at_onset.is_empty() && !awaiting;
                (self.solo && first).then_some((top_line.last?, top_line.tilt()))
            }),
        };
        // A note's length is drawn no bolder than at temperature 1: flattened,
        // the lengths stretch, and the balance, which counts sounding time,
        // let one long note pay a class's share. At creativity 1.5 a
        // quartet's notes outside the scale lasted 2.2 beats against 1.2
        // inside (0.7 and 0.75 at 0.5), so by count its pieces were 0.910 in
        // scale against 0.887 at 0.5. Boldness is in which notes and when.
        let temperature = if awaiting {
            settings.temperature.min(1.0)
        } else {
            settings.temperature
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
            Some(&prior),
            &mut rng,
        );
        self.rng = rng;
        let event = Event::from_token(token).expect("sampled from the vocabulary");
        if self.ending.is_some_and(|e| now >= e.onset) && matches!(event, Event::Shift(_)) {
            self.finished = true;
            return None;
        }
        // The final chord's notes are counted apart.
        let before_close = self.ending.is_none_or(|e| now < e.onset);
        match event {
            Event::Note(pitch) => {
                self.opening = false;
                if before_close {
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
                    // The final chord was counted ahead.
                    if let (Some(steering), true) = (&mut self.steering, before_close) {
                        steering.balance.sounded[usize::from(note.pitch % 12)] += f64::from(d);
                    }
                }
            }
            Event::Shift(n) => {
                if let (Some(steering), Some(&top)) =
                    (&mut self.steering, self.grammar.at_onset.iter().max())
                {
                    steering.top_line.onset(top);
                }
                let (this, next) = (
                    (self.offset + now) / BAR_STEPS,
                    (self.offset + now + u32::from(n)) / BAR_STEPS,
                );
                if next != this {
                    self.score_bars(this..next);
                    self.echo_lag = self.choose_echo(next);
                }
            }
            Event::Velocity(_) => {}
        }
        self.grammar.push(event);
        self.events.push(event);
        Some(Step {
            token,
            key: self.key.index(),
            position: ((self.offset + self.grammar.time) % BAR_STEPS) as u8,
        })
    }

    /// Whether bar `bar` (counted from the piece's first) echoes an earlier
    /// one, and how many steps back: two bars back, or four, as phrases come
    /// back in real music.
    fn choose_echo(&mut self, bar: u32) -> Option<u32> {
        let first = self.offset / BAR_STEPS;
        let bar = bar - first;
        let chance = self
            .steering
            .as_ref()
            .map_or(self.echo_chance, |s| s.restated.echo_chance());
        if bar < 2 || self.rng.next_f64() >= chance {
            return None;
        }
        let bars = if bar >= 4 && self.rng.next_f64() < 0.5 {
            4
        } else {
            2
        };
        Some(bars * BAR_STEPS)
    }

    /// Scores how much each of `bars` (counted from the primer's first bar),
    /// now complete, restates the piece's earlier bars.
    fn score_bars(&mut self, bars: std::ops::Range<u32>) {
        let Some(steering) = &mut self.steering else {
            return;
        };
        let restated = &mut steering.restated;
        let first = self.offset / BAR_STEPS;
        // The piece's own notes, on bars counted from its first.
        let notes: Vec<GridNote> = self
            .notes
            .iter()
            .map(|n| GridNote {
                onset: n.onset + self.offset % BAR_STEPS,
                ..*n
            })
            .collect();
        let sets = bar_sets(&notes, BAR_STEPS);
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
    fn echoed(&self) -> Vec<usize> {
        let Some(lag) = self.echo_lag else {
            return Vec::new();
        };
        let now = self.grammar.time;
        let Some(then) = now.checked_sub(lag) else {
            return Vec::new();
        };
        let from = self.notes.partition_point(|n| n.onset < then);
        let at_then = self.notes[from..].iter().take_while(|n| n.onset == then);
        if self.grammar.awaiting_duration {
            let pitch = self.grammar.at_onset.last().copied();
            return at_then
                .filter(|n| Some(n.pitch) == pitch && n.duration > 0)
                .map(|n| Event::Duration(n.duration as u8).token())
                .collect();
        }
        let top = self.grammar.at_onset.iter().max().copied();
        if let Some(next) = at_then.clone().find(|n| top.is_none_or(|t| n.pitch > t)) {
            return vec![Event::Note(next.pitch).token()];
        }
        let next_onset = self.notes[from..]
            .iter()
            .map(|n| n.onset)
            .find(|&o| o > then);
        match next_onset {
            Some(onset) if onset - then <= MAX_SHIFT => {
                vec![Event::Shift((onset - then) as u8).token()]
            }
            _ => Vec::new(),
        }
    }

    /// The events sampled.
    fn into_events(self) -> Vec<Event> {
        without_trailing_time(self.events)
    }
}

/// `events` without trailing time: with no note in it, it is not music.
fn without_trailing_time(mut events: Vec<Event>) -> Vec<Event> {
    while matches!(events.last(), Some(Event::Shift(_) | Event::Velocity(_))) {
        events.pop();
    }
    events
}

/// A piece in a [`Batch`].
struct InFlight<T> {
    tag: T,
    settings: Settings,
    /// Attempts started so far (the current one included).
    attempts: u32,
    /// The current attempt's seed.
    seed: u64,
    rejected: Vec<String>,
    state: PieceState,
    attempt: Attempt,
}

/// Pieces composed together: each step samples one event for every piece in
/// flight and reads them all in one pass of the network (each slice of the
/// weights used for all of them at once). A piece's music is the same whether
/// it is composed alone or beside others (on the CPU, to the bit).
pub struct Batch<'g, T> {
    generator: &'g Generator,
    pieces: Vec<InFlight<T>>,
}

impl<'g, T> Batch<'g, T> {
    /// An empty batch for `generator`'s model.
    pub fn new(generator: &'g Generator) -> Batch<'g, T> {
        Batch {
            generator,
            pieces: Vec::new(),
        }
    }

    /// Pieces in flight.
    pub fn len(&self) -> usize {
        self.pieces.len()
    }

    /// Whether no piece is in flight.
    pub fn is_empty(&self) -> bool {
        self.pieces.is_empty()
    }

    /// Adds a piece to compose, known by `tag`; invalid settings are refused
    /// at once.
    pub fn add(&mut self, settings: Settings, tag: T) -> Result<(), (T, GenerateError)> {
        if let Err(err) = settings.validate() {
            return Err((tag, err));
        }
        let mut state = self.generator.zero_state();
        let attempt = Attempt::start(self.generator, &settings, settings.seed, &mut state);
        self.pieces.push(InFlight {
            tag,
            seed: settings.seed,
            settings,
            attempts: 1,
            rejected: Vec::new(),
            state,
            attempt,
        });
        Ok(())
    }

    /// Advances every piece by one event; the pieces that finished, each
    /// accepted or out of attempts.
    pub fn step(&mut self) -> Vec<(T, Result<Composition, GenerateError>)> {
        let generator = self.generator;
        let mut finished = Vec::new();
        let mut steps = Vec::with_capacity(self.pieces.len());
        let mut i = 0;
        while i < self.pieces.len() {
            let piece = &mut self.pieces[i];
            if let Some(step) = piece.attempt.next_step(&piece.settings) {
                steps.push(step);
                i += 1;
                continue;
            }
            // The attempt is complete: keep it, or start the next one.
            let events = without_trailing_time(std::mem::take(&mut piece.attempt.events));
            let attempt = &piece.attempt;
            match generator.judge(
                &attempt.primer,
                &events,
                attempt.key,
                &piece.settings,
                piece.attempts,
            ) {
                Ok(composition) => {
                    let piece = self.pieces.swap_remove(i);
                    finished.push((
                        piece.tag,
                        Ok(Composition {
                            attempt_seed: piece.seed,
                            attempts: piece.attempts,
                            rejected: piece.rejected,
                            ..composition
                        }),
                    ));
                }
                Err(problem) => {
                    tracing::info!(attempt = piece.attempts, seed = piece.seed, %problem, "piece rejected, resampling");
                    piece.rejected.push(problem);
                    if piece.attempts == MAX_ATTEMPTS {
                        let piece = self.pieces.swap_remove(i);
                        finished.push((piece.tag, Err(GenerateError::Exhausted(piece.rejected))));
                    } else {
                        piece.seed = Rng::derive(piece.settings.seed, u64::from(piece.attempts));
                        piece.attempts += 1;
                        piece.state = generator.zero_state();
                        piece.attempt = Attempt::start(
                            generator,
                            &piece.settings,
                            piece.seed,
                            &mut piece.state,
                        );
                    }
                }
            }
        }
        if !steps.is_empty() {
            let mut states: Vec<&mut PieceState> = self
                .pieces
                .iter_mut()
                .map(|piece| &mut piece.state)
                .collect();
            let logits = generator.read_batch(&mut states, &steps);
            for (piece, logits) in self.pieces.iter_mut().zip(logits) {
                piece.attempt.logits = logits;
            }
        }
        finished
    }
}

impl Composition {
    /// The music's identity whatever its key or tempo (see [`fingerprint`]).
    pub fn fingerprint(&self) -> String {
        fingerprint(&self.notes)
    }

    /// The piece as a standard MIDI file for `program`.
    pub fn to_midi(&self, program: u8) -> Vec<u8> {
        let notes: Vec<_> = self.notes.iter().map(|n| n.to_note(program)).collect();
        midi::write(&notes, program, self.bpm, TimeSignature::default())
    }
}

/// The window-re-running generation loop of the paper, kept only to measure
/// what stateful generation saves: every new event re-reads the last `window`
/// events from a zero state.
pub fn paper_loop_events(
    generator: &Generator,
    window: usize,
    count: usize,
    seed: u64,
) -> Vec<usize> {
    let network = &generator.model.network;
    let device = &generator.device;
    let instrument = generator.model.config.network.instrument_id();
    let mut rng = Rng::new(seed);
    let mut pattern: Vec<usize> = (0..window).map(|_| rng.below(MAX_SHIFT as usize)).collect();
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        let ids: Vec<i32> = pattern.iter().map(|&t| t as i32).collect();
        let inputs = Tensor::<2, Int>::from_data(TensorData::new(ids, [1, window]), device);
        let conditions = Conditions::instrument(instrument);
        let (logits, _) = network.forward(inputs, &conditions, network.zero_state(1, device));
        let vocab = logits.dims()[2];
        let last = softmax(logits.narrow(1, window - 1, 1).reshape([1, vocab]), 1);
        let token: i32 = last.argmax(1).into_scalar();
        out.push(token as usize);
        pattern.remove(0);
        pattern.push(token as usize);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sampling_respects_the_mask_and_temperature() {
        let logits = [0.0f32, 5.0, 4.0, -3.0];
        let mut rng = Rng::new(1);
        for _ in 0..200 {
            assert_ne!(
                sample(&logits, |t| t != 1, 1.0, Nucleus::all(1.0), None, &mut rng),
                1
            );
        }
        // A low temperature is almost greedy; a high one spreads out.
        let cold = (0..500)
            .filter(|_| sample(&logits, |_| true, 0.1, Nucleus::all(1.0), None, &mut rng) == 1)
            .count();
        let hot = (0..500)
            .filter(|_| sample(&logits, |_| true, 2.0, Nucleus::all(1.0), None, &mut rng) == 1)
            .count();
        assert!(cold > 495 && hot < 400, "{cold} {hot}");
    }

    #[test]
    fn the_nucleus_trims_far_octaves_of_a_class_and_rhythms_by_their_own_share() {
        let mut logits = vec![-30.0f32; crate::music::events::VOCAB_SIZE];
        let (c4, c7, d4) = (
            Event::Note(60).token(),
            Event::Note(96).token(),
            Event::Note(62).token(),
        );
        let (beat, rare_shift) = (Event::Shift(12).token(), Event::Shift(5).token());
        for (token, logit) in [
            (c4, 5.0),
            (c7, 0.0),
            (d4, 0.0),
            (beat, 5.0),
            (rare_shift, 0.0),
        ] {
            logits[token] = logit;
        }
        let draws = |nucleus: Nucleus, prior: Option<&Prior>| {
            let mut rng = Rng::new(9);
            let mut counts = std::collections::HashMap::new();
            for _ in 0..6000 {
                *counts
                    .entry(sample(&logits, |_| true, 1.0, nucleus, prior, &mut rng))
                    .or_insert(0) += 1;
            }
            counts
        };
        let keep_rhythm = Nucleus {
            notes: 0.9,
            rhythm: 1.0,
        };
        let free = draws(keep_rhythm, None);
        // C7 holds under 1% of class C: a note far from the register.
        assert_eq!(free.get(&c7), None, "{free:?}");
        // D4 as unlikely, but the whole of its class: the key decides on it.
        assert!(free.get(&d4).is_some_and(|&n| n > 5), "{free:?}");
        assert!(free.get(&rare_shift).is_some_and(|&n| n > 5), "{free:?}");
        let trimmed = draws(Nucleus::all(0.9), None);
        assert_eq!(trimmed.get(&rare_shift), None, "{trimmed:?}");
        assert!(trimmed.get(&d4).is_some_and(|&n| n > 5), "{trimmed:?}");

        let echoing = Prior {
            balance: [1.0; 12],
            favoured: None,
            echo: vec![beat],
            repeat: None,
            leap: None,
        };
        let echo = draws(keep_rhythm, Some(&echoing));
        assert_eq!(echo.get(&rare_shift), None, "{echo:?}");
        assert_eq!(echo.get(&c7), None, "{echo:?}");
    }

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
        let mut balance = Balance::new(&profile, g_major, None, BALANCE_STEPS);
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
        // A model's `balance_steps` of 4 steers three times as hard.
        let mut tight = Balance::new(&profile, g_major, None, 4.0);
        tight.sounded[7] = 12.0;
        assert!((tight.weights(0.0)[2] - 1.5f64.exp()).abs() < 1e-9);
        // A class the profile never sounds is not pushed in for being unheard.
        assert_eq!(weights[1], 1.0);
        // Far behind is wanted, not forced.
        balance.sounded[7] = 10_000.0;
        assert_eq!(balance.weights(0.0)[2], BALANCE_LIMIT.exp());
        // A final chord held a bar is counted in as the piece nears it.
        let ahead = Balance::new(&profile, g_major, Some(BAR_STEPS), BALANCE_STEPS);
        assert_eq!(ahead.weights(0.0), [1.0; 12]);
        let near = ahead.weights(1.0);
        // Its triad: G and D wanted half the time each, B not at all.
        assert!(near[11] < 1.0 && near[7] > 1.0 && near[2] > 1.0, "{near:?}");
    }

    #[test]
    fn each_piece_follows_one_excerpt_of_its_mode() {
        let style = |mode, top_line_repeats| ExcerptStyle {
            profile: KeyProfile {
                mode,
                shares: [0.0; 12],
            },
            top_line_repeats,
            bar_repetition: 0.3,
            polyphony: 1.5,
            top_line_interval: None,
        };
        let styles = [
            style(Mode::Major, 0.1),
            style(Mode::Major, 0.2),
            style(Mode::Minor, 0.3),
        ];
        let drawn: Vec<f32> = (0..200)
            .filter_map(|seed| choose_style(seed, Mode::Major, &styles))
            .map(|s| s.top_line_repeats)
            .collect();
        assert_eq!(drawn.len(), 200);
        let first = drawn.iter().filter(|&&s| s == 0.1).count();
        assert!((70..130).contains(&first), "{first}");
        assert!(drawn.iter().all(|&s| s != 0.3));
        assert_eq!(
            choose_style(5, Mode::Minor, &styles[..2]).map(|s| s.profile.mode),
            Some(Mode::Major),
            "any excerpt when none is in the mode"
        );
        assert!(choose_style(5, Mode::Minor, &[]).is_none());
    }

    #[test]
    fn bars_echo_more_when_the_piece_restates_less_than_its_excerpt() {
        let mut restated = Restated {
            target: 0.4,
            sum: 0.0,
            scored: 0,
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
        let mut line = TopLine::new(&style, Some(LEAP_GAIN));
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
        // Far behind, at most [`REPEAT_MOST`] times.
        assert_eq!(behind.weight(), REPEAT_MOST);
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
        // Far beyond, at most [`LEAP_LIMIT`].
        for top in [48, 84, 48] {
            line.onset(top);
        }
        assert_eq!(line.tilt(), LEAP_LIMIT);
        // Against 2 a move, 2 short: not pushed to leap.
        assert_eq!(rising(0.1, Some(2.0)).tilt(), 0.0);
        // A style measured before intervals were kept does not tilt.
        assert_eq!(rising(0.1, None).tilt(), 0.0);

        // From E4, G4 (3 semitones), C5 (8) and a beat's rest as likely to
        // the network: tilted by 0.25 a semitone, C5 is e^(5 / 4) = 3.5 times
        // less likely than G4, while the rest keeps its third.
        let mut logits = vec![-30.0f32; crate::music::events::VOCAB_SIZE];
        let (g4, c5) = (Event::Note(67).token(), Event::Note(72).token());
        let rest = Event::Shift(STEPS_PER_BEAT as u8).token();
        for token in [g4, c5, rest] {
            logits[token] = 1.0;
        }
        let prior = Prior {
            balance: [1.0; 12],
            favoured: None,
            echo: Vec::new(),
            repeat: None,
            leap: Some((64, 0.25)),
        };
        let mut rng = Rng::new(5);
        let draws: Vec<usize> = (0..6000)
            .map(|_| {
                sample(
                    &logits,
                    |_| true,
                    1.0,
                    Nucleus::all(1.0),
                    Some(&prior),
                    &mut rng,
                )
            })
            .collect();
        let share = |token: usize| draws.iter().filter(|&&t| t == token).count() as f64 / 6000.0;
        assert!((share(rest) - 1.0 / 3.0).abs() < 0.03, "{}", share(rest));
        let high = share(c5) / (share(c5) + share(g4));
        let expected = 1.0 / (1.0 + 1.25f64.exp());
        assert!((high - expected).abs() < 0.03, "{high} against {expected}");
    }

    #[test]
    fn the_prior_keeps_the_key_whatever_the_temperature() {
        // Notes 60 (C, in C major) and 61 (C#, out), and a shift.
        let mut logits = vec![-30.0f32; crate::music::events::VOCAB_SIZE];
        logits[Event::Note(60).token()] = 2.0;
        logits[Event::Note(61).token()] = 1.0;
        logits[Event::Shift(12).token()] = 1.5;
        let prior = Prior {
            balance: scale_weights(Key {
                tonic: 0,
                mode: Mode::Major,
            }),
            favoured: None,
            echo: Vec::new(),
            repeat: None,
            leap: None,
        };
        let mut rng = Rng::new(3);
        let out_share = |temperature: f64, rng: &mut Rng| {
            let draws: Vec<usize> = (0..4000)
                .map(|_| {
                    sample(
                        &logits,
                        |_| true,
                        temperature,
                        Nucleus::all(1.0),
                        Some(&prior),
                        rng,
                    )
                })
                .collect();
            let notes = draws
                .iter()
                .filter(|&&t| matches!(Event::from_token(t), Some(Event::Note(_))))
                .count();
            let out = draws
                .iter()
                .filter(|&&t| t == Event::Note(61).token())
                .count();
            out as f64 / notes as f64
        };
        // At temperature 1 the network gives C# e^1/(e^2+e^1) = 27% of the
        // note mass; the prior keeps that share, scaled, at any temperature.
        let out = CHROMATIC_KEPT / (1.0 + std::f64::consts::E);
        let expected = out / (out + std::f64::consts::E / (1.0 + std::f64::consts::E));
        for temperature in [0.5, 1.0, 1.5, 2.0] {
            let share = out_share(temperature, &mut rng);
            assert!((share - expected).abs() < 0.03, "{temperature}: {share}");
        }
    }

    #[test]
    fn keys_are_asked_for_or_drawn_as_the_training_music_is_spread() {
        let mut counts = [[0; 12]; 2];
        counts[1][2] = 3; // D minor
        counts[0][7] = 1; // G major
        let drawn: Vec<Key> = (0..400)
            .map(|seed| {
                let settings = Settings {
                    seed,
                    ..Settings::default()
                };
                choose_key(&settings, None, &counts)
            })
            .collect();
        let d_minor = drawn.iter().filter(|k| k.to_string() == "D minor").count();
        let g_major = drawn.iter().filter(|k| k.to_string() == "G major").count();
        assert_eq!(d_minor + g_major, 400);
        assert!((270..330).contains(&d_minor), "{d_minor}");
        // Asked for, or given by the primer.
        let asked = Settings {
            tonic: Some(4),
            mode: Some(Mode::Major),
            ..Settings::default()
        };
        assert_eq!(choose_key(&asked, None, &counts).to_string(), "E major");
        let primer = Key {
            tonic: 9,
            mode: Mode::Minor,
        };
        assert_eq!(
            choose_key(&Settings::default(), Some(primer), &counts),
            primer
        );
        // A model that recorded no keys composes in C major.
        assert_eq!(
            choose_key(&Settings::default(), None, &[[0; 12]; 2]).to_string(),
            "C major"
        );
    }

    #[test]
    fn the_final_chord_closes_a_phrase_where_the_length_allows() {
        // 30 s at 100 BPM: 600 steps (12.5 bars); 12 and 13 bars are as near,
        // and 12 closes the third four-bar phrase: the chord at bar 12's downbeat.
        let ending = Ending::for_length(600, 0);
        assert_eq!((ending.onset, ending.hold), (528, 48));
        // 12.6 bars: 13 are nearer, 12 close a phrase and are 10 steps further.
        let ending = Ending::for_length(605, 0);
        assert_eq!(ending.onset + ending.hold, 12 * BAR_STEPS);
        // 12 s at 100 BPM: 5 bars exactly; 4 would close a phrase, a bar short: 5.
        let ending = Ending::for_length(240, 0);
        assert_eq!(ending.onset + ending.hold, 5 * BAR_STEPS);
        // 30 s at 120 BPM: 15 bars exactly, not the phrase's 16.
        let ending = Ending::for_length(720, 0);
        assert_eq!(ending.onset + ending.hold, 15 * BAR_STEPS);
        // After a primer that ended a beat into a bar, the downbeats move.
        let ending = Ending::for_length(600, 12);
        assert_eq!((ending.onset + 12) % BAR_STEPS, 0);
        assert!((ending.onset + ending.hold).abs_diff(600) <= BAR_STEPS);
        // Short pieces hold half a bar, and still end on a downbeat after the start.
        let ending = Ending::for_length(60, 0);
        assert_eq!((ending.onset, ending.hold), (48, 24));
    }

    #[test]
    fn grammar_puts_a_duration_after_each_note_only() {
        let mut grammar = Grammar::default();
        let range = 21..=108;
        assert!(!grammar.allows(Event::Duration(3), &range));
        assert!(grammar.allows(Event::Note(60), &range));
        assert!(!grammar.allows(Event::Note(10), &range));
        grammar.push(Event::Note(60));
        assert!(grammar.allows(Event::Duration(3), &range));
        assert!(!grammar.allows(Event::Note(62), &range));
        grammar.push(Event::Duration(3));
        assert!(
            !grammar.allows(Event::Note(60), &range),
            "same pitch twice at one onset"
        );
        grammar.push(Event::Shift(3));
        assert!(grammar.allows(Event::Note(60), &range));
    }

    #[test]
    fn settings_are_validated_by_field() {
        assert!(Settings::default().validate().is_ok());
        let bad = Settings {
            bpm: 10.0,
            ..Settings::default()
        };
        assert!(
            bad.validate()
                .unwrap_err()
                .to_string()
                .starts_with("tempo:")
        );
        let bad = Settings {
            temperature: 0.0,
            ..Settings::default()
        };
        assert!(
            bad.validate()
                .unwrap_err()
                .to_string()
                .starts_with("temperature:")
        );
        let bad = Settings {
            length: Length::Seconds(1000.0),
            ..Settings::default()
        };
        assert!(
            bad.validate()
                .unwrap_err()
                .to_string()
                .starts_with("length:")
        );
        let bad = Settings {
            tonic: Some(12),
            ..Settings::default()
        };
        assert!(bad.validate().unwrap_err().to_string().starts_with("key:"));
    }
}
