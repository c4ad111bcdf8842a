//! The LSTM end to end on real data: stateful steps, training, saving,
//! generation with its controls, evaluation, and bad model folders.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use burn::tensor::{Device, Int, Tensor, TensorData};
use models::Instrument;
use models::compose::generate::{Batch, Generator, Length, Settings};
use models::music::events::{GridNote, STEPS_PER_BEAT, Step, quantise};
use models::network::{ComposerConfig, Conditions, InputEncoding, Preset};
use models::saved::{CONFIG_FILE, SavedModel, WEIGHTS_FILE};
use models::training::eval::evaluate;
use models::training::train::{TrainingConfig, TrainingJob, train};

fn tiny() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/datasets/tiny")
}

/// Trains a default-preset piano model on the tiny set for up to `epochs`.
fn train_tiny(
    out: PathBuf,
    resume: bool,
    epochs: usize,
) -> models::training::report::TrainingReport {
    let config = TrainingConfig::new(epochs)
        .with_patience(5)
        .with_learning_rate(3e-3);
    train(&tiny_job(out, resume), &config, &Device::flex(), "CPU").unwrap()
}

/// Training a piano model on the tiny set into `out`.
fn tiny_job(out: PathBuf, resume: bool) -> TrainingJob {
    TrainingJob {
        data: vec![tiny()],
        instrument: Instrument::Piano,
        preset: Preset::Default,
        size: None,
        out,
        resume,
        from: None,
        tables_only: false,
        progress: false,
    }
}

/// A default-preset model trained for three short epochs on the tiny set, shared by the tests.
fn trained() -> &'static (tempfile::TempDir, models::training::report::TrainingReport) {
    static MODEL: OnceLock<(tempfile::TempDir, models::training::report::TrainingReport)> =
        OnceLock::new();
    MODEL.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let report = train_tiny(dir.path().join("piano"), false, 3);
        (dir, report)
    })
}

fn model_dir() -> PathBuf {
    trained().0.path().join("piano")
}

#[test]
fn stateful_steps_match_the_whole_sequence() {
    let device = Device::flex();
    device.seed(3);
    let network = ComposerConfig::new(InputEncoding::Embedding { dim: 8 }, 2, 16, 0.0)
        .with_instruments(1)
        .with_keys(24)
        .with_positions(96)
        .with_meters(3)
        .with_energies(5)
        .init(&device);
    let steps: Vec<Step> = (0..24)
        .map(|i| Step {
            token: (i * 37 + 5) % 280,
            key: 14,
            position: (i * 7 % 96) as u8,
            meter: 2,
            energy: (i / 5) as u8,
        })
        .collect();
    let ids: Vec<i32> = steps.iter().map(|s| s.token as i32).collect();
    let input = Tensor::<2, Int>::from_data(TensorData::new(ids, [1, steps.len()]), &device);
    let conditions = Conditions::of_sequence(Some(0), &steps, 1, &device);
    let (whole, _) = network.forward(input, &conditions, network.zero_state(1, &device));
    let whole: Vec<f32> = whole.into_data().try_to_vec().unwrap();

    let mut state = network.zero_state(1, &device);
    let mut stepped = Vec::new();
    for &step in &steps {
        let (logits, next) = network.step(&[step], Some(0), state, &device);
        stepped.extend(logits.into_data().try_to_vec::<f32>().unwrap());
        state = next;
    }
    assert_eq!(whole.len(), stepped.len());
    let worst = whole
        .iter()
        .zip(&stepped)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(worst < 1e-4, "largest difference {worst}");
}

