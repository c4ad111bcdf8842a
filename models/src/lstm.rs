//! A stacked LSTM built for speed on burn.
//!
//! burn's stock `nn::Lstm` runs eight small matrix products and a dozen
//! element-wise kernels per step. Here a step of a layer is one product of
//! `[x, h]` with the weights of all four gates, one sigmoid over three gates
//! and one tanh. Inputs and outputs are kept as one tensor per time step:
//! slicing steps out of a `[T, ...]` tensor costs a full-size zero tensor per
//! slice in burn's backward pass, which made training quadratic in `T`.

use burn::config::Config;
use burn::module::{Module, Param};
use burn::nn::{Dropout, DropoutConfig, Initializer};
use burn::tensor::activation::{sigmoid, tanh};
use burn::tensor::{Device, Tensor};

/// Shape of a stack of LSTM layers.
#[derive(Config, Debug)]
pub struct LstmStackConfig {
    /// Width of the input vectors.
    pub d_input: usize,
    /// Width of every layer's state.
    pub hidden: usize,
    /// Number of stacked layers.
    pub layers: usize,
    /// Dropout between layers while training.
    #[config(default = 0.0)]
    pub dropout: f64,
}

/// One LSTM layer; gates are laid out input, forget, output, cell.
#[derive(Module, Debug)]
pub struct LstmLayer {
    /// Weights of `[x, h]` to the four gates: `[d_in + H, 4H]`.
    weights: Param<Tensor<2>>,
    /// Gate biases: `[4H]`.
    bias: Param<Tensor<1>>,
}

/// Several LSTM layers, each feeding the next.
#[derive(Module, Debug)]
pub struct LstmStack {
    layers: Vec<LstmLayer>,
    dropout: Dropout,
}

/// The state of every layer: hidden and cell vectors, each `[B, H]`.
#[derive(Debug, Clone)]
pub struct LstmState {
    /// Hidden state per layer.
    pub hidden: Vec<Tensor<2>>,
    /// Cell state per layer.
    pub cell: Vec<Tensor<2>>,
}

impl LstmStackConfig {
    /// Builds the stack with Glorot-uniform weights and a forget-gate bias of 1.
    pub fn init(&self, device: &Device) -> LstmStack {
        let h = self.hidden;
        let layers = (0..self.layers)
            .map(|layer| {
                let d_in = if layer == 0 { self.d_input } else { h };
                let weights = Initializer::XavierUniform { gain: 1.0 }.init_with(
                    [d_in + h, 4 * h],
                    Some(d_in + h),
                    Some(4 * h),
                    device,
                );
                // A forget gate that starts open lets gradients through long sequences.
                let bias: Vec<f32> = (0..4 * h)
                    .map(|i| if (h..2 * h).contains(&i) { 1.0 } else { 0.0 })
                    .collect();
                LstmLayer {
                    weights,
                    bias: Param::from_tensor(Tensor::from_floats(bias.as_slice(), device)),
                }
            })
            .collect();
        LstmStack {
            layers,
            dropout: DropoutConfig::new(self.dropout).init(),
        }
    }
}

impl LstmLayer {
    fn hidden_size(&self) -> usize {
        self.bias.dims()[0] / 4
    }

    /// One step: input `[B, d_in]` and state to the new `(h, c)`, each `[B, H]`.
    fn step(&self, x: Tensor<2>, h: Tensor<2>, c: Tensor<2>) -> (Tensor<2>, Tensor<2>) {
        let hs = self.hidden_size();
        // [B, 4H]
        let gates = Tensor::cat(vec![x, h], 1).matmul(self.weights.val())
            + self.bias.val().unsqueeze_dim(0);
        let sig = sigmoid(gates.clone().narrow(1, 0, 3 * hs));
        let candidate = tanh(gates.narrow(1, 3 * hs, hs));
        let input_gate = sig.clone().narrow(1, 0, hs);
        let forget_gate = sig.clone().narrow(1, hs, hs);
        let output_gate = sig.narrow(1, 2 * hs, hs);
        let c = forget_gate * c + input_gate * candidate;
        let h = output_gate * tanh(c.clone());
        (h, c)
    }
}

impl LstmStack {
    /// Width of the state vectors.
    pub fn hidden_size(&self) -> usize {
        self.layers[0].hidden_size()
    }

    /// A zero state for a batch of `batch`.
    pub fn zero_state(&self, batch: usize, device: &Device) -> LstmState {
        let zeros = || Tensor::zeros([batch, self.hidden_size()], device);
        LstmState {
            hidden: self.layers.iter().map(|_| zeros()).collect(),
            cell: self.layers.iter().map(|_| zeros()).collect(),
        }
    }

    /// Runs a sequence given as one `[B, d_in]` input per step; returns the
    /// last layer's `[B, H]` output per step.
    pub fn forward(&self, inputs: Vec<Tensor<2>>, state: LstmState) -> (Vec<Tensor<2>>, LstmState) {
        let mut xs = inputs;
        let mut hidden = Vec::with_capacity(self.layers.len());
        let mut cell = Vec::with_capacity(self.layers.len());
        for (index, layer) in self.layers.iter().enumerate() {
            let mut h = state.hidden[index].clone();
            let mut c = state.cell[index].clone();
            xs = xs
                .into_iter()
                .map(|x| {
                    let x = if index > 0 {
                        self.dropout.forward(x)
                    } else {
                        x
                    };
                    (h, c) = layer.step(x, h.clone(), c.clone());
                    h.clone()
                })
                .collect();
            hidden.push(h);
            cell.push(c);
        }
        (xs, LstmState { hidden, cell })
    }

    /// Runs one step: `[B, d_in]` to the last layer's output `[B, H]`.
    pub fn step(&self, input: Tensor<2>, state: LstmState) -> (Tensor<2>, LstmState) {
        let (mut outputs, state) = self.forward(vec![input], state);
        (outputs.pop().expect("one step in, one out"), state)
    }
}
