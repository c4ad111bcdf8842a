//! Composing: stateful sampling from a trained model, with the user's controls
//! and the guards of [`crate::guards`].

use std::path::Path;

use burn::tensor::activation::softmax;
use burn::tensor::{Device, Int, Tensor, TensorData};
use serde::Serialize;

use crate::dataset::tokens_of;
use crate::device::is_cpu;
use crate::events::{
    Event, GridNote, MAX_SHIFT, STEPS_PER_BEAT, VELOCITY_BANDS, decode, fingerprint,
};
use crate::guards::{COPY_RUN, RunIndex, degenerate};
use crate::inference::{CpuComposer, CpuState};
use crate::key::{Key, Mode, estimate_key, to_mode, transpose_to};
use crate::lstm::LstmState;
use crate::midi;
use crate::piece::TimeSignature;
use crate::rng::Rng;
use crate::saved::{ModelError, SavedModel};

/// The copy-check index's file name inside a model folder.
pub const RUNS_FILE: &str = "runs.bin";
/// Tries before giving up on a piece that keeps failing the guards.
pub const MAX_ATTEMPTS: u32 = 8;
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
    /// Pitch class (0 = C) to transpose the piece's key to; `None` keeps the model's.
    pub tonic: Option<u8>,
    /// Mode to move the piece to (its parallel key); `None` keeps the model's.
    pub mode: Option<Mode>,
    /// Sampling temperature ("creativity"): below 1 safer, above 1 bolder.
    pub temperature: f64,
    /// Nucleus sampling: sample among the likeliest events whose probabilities add up to this.
    pub top_p: f64,
    /// Same seed, model and settings give the same piece.
    pub seed: u64,
    /// Music to continue, e.g. from the user's MIDI file.
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
            top_p: 0.95,
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

