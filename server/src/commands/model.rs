//! The `train`, `eval`, `calibrate` and `generate` commands: the models crate on the command line.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use models::music::key::{Mode, parse_tonic};
use models::music::{Energy, Meter};
use models::network::Preset;
use models::training::train::{TrainingConfig, TrainingJob, train};
use models::{DeviceChoice, Instrument, SelectedDevice};

fn parse_instrument(id: &str) -> Result<Instrument, String> {
    Instrument::from_id(id).ok_or_else(|| {
        let known: Vec<&str> = Instrument::ALL.iter().map(|i| i.id()).collect();
        format!(
            "unknown instrument {id:?}: expected one of {}",
            known.join(", ")
        )
    })
}

/// Arguments of `mixtape train`.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Folders of MIDI files to learn from.
    #[arg(long, required = true, num_args = 1..)]
    data: Vec<PathBuf>,
    /// The instrument the model composes for.
    #[arg(long, value_parser = parse_instrument)]
    instrument: Instrument,
    /// The network: `default` (what MixTape ships) or `paper` (the source paper's).
    #[arg(long, default_value = "default")]
    preset: Preset,
    /// LSTM layers instead of the preset's (with --hidden).
    #[arg(long, requires = "hidden", value_parser = clap::value_parser!(u16).range(1..=8))]
    layers: Option<u16>,
    /// LSTM units per layer instead of the preset's (with --layers).
    #[arg(long, requires = "layers", value_parser = clap::value_parser!(u16).range(1..=4096))]
    hidden: Option<u16>,
    /// Passes over the training data (at most; early stopping may end sooner).
    #[arg(long, default_value_t = 20)]
    epochs: usize,
    /// The model folder to write.
    #[arg(long)]
    out: PathBuf,
    /// Go on from the last checkpoint in the model folder.
    #[arg(long)]
    resume: bool,
    /// Start from the weights of this model folder (the same preset) instead of random ones, to tune it to --data.
    #[arg(long, conflicts_with = "resume")]
    from: Option<PathBuf>,
    /// With --from a model made before the meter and energy inputs: train only those inputs' tables.
    #[arg(long, requires = "from")]
    tables_only: bool,
    /// Windows per batch.
    #[arg(long, default_value_t = 32)]
    batch_size: usize,
    /// Adam's learning rate.
    #[arg(long, default_value_t = 2e-3)]
    learning_rate: f64,
    /// Epochs without a better validation loss before stopping.
    #[arg(long, default_value_t = 3)]
    patience: usize,
    /// Multiply the learning rate by this after a plateau (1: constant).
    #[arg(long, default_value_t = 1.0)]
    plateau_decay: f64,
    /// Epochs without a better validation loss, since the best or the last decay, that make a plateau.
    #[arg(long, default_value_t = 3)]
    plateau_epochs: usize,
    /// Share of the files held out for validation (chosen by file name); a
    /// larger share gives a thin set a yardstick of more than one or two pieces.
    #[arg(long, default_value_t = 0.1)]
    validation_share: f64,
    /// At most this many batches per epoch.
    #[arg(long)]
    max_batches: Option<usize>,
    /// Stop after the epoch that would end past this many minutes (over resumed runs too).
    #[arg(long)]
    max_minutes: Option<f64>,
    /// Seed of the weights, shuffling and augmentation.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// auto (a hardware GPU if there is one, else the CPU), cpu or wgpu.
    #[arg(long, default_value = "auto")]
    device: DeviceChoice,
}

fn open_device(choice: DeviceChoice) -> Result<SelectedDevice, ExitCode> {
    let selected = choice.select().map_err(|err| {
        eprintln!("mixtape: {err}");
        ExitCode::from(2)
    })?;
    tracing::info!(device = %selected.description, "device selected");
    Ok(selected)
}

fn init_logging() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("MIXTAPE_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
}

