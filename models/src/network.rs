//! The composer network: events in, a distribution over the next event out;
//! its LSTM layers, the fused CPU kernels that run them, and the devices.

pub mod device;
pub(crate) mod dropout;
pub(crate) mod fused_lstm;
pub(crate) mod inference;
pub(crate) mod kernels;
pub(crate) mod lstm;

use burn::config::Config;
use burn::module::Module;
use burn::nn::{Dropout, DropoutConfig, Embedding, EmbeddingConfig, Linear, LinearConfig};
use burn::tensor::{Device, Int, Tensor, TensorData};

use crate::music::events::{Step, VOCAB_SIZE};
use crate::network::dropout::dropout;
use crate::network::inference::{CpuComposer, HalfInput, HalfLinear, Tables, floats};
use crate::network::lstm::{LstmStack, LstmStackConfig, LstmState};

/// How an event enters the network.
#[derive(Config, Debug, PartialEq)]
pub enum InputEncoding {
    /// A learned vector per event.
    Embedding {
        /// Width of the vectors.
        dim: usize,
    },
    /// The paper's encoding: the token id divided by the vocabulary size, one number per step.
    Scalar,
}

/// The network's shape.
#[derive(Config, Debug)]
pub struct ComposerConfig {
    /// How events enter the network.
    pub input: InputEncoding,
    /// Stacked LSTM layers.
    pub layers: usize,
    /// Width of each LSTM layer.
    pub hidden: usize,
    /// Dropout between layers while training.
    pub dropout: f64,
    /// Width of a dense layer between the LSTM and the output, as in the paper.
    #[config(default = "None")]
    pub dense: Option<usize>,
    /// Instruments the network is conditioned on (a learned vector added to every input); 0 for none.
    #[config(default = 0)]
    pub instruments: usize,
    /// Keys the network is conditioned on (a learned vector per key, see
    /// [`crate::music::key::Key::index`], added to every input); 0 for none.
    #[config(default = 0)]
    pub keys: usize,
    /// Positions in the bar the network is told (a learned vector per grid step of the
    /// bar, added to every input); 0 for none.
    #[config(default = 0)]
    pub positions: usize,
    /// Meters the network is told (a learned vector per [`vocabulary::Meter::index`],
    /// added to every input); 0 for none.
    #[config(default = 0)]
    pub meters: usize,
    /// Energy classes the network is told (a learned vector per class of the
    /// bar each step leaves time in, see [`crate::music::energy`], added to
    /// every input); 0 for none.
    #[config(default = 0)]
    pub energies: usize,
    /// Size of the event vocabulary.
    #[config(default = "VOCAB_SIZE")]
    pub vocab_size: usize,
}

/// Keys a conditioned network knows: twelve major, then twelve minor.
pub const KEYS: usize = 24;
/// Positions in a bar a conditioned network knows, in grid steps: bars of up
/// to eight beats; a longer bar's positions wrap.
pub const BAR_POSITIONS: usize = 96;
/// Meters a conditioned network knows: common, triple, compound.
pub const METERS: usize = vocabulary::Meter::ALL.len();
/// Energy classes a conditioned network knows.
pub const ENERGIES: usize = vocabulary::Energy::LEVELS;

/// What the network reads beside the events: the instrument, each sequence's
/// key and meter, each step's position in the bar and its bar's energy class. A network without a table for a
/// condition ignores it, and a condition left out adds nothing.
#[derive(Debug, Clone, Default)]
pub struct Conditions {
    /// The instrument's id.
    pub instrument: Option<usize>,
    /// Key per sequence `[B]`.
    pub keys: Option<Tensor<1, Int>>,
    /// Position in the bar after each input event `[B, T]`.
    pub positions: Option<Tensor<2, Int>>,
    /// Meter per sequence `[B]`.
    pub meters: Option<Tensor<1, Int>>,
    /// Energy class of the bar after each input event `[B, T]`.
    pub energies: Option<Tensor<2, Int>>,
}

impl Conditions {
    /// Only the instrument.
    pub fn instrument(instrument: Option<usize>) -> Conditions {
        Conditions {
            instrument,
            ..Conditions::default()
        }
    }

