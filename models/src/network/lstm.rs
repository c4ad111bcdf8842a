//! A stacked LSTM built for speed on burn.
//!
//! On the CPU a layer runs a whole sequence as one fused operation with its
//! own backward pass ([`crate::network::fused_lstm`]). On other devices a step is
//! composed from burn's operations, leaner than the stock `nn::Lstm` (eight
//! small products and a dozen element-wise kernels per step): one product of
//! `[x, h]` with the weights of all four gates, one sigmoid over three gates
//! and one tanh.

use burn::config::Config;
use burn::module::{Module, Param};
use burn::nn::{Dropout, DropoutConfig, Initializer};
use burn::tensor::activation::{sigmoid, tanh};
use burn::tensor::{Device, Tensor};

use crate::network::device::is_cpu;
use crate::network::dropout::dropout;
use crate::network::fused_lstm;

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

    /// The sequence `[T, B, d_in]` step by step with burn's operations: outputs `[T, B, H]`, last `h`, `c`.
    fn forward_steps(
        &self,
        x: Tensor<3>,
        mut h: Tensor<2>,
        mut c: Tensor<2>,
    ) -> (Tensor<3>, Tensor<2>, Tensor<2>) {
        let steps = x.dims()[0];
        let outputs = x
            .chunk(steps, 0)
            .into_iter()
            .map(|x| {
                (h, c) = self.step(x.squeeze_dim(0), h.clone(), c.clone());
                h.clone()
            })
            .collect();
        (Tensor::stack(outputs, 0), h, c)
    }

    /// The sequence as one fused CPU operation: outputs `[T, B, H]`, last `h`, `c`.
    fn forward_fused(
        &self,
        x: Tensor<3>,
        h: Tensor<2>,
        c: Tensor<2>,
    ) -> (Tensor<3>, Tensor<2>, Tensor<2>) {
        let hs = self.hidden_size();
        let [steps, ..] = x.dims();
        // [T, B, 2H]: h then c at every step.
        let states = fused_lstm::lstm_layer(x, self.weights.val(), self.bias.val(), h, c);
        // [B, 2H]
        let last = states.clone().narrow(0, steps - 1, 1).squeeze_dim::<2>(0);
        (
            states.narrow(2, 0, hs),
            last.clone().narrow(1, 0, hs),
            last.narrow(1, hs, hs),
        )
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

    /// Each layer's `[d_in + H, 4H]` weights and `[4H]` bias.
    pub(crate) fn layer_weights(&self) -> Vec<(Tensor<2>, Tensor<1>)> {
        self.layers
            .iter()
            .map(|layer| (layer.weights.val(), layer.bias.val()))
            .collect()
    }

    /// Runs a sequence `[T, B, d_in]`; returns the last layer's output `[T, B, H]`
    /// and the state after the last step.
    ///
    /// On the CPU each layer is one fused operation ([`crate::network::fused_lstm`]);
    /// elsewhere (wgpu) the steps are composed from burn's operations.
    pub fn forward(&self, inputs: Tensor<3>, state: LstmState) -> (Tensor<3>, LstmState) {
        let fused = is_cpu(&inputs.device());
        let mut x = inputs;
        let mut hidden = Vec::with_capacity(self.layers.len());
        let mut cell = Vec::with_capacity(self.layers.len());
        for (index, layer) in self.layers.iter().enumerate() {
            if index > 0 {
                x = dropout(&self.dropout, x);
            }
            let (h, c) = (state.hidden[index].clone(), state.cell[index].clone());
            let (output, h, c) = if fused {
                layer.forward_fused(x, h, c)
            } else {
                layer.forward_steps(x, h, c)
            };
            x = output;
            hidden.push(h);
            cell.push(c);
        }
        (x, LstmState { hidden, cell })
    }
}

#[cfg(test)]
mod tests {
    use burn::tensor::{Distribution, Tensor};

    use super::*;

    fn random<const D: usize>(shape: [usize; D], device: &Device) -> Tensor<D> {
        Tensor::random(shape, Distribution::Uniform(-1.0, 1.0), device).require_grad()
    }

    fn max_difference<const D: usize>(a: Tensor<D>, b: Tensor<D>) -> f32 {
        (a - b).abs().max().into_scalar()
    }

    /// The fused CPU layer must compute what burn's own operations compute,
    /// forward and backward, including gradients of the initial state.
    #[test]
    fn fused_layer_matches_burn_operations_forward_and_backward() {
        let device = Device::flex().autodiff();
        let _turn = crate::network::GLOBAL_RNG
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        device.seed(7);
        let (steps, batch, d_in, hidden) = (6, 3, 5, 7);
        let layer = &LstmStackConfig::new(d_in, hidden, 1).init(&device).layers[0];
        let x = random([steps, batch, d_in], &device);
        let (h0, c0) = (
            random([batch, hidden], &device),
            random([batch, hidden], &device),
        );
        // Weighting every output differently makes each gradient distinct.
        let w_out = random([steps, batch, hidden], &device).detach();
        let (w_h, w_c) = (
            random([batch, hidden], &device).detach(),
            random([batch, hidden], &device).detach(),
        );
        let run = |fused: bool| {
            let (out, h, c) = if fused {
                layer.forward_fused(x.clone(), h0.clone(), c0.clone())
            } else {
                layer.forward_steps(x.clone(), h0.clone(), c0.clone())
            };
            let loss = (out.clone() * w_out.clone()).sum()
                + (h.clone() * w_h.clone()).sum()
                + (c.clone() * w_c.clone()).sum();
            let grads = loss.backward();
            let grad = |t: &Tensor<2>| t.grad(&grads).expect("a gradient");
            (
                out.inner(),
                x.grad(&grads).expect("a gradient"),
                layer.weights.val().grad(&grads).expect("a gradient"),
                layer.bias.val().grad(&grads).expect("a gradient"),
                grad(&h0),
                grad(&c0),
            )
        };
        let (fused, reference) = (run(true), run(false));
        assert!(max_difference(fused.0, reference.0) < 1e-5, "outputs");
        assert!(
            max_difference(fused.1, reference.1) < 1e-4,
            "input gradient"
        );
        assert!(
            max_difference(fused.2, reference.2) < 1e-4,
            "weight gradient"
        );
        assert!(max_difference(fused.3, reference.3) < 1e-4, "bias gradient");
        assert!(max_difference(fused.4, reference.4) < 1e-4, "h0 gradient");
        assert!(max_difference(fused.5, reference.5) < 1e-4, "c0 gradient");
    }
}
