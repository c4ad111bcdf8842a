//! The LSTM layer as one burn operation on the CPU backend, forward and
//! backward, through burn's backend-extension mechanism.
//!
//! Built from burn's own operations a layer costs about sixteen small kernels
//! per step, each recorded for the backward pass; on two CPU cores that
//! overhead, not arithmetic, bounded training. Here a whole sequence is one
//! operation whose backward pass is handwritten ([`crate::network::kernels`]).

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::flex::FlexTensor;
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, Backend, Dispatch, Flex, backend_extension};
use burn::tensor::{DType, Tensor, TensorData};

use crate::network::kernels::{self, Dims};

/// Backends that run a whole LSTM layer as one operation.
#[backend_extension(Flex, Autodiff)]
pub trait LstmBackend: Backend {
    /// One layer over a sequence: input `[T, B, d_in]`, weights `[d_in + H, 4H]`,
    /// bias `[4H]`, initial state `h0`, `c0` `[B, H]`; returns `[T, B, 2H]`,
    /// each step's hidden state followed by its cell state.
    fn lstm_layer(
        input: FloatTensor<Self>,
        weights: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        h0: FloatTensor<Self>,
        c0: FloatTensor<Self>,
    ) -> FloatTensor<Self>;
}

/// Runs [`LstmBackend::lstm_layer`] on burn tensors (CPU device only).
pub fn lstm_layer(
    input: Tensor<3>,
    weights: Tensor<2>,
    bias: Tensor<1>,
    h0: Tensor<2>,
    c0: Tensor<2>,
) -> Tensor<3> {
    Tensor::from_dispatch(<Dispatch as LstmBackend>::lstm_layer(
        input.into_dispatch(),
        weights.into_dispatch(),
        bias.into_dispatch(),
        h0.into_dispatch(),
        c0.into_dispatch(),
    ))
}

/// A contiguous f32 copy of a tensor only where it is not one already.
fn f32_contiguous(tensor: FlexTensor) -> FlexTensor {
    let tensor = if tensor.dtype() == DType::F32 {
        tensor
    } else {
        FlexTensor::from_data(tensor.into_data().convert::<f32>())
    };
    if tensor.as_slice::<f32>().is_some() {
        tensor
    } else {
        tensor.to_contiguous()
    }
}

fn floats(tensor: &FlexTensor) -> &[f32] {
    tensor
        .as_slice::<f32>()
        .expect("made contiguous f32 by f32_contiguous")
}

fn tensor(values: Vec<f32>, shape: impl Into<Vec<usize>>) -> FlexTensor {
    FlexTensor::from_data(TensorData::new(values, shape.into()))
}

/// The inputs of one layer, contiguous f32.
#[derive(Debug, Clone)]
struct Inputs {
    dims: Dims,
    x: FlexTensor,
    weights: FlexTensor,
    bias: FlexTensor,
    h0: FlexTensor,
    c0: FlexTensor,
}

impl Inputs {
    fn new(
        x: FlexTensor,
        weights: FlexTensor,
        bias: FlexTensor,
        h0: FlexTensor,
        c0: FlexTensor,
    ) -> Inputs {
        let shape = x.layout().shape().to_vec();
        let [steps, batch, input] = shape[..] else {
            panic!("lstm_layer input must be [T, B, d_in], got {shape:?}");
        };
        let hidden = bias.layout().shape()[0] / 4;
        assert_eq!(
            weights.layout().shape().to_vec(),
            vec![input + hidden, 4 * hidden],
            "lstm_layer weights must be [d_in + H, 4H]"
        );
        Inputs {
            dims: Dims {
                steps,
                batch,
                input,
                hidden,
            },
            x: f32_contiguous(x),
            weights: f32_contiguous(weights),
            bias: f32_contiguous(bias),
            h0: f32_contiguous(h0),
            c0: f32_contiguous(c0),
        }
    }

    fn forward(&self) -> (Vec<f32>, Vec<f32>) {
        kernels::forward(
            self.dims,
            floats(&self.x),
            floats(&self.weights),
            floats(&self.bias),
            floats(&self.h0),
            floats(&self.c0),
        )
    }

    fn output_shape(&self) -> [usize; 3] {
        [self.dims.steps, self.dims.batch, 2 * self.dims.hidden]
    }
}

impl LstmBackend for Flex {
    fn lstm_layer(
        input: FlexTensor,
        weights: FlexTensor,
        bias: FlexTensor,
        h0: FlexTensor,
        c0: FlexTensor,
    ) -> FlexTensor {
        let inputs = Inputs::new(input, weights, bias, h0, c0);
        let (out, _gates) = inputs.forward();
        tensor(out, inputs.output_shape())
    }
}

/// What the backward pass keeps of the forward pass.
#[derive(Debug, Clone)]
struct Saved {
    inputs: Inputs,
    out: FlexTensor,
    gates: std::sync::Arc<Vec<f32>>,
}

#[derive(Debug)]
struct LstmLayerBackward;

impl Backward<Flex, 5> for LstmLayerBackward {
    type State = Saved;

    fn backward(self, ops: Ops<Saved, 5>, grads: &mut Gradients, _: &mut Checkpointer) {
        let grad_out = f32_contiguous(grads.consume::<Flex>(&ops.node));
        let Saved { inputs, out, gates } = ops.state;
        let dims = inputs.dims;
        let result = kernels::backward(
            dims,
            floats(&inputs.x),
            floats(&inputs.weights),
            floats(&inputs.h0),
            floats(&inputs.c0),
            floats(&out),
            &gates,
            floats(&grad_out),
        );
        let (d, h) = (dims.input, dims.hidden);
        let parent_grads = [
            tensor(result.input, [dims.steps, dims.batch, d]),
            tensor(result.weights, [d + h, 4 * h]),
            tensor(result.bias, [4 * h]),
            tensor(result.h0, [dims.batch, h]),
            tensor(result.c0, [dims.batch, h]),
        ];
        for (parent, grad) in ops.parents.into_iter().zip(parent_grads) {
            if let Some(node) = parent {
                grads.register::<Flex>(node.id, grad);
            }
        }
    }
}

impl<C: CheckpointStrategy> LstmBackend for Autodiff<Flex, C> {
    fn lstm_layer(
        input: FloatTensor<Self>,
        weights: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        h0: FloatTensor<Self>,
        c0: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        let (input, input_node) = input.into_parts();
        let (weights, weights_node) = weights.into_parts();
        let (bias, bias_node) = bias.into_parts();
        let (h0, h0_node) = h0.into_parts();
        let (c0, c0_node) = c0.into_parts();
        let inputs = Inputs::new(input, weights, bias, h0, c0);
        let (out, gates) = inputs.forward();
        let out = tensor(out, inputs.output_shape());
        match LstmLayerBackward
            .prepare::<C>([input_node, weights_node, bias_node, h0_node, c0_node])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => prep.finish(
                Saved {
                    inputs,
                    out: out.clone(),
                    gates: std::sync::Arc::new(gates),
                },
                out,
            ),
            OpsKind::UnTracked(prep) => prep.finish(out),
        }
    }
}
