//! Generating, rendering and encoding a 60-second piece, printed as Markdown
//! tables: every step for a piano piece with each installed SoundFont, then
//! rendering per shipped instrument.
//!
//! `cargo bench -p server --bench render`. Rendering is timed on one thread
//! (the synthesizer's own speed) and with the notes split over two, as the
//! server renders; generation runs on the CPU backend.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use models::compose::generate::{Generator, Length, Settings};
use models::{DeviceChoice, Instrument};
use server::audio::{self, Renderer};

/// The best of three timings of `f`, after one warm-up run.
fn best_of_three<T>(mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut result = f();
    let mut best = Duration::MAX;
    for _ in 0..3 {
        let started = Instant::now();
        result = f();
        best = best.min(started.elapsed());
    }
    (best, result)
}

fn main() {
    let seconds = 60.0;
    let instrument = Instrument::Piano;
    let model = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../models")
        .join(instrument.id());
    let cpu = DeviceChoice::Cpu.select().expect("the CPU").device;
    let generator = Generator::open(&model, &cpu).expect("the shipped piano model");
    let settings = Settings {
        length: Length::Seconds(seconds),
        seed: 3,
        ..Settings::default()
    };
    let (generate, composition) = best_of_three(|| generator.generate(&settings).expect("a piece"));
    let midi = composition.to_midi(instrument.program());
    println!(
        "A {seconds:.0}-second piano piece ({} notes), best of 3 runs.\n",
        composition.notes.len()
    );
    println!("| step | time | x real time |");
    println!("|---|---:|---:|");
    let row = |name: &str, time: Duration| {
        println!(
            "| {name} | {:.0} ms | {:.0} x |",
            time.as_secs_f64() * 1e3,
            seconds / time.as_secs_f64()
        );
    };
    row("generate (CPU, f16 LSTM)", generate);
    let mut fonts = Vec::new();
    for path in [
        "/usr/share/sounds/sf2/TimGM6mb.sf2",
        "/usr/share/sounds/sf2/FluidR3_GM.sf2",
    ] {
        if Path::new(path).is_file() {
            fonts.push(path);
        }
    }
    for font in fonts {
        let name = Path::new(font).file_name().unwrap().to_string_lossy();
        let renderer = Renderer::open(Path::new(font)).expect("an installed SoundFont");
        let one_thread = renderer.clone().on_one_thread();
        let (render, audio) = best_of_three(|| one_thread.render(&midi).expect("renders"));
        row(&format!("render with {name} (one core)"), render);
        let (split, _) = best_of_three(|| renderer.render(&midi).expect("renders"));
        row("render, the notes split over two threads", split);
        let (encode, _) = best_of_three(|| {
            let mut ogg = Vec::new();
            audio::encode_preview(&audio.preview(), 1, &mut ogg).expect("encodes");
            ogg
        });
        row("preview: half rate, chime, Ogg Vorbis (one core)", encode);
        let (wav, _) = best_of_three(|| {
            let mut bytes = Vec::new();
            audio::write_wav(&audio, &mut bytes).expect("writes");
            bytes
        });
        row("WAV write (to memory)", wav);
        row(
            &format!("render + preview, one core, {name}"),
            render + encode,
        );
        row(
            &format!("render on two threads + preview, {name}"),
            split + encode,
        );
        row(
            &format!("generate + render on two threads + preview, {name}"),
            generate + split + encode,
        );
        let (products, _) = best_of_three(|| {
            let (mut wav, mut ogg) = (Vec::new(), Vec::new());
            renderer
                .render_products(&midi, &mut wav, Some(&mut ogg))
                .expect("renders")
        });
        row(
            &format!("the server's path: render on two threads, WAV, preview ({name})"),
            products,
        );
    }
    per_instrument(seconds);
}

/// Rendering and encoding speed for a piece of each shipped instrument, with
/// the smaller SoundFont: how dense the music is decides how fast it renders.
fn per_instrument(seconds: f64) {
    let cpu = DeviceChoice::Cpu.select().expect("the CPU").device;
    let font = Path::new("/usr/share/sounds/sf2/TimGM6mb.sf2");
    if !font.is_file() {
        return;
    }
    let renderer = Renderer::open(font).expect("an installed SoundFont");
    println!("\nEach shipped instrument, a {seconds:.0}-second piece (seed 3), TimGM6mb:\n");
    println!(
        "| instrument | notes | generate | render (one core) | preview (half rate, chime, encode) |"
    );
    println!("|---|---:|---:|---:|---:|");
    let rate = |time: Duration| {
        format!(
            "{:.0} ms ({:.0} x)",
            time.as_secs_f64() * 1e3,
            seconds / time.as_secs_f64()
        )
    };
    for instrument in Instrument::ALL {
        let model = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../models")
            .join(instrument.id());
        let Ok(generator) = Generator::open(&model, &cpu) else {
            continue;
        };
        let settings = Settings {
            length: Length::Seconds(seconds),
            seed: 3,
            ..Settings::default()
        };
        let (generate, composition) =
            best_of_three(|| generator.generate(&settings).expect("a piece"));
        let midi = composition.to_midi(instrument.program());
        let one_thread = renderer.clone().on_one_thread();
        let (render, audio) = best_of_three(|| one_thread.render(&midi).expect("renders"));
        let (encode, _) = best_of_three(|| {
            let mut ogg = Vec::new();
            audio::encode_preview(&audio.preview(), 1, &mut ogg).expect("encodes");
        });
        println!(
            "| {} | {} | {:.0} ms | {} | {} |",
            instrument.display_name(),
            composition.notes.len(),
            generate.as_secs_f64() * 1e3,
            rate(render),
            rate(encode)
        );
    }
}