/// Generation on the CPU runs the network with f16 weights outside burn; it
/// must follow the burn network step for step, within f16 rounding.
#[test]
fn cpu_inference_follows_the_burn_network() {
    let device = Device::flex();
    device.seed(5);
    let shapes = [
        ComposerConfig::new(InputEncoding::Embedding { dim: 8 }, 2, 16, 0.0)
            .with_instruments(1)
            .with_keys(24)
            .with_positions(96)
            .with_meters(3)
            .with_energies(5),
        ComposerConfig::new(InputEncoding::Scalar, 3, 24, 0.0).with_dense(Some(12)),
    ];
    for config in shapes {
        let network = config.init(&device);
        let instrument = config.instrument_id();
        let cpu = network.for_cpu(instrument);
        let mut cpu_state = cpu.zero_state();
        let mut state = network.zero_state(1, &device);
        for i in 0..40 {
            let step = Step {
                token: (i * 53 + 11) % 280,
                key: (i % 24) as u8,
                position: (i * 5 % 96) as u8,
                meter: (i % 3) as u8,
                energy: (i % 5) as u8,
            };
            let (logits, next) = network.step(&[step], instrument, state, &device);
            state = next;
            let expected: Vec<f32> = logits.into_data().try_to_vec().unwrap();
            let got = cpu.step(step, &mut cpu_state);
            assert_eq!(got.len(), expected.len());
            for (a, b) in got.iter().zip(&expected) {
                assert!((a - b).abs() < 2e-3 * b.abs().max(1.0), "{a} vs {b}");
            }
        }
    }
}

#[test]
fn training_learns_and_writes_a_loadable_model() {
    let (_, report) = trained();
    let losses: Vec<f64> = report.history.iter().map(|r| r.train_loss).collect();
    assert_eq!(losses.len(), 3);
    assert!(
        losses[2] < losses[0],
        "training loss did not fall: {losses:?}"
    );
    // Better than a uniform guess over the vocabulary, on music it never saw.
    let best = report.history[report.best_epoch - 1].valid_loss;
    assert!(
        best < (models::music::events::VOCAB_SIZE as f64).ln(),
        "{best}"
    );
    assert_eq!(report.validation_files.len(), 1);
    for file in [
        CONFIG_FILE,
        WEIGHTS_FILE,
        "report.json",
        "report.svg",
        "runs.bin",
    ] {
        assert!(model_dir().join(file).is_file(), "{file} missing");
    }
    let svg = std::fs::read_to_string(model_dir().join("report.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("polyline"));
    assert!(model_dir().join("checkpoints/optimizer.bpk").is_file());
    let model = SavedModel::load(&model_dir(), &Device::flex()).unwrap();
    assert_eq!(model.instrument, Instrument::Piano);
    assert_eq!(model.config.preset, Preset::Default);
}

#[test]
fn resuming_continues_from_the_last_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("m");
    copy_dir(&model_dir(), &out);
    let report = train_tiny(out, true, 4);
    let epochs: Vec<usize> = report.history.iter().map(|r| r.epoch).collect();
    assert_eq!(epochs, vec![1, 2, 3, 4]);
    assert_eq!(report.history[..3].len(), trained().1.history.len());
}

#[test]
fn training_from_a_model_starts_from_its_weights() {
    let (_, source) = trained();
    let dir = tempfile::tempdir().unwrap();
    let config = TrainingConfig::new(1)
        .with_learning_rate(1e-9)
        .with_max_batches(Some(1));
    let job = TrainingJob {
        from: Some(model_dir()),
        ..tiny_job(dir.path().join("tuned"), false)
    };
    let report = train(&job, &config, &Device::flex(), "CPU").unwrap();
    // At a rate too small to move them, the weights are the source's: its
    // validation loss, not a random network's.
    let kept = source.history[source.best_epoch - 1].valid_loss;
    let first = report.history[0].valid_loss;
    assert!((first - kept).abs() < 1e-3, "{first} against {kept}");
    assert_eq!(report.started_from, Some(model_dir()));

    let missing = TrainingJob {
        from: Some(dir.path().join("nowhere")),
        ..tiny_job(dir.path().join("other"), false)
    };
    let error = train(&missing, &config, &Device::flex(), "CPU").unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("cannot start from the model at"),
        "{error}"
    );
}

#[test]
fn a_network_of_another_size_trains_and_is_saved_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let config = TrainingConfig::new(1).with_max_batches(Some(1));
    let job = TrainingJob {
        size: Some((1, 24)),
        ..tiny_job(dir.path().join("small"), false)
    };
    train(&job, &config, &Device::flex(), "CPU").unwrap();
    let saved = SavedModel::load(&job.out, &Device::flex()).unwrap();
    assert_eq!(
        (saved.config.network.layers, saved.config.network.hidden),
        (1, 24)
    );
}

