//! The composer network: events in, a distribution over the next event out.

use burn::config::Config;
use burn::module::Module;
use burn::nn::{Dropout, DropoutConfig, Embedding, EmbeddingConfig, Linear, LinearConfig};
use burn::tensor::{Device, Int, Tensor, TensorData};

use crate::dropout::dropout;
use crate::events::VOCAB_SIZE;
use crate::inference::{CpuComposer, HalfInput, HalfLinear, floats};
use crate::lstm::{LstmStack, LstmStackConfig, LstmState};

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
    /// Size of the event vocabulary.
    #[config(default = "VOCAB_SIZE")]
    pub vocab_size: usize,
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
        let dense = self
            .dense
            .map(|width| LinearConfig::new(self.hidden, width).init(device));
        let output =
            LinearConfig::new(self.dense.unwrap_or(self.hidden), self.vocab_size).init(device);
        Composer {
            embedding,
            instrument,
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
    /// Input vectors `[T, B, d_in]` of tokens `[B, T]`.
    fn encode(&self, tokens: Tensor<2, Int>, instrument: Option<usize>) -> Tensor<3> {
        let [batch, _] = tokens.dims();
        let device = tokens.device();
        // [B, T, d_in]
        let x = match &self.embedding {
            Some(embedding) => embedding.forward(tokens),
            None => (tokens.float() / self.vocab_size as f32).unsqueeze_dim(2),
        };
        let x = x.swap_dims(0, 1);
        match (&self.instrument, instrument) {
            (Some(table), Some(id)) => {
                let ids = Tensor::<2, Int>::from_data(
                    TensorData::new(vec![id as i32; batch], [1, batch]),
                    &device,
                );
                // [1, B, d_in], added to every step.
                x + table.forward(ids)
            }
            _ => x,
        }
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
        instrument: Option<usize>,
        state: LstmState,
    ) -> (Tensor<3>, LstmState) {
        let (outputs, state) = self.lstm.forward(self.encode(tokens, instrument), state);
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
        let linear = |layer: &Linear| {
            HalfLinear::new(layer.weight.val(), layer.bias.as_ref().map(|b| b.val()))
        };
        CpuComposer::new(
            input,
            condition,
            self.lstm.layer_weights(),
            self.dense.as_ref().map(linear),
            linear(&self.output),
        )
    }

    /// Logits `[B, V]` of the next event after one token per sequence, carrying the state.
    pub fn step(
        &self,
        tokens: &[usize],
        instrument: Option<usize>,
        state: LstmState,
        device: &Device,
    ) -> (Tensor<2>, LstmState) {
        let batch = tokens.len();
        let ids: Vec<i32> = tokens.iter().map(|&t| t as i32).collect();
        let tokens = Tensor::<2, Int>::from_data(TensorData::new(ids, [batch, 1]), device);
        let (x, state) = self.lstm.forward(self.encode(tokens, instrument), state);
        (self.head(x.squeeze_dim::<2>(0)), state)
    }
}