    /// The conditions of `steps`, one sequence each step (`[B, 1]`).
    pub fn of_steps(instrument: Option<usize>, steps: &[Step], device: &Device) -> Conditions {
        Conditions::of_sequence(instrument, steps, steps.len(), device)
    }

    /// The conditions of `steps`, read as `batch` sequences of equal length
    /// one after another (`[B, T]`); each sequence's key and meter are its
    /// first step's.
    pub fn of_sequence(
        instrument: Option<usize>,
        steps: &[Step],
        batch: usize,
        device: &Device,
    ) -> Conditions {
        let length = steps.len() / batch.max(1);
        let per_step = |field: fn(&Step) -> u8| -> Tensor<2, Int> {
            let values: Vec<i32> = steps.iter().map(|s| i32::from(field(s))).collect();
            Tensor::from_data(TensorData::new(values, [batch, length]), device)
        };
        let per_sequence = |field: fn(&Step) -> u8| -> Tensor<1, Int> {
            let values: Vec<i32> = steps
                .iter()
                .step_by(length.max(1))
                .map(|s| i32::from(field(s)))
                .collect();
            Tensor::from_data(TensorData::new(values, [batch]), device)
        };
        Conditions {
            instrument,
            keys: Some(per_sequence(|s| s.key)),
            positions: Some(per_step(|s| s.position)),
            meters: Some(per_sequence(|s| s.meter)),
            energies: Some(per_step(|s| s.energy)),
        }
    }
}

/// The named network shapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Preset {
    /// The paper's network as published: 3 x LSTM(512), dropout 0.3, Dense(256), scalar input.
    Paper,
    /// What MixTape ships: sized to train one instrument on two CPU cores within an hour.
    Default,
}

impl std::str::FromStr for Preset {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "paper" => Ok(Preset::Paper),
            "default" => Ok(Preset::Default),
            other => Err(format!(
                "unknown preset {other:?}: expected default or paper"
            )),
        }
    }
}

impl Preset {
    /// The preset's name.
    pub fn name(self) -> &'static str {
        match self {
            Preset::Paper => "paper",
            Preset::Default => "default",
        }
    }

    /// The network of this preset.
    pub fn network(self) -> ComposerConfig {
        match self {
            Preset::Paper => {
                ComposerConfig::new(InputEncoding::Scalar, 3, 512, 0.3).with_dense(Some(256))
            }
            Preset::Default => {
                ComposerConfig::new(InputEncoding::Embedding { dim: 96 }, 2, 320, 0.2)
                    .with_instruments(1)
                    .with_keys(KEYS)
                    .with_positions(BAR_POSITIONS)
                    .with_meters(METERS)
                    .with_energies(ENERGIES)
            }
        }
    }

    /// Training window (events per training sequence) of this preset.
    pub fn window(self) -> usize {
        match self {
            Preset::Paper => 100,
            Preset::Default => 128,
        }
    }
}

/// Event embedding (or scalar), LSTM stack, optional dense layer, output logits.
#[derive(Module, Debug)]
pub struct Composer {
    embedding: Option<Embedding>,
    instrument: Option<Embedding>,
    key: Option<Embedding>,
    position: Option<Embedding>,
    meter: Option<Embedding>,
    energy: Option<Embedding>,
    lstm: LstmStack,
    dense: Option<Linear>,
    dropout: Dropout,
    output: Linear,
    vocab_size: usize,
}

impl ComposerConfig {
    /// The instrument id a model of this shape is conditioned on: one
    /// instrument per model for now, so 0 when it has an instrument table.
    pub fn instrument_id(&self) -> Option<usize> {
        (self.instruments > 0).then_some(0)
    }

    /// Width of the vectors the LSTM reads.
    fn d_input(&self) -> usize {
        match self.input {
            InputEncoding::Embedding { dim } => dim,
            InputEncoding::Scalar => 1,
        }
    }

