//! The composer network prepared for generation on the CPU: one event at a
//! time, weights in f16, no tensor framework between the steps.
//!
//! A batch-1 step is bound by reading the weights (21 MB per event for the
//! `paper` network in f32); f16 halves that, and plain loops avoid burn's cost
//! per operation, which at this size is larger than the arithmetic. The
//! weights are those of the burn model; [`crate::network::Composer::step`]
//! stays the reference (and the path on other devices).

use burn::tensor::Tensor;

use crate::music::events::Step;
use crate::network::kernels::{HalfMatrix, step_half};

/// A dense layer `y = x · W + b` with W in f16.
#[derive(Debug, Clone)]
pub(crate) struct HalfLinear {
    weights: HalfMatrix,
    bias: Vec<f32>,
}

impl HalfLinear {
    /// From burn's `[d_in, d_out]` weights and `[d_out]` bias.
    pub(crate) fn new(weights: Tensor<2>, bias: Option<Tensor<1>>) -> HalfLinear {
        let [rows, cols] = weights.dims();
        HalfLinear {
            weights: HalfMatrix::new(&floats(weights), rows, cols),
            bias: bias.map_or_else(|| vec![0.0; cols], floats),
        }
    }

    /// `x` `[B, d_in]` to `[B, d_out]`.
    fn forward(&self, x: &[f32]) -> Vec<f32> {
        let batch = x.len() / self.weights.rows();
        let mut y = self.bias.repeat(batch);
        self.weights.accumulate_batch(x, &mut y);
        y
    }
}

/// The values of a tensor, row-major.
pub(crate) fn floats<const D: usize>(tensor: Tensor<D>) -> Vec<f32> {
    tensor
        .into_data()
        .convert::<f32>()
        .try_into_vec()
        .expect("float tensor data")
}

/// How a token becomes the first layer's input.
#[derive(Debug, Clone)]
pub(crate) enum HalfInput {
    /// A row per token of a `[V, d]` table.
    Embedding {
        /// The table, row-major.
        table: Vec<f32>,
        /// Its width.
        dim: usize,
    },
    /// The token id over the vocabulary size (the paper's encoding).
    Scalar {
        /// The vocabulary size.
        vocab: usize,
    },
}

/// Row `i` of a row-major table of rows `width` wide, if there is a table.
fn table_row(table: Option<&[f32]>, i: u8, width: usize) -> Option<&[f32]> {
    let i = usize::from(i);
    table.map(|t| &t[i * width..(i + 1) * width])
}

/// The condition tables, row-major `[rows, d]`: one row of each is added to every input.
#[derive(Debug, Clone, Default)]
pub(crate) struct Tables {
    /// A vector per key.
    pub(crate) keys: Option<Vec<f32>>,
    /// A vector per position in the bar.
    pub(crate) positions: Option<Vec<f32>>,
    /// A vector per meter.
    pub(crate) meters: Option<Vec<f32>>,
    /// A vector per energy class.
    pub(crate) energies: Option<Vec<f32>>,
}

/// The network with f16 weights, for batch-1 generation on the CPU.
#[derive(Debug, Clone)]
pub struct CpuComposer {
    input: HalfInput,
    /// The instrument's vector, added to every input.
    condition: Option<Vec<f32>>,
    /// The keys', positions', meters' and energies' vectors.
    tables: Tables,
    /// Per LSTM layer: `[d_in + H, 4H]` weights and `[4H]` bias.
    layers: Vec<(HalfMatrix, Vec<f32>)>,
    dense: Option<HalfLinear>,
    output: HalfLinear,
}

/// The hidden and cell vectors of every layer.
#[derive(Debug, Clone)]
pub struct CpuState {
    hidden: Vec<Vec<f32>>,
    cell: Vec<Vec<f32>>,
}

impl CpuComposer {
    /// Assembles the prepared parts (see [`crate::network::Composer::for_cpu`]).
    pub(crate) fn new(
        input: HalfInput,
        condition: Option<Vec<f32>>,
        tables: Tables,
        layers: Vec<(Tensor<2>, Tensor<1>)>,
        dense: Option<HalfLinear>,
        output: HalfLinear,
    ) -> CpuComposer {
        let layers = layers
            .into_iter()
            .map(|(weights, bias)| {
                let [rows, cols] = weights.dims();
                (HalfMatrix::new(&floats(weights), rows, cols), floats(bias))
            })
            .collect();
        CpuComposer {
            input,
            condition,
            tables,
            layers,
            dense,
            output,
        }
    }

    /// A zero state.
    pub fn zero_state(&self) -> CpuState {
        let zeros = || {
            self.layers
                .iter()
                .map(|(_, bias)| vec![0.0; bias.len() / 4])
                .collect()
        };
        CpuState {
            hidden: zeros(),
            cell: zeros(),
        }
    }

    /// Reads `step`, advances `state`, and returns the logits of the next event.
    pub fn step(&self, step: Step, state: &mut CpuState) -> Vec<f32> {
        self.step_batch(&[step], &mut [state])
            .pop()
            .expect("one piece in, one out")
    }

    /// Reads one token per piece, advancing each piece's state, in one pass
    /// over the weights; the logits of each piece's next event.
    pub fn step_batch(&self, steps: &[Step], states: &mut [&mut CpuState]) -> Vec<Vec<f32>> {
        assert_eq!(steps.len(), states.len());
        let mut x = Vec::new();
        for step in steps {
            let start = x.len();
            let token = step.token;
            match &self.input {
                HalfInput::Embedding { table, dim } => {
                    x.extend_from_slice(&table[token * dim..(token + 1) * dim]);
                }
                HalfInput::Scalar { vocab } => x.push(token as f32 / *vocab as f32),
            }
            let width = x.len() - start;
            let tables = &self.tables;
            let added = [
                self.condition.as_deref(),
                table_row(tables.keys.as_deref(), step.key, width),
                table_row(tables.positions.as_deref(), step.position, width),
                table_row(tables.meters.as_deref(), step.meter, width),
                table_row(tables.energies.as_deref(), step.energy, width),
            ];
            for vector in added.into_iter().flatten() {
                x[start..].iter_mut().zip(vector).for_each(|(v, c)| *v += c);
            }
        }
        let mut gates = Vec::new();
        for (layer, (weights, bias)) in self.layers.iter().enumerate() {
            let gather = |part: fn(&CpuState) -> &Vec<Vec<f32>>| -> Vec<f32> {
                states.iter().flat_map(|s| part(s)[layer].clone()).collect()
            };
            let (mut h, mut c) = (gather(|s| &s.hidden), gather(|s| &s.cell));
            step_half(weights, bias, &x, &mut h, &mut c, &mut gates);
            let hidden = bias.len() / 4;
            for ((state, h), c) in states
                .iter_mut()
                .zip(h.chunks_exact(hidden))
                .zip(c.chunks_exact(hidden))
            {
                state.hidden[layer].copy_from_slice(h);
                state.cell[layer].copy_from_slice(c);
            }
            x = h;
        }
        if let Some(dense) = &self.dense {
            x = dense.forward(&x);
        }
        let logits = self.output.forward(&x);
        logits
            .chunks_exact(logits.len() / steps.len())
            .map(<[f32]>::to_vec)
            .collect()
    }
}