#[test]
fn training_settings_that_cannot_work_are_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let config = TrainingConfig::new(1).with_max_batches(Some(1));
    let empty = TrainingJob {
        size: Some((2, 0)),
        ..tiny_job(dir.path().join("empty"), false)
    };
    let error = train(&empty, &config, &Device::flex(), "CPU").unwrap_err();
    assert!(error.to_string().contains("at least one unit"), "{error}");
    for share in [0.0, 1.0, f64::NAN] {
        let job = tiny_job(dir.path().join("split"), false);
        let config = config.clone().with_validation_share(share);
        let error = train(&job, &config, &Device::flex(), "CPU").unwrap_err();
        assert!(
            error
                .to_string()
                .contains("validation share must be above 0"),
            "{error}"
        );
    }
    assert!(!dir.path().join("split").exists());
}

#[test]
fn the_learning_rate_decays_after_a_plateau_of_validation_loss() {
    // The shared model trains first: flex's seed is global, and a training
    // beside this one would move its starting weights.
    trained();
    let dir = tempfile::tempdir().unwrap();
    // A rate this high overshoots on the tiny set, so some epochs do not improve.
    for plateau in [1, 2] {
        let config = TrainingConfig::new(6)
            .with_patience(10)
            .with_learning_rate(0.05)
            .with_plateau_decay(0.5)
            .with_plateau_epochs(plateau);
        let report = train(
            &tiny_job(dir.path().join(format!("m{plateau}")), false),
            &config,
            &Device::flex(),
            "CPU",
        )
        .unwrap();
        let rates: Vec<f64> = report
            .history
            .iter()
            .map(|r| r.learning_rate.unwrap())
            .collect();
        assert_eq!(rates[0], 0.05);
        // The rule, replayed: `plateau` epochs without a better loss since the
        // best or the last decay halve the rate.
        let (mut best, mut since, mut decays) = (f64::INFINITY, 0, 0);
        for pair in report.history.windows(2) {
            since += 1;
            let decay = if pair[0].valid_loss < best {
                best = pair[0].valid_loss;
                since = 0;
                1.0
            } else if since >= plateau {
                since = 0;
                decays += 1;
                0.5
            } else {
                1.0
            };
            let expected = pair[0].learning_rate.unwrap() * decay;
            assert_eq!(
                pair[1].learning_rate,
                Some(expected),
                "plateau {plateau}: {rates:?}"
            );
        }
        if plateau == 1 {
            assert!(decays > 0, "no epoch failed to improve: {rates:?}");
        }
    }

    let refused = train(
        &tiny_job(dir.path().join("n"), false),
        &TrainingConfig::new(1).with_plateau_decay(0.0),
        &Device::flex(),
        "CPU",
    );
    assert!(
        matches!(&refused, Err(e) if e.to_string().contains("plateau decay")),
        "{refused:?}"
    );
    let refused = train(
        &tiny_job(dir.path().join("o"), false),
        &TrainingConfig::new(1).with_plateau_epochs(0),
        &Device::flex(),
        "CPU",
    );
    assert!(
        matches!(&refused, Err(e) if e.to_string().contains("plateau lasts")),
        "{refused:?}"
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn generation_is_reproducible_and_follows_the_controls() {
    let generator = Generator::open(&model_dir(), &Device::flex()).unwrap();
    assert!(generator.checks_copies());
    let settings = Settings {
        length: Length::Seconds(12.0),
        tempo_bpm: 120.0,
        tonic: Some(2),
        mode: Some(models::music::key::Mode::Minor),
        creativity: 0.9,
        top_p: 0.95,
        seed: 5,
        motif: Vec::new(),
        ..Settings::default()
    };
    let first = generator.generate(&settings).unwrap();
    let again = generator.generate(&settings).unwrap();
    assert_eq!(first.notes, again.notes, "same seed, same piece");
    let other = generator
        .generate(&Settings {
            seed: 6,
            ..settings.clone()
        })
        .unwrap();
    assert_ne!(first.notes, other.notes);
    // Within a bar (2 s at 120 BPM) of the 12 s asked.
    assert!((10.0..=14.0).contains(&first.seconds), "{}", first.seconds);
    assert_eq!(first.key.unwrap().tonic, 2);
    assert_eq!(first.key.unwrap().mode, models::music::key::Mode::Minor);
    let range = Instrument::Piano.range();
    assert!(first.notes.iter().all(|n| range.contains(&n.pitch)));
    let midi = first.to_midi(Instrument::Piano.program());
    let piece = models::music::midi::read(&midi).unwrap();
    assert_eq!(piece.notes.len(), first.notes.len());

    let counted = generator
        .generate(&Settings {
            length: Length::Events(200),
            ..settings.clone()
        })
        .unwrap();
    assert!((200..=201).contains(&counted.events), "{}", counted.events);

    // A primer opens the piece, whose own music follows its last onset;
    // the length asked counts the primer's time too.
    let file = quantise(
        &models::music::midi::read_file(
            &tiny().join(
                std::fs::read_dir(tiny())
                    .unwrap()
                    .find_map(|e| {
                        let name = e.unwrap().file_name();
                        name.to_string_lossy().ends_with(".mid").then_some(name)
                    })
                    .unwrap(),
            ),
        )
        .unwrap(),
    )
    .0;
    let start = file[0].onset;
    let primer: Vec<GridNote> = file
        .iter()
        .filter(|n| n.onset < start + 8 * STEPS_PER_BEAT)
        .map(|n| GridNote {
            onset: n.onset - start,
            ..*n
        })
        .collect();
    let primed = generator
        .generate(&Settings {
            motif: primer.clone(),
            ..settings.clone()
        })
        .unwrap();
    assert_ne!(primed.notes, first.notes);
    assert_eq!(primed.primer_notes, primer.len());
    let (given, own) = primed.notes.split_at(primed.primer_notes);
    let onsets = |notes: &[GridNote]| notes.iter().map(|n| n.onset).collect::<Vec<_>>();
    assert_eq!(
        onsets(given),
        onsets(&primer),
        "the primer's rhythm is kept"
    );
    let end = primer.iter().map(|n| n.onset).max().unwrap();
    assert!(!own.is_empty() && own.iter().all(|n| n.onset > end));
    assert!(
        (10.0..=14.0).contains(&primed.seconds),
        "{}",
        primed.seconds
    );

    // Five beats: the primer's last onset and a bar do not fit.
    let too_long = Settings {
        length: Length::Seconds(5.0),
        tempo_bpm: 60.0,
        motif: primer,
        ..settings.clone()
    };
    let err = generator.generate(&too_long).unwrap_err().to_string();
    assert!(err.starts_with("motif:"), "{err}");
}

#[test]
fn pieces_end_on_the_tonic_chord_on_a_downbeat_held_at_the_length_asked() {
    let generator = Generator::open(&model_dir(), &Device::flex()).unwrap();
    let bar = 4 * STEPS_PER_BEAT;
    for (seed, seconds, tonic, mode) in [
        (1, 30.0, 2, models::music::key::Mode::Minor),
        (2, 12.0, 7, models::music::key::Mode::Major),
        (3, 45.0, 10, models::music::key::Mode::Major),
        (4, 7.0, 0, models::music::key::Mode::Minor),
    ] {
        let settings = Settings {
            length: Length::Seconds(seconds),
            tonic: Some(tonic),
            mode: Some(mode),
            seed,
            ..Settings::default()
        };
        let piece = generator.generate(&settings).unwrap();
        let last = piece.notes.iter().map(|n| n.onset).max().unwrap();
        assert_eq!(
            last % bar,
            0,
            "seed {seed}: the final chord is on a downbeat"
        );
        let chord: Vec<_> = piece.notes.iter().filter(|n| n.onset == last).collect();
        let bass = chord.iter().map(|n| n.pitch).min().unwrap();
        assert_eq!(bass % 12, tonic, "seed {seed}: the tonic in the bass");
        let third = if mode == models::music::key::Mode::Major {
            4
        } else {
            3
        };
        assert!(
            chord
                .iter()
                .all(|n| [0, third, 7].contains(&((n.pitch + 12 - tonic) % 12))),
            "seed {seed}: a tonic triad {chord:?}"
        );
        assert!(chord.iter().all(|n| n.duration >= bar / 2), "held");
        assert!((2..=4).contains(&chord.len()), "seed {seed}: {chord:?}");
        let top = chord.iter().map(|n| n.pitch).max().unwrap();
        assert!(
            usize::from(top - bass) <= 12 * (chord.len() - 1),
            "seed {seed}: an octave per note at most {chord:?}"
        );
        // The close stays in the piece's register: the lowest note so far, or up to an octave above.
        let lowest = piece
            .notes
            .iter()
            .filter(|n| n.onset < last)
            .map(|n| n.pitch)
            .min()
            .unwrap();
        assert!(
            (lowest..lowest + 12).contains(&bass),
            "seed {seed}: bass {bass}, lowest before {lowest}"
        );
        // Nothing still sounds from before the final chord.
        assert!(
            piece
                .notes
                .iter()
                .filter(|n| n.onset < last)
                .all(|n| n.onset + n.duration <= last)
        );
        let asked = (seconds * 100.0 / 60.0 * f64::from(STEPS_PER_BEAT)) as i64;
        let end = i64::from(last + chord[0].duration);
        assert!(
            (end - asked).abs() <= i64::from(bar),
            "seed {seed}: {end} steps for {asked} asked"
        );
        assert_eq!(piece.key.unwrap().tonic, tonic);
        assert_eq!(
            models::music::key::estimate_key(&piece.notes),
            Some(models::music::key::Key { tonic, mode }),
            "seed {seed}: heard in the key asked"
        );
    }
}

#[test]
fn a_bold_piece_draws_its_lengths_as_a_plain_one_does() {
    // The shipped quartet: its lengths spread widely when flattened.
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("string_quartet");
    let generator = Generator::open(&dir, &Device::flex()).unwrap();
    // Mean length in steps of the notes before the final chord.
    let mean_length = |temperature: f64| {
        let (mut steps, mut notes) = (0u32, 0u32);
        for seed in 1..=8 {
            let piece = generator
                .generate(&Settings {
                    length: Length::Seconds(20.0),
                    creativity: temperature,
                    seed,
                    ..Settings::default()
                })
                .unwrap();
            let last = piece.notes.iter().map(|n| n.onset).max().unwrap();
            for note in piece.notes.iter().filter(|n| n.onset < last) {
                steps += note.duration;
                notes += 1;
            }
        }
        f64::from(steps) / f64::from(notes)
    };
    let (plain, bold) = (mean_length(1.0), mean_length(2.0));
    // Drawn at creativity 2, its lengths averaged 19.6 steps against 7.0.
    assert!(bold < 1.3 * plain, "{bold} steps against {plain}");
}

#[test]
fn calibrate_stores_the_style_of_the_training_music_and_leaves_the_weights() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&model_dir(), dir.path());
    let trained = SavedModel::load(dir.path(), &Device::flex()).unwrap();
    let style = trained
        .config
        .style
        .clone()
        .expect("train measures the style");
    assert!(!style.excerpts.is_empty());
    // A model made before the style was kept: the same config without it.
    let config_path = dir.path().join(CONFIG_FILE);
    let mut config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&config_path).unwrap()).unwrap();
    config.as_object_mut().unwrap().remove("style");
    std::fs::write(&config_path, config.to_string()).unwrap();
    let weights = std::fs::read(dir.path().join(WEIGHTS_FILE)).unwrap();
    let older = SavedModel::load(dir.path(), &Device::flex()).unwrap();
    assert!(older.config.style.is_none(), "still opens, without a style");
    // Pieces compose without it, on the key's scale.
    let generator = Generator::open(dir.path(), &Device::flex()).unwrap();
    generator.generate(&Settings::default()).unwrap();

    let measured = models::training::eval::calibrate(dir.path()).unwrap();
    assert_eq!(measured, style, "the same figures train measured");
    let reopened = SavedModel::load(dir.path(), &Device::flex()).unwrap();
    assert_eq!(reopened.config.style, Some(style));
    assert_eq!(
        std::fs::read(dir.path().join(WEIGHTS_FILE)).unwrap(),
        weights
    );
    assert_eq!(reopened.version, older.version, "the same weights");
}