    /// Builds the network with fresh weights.
    pub fn init(&self, device: &Device) -> Composer {
        let d_input = self.d_input();
        let embedding = match self.input {
            InputEncoding::Embedding { dim } => {
                Some(EmbeddingConfig::new(self.vocab_size, dim).init(device))
            }
            InputEncoding::Scalar => None,
        };
        let instrument = (self.instruments > 0)
            .then(|| EmbeddingConfig::new(self.instruments, d_input).init(device));
        let table =
            |rows: usize| (rows > 0).then(|| EmbeddingConfig::new(rows, d_input).init(device));
        let key = table(self.keys);
        let position = table(self.positions);
        let meter = table(self.meters);
        let energy = table(self.energies);
        let dense = self
            .dense
            .map(|width| LinearConfig::new(self.hidden, width).init(device));
        let output =
            LinearConfig::new(self.dense.unwrap_or(self.hidden), self.vocab_size).init(device);
        Composer {
            embedding,
            instrument,
            key,
            position,
            meter,
            energy,
            lstm: LstmStackConfig::new(d_input, self.hidden, self.layers)
                .with_dropout(self.dropout)
                .init(device),
            dense,
            dropout: DropoutConfig::new(self.dropout).init(),
            output,
            vocab_size: self.vocab_size,
        }
    }
}

impl Composer {
    /// This network with its meter and energy tables zeroed: weights from a
    /// model made before those inputs, loaded over it, then compose exactly
    /// as that model did until training teaches the new tables.
    pub fn with_zero_new_tables(mut self) -> Composer {
        // A tensor made by `zeros_like` is a new one that asks for no
        // gradient; the parameter is told to ask, so that the tables learn.
        let zero = |table: Option<Embedding>| {
            table.map(|mut table| {
                table.weight = table.weight.map(|w| w.zeros_like()).set_require_grad(true);
                table
            })
        };
        self.meter = zero(self.meter);
        self.energy = zero(self.energy);
        self
    }

    /// The parameters of the meter and energy tables, for tests that they learn.
    #[cfg(test)]
    pub(crate) fn new_table_ids(&self) -> Vec<burn::module::ParamId> {
        [&self.meter, &self.energy]
            .into_iter()
            .flatten()
            .map(|table| table.weight.id)
            .collect()
    }

    /// This network with every weight fixed but the meter and energy tables'.
    pub fn only_new_tables_learn(self) -> Composer {
        let mut network = self.no_grad();
        let learn = |table: Option<Embedding>| {
            table.map(|mut table| {
                table.weight = table.weight.set_require_grad(true);
                table
            })
        };
        network.meter = learn(network.meter);
        network.energy = learn(network.energy);
        network
    }

    /// Input vectors `[T, B, d_in]` of tokens `[B, T]`.
    fn encode(&self, tokens: Tensor<2, Int>, conditions: &Conditions) -> Tensor<3> {
        let [batch, _] = tokens.dims();
        let device = tokens.device();
        // [B, T, d_in]
        let mut x = match &self.embedding {
            Some(embedding) => embedding.forward(tokens),
            None => (tokens.float() / self.vocab_size as f32).unsqueeze_dim(2),
        };
        if let (Some(table), Some(id)) = (&self.instrument, conditions.instrument) {
            let ids = Tensor::<2, Int>::from_data(
                TensorData::new(vec![id as i32; batch], [batch, 1]),
                &device,
            );
            // [B, 1, d_in], added to every step.
            x = x + table.forward(ids);
        }
        if let (Some(table), Some(keys)) = (&self.key, &conditions.keys) {
            // [B, 1, d_in], added to every step.
            x = x + table.forward(keys.clone().unsqueeze_dim(1));
        }
        if let (Some(table), Some(positions)) = (&self.position, &conditions.positions) {
            // [B, T, d_in]
            x = x + table.forward(positions.clone());
        }
        if let (Some(table), Some(meters)) = (&self.meter, &conditions.meters) {
            // [B, 1, d_in], added to every step.
            x = x + table.forward(meters.clone().unsqueeze_dim(1));
        }
        if let (Some(table), Some(energies)) = (&self.energy, &conditions.energies) {
            // [B, T, d_in]
            x = x + table.forward(energies.clone());
        }
        x.swap_dims(0, 1)
    }

    /// Logits from LSTM outputs `[.., H]`.
    fn head<const D: usize>(&self, x: Tensor<D>) -> Tensor<D> {
        let x = match &self.dense {
            // Linear, as in the paper's Keras model (no activation on its Dense(256)).
            Some(dense) => dropout(&self.dropout, dense.forward(x)),
            None => dropout(&self.dropout, x),
        };
        self.output.forward(x)
    }