/// `mixtape train`.
pub fn train_command(args: TrainArgs) -> ExitCode {
    init_logging();
    let selected = match open_device(args.device) {
        Ok(selected) => selected,
        Err(code) => return code,
    };
    let job = TrainingJob {
        data: args.data,
        instrument: args.instrument,
        preset: args.preset,
        size: args
            .layers
            .zip(args.hidden)
            .map(|(layers, hidden)| (usize::from(layers), usize::from(hidden))),
        out: args.out,
        resume: args.resume,
        from: args.from,
        tables_only: args.tables_only,
        progress: std::io::stderr().is_terminal(),
    };
    let config = TrainingConfig::new(args.epochs)
        .with_batch_size(args.batch_size)
        .with_learning_rate(args.learning_rate)
        .with_patience(args.patience)
        .with_plateau_decay(args.plateau_decay)
        .with_plateau_epochs(args.plateau_epochs)
        .with_validation_share(args.validation_share)
        .with_max_batches(args.max_batches)
        .with_max_minutes(args.max_minutes)
        .with_seed(args.seed);
    match train(&job, &config, &selected.device, &selected.description) {
        Ok(report) => {
            let best = &report.history[report.best_epoch.saturating_sub(1)];
            println!(
                "trained {} ({}) on {} files: best epoch {} of {}, validation {:.3} bits/note, accuracy {:.1}%; {}; written to {}",
                report.instrument,
                report.preset.name(),
                report.train_files,
                report.best_epoch,
                report.history.len(),
                best.valid_bits_per_note,
                100.0 * best.valid_accuracy,
                report.stopped,
                job.out.display()
            );
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("mixtape: {err}");
            ExitCode::FAILURE
        }
    }
}

/// Arguments of `mixtape eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// The model folder.
    #[arg(long)]
    model: PathBuf,
    /// Folders of MIDI files to evaluate on; the files held out from the model's training when absent.
    #[arg(long, num_args = 1..)]
    data: Vec<PathBuf>,
    /// Pieces to generate (30 s each) per setting, for the originality and musicality figures.
    #[arg(long, default_value_t = 100)]
    samples: usize,
    /// The seed of the first generated piece; another draws another set of pieces.
    #[arg(long, default_value_t = 1)]
    first_seed: u64,
    /// Also write the feature distributions (generated and real) as an SVG image to this file.
    #[arg(long)]
    plot: Option<PathBuf>,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
    /// auto, cpu or wgpu.
    #[arg(long, default_value = "auto")]
    device: DeviceChoice,
}

/// `mixtape eval`.
pub fn eval_command(args: EvalArgs) -> ExitCode {
    init_logging();
    let selected = match open_device(args.device) {
        Ok(selected) => selected,
        Err(code) => return code,
    };
    let report = models::training::eval::evaluate(
        &args.model,
        &args.data,
        args.samples,
        args.first_seed,
        &selected.device,
    );
    if let (Ok(report), Some(path)) = (&report, &args.plot) {
        let svg = models::training::plot::feature_distributions(&report.musicality.tables);
        if let Err(err) = std::fs::write(path, svg) {
            eprintln!("mixtape: cannot write {}: {err}", path.display());
            return ExitCode::FAILURE;
        }
    }
    match report {
        Ok(report) if args.json => {
            println!(
                "{}",
                serde_json::to_string(&report).expect("a report serialises")
            );
            ExitCode::SUCCESS
        }
        Ok(r) => {
            println!("{} files, {} notes, {} events", r.files, r.notes, r.events);
            println!("| | bits/event | bits/note | top-1 accuracy |");
            println!("|---|---:|---:|---:|");
            println!(
                "| model | {:.3} | {:.3} | {:.1}% |",
                r.model_bits_per_event,
                r.model_bits_per_note,
                100.0 * r.model_accuracy
            );
            println!(
                "| {}-gram baseline | {:.3} | {:.3} | {:.1}% |",
                models::training::eval::NGRAM_ORDER,
                r.ngram_bits_per_event,
                r.ngram_bits_per_note,
                100.0 * r.ngram_accuracy
            );
            println!(
                "{} generated pieces ({:.0} notes on average, {:.2} attempts each): {:.0}% share a {}-note run with the training data; {:.0}% of real excerpts of that length do",
                r.samples,
                r.sample_notes,
                r.mean_attempts,
                100.0 * r.generated_share_16,
                models::compose::guards::SHARED_RUN,
                100.0 * r.held_out_share_16
            );
            print_musicality(&r.musicality);
            print_energy(&r.energy);
            print_meters(&r.meters);
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("mixtape: {err}");
            ExitCode::FAILURE
        }
    }
}

/// Arguments of `mixtape calibrate`.
#[derive(Debug, Args)]
pub struct CalibrateArgs {
    /// The model folder; its config names the training data.
    #[arg(long)]
    model: PathBuf,
}

/// `mixtape calibrate`.
pub fn calibrate_command(args: CalibrateArgs) -> ExitCode {
    match models::training::eval::calibrate(&args.model) {
        Ok(style) => {
            println!(
                "{}: the style of {} excerpts of its training music stored in its config",
                args.model.display(),
                style.excerpts.len(),
            );
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("mixtape: {err}");
            ExitCode::FAILURE
        }
    }
}

