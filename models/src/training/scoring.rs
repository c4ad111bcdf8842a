//! How well a network predicts real music: bits and top-1 accuracy per event.

use burn::tensor::activation::log_softmax;
use burn::tensor::{Device, Int, Tensor, TensorData};

use crate::music::energy::EnergyConfig;
use crate::music::events::Step;
use crate::network::{Composer, Conditions};
use crate::training::dataset::Song;

/// Totals over some songs.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Score {
    /// Bits to code every predicted event.
    pub bits: f64,
    /// Events predicted (every event of a song but its first).
    pub events: usize,
    /// Predictions whose most likely event was right.
    pub correct: usize,
}

impl Score {
    /// Mean bits per predicted event.
    pub fn bits_per_event(&self) -> f64 {
        self.bits / self.events.max(1) as f64
    }

    /// Share of right top-1 predictions.
    pub fn accuracy(&self) -> f64 {
        self.correct as f64 / self.events.max(1) as f64
    }

    /// Cross-entropy in nats per event, the training loss.
    pub fn nats_per_event(&self) -> f64 {
        self.bits_per_event() * std::f64::consts::LN_2
    }
}

/// Songs scored together: enough to keep a batch busy, few enough to pad little.
const SONGS_PER_BATCH: usize = 16;

/// Scores whole songs, each from a zero state and with its key, meter, bar
/// positions and bars' energy classes (by `energy`'s cuts; class 0 without),
/// in chunks of `chunk` steps that carry the state, so that memory stays
/// bounded for long songs.
pub fn score_songs(
    network: &Composer,
    instrument: Option<usize>,
    songs: &[&Song],
    energy: Option<&EnergyConfig>,
    chunk: usize,
    device: &Device,
) -> Score {
    let mut order: Vec<&Song> = songs
        .iter()
        .copied()
        .filter(|s| s.tokens.len() > 1)
        .collect();
    order.sort_by_key(|s| s.tokens.len());
    let mut score = Score::default();
    for group in order.chunks(SONGS_PER_BATCH) {
        let batch = group.len();
        let longest = group.iter().map(|s| s.tokens.len() - 1).max().unwrap_or(0);
        let energies: Vec<Vec<u8>> = group
            .iter()
            .map(|song| match energy {
                Some(energy) => song.energies(energy),
                None => vec![0; song.tokens.len()],
            })
            .collect();
        let mut state = network.zero_state(batch, device);
        for start in (0..longest).step_by(chunk) {
            let steps = chunk.min(longest - start);
            let mut inputs = vec![Step::default(); batch * steps];
            let mut targets = vec![0i32; batch * steps];
            let mut mask = vec![0f32; batch * steps];
            for (b, song) in group.iter().enumerate() {
                for t in 0..steps {
                    let input = &mut inputs[b * steps + t];
                    // Padding keeps the song's key and meter, so that each
                    // sequence's first step names them.
                    input.key = song.key_index();
                    input.meter = song.meter.index();
                    if let (Some(&token), Some(&target)) =
                        (song.tokens.get(start + t), song.tokens.get(start + t + 1))
                    {
                        input.token = usize::from(token);
                        input.position = song.positions[start + t];
                        input.energy = energies[b][start + t];
                        targets[b * steps + t] = i32::from(target);
                        mask[b * steps + t] = 1.0;
                        score.events += 1;
                    }
                }
            }
            let conditions = Conditions::of_sequence(instrument, &inputs, batch, device);
            let tokens: Vec<i32> = inputs.iter().map(|s| s.token as i32).collect();
            let inputs =
                Tensor::<2, Int>::from_data(TensorData::new(tokens, [batch, steps]), device);
            let targets =
                Tensor::<2, Int>::from_data(TensorData::new(targets, [batch * steps, 1]), device);
            let mask = Tensor::<2>::from_data(TensorData::new(mask, [batch * steps, 1]), device);
            let (logits, next) = network.forward(inputs, &conditions, state);
            state = next;
            let vocab = logits.dims()[2];
            let logits = logits.reshape([batch * steps, vocab]);
            let predicted = logits.clone().argmax(1);
            let log_p = log_softmax(logits, 1).gather(1, targets.clone());
            let nats: f32 = (log_p * mask.clone()).sum().neg().into_scalar();
            let right: f32 = (predicted.equal(targets).float() * mask)
                .sum()
                .into_scalar();
            score.bits += f64::from(nats) / std::f64::consts::LN_2;
            score.correct += right.round() as usize;
        }
    }
    score
}
