//! Composing: stateful sampling from a trained model, with the user's controls
//! and the guards of [`crate::compose::guards`]. The parts: what is asked
//! (`settings`), the key and excerpt chosen per piece (`choice`), one attempt
//! step by step (`attempt`), drawing an event (`sampler`), the rules that
//! steer it towards real music (`steering`, one file per rule, their
//! tunables in each model's config), the ending (`ending`) and several
//! pieces at once (`batch`); the model and the grammar stay here.

use std::path::Path;

use burn::tensor::activation::softmax;
use burn::tensor::{Device, Int, Tensor, TensorData};
use serde::Serialize;
use vocabulary::{Energy, Meter};

use crate::compose::guards::{COPY_RUN, RunIndex, degenerate};
use crate::music::energy::EnergyConfig;
use crate::music::events::Step;
use crate::music::events::{
    Event, GridNote, MAX_SHIFT, STEPS_PER_BEAT, decode, encode, fingerprint,
};
use crate::music::key::{Key, estimate_key};
use crate::music::midi;
use crate::music::piece::TimeSignature;
use crate::network::Conditions;
use crate::network::device::is_cpu;
use crate::network::inference::{CpuComposer, CpuState};
use crate::network::lstm::LstmState;
use crate::rng::Rng;
use crate::saved::{ModelError, SavedModel};

mod attempt;
mod batch;
mod choice;
mod ending;
mod sampler;
mod settings;
pub mod steering;

use attempt::Attempt;
pub use batch::Batch;
pub use ending::closing_length;
pub use settings::{GenerateError, Length, Settings};
pub use steering::SteeringConfig;

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
pub(super) const MAX_PRIMER_EVENTS: usize = 1024;

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
    /// Tempo in beats per minute, as asked: quarter notes, or dotted quarters in 6/8.
    pub tempo_bpm: f64,
    /// The meter it is written in.
    pub meter: Meter,
    /// The energy it was asked for.
    pub energy: Energy,
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
pub(super) enum PieceState {
    /// f16 weights on the CPU.
    Cpu(CpuState),
    /// burn's operations on the model's device; `[1, H]` per layer.
    Burn(LstmState),
}

/// Grammar state while sampling, so that only well-formed events are drawn.
#[derive(Debug, Clone, Default)]
pub(super) struct Grammar {
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

/// Bars of a phrase, whose last bar a piece's final chord prefers.
pub(super) const PHRASE_BARS: u32 = 4;
/// Notes of the final chord at least, its bass included.
pub(super) const MIN_FINAL_NOTES: usize = 2;
/// Notes of the final chord at most, its bass included.
pub(super) const MAX_FINAL_NOTES: usize = 4;
/// Semitones a note of the final chord may lie above the one below it, so the
/// chord spans this much per note beyond the bass: a violin's double stop
/// within an octave, a guitar's three notes within two octaves, a pianist's
/// four within three.
pub(super) const FINAL_SPAN_PER_NOTE: u8 = 12;

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
                let inputs = Tensor::<2, Int>::from_data(
                    TensorData::new(ids, [1, steps.len()]),
                    &self.device,
                );
                let instrument = self.model.config.network.instrument_id();
                let conditions = Conditions::of_sequence(instrument, steps, 1, &self.device);
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
        let mut notes = decode(&[encode(primer), events.to_vec()].concat());
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
        let primer_notes = notes.len() - own.len();
        let energy = self
            .model
            .config
            .energy
            .clone()
            .unwrap_or_else(|| EnergyConfig::new(Vec::new()));
        for note in &mut notes[primer_notes..] {
            note.velocity_band = energy.band(note.velocity_band, settings.energy);
        }
        Ok(Composition {
            events: events.len(),
            attempt_seed: 0,
            attempts: 0,
            rejected: Vec::new(),
            key: Some(key),
            tempo_bpm: settings.tempo_bpm,
            meter: settings.meter,
            energy: settings.energy,
            seconds: f64::from(end) / f64::from(STEPS_PER_BEAT) * 60.0
                / settings.quarters_per_minute(),
            primer_notes,
            notes,
        })
    }
}

impl Composition {
    /// The music's identity whatever its key or tempo (see [`fingerprint`]).
    pub fn fingerprint(&self) -> String {
        fingerprint(&self.notes)
    }

    /// Quarter notes per minute: the tempo's beats, each a dotted quarter in 6/8.
    pub fn quarters_per_minute(&self) -> f64 {
        self.tempo_bpm * self.meter.quarters_per_beat()
    }

