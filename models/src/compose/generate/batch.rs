//! Composing several pieces at once, each joining and leaving the batch
//! between two network steps.

use super::attempt::{Attempt, without_trailing_time};
use super::settings::{GenerateError, Settings};
use super::{Composition, Generator, MAX_ATTEMPTS, PieceState};
use crate::rng::Rng;

/// A piece in a [`Batch`].
pub(super) struct InFlight<T> {
    pub(super) tag: T,
    pub(super) settings: Settings,
    /// Attempts started so far (the current one included).
    pub(super) attempts: u32,
    /// The current attempt's seed.
    pub(super) seed: u64,
    pub(super) rejected: Vec<String>,
    pub(super) state: PieceState,
    pub(super) attempt: Attempt,
}

/// Pieces composed together: each step samples one event for every piece in
/// flight and reads them all in one pass of the network (each slice of the
/// weights used for all of them at once). A piece's music is the same whether
/// it is composed alone or beside others (on the CPU, to the bit).
pub struct Batch<'g, T> {
    pub(super) generator: &'g Generator,
    pub(super) pieces: Vec<InFlight<T>>,
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
        let meters = self.generator.model.config.known_meters();
        if !meters.contains(&settings.meter) {
            let known: Vec<&str> = meters.iter().map(|m| m.name()).collect();
            let message = format!(
                "this model composes in {}, not {}",
                known.join(" and "),
                settings.meter
            );
            return Err((
                tag,
                GenerateError::Invalid {
                    field: "meter",
                    message,
                },
            ));
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