    /// A zero state for `batch` sequences.
    pub fn zero_state(&self, batch: usize, device: &Device) -> LstmState {
        self.lstm.zero_state(batch, device)
    }

    /// Logits `[B, T, V]` for the event after each of `tokens` `[B, T]`.
    pub fn forward(
        &self,
        tokens: Tensor<2, Int>,
        conditions: &Conditions,
        state: LstmState,
    ) -> (Tensor<3>, LstmState) {
        let (outputs, state) = self.lstm.forward(self.encode(tokens, conditions), state);
        // [B, T, H]
        let x = outputs.swap_dims(0, 1);
        (self.head(x), state)
    }

    /// This network with f16 weights for batch-1 generation on the CPU,
    /// conditioned on `instrument`.
    pub fn for_cpu(&self, instrument: Option<usize>) -> CpuComposer {
        let input = match &self.embedding {
            Some(embedding) => HalfInput::Embedding {
                dim: embedding.weight.dims()[1],
                table: floats(embedding.weight.val()),
            },
            None => HalfInput::Scalar {
                vocab: self.vocab_size,
            },
        };
        let condition = match (&self.instrument, instrument) {
            (Some(table), Some(id)) => Some(floats(table.weight.val().narrow(0, id, 1))),
            _ => None,
        };
        let keys = self.key.as_ref().map(|t| floats(t.weight.val()));
        let positions = self.position.as_ref().map(|t| floats(t.weight.val()));
        let meters = self.meter.as_ref().map(|t| floats(t.weight.val()));
        let energies = self.energy.as_ref().map(|t| floats(t.weight.val()));
        let linear = |layer: &Linear| {
            HalfLinear::new(layer.weight.val(), layer.bias.as_ref().map(|b| b.val()))
        };
        CpuComposer::new(
            input,
            condition,
            Tables {
                keys,
                positions,
                meters,
                energies,
            },
            self.lstm.layer_weights(),
            self.dense.as_ref().map(linear),
            linear(&self.output),
        )
    }

    /// Logits `[B, V]` of the next event after one step per sequence, carrying the state.
    pub fn step(
        &self,
        steps: &[Step],
        instrument: Option<usize>,
        state: LstmState,
        device: &Device,
    ) -> (Tensor<2>, LstmState) {
        let batch = steps.len();
        let ids: Vec<i32> = steps.iter().map(|s| s.token as i32).collect();
        let tokens = Tensor::<2, Int>::from_data(TensorData::new(ids, [batch, 1]), device);
        let conditions = Conditions::of_steps(instrument, steps, device);
        let (x, state) = self.lstm.forward(self.encode(tokens, &conditions), state);
        (self.head(x.squeeze_dim::<2>(0)), state)
    }
}

/// Tests that seed or draw from the backend's one global random generator
/// take turns: run side by side, one consumed the numbers the other had seeded.
#[cfg(test)]
pub(crate) static GLOBAL_RNG: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zeroed_new_tables_add_nothing() {
        let device = Device::flex();
        let config = ComposerConfig::new(InputEncoding::Embedding { dim: 4 }, 1, 8, 0.0)
            .with_positions(BAR_POSITIONS)
            .with_meters(METERS)
            .with_energies(ENERGIES);
        let network = config.init(&device).with_zero_new_tables();
        let steps: Vec<Step> = (0..6)
            .map(|i| Step {
                token: i * 40,
                position: (i * 6) as u8,
                meter: 2,
                energy: (i % 5) as u8,
                ..Step::default()
            })
            .collect();
        let tokens: Vec<i32> = steps.iter().map(|s| s.token as i32).collect();
        let tokens = Tensor::<2, Int>::from_data(TensorData::new(tokens, [1, 6]), &device);
        let conditions = Conditions::of_sequence(None, &steps, 1, &device);
        let without = Conditions {
            meters: None,
            energies: None,
            ..conditions.clone()
        };
        let run = |conditions: &Conditions| {
            network
                .forward(tokens.clone(), conditions, network.zero_state(1, &device))
                .0
        };
        let (told, untold) = (run(&conditions), run(&without));
        // Zero tables: the network composes as the model it was tuned from.
        let difference: f32 = (told - untold).abs().max().into_scalar();
        assert_eq!(difference, 0.0);
    }
}