#[test]
fn a_batch_composes_each_piece_as_it_would_be_composed_alone() {
    let generator = Generator::open(&model_dir(), &Device::flex()).unwrap();
    let settings: Vec<Settings> = [(3, 10.0, 1.0), (4, 6.0, 1.2), (5, 14.0, 0.8)]
        .into_iter()
        .map(|(seed, seconds, temperature)| Settings {
            length: Length::Seconds(seconds),
            creativity: temperature,
            seed,
            ..Settings::default()
        })
        .collect();
    let alone: Vec<_> = settings
        .iter()
        .map(|s| generator.generate(s).unwrap())
        .collect();

    let mut batch = Batch::new(&generator);
    batch.add(settings[0].clone(), 0).unwrap();
    let mut batched = [None, None, None];
    let mut steps = 0;
    while batched.iter().any(Option::is_none) {
        // The others join part way through, as requests arrive.
        match steps {
            5 => batch.add(settings[1].clone(), 1).unwrap(),
            17 => batch.add(settings[2].clone(), 2).unwrap(),
            _ => {}
        }
        if steps > 17 {
            assert!(batch.len() <= 3);
        }
        for (i, result) in batch.step() {
            batched[i] = Some(result.unwrap());
        }
        steps += 1;
    }
    assert!(batch.is_empty());
    for (alone, batched) in alone.iter().zip(batched.iter().flatten()) {
        assert_eq!(alone.notes, batched.notes, "the same music, to the note");
        assert_eq!(
            (alone.attempts, alone.attempt_seed),
            (batched.attempts, batched.attempt_seed)
        );
    }

    // Settings out of range are refused at once, with their tag.
    let bad = Settings {
        tempo_bpm: 0.0,
        ..Settings::default()
    };
    let (tag, _) = batch.add(bad, 9).unwrap_err();
    assert_eq!(tag, 9);
    assert!(batch.is_empty());
}