    /// The piece as a standard MIDI file for `program`, with its meter's time signature.
    pub fn to_midi(&self, program: u8) -> Vec<u8> {
        let notes: Vec<_> = self.notes.iter().map(|n| n.to_note(program)).collect();
        let (numerator, denominator) = self.meter.signature();
        let signature = TimeSignature {
            numerator,
            denominator,
        };
        midi::write(&notes, program, self.quarters_per_minute(), signature)
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
    use super::choice::{choose_key, choose_style};
    use super::ending::Ending;
    use super::sampler::{Nucleus, sample};
    use super::steering::{Weights, scale_weights};
    use super::*;
    use crate::music::key::{KeyProfile, Mode};
    use crate::music::musicality::ExcerptStyle;

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
        let draws = |nucleus: Nucleus, prior: Option<&Weights>| {
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

        let echoing = Weights {
            events: vec![(beat, 200.0)],
            restating: true,
            ..Weights::default()
        };
        let echo = draws(keep_rhythm, Some(&echoing));
        assert_eq!(echo.get(&rare_shift), None, "{echo:?}");
        assert_eq!(echo.get(&c7), None, "{echo:?}");
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
    fn a_tilt_moves_probability_between_notes_not_to_rests() {
        // From E4, G4 (3 semitones), C5 (8) and a beat's rest as likely to
        // the network: tilted by 0.25 a semitone, C5 is e^(5 / 4) = 3.5 times
        // less likely than G4, while the rest keeps its third.
        let mut logits = vec![-30.0f32; crate::music::events::VOCAB_SIZE];
        let (g4, c5) = (Event::Note(67).token(), Event::Note(72).token());
        let rest = Event::Shift(STEPS_PER_BEAT as u8).token();
        for token in [g4, c5, rest] {
            logits[token] = 1.0;
        }
        let prior = Weights {
            tilt: Some((64, 0.25)),
            ..Weights::default()
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
        let kept = SteeringConfig::new().balance.chromatic_kept;
        let prior = Weights {
            classes: vec![scale_weights(
                Key {
                    tonic: 0,
                    mode: Mode::Major,
                },
                kept,
            )],
            ..Weights::default()
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
        let out = kept / (1.0 + std::f64::consts::E);
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
        const BAR_STEPS: u32 = 48;
        // 30 s at 100 BPM: 600 steps (12.5 bars); 12 and 13 bars are as near,
        // and 12 closes the third four-bar phrase: the chord at bar 12's downbeat.
        let ending = Ending::for_length(600, 0, BAR_STEPS);
        assert_eq!((ending.onset, ending.hold), (528, 48));
        // 12.6 bars: 13 are nearer, 12 close a phrase and are 10 steps further.
        let ending = Ending::for_length(605, 0, BAR_STEPS);
        assert_eq!(ending.onset + ending.hold, 12 * BAR_STEPS);
        // 12 s at 100 BPM: 5 bars exactly; 4 would close a phrase, a bar short: 5.
        let ending = Ending::for_length(240, 0, BAR_STEPS);
        assert_eq!(ending.onset + ending.hold, 5 * BAR_STEPS);
        // 30 s at 120 BPM: 15 bars exactly, not the phrase's 16.
        let ending = Ending::for_length(720, 0, BAR_STEPS);
        assert_eq!(ending.onset + ending.hold, 15 * BAR_STEPS);
        // After a primer that ended a beat into a bar, the downbeats move.
        let ending = Ending::for_length(600, 12, BAR_STEPS);
        assert_eq!((ending.onset + 12) % BAR_STEPS, 0);
        assert!((ending.onset + ending.hold).abs_diff(600) <= BAR_STEPS);
        // Short pieces hold half a bar, and still end on a downbeat after the start.
        let ending = Ending::for_length(60, 0, BAR_STEPS);
        assert_eq!((ending.onset, ending.hold), (48, 24));
        // In 6/8 (bars of 36 steps) 30 s at 100 dotted quarters a minute are
        // 900 steps: 25 bars exactly, a bar's chord on the 25th's downbeat.
        let ending = Ending::for_length(900, 0, 36);
        assert_eq!((ending.onset, ending.hold), (24 * 36, 36));
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
            tempo_bpm: 10.0,
            ..Settings::default()
        };
        assert!(
            bad.validate()
                .unwrap_err()
                .to_string()
                .starts_with("tempo_bpm:")
        );
        let bad = Settings {
            creativity: 0.0,
            ..Settings::default()
        };
        assert!(
            bad.validate()
                .unwrap_err()
                .to_string()
                .starts_with("creativity:")
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
        assert!(
            bad.validate()
                .unwrap_err()
                .to_string()
                .starts_with("tonic:")
        );
    }
}