/// The energy part of `mixtape eval`'s tables.
fn print_energy(report: &models::training::levels::EnergyReport) {
    println!();
    println!(
        "| energy | pieces | notes/beat | velocity | register | asked key | tonic ending | scale consistency | pitch-class entropy |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for row in &report.levels {
        println!(
            "| {} | {} | {:.2} | {:.1} | {:.1} | {:.0}% | {:.0}% | {:.3} | {:.3} |",
            row.level,
            row.pieces,
            row.notes_per_beat,
            row.velocity,
            row.register,
            100.0 * row.asked_key_match,
            100.0 * row.on_tonic,
            row.scale_consistency,
            row.pitch_class_entropy
        );
    }
    println!(
        "Spearman's rank correlation with the asked level: notes per beat {:.3}, velocity {:.3}",
        report.spearman_notes_per_beat, report.spearman_velocity
    );
}

/// The meter part of `mixtape eval`'s tables.
fn print_meters(rows: &[models::training::levels::MeterRow]) {
    println!();
    println!(
        "| meter | pieces | downbeats struck | onsets on a beat | asked key | real files | real downbeats | real on a beat |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for row in rows {
        println!(
            "| {} | {} | {:.0}% | {:.0}% | {:.0}% | {} | {:.0}% | {:.0}% |",
            row.meter,
            row.pieces,
            100.0 * row.downbeats,
            100.0 * row.on_beats,
            100.0 * row.asked_key_match,
            row.real_files,
            100.0 * row.real_downbeats,
            100.0 * row.real_on_beats
        );
    }
}

/// The musicality part of `mixtape eval`'s table.
fn print_musicality(m: &models::training::eval::Musicality) {
    println!();
    println!(
        "Musicality: {} pieces of {:.0} s against {} held-out excerpts of {:.0} beats; ceiling: held-out against {} training excerpts",
        m.pieces, m.seconds, m.real_excerpts, m.excerpt_beats, m.training_excerpts
    );
    println!("| feature | generated | held-out | overlap | training | ceiling overlap |");
    println!("|---|---:|---:|---:|---:|---:|");
    for f in &m.features {
        println!(
            "| {} | {:.3} | {:.3} | {:.2} | {:.3} | {:.2} |",
            f.feature, f.generated, f.real, f.overlap, f.training, f.ceiling
        );
    }
    println!(
        "| mean overlap | | | {:.2} | | {:.2} |",
        m.mean_overlap, m.mean_ceiling
    );
    println!();
    println!("| creativity | scale consistency | held-out | pitch-class entropy | held-out |");
    println!("|---:|---:|---:|---:|---:|");
    for c in &m.creativity {
        println!(
            "| {:.1} | {:.3} | {:.3} | {:.3} | {:.3} |",
            c.creativity,
            c.scale_consistency,
            c.real_scale_consistency,
            c.pitch_class_entropy,
            c.real_pitch_class_entropy
        );
    }
    let e = &m.endings;
    println!();
    println!(
        "Asked key is the estimated key: {:.0}%; any key: key spread shared with the training files {:.0}%, minor {:.0}% (training files {:.0}%)",
        100.0 * m.asked_key_match,
        100.0 * m.any_key_spread,
        100.0 * m.minor_share.0,
        100.0 * m.minor_share.1
    );
    println!(
        "Endings: on the tonic {:.0}%, on a downbeat {:.0}%, held {:.0}%, within a bar of the length {:.0}%, all four {:.0}%",
        100.0 * e.on_tonic,
        100.0 * e.on_downbeat,
        100.0 * e.held,
        100.0 * e.within_a_bar,
        100.0 * e.all
    );
}

/// Arguments of `mixtape generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// The model folder.
    #[arg(long)]
    model: PathBuf,
    /// The MIDI file to write.
    #[arg(long)]
    out: PathBuf,
    /// Length in seconds.
    #[arg(long, default_value_t = 30.0, conflicts_with = "events")]
    seconds: f64,
    /// Length in events instead of seconds.
    #[arg(long)]
    events: Option<usize>,
    /// Tempo in beats per minute (dotted quarters in 6/8).
    #[arg(long, alias = "bpm", default_value_t = 100.0)]
    tempo_bpm: f64,
    /// The meter: 4/4, 3/4 or 6/8, of those the model knows.
    #[arg(long, default_value_t = Meter::Common)]
    meter: Meter,
    /// Energy from 1 (calm) to 5 (lively).
    #[arg(long, default_value_t = Energy::MIDDLE)]
    energy: Energy,
    /// Tonic to transpose to (C, F#, Bb...); the model's own when absent.
    #[arg(long, alias = "key", value_parser = parse_tonic)]
    tonic: Option<u8>,
    /// Mode to move the piece to (major or minor); the model's own when absent.
    #[arg(long)]
    mode: Option<Mode>,
    /// Creativity, the sampling temperature: below 1 safer, above 1 bolder (0.1 to 2).
    #[arg(long, alias = "temperature", default_value_t = 1.0)]
    creativity: f64,
    /// Sample among the likeliest notes holding this share of each pitch class's probability (0 to 1].
    #[arg(long, default_value_t = models::compose::generate::Settings::default().top_p)]
    top_p: f64,
    /// Same seed, model and settings give the same piece; random when absent.
    #[arg(long)]
    seed: Option<u64>,
    /// A MIDI file the piece starts with, moved to its key, and continues; the length counts its time.
    #[arg(long, alias = "primer")]
    motif: Option<PathBuf>,
    /// Print the result as one JSON object.
    #[arg(long)]
    json: bool,
    /// auto, cpu or wgpu.
    #[arg(long, default_value = "auto")]
    device: DeviceChoice,
}