#[test]
fn evaluation_compares_with_the_ngram_baseline() {
    let report = evaluate(&model_dir(), &[tiny()], 3, 1, &Device::flex()).unwrap();
    assert_eq!(report.files, 4);
    assert_eq!(report.notes, 555);
    assert_eq!(report.ngram_training_files, 3);
    for value in [
        report.model_bits_per_note,
        report.ngram_bits_per_note,
        report.model_bits_per_event,
        report.ngram_bits_per_event,
    ] {
        assert!(value.is_finite() && value > 0.0, "{report:?}");
    }
    assert!((0.0..=1.0).contains(&report.model_accuracy));
    assert_eq!(report.samples, 3);
    assert!(report.sample_notes > 0.0 && report.mean_attempts >= 1.0);
    assert!((0.0..=1.0).contains(&report.generated_share_16));
    // The evaluated files include the training files, which share every run with themselves.
    assert!(report.held_out_share_16 >= 0.75, "{report:?}");
    assert!(
        (report.model_bits_per_note / report.model_bits_per_event - report.events as f64 / 555.0)
            .abs()
            < 1e-6
    );
    let m = &report.musicality;
    assert_eq!(m.pieces, 3);
    assert_eq!(m.features.len(), models::music::musicality::FEATURES.len());
    assert!(m.real_excerpts >= 4 && m.training_excerpts >= 3, "{m:?}");
    for f in &m.features {
        assert!((0.0..=1.0).contains(&f.overlap), "{f:?}");
        assert!((0.0..=1.0).contains(&f.ceiling), "{f:?}");
    }
    let creativities: Vec<f64> = m.creativity.iter().map(|c| c.creativity).collect();
    assert_eq!(creativities, [0.5, 1.0, 1.5]);
    // The sampler puts every ending on a downbeat, held, within a bar of the length.
    assert_eq!(m.endings.on_downbeat, 1.0, "{m:?}");
    assert_eq!(m.endings.held, 1.0, "{m:?}");
    assert_eq!(m.endings.within_a_bar, 1.0, "{m:?}");
    assert!((0.0..=1.0).contains(&m.asked_key_match));
    let svg = models::training::plot::feature_distributions(&m.tables);
    assert_eq!(svg.matches("<polyline").count(), 30);

    // Another first seed draws other pieces against the same real music.
    let other = evaluate(&model_dir(), &[tiny()], 3, 101, &Device::flex()).unwrap();
    assert_eq!((report.first_seed, other.first_seed), (1, 101));
    let generated = |r: &models::training::eval::EvalReport| -> Vec<f64> {
        r.musicality.features.iter().map(|f| f.generated).collect()
    };
    assert_ne!(generated(&report), generated(&other));
    let real = |r: &models::training::eval::EvalReport| -> Vec<f64> {
        r.musicality.features.iter().map(|f| f.real).collect()
    };
    assert_eq!(real(&report), real(&other));
}

