//! Generation and training speed on the CPU, printed as a Markdown table.
//!
//! `cargo bench -p models --bench generation`. Untrained networks of each
//! preset: the weights do not change the work.

use std::time::{Duration, Instant};

use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::activation::log_softmax;
use burn::tensor::{Device, Int, Tensor, TensorData};
use models::Instrument;
use models::compose::generate::{Batch, Generator, Length, Settings, paper_loop_events};
use models::network::{Conditions, Preset};
use models::saved::{FORMAT_VERSION, ModelConfig, save};

/// The best of `runs` timings of `f`, after one warm-up run.
fn best_of(runs: usize, mut f: impl FnMut()) -> Duration {
    f();
    (0..runs)
        .map(|_| {
            let started = Instant::now();
            f();
            started.elapsed()
        })
        .min()
        .expect("at least one run")
}

fn generator(preset: Preset, dir: &std::path::Path, device: &Device) -> Generator {
    let config = ModelConfig::new(
        FORMAT_VERSION,
        "piano".to_owned(),
        preset,
        preset.network(),
        preset.window(),
        Vec::new(),
        0.1,
    );
    save(dir, &config, &config.network.init(device)).expect("a writable temp folder");
    Generator::open(dir, device).expect("the model just written")
}

/// LSTM layer-steps per second of one training step (forward, backward, Adam)
/// at batch 64 and window 100, the Keras reference's shape.
fn training_throughput(preset: Preset, device: &Device) -> f64 {
    let device = device.clone().autodiff();
    let config = preset.network();
    let layers = config.layers;
    let mut network = config.init(&device);
    let mut optimizer = AdamConfig::new().init();
    let (batch, window) = (64, 100);
    let tokens: Vec<i32> = (0..batch * (window + 1))
        .map(|i| (i * 31 % 280) as i32)
        .collect();
    let data = Tensor::<2, Int>::from_data(TensorData::new(tokens, [batch, window + 1]), &device);
    let instrument = config.instrument_id();
    let elapsed = best_of(4, || {
        let inputs = data.clone().narrow(1, 0, window);
        let targets = data
            .clone()
            .narrow(1, 1, window)
            .reshape([batch * window, 1]);
        let conditions = Conditions::instrument(instrument);
        let (logits, _) = network.forward(inputs, &conditions, network.zero_state(batch, &device));
        let loss = log_softmax(logits.reshape([batch * window, 280]), 1)
            .gather(1, targets)
            .mean()
            .neg();
        let grads = GradientsParams::from_grads(loss.backward(), &network);
        network = optimizer.step(1e-3, network.clone(), grads);
    });
    (batch * window * layers) as f64 / elapsed.as_secs_f64()
}

/// Whether the table `name` was asked for: `cargo bench --bench generation -- training`
/// prints only that one; no argument prints them all.
fn wanted(name: &str) -> bool {
    let asked: Vec<String> = std::env::args()
        .skip(1)
        .filter(|arg| !arg.starts_with('-'))
        .collect();
    asked.is_empty() || asked.iter().any(|arg| arg == name)
}

fn main() {
    let device = Device::flex();
    if wanted("generation") {
        generation_table(&device);
    }
    if wanted("batching") {
        // One thread, as the server gives each model.
        rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .expect("a thread pool")
            .install(|| batching_table(&device));
    }
    if wanted("training") {
        training_table(&device);
    }
}

/// Pieces composed together in one [`Batch`] against the same pieces composed
/// one after another (each a batch of one, as `generate` does), on one core.
/// The same seeds give the same attempts either way, so the work is the same.
fn batching_table(device: &Device) {
    let events = 200;
    println!(
        "\nPieces of {events} events (guards and resampling included) composed one after another or together in one batch, CPU, one thread; best of 3.\n"
    );
    println!("| preset | pieces | one after another | together | speed-up |");
    println!("|---|---:|---:|---:|---:|");
    for preset in [Preset::Default, Preset::Paper] {
        let dir = tempfile::tempdir().expect("a temp folder");
        let generator = generator(preset, dir.path(), device);
        let settings = |seed| Settings {
            length: Length::Events(events),
            seed,
            ..Settings::default()
        };
        for pieces in [1u64, 2, 4, 8, 16] {
            let apart = best_of(3, || {
                for seed in 0..pieces {
                    let _ = std::hint::black_box(generator.generate(&settings(seed)));
                }
            });
            let together = best_of(3, || {
                let mut batch = Batch::new(&generator);
                for seed in 0..pieces {
                    batch.add(settings(seed), seed).expect("valid settings");
                }
                while !batch.is_empty() {
                    std::hint::black_box(batch.step());
                }
            });
            println!(
                "| {} | {pieces} | {:.0} ms | {:.0} ms | {:.1} x |",
                preset.name(),
                apart.as_secs_f64() * 1e3,
                together.as_secs_f64() * 1e3,
                apart.as_secs_f64() / together.as_secs_f64()
            );
        }
    }
}

fn generation_table(device: &Device) {
    let events = 200;
    println!("Generation of {events} events, batch 1, CPU (flex backend); best of 3 runs.\n");
    println!(
        "| preset | stateful | paper's loop (re-runs a {}-event window per event) | speed-up |",
        Preset::Paper.window()
    );
    println!("|---|---:|---:|---:|");
    for preset in [Preset::Default, Preset::Paper] {
        let dir = tempfile::tempdir().expect("a temp folder");
        let generator = generator(preset, dir.path(), device);
        assert_eq!(generator.model.instrument, Instrument::Piano);
        let settings = Settings {
            length: Length::Events(events),
            ..Settings::default()
        };
        let stateful = best_of(3, || {
            std::hint::black_box(generator.sample_events(&settings, 7));
        });
        let window = Preset::Paper.window();
        let paper = best_of(1, || {
            std::hint::black_box(paper_loop_events(&generator, window, events, 7));
        });
        println!(
            "| {} | {:.0} ms | {:.2} s | {:.0} x |",
            preset.name(),
            stateful.as_secs_f64() * 1e3,
            paper.as_secs_f64(),
            paper.as_secs_f64() / stateful.as_secs_f64()
        );
    }
}

fn training_table(device: &Device) {
    models::training::train::keep_freed_memory();
    println!(
        "\nTraining, CPU (flex backend), batch 64, window 100: one step (forward, backward, Adam); best of 4.\n"
    );
    println!("| network | LSTM layer-steps per second |");
    println!("|---|---:|");
    for preset in [Preset::Default, Preset::Paper] {
        println!(
            "| {} | {:.0} |",
            preset.name(),
            training_throughput(preset, device)
        );
    }
}
