//! The GPU path (wgpu) against the CPU path, on whatever wgpu adapter the
//! machine has: a real GPU, or Mesa's software Vulkan driver (lavapipe) that
//! `scripts/setup.sh` installs, so that this runs on machines without a GPU.
#![cfg(feature = "wgpu")]

use burn::module::Module;
use burn::tensor::activation::log_softmax;
use burn::tensor::{Device, Int, Tensor, TensorData};
use models::DeviceChoice;
use models::network::{Composer, ComposerConfig, Conditions, InputEncoding};

fn wgpu() -> Device {
    DeviceChoice::Wgpu
        .select()
        .expect("a wgpu adapter: scripts/setup.sh installs Mesa's software Vulkan driver")
        .device
}

/// Logits for a fixed batch, and the gradient of their loss for every weight, flattened.
fn run(network: &Composer, device: &Device) -> (Vec<f32>, Vec<f32>) {
    let (batch, steps) = (2, 20);
    let ids: Vec<i32> = (0..batch * (steps + 1))
        .map(|i| ((i * 37 + 5) % 280) as i32)
        .collect();
    let tokens = Tensor::<2, Int>::from_data(TensorData::new(ids, [batch, steps + 1]), device);
    // `fork`, not `to_device`: the copy must own its parameters to receive gradients.
    let network = network.clone().fork(device);
    let positions: Vec<i32> = (0..batch * steps).map(|i| (i * 5 % 96) as i32).collect();
    let energies: Vec<i32> = (0..batch * steps).map(|i| (i % 5) as i32).collect();
    let conditions = Conditions {
        instrument: Some(0),
        keys: Some(Tensor::from_data(
            TensorData::new(vec![3, 17], [batch]),
            device,
        )),
        positions: Some(Tensor::from_data(
            TensorData::new(positions, [batch, steps]),
            device,
        )),
        meters: Some(Tensor::from_data(
            TensorData::new(vec![0, 2], [batch]),
            device,
        )),
        energies: Some(Tensor::from_data(
            TensorData::new(energies, [batch, steps]),
            device,
        )),
    };
    let (logits, _) = network.forward(
        tokens.clone().narrow(1, 0, steps),
        &conditions,
        network.zero_state(batch, device),
    );
    let vocab = logits.dims()[2];
    let flat = logits.reshape([batch * steps, vocab]);
    let loss = log_softmax(flat.clone(), 1)
        .gather(1, tokens.narrow(1, 1, steps).reshape([batch * steps, 1]))
        .mean()
        .neg();
    let grads = loss.backward();
    let mut gradient = Vec::new();
    network.visit(&mut GradientCollector {
        grads: &grads,
        out: &mut gradient,
    });
    let logits = flat
        .inner()
        .into_data()
        .convert::<f32>()
        .try_to_vec()
        .unwrap();
    (logits, gradient)
}

struct GradientCollector<'a> {
    grads: &'a burn::tensor::Gradients,
    out: &'a mut Vec<f32>,
}

impl burn::module::ModuleVisitor for GradientCollector<'_> {
    fn visit_float<const D: usize>(&mut self, param: &burn::module::Param<Tensor<D>>) {
        if let Some(grad) = param.val().grad(self.grads) {
            self.out.extend(
                grad.into_data()
                    .convert::<f32>()
                    .try_to_vec::<f32>()
                    .unwrap(),
            );
        }
    }
}

fn largest_difference(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

/// The CPU runs the fused LSTM kernels and wgpu burn's own operations: the
/// same network must give the same logits and the same gradients on both.
#[test]
fn a_tiny_model_gives_the_same_results_on_cpu_and_wgpu() {
    let cpu = Device::flex().autodiff();
    cpu.seed(11);
    let network = ComposerConfig::new(InputEncoding::Embedding { dim: 8 }, 2, 16, 0.0)
        .with_instruments(1)
        .with_keys(24)
        .with_positions(96)
        .with_meters(3)
        .with_energies(5)
        .init(&cpu);
    let (cpu_logits, cpu_grads) = run(&network, &cpu);
    let (gpu_logits, gpu_grads) = run(&network, &wgpu().autodiff());
    assert!(!cpu_grads.is_empty());
    let logits = largest_difference(&cpu_logits, &gpu_logits);
    assert!(logits < 1e-3, "logits differ by {logits}");
    let grads = largest_difference(&cpu_grads, &gpu_grads);
    assert!(grads < 1e-3, "gradients differ by {grads}");
}

#[test]
fn pieces_batched_on_wgpu_are_those_composed_one_by_one() {
    use models::compose::generate::{Batch, Generator, Length, Settings};
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("piano");
    let generator = Generator::open(&dir, &wgpu()).unwrap();
    let settings = |seed| Settings {
        length: Length::Events(24),
        seed,
        ..Settings::default()
    };
    let mut batch = Batch::new(&generator);
    for seed in [1, 2] {
        batch.add(settings(seed), seed).unwrap();
    }
    let mut batched = Vec::new();
    while !batch.is_empty() {
        batched.extend(batch.step());
    }
    batched.sort_by_key(|(seed, _)| *seed);
    for (seed, result) in batched {
        let together = result.unwrap();
        let alone = generator.generate(&settings(seed)).unwrap();
        assert!(!together.notes.is_empty());
        assert_eq!(together.notes, alone.notes, "seed {seed}");
    }
}