#[test]
fn bad_model_folders_give_one_clear_error_each() {
    let device = Device::flex();
    let error = |dir: &Path| SavedModel::load(dir, &device).unwrap_err().to_string();
    let scratch = tempfile::tempdir().unwrap();
    assert!(error(&scratch.path().join("nothing")).contains("config.json is missing"));

    let broken = scratch.path().join("broken");
    copy_dir(&model_dir(), &broken);
    std::fs::write(broken.join(WEIGHTS_FILE), b"not weights at all").unwrap();
    assert!(
        error(&broken).contains("missing or corrupt"),
        "{}",
        error(&broken)
    );
    std::fs::remove_file(broken.join(WEIGHTS_FILE)).unwrap();
    assert!(error(&broken).contains("missing or corrupt"));

    let config_path = broken.join(CONFIG_FILE);
    let config = std::fs::read_to_string(model_dir().join(CONFIG_FILE)).unwrap();
    std::fs::write(
        &config_path,
        config.replace("\"format_version\": 2", "\"format_version\": 99"),
    )
    .unwrap();
    assert!(
        error(&broken).contains("has format 99"),
        "{}",
        error(&broken)
    );
    std::fs::write(&config_path, config.replace("\"piano\"", "\"banjo\"")).unwrap();
    assert!(
        error(&broken).contains("unknown instrument \"banjo\""),
        "{}",
        error(&broken)
    );
    std::fs::write(&config_path, "{ not json").unwrap();
    assert!(error(&broken).contains("unreadable"));
}