/// `mixtape generate`.
pub fn generate_command(args: GenerateArgs) -> ExitCode {
    use models::compose::generate::Generator;
    init_logging();
    let settings = match generate_settings(&args) {
        Ok(settings) => settings,
        Err(message) => {
            eprintln!("mixtape: {message}");
            return ExitCode::from(2);
        }
    };
    let selected = match open_device(args.device) {
        Ok(selected) => selected,
        Err(code) => return code,
    };
    let generator = match Generator::open(&args.model, &selected.device) {
        Ok(generator) => generator,
        Err(err) => {
            eprintln!("mixtape: {err}");
            return ExitCode::FAILURE;
        }
    };
    let started = std::time::Instant::now();
    let piece = match generator.generate(&settings) {
        Ok(piece) => piece,
        Err(err) => {
            eprintln!("mixtape: {err}");
            return ExitCode::FAILURE;
        }
    };
    let milliseconds = started.elapsed().as_secs_f64() * 1000.0;
    let program = generator.model.instrument.program();
    if let Err(err) = std::fs::write(&args.out, piece.to_midi(program)) {
        eprintln!("mixtape: cannot write {}: {err}", args.out.display());
        return ExitCode::FAILURE;
    }
    print_generated(&args, &generator, &piece, settings.seed, milliseconds);
    ExitCode::SUCCESS
}

/// The model's settings `args` ask for (a seed drawn from the clock when
/// none is given), checked; else the message.
fn generate_settings(args: &GenerateArgs) -> Result<models::compose::generate::Settings, String> {
    use models::compose::generate::{Length, Settings};
    let motif = match &args.motif {
        None => Vec::new(),
        Some(path) => match models::music::midi::read_file(path) {
            Ok(piece) => models::music::events::quantise(&piece).0,
            Err(err) => return Err(format!("motif: {err}")),
        },
    };
    let seed = args.seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64)
    });
    let settings = Settings {
        length: args
            .events
            .map_or(Length::Seconds(args.seconds), Length::Events),
        tempo_bpm: args.tempo_bpm,
        meter: args.meter,
        energy: args.energy,
        tonic: args.tonic,
        mode: args.mode,
        creativity: args.creativity,
        top_p: args.top_p,
        seed,
        motif,
    };
    settings.validate().map_err(|err| err.to_string())?;
    Ok(settings)
}

/// Prints what `generate` wrote, as JSON when asked.
fn print_generated(
    args: &GenerateArgs,
    generator: &models::compose::generate::Generator,
    piece: &models::compose::generate::Composition,
    seed: u64,
    milliseconds: f64,
) {
    if args.json {
        let result = serde_json::json!({
            "model": args.model,
            "instrument": generator.model.instrument.id(),
            "out": args.out,
            "seed": seed,
            "attempt_seed": piece.attempt_seed,
            "attempts": piece.attempts,
            "rejected": piece.rejected,
            "copy_check": generator.checks_copies(),
            "events": piece.events,
            "notes": piece.notes.len(),
            "seconds": piece.seconds,
            "tempo_bpm": piece.tempo_bpm,
            "meter": piece.meter,
            "energy": piece.energy,
            "key": piece.key.map(|k| k.to_string()),
            "milliseconds": milliseconds,
        });
        println!("{result}");
    } else {
        println!(
            "wrote {}: {} notes, {:.1} s at {} BPM in {}, energy {}{}, seed {seed}, {} attempt(s), {:.0} ms",
            args.out.display(),
            piece.notes.len(),
            piece.seconds,
            piece.tempo_bpm,
            piece.meter,
            piece.energy,
            piece.key.map(|k| format!(" in {k}")).unwrap_or_default(),
            piece.attempts,
            milliseconds
        );
    }
}