/// Draws from `logits` at `temperature`, among the allowed events, within the top-p nucleus.
fn sample(
    logits: &[f32],
    allowed: impl Fn(usize) -> bool,
    temperature: f64,
    top_p: f64,
    rng: &mut Rng,
) -> usize {
    let mut candidates: Vec<(usize, f64)> = logits
        .iter()
        .enumerate()
        .filter(|&(token, _)| allowed(token))
        .map(|(token, &logit)| (token, f64::from(logit) / temperature))
        .collect();
    let top = candidates
        .iter()
        .map(|c| c.1)
        .fold(f64::NEG_INFINITY, f64::max);
    let mut total = 0.0;
    for candidate in &mut candidates {
        candidate.1 = (candidate.1 - top).exp();
        total += candidate.1;
    }
    candidates.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut kept = 0.0;
    let mut cut = candidates.len();
    for (i, candidate) in candidates.iter().enumerate() {
        kept += candidate.1 / total;
        if kept >= top_p {
            cut = i + 1;
            break;
        }
    }
    candidates.truncate(cut.max(1));
    let mass: f64 = candidates.iter().map(|c| c.1).sum();
    let mut draw = rng.next_f64() * mass;
    for &(token, weight) in &candidates {
        draw -= weight;
        if draw <= 0.0 {
            return token;
        }
    }
    candidates.last().map_or(0, |c| c.0)
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

    /// Reads `tokens` (at least one) in order into one piece's state; the
    /// logits of the event after the last.
    fn read(&self, state: &mut PieceState, tokens: &[usize]) -> Vec<f32> {
        match (state, &self.cpu) {
            (PieceState::Cpu(state), Some(composer)) => tokens
                .iter()
                .map(|&token| composer.step(token, state))
                .last()
                .expect("at least one token"),
            (PieceState::Burn(state), _) => {
                let network = &self.model.network;
                let ids: Vec<i32> = tokens.iter().map(|&t| t as i32).collect();
                let inputs = Tensor::<2, Int>::from_data(
                    TensorData::new(ids, [1, tokens.len()]),
                    &self.device,
                );
                let instrument = self.model.config.network.instrument_id();
                let (logits, next) = network.forward(inputs, instrument, state.clone());
                *state = next;
                let vocab = logits.dims()[2];
                logits
                    .narrow(1, tokens.len() - 1, 1)
                    .reshape([vocab])
                    .into_data()
                    .try_to_vec()
                    .expect("float logits")
            }
            (PieceState::Cpu(_), None) => unreachable!("CPU states come from the CPU composer"),
        }
    }

    /// Reads one token into each piece's state in one network step; each
    /// piece's logits of its next event.
    fn read_batch(&self, states: &mut [&mut PieceState], tokens: &[usize]) -> Vec<Vec<f32>> {
        if let Some(composer) = &self.cpu {
            let mut cpu: Vec<&mut CpuState> = states
                .iter_mut()
                .map(|state| match state {
                    PieceState::Cpu(state) => state,
                    PieceState::Burn(_) => unreachable!("a CPU model has CPU states"),
                })
                .collect();
            return composer.step_batch(tokens, &mut cpu);
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
        let batch = tokens.len();
        let ids: Vec<i32> = tokens.iter().map(|&t| t as i32).collect();
        let inputs = Tensor::<2, Int>::from_data(TensorData::new(ids, [batch, 1]), &self.device);
        let instrument = self.model.config.network.instrument_id();
        let (logits, next) = self.model.network.forward(inputs, instrument, stacked);
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
        while let Some(token) = attempt.next_token(settings) {
            attempt.logits = self.read(&mut state, &[token]);
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

    /// Turns an attempt's events into a composition with the user's key and
    /// mode, or says which guard it fails.
    fn judge(&self, events: &[Event], settings: &Settings) -> Result<Composition, String> {
        let range = self.model.instrument.range();
        let mut notes = decode(events);
        let mut key = estimate_key(&notes);
        if let (Some(tonic), Some(found)) = (settings.tonic, key) {
            notes = transpose_to(&notes, found.tonic, tonic, &range);
            key = Some(Key { tonic, ..found });
        }
        if let (Some(mode), Some(found)) = (settings.mode, key) {
            notes = to_mode(&notes, found, mode, &range);
            key = Some(Key { mode, ..found });
        }
        let problem = degenerate(&notes).or_else(|| {
            let copies = self.copies.as_ref()?;
            copies
                .find(&notes)
                .map(|start| format!("{COPY_RUN} notes from note {start} copy the training music"))
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
            key,
            bpm: settings.bpm,
            seconds: f64::from(end) / f64::from(STEPS_PER_BEAT) * 60.0 / settings.bpm,
            notes,
        })
    }
}

/// One attempt at a piece between network steps: what was sampled, and the
/// logits of the next event.
struct Attempt {
    rng: Rng,
    grammar: Grammar,
    range: std::ops::RangeInclusive<u8>,
    events: Vec<Event>,
    logits: Vec<f32>,
    target_steps: u32,
    target_events: usize,
    cap: usize,
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
        let mut primer: Vec<usize> = tokens_of(&settings.primer)
            .into_iter()
            .map(usize::from)
            .collect();
        if primer.len() > MAX_PRIMER_EVENTS {
            primer.drain(..primer.len() - MAX_PRIMER_EVENTS);
        }
        if primer.is_empty() {
            primer.push(Event::Velocity(VELOCITY_BANDS / 2).token());
        }
        // The primer's last logits predict the first new event.
        let logits = generator.read(state, &primer);
        // The last velocity of the primer still holds for what follows.
        for token in &primer {
            if let Some(Event::Velocity(b)) = Event::from_token(*token) {
                grammar.band = Some(b);
            }
        }
        let (target_steps, target_events) = match settings.length {
            Length::Seconds(s) => (
                (s * settings.bpm / 60.0 * f64::from(STEPS_PER_BEAT)).ceil() as u32,
                usize::MAX,
            ),
            Length::Events(n) => (u32::MAX, n),
        };
        // A model that never moves time on would sample forever.
        let cap = match settings.length {
            Length::Seconds(_) => 64 * (target_steps / STEPS_PER_BEAT) as usize + 256,
            Length::Events(n) => n + 1,
        };
        Attempt {
            rng: Rng::new(seed),
            grammar,
            range: generator.model.instrument.range(),
            events: Vec::new(),
            logits,
            target_steps,
            target_events,
            cap,
        }
    }

    /// Samples the next event from the current logits; its token, or `None`
    /// once the piece is long enough.
    fn next_token(&mut self, settings: &Settings) -> Option<usize> {
        if self.events.len() >= self.cap {
            return None;
        }
        let done =
            self.events.len() >= self.target_events || self.grammar.time >= self.target_steps;
        if done && !self.grammar.awaiting_duration {
            return None;
        }
        let (grammar, range) = (&self.grammar, &self.range);
        let token = sample(
            &self.logits,
            |t| Event::from_token(t).is_some_and(|e| grammar.allows(e, range)),
            settings.temperature,
            settings.top_p,
            &mut self.rng,
        );
        let event = Event::from_token(token).expect("sampled from the vocabulary");
        self.grammar.push(event);
        self.events.push(event);
        Some(token)
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
        let mut tokens = Vec::with_capacity(self.pieces.len());
        let mut i = 0;
        while i < self.pieces.len() {
            let piece = &mut self.pieces[i];
            if let Some(token) = piece.attempt.next_token(&piece.settings) {
                tokens.push(token);
                i += 1;
                continue;
            }
            // The attempt is complete: keep it, or start the next one.
            let events = without_trailing_time(std::mem::take(&mut piece.attempt.events));
            match generator.judge(&events, &piece.settings) {
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
        if !tokens.is_empty() {
            let mut states: Vec<&mut PieceState> = self
                .pieces
                .iter_mut()
                .map(|piece| &mut piece.state)
                .collect();
            let logits = generator.read_batch(&mut states, &tokens);
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
        let (logits, _) = network.forward(inputs, instrument, network.zero_state(1, device));
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
    fn sampling_respects_the_mask_temperature_and_nucleus() {
        let logits = [0.0f32, 5.0, 4.0, -3.0];
        let mut rng = Rng::new(1);
        for _ in 0..200 {
            assert_ne!(sample(&logits, |t| t != 1, 1.0, 1.0, &mut rng), 1);
        }
        // A tight nucleus keeps only the likeliest.
        for _ in 0..200 {
            assert_eq!(sample(&logits, |_| true, 1.0, 0.5, &mut rng), 1);
        }
        // A low temperature is almost greedy; a high one spreads out.
        let cold = (0..500)
            .filter(|_| sample(&logits, |_| true, 0.1, 1.0, &mut rng) == 1)
            .count();
        let hot = (0..500)
            .filter(|_| sample(&logits, |_| true, 2.0, 1.0, &mut rng) == 1)
            .count();
        assert!(cold > 495 && hot < 400, "{cold} {hot}");
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