#[test]
fn a_piece_that_copies_the_training_music_is_resampled() {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("piano");
    copy_dir(&model_dir(), &copy);
    let settings = Settings {
        length: Length::Seconds(20.0),
        seed: 11,
        ..Settings::default()
    };
    let original = Generator::open(&copy, &Device::flex())
        .unwrap()
        .generate(&settings)
        .unwrap();
    // Long enough to hold a run the copy check looks for.
    assert!(
        original.notes.len() >= models::compose::guards::COPY_RUN,
        "{} notes",
        original.notes.len()
    );
    // From the seed that was accepted, in its key (one drawn from the seed
    // when none is asked), the first attempt gives this piece again.
    let key = original.key.unwrap();
    let settings = Settings {
        seed: original.attempt_seed,
        tonic: Some(key.tonic),
        mode: Some(key.mode),
        ..settings
    };
    // Make the first attempt's piece part of the "training music".
    models::compose::guards::RunIndex::build(
        models::compose::guards::COPY_RUN,
        [original.notes.as_slice()],
    )
    .save(&copy.join(models::compose::generate::RUNS_FILE))
    .unwrap();
    let again = Generator::open(&copy, &Device::flex())
        .unwrap()
        .generate(&settings)
        .unwrap();
    assert!(again.attempts >= 2, "{:?}", again.rejected);
    assert!(
        again.rejected[0].contains("copy the training music"),
        "{:?}",
        again.rejected
    );
    assert_ne!(again.attempt_seed, settings.seed);
    assert_ne!(again.notes, original.notes);
}
