//! Rendering with a SoundFont from Debian's packages (installed by scripts/setup.sh):
//! pieces of every shipped model, bad input, the WAV and the preview.

use std::path::{Path, PathBuf};
use std::process::Command;

use models::compose::generate::{Generator, Length, Settings};
use models::{DeviceChoice, Instrument};
use server::audio::{self, AudioError, Renderer, SAMPLE_RATE, Stereo};

/// The small General MIDI SoundFont when it is installed (quick to load),
/// else whichever the server itself would pick.
fn renderer() -> Renderer {
    let small = Path::new("/usr/share/sounds/sf2/TimGM6mb.sf2");
    let path = if small.is_file() {
        small.to_owned()
    } else {
        audio::find_soundfont(None).expect("scripts/setup.sh installs a SoundFont")
    };
    Renderer::open(&path).expect("an installed SoundFont loads")
}

fn shipped(instrument: Instrument) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../models")
        .join(instrument.id())
}

fn piece(instrument: Instrument, seconds: f64) -> (Vec<u8>, f64) {
    let cpu = DeviceChoice::Cpu.select().expect("the CPU").device;
    let generator = Generator::open(&shipped(instrument), &cpu).expect("shipped model");
    let settings = Settings {
        length: Length::Seconds(seconds),
        seed: 11,
        ..Settings::default()
    };
    let composition = generator.generate(&settings).expect("a piece");
    (
        composition.to_midi(instrument.program()),
        composition.seconds,
    )
}

#[test]
fn every_shipped_instrument_renders_to_audible_audio_of_the_pieces_length() {
    let renderer = renderer();
    for instrument in &Instrument::ALL {
        if !shipped(*instrument).join("config.json").is_file() {
            continue;
        }
        let (midi, seconds) = piece(*instrument, 12.0);
        let audio = renderer.render(&midi).expect("renders");
        assert_eq!(audio.left.len(), audio.right.len());
        // The piece, then up to the tail for its last notes to fade.
        assert!(
            audio.seconds() >= seconds && audio.seconds() <= seconds + 2.0,
            "{}: {:.2} s of audio for a {seconds:.2} s piece",
            instrument.id(),
            audio.seconds()
        );
        assert!(
            audio.rms() > 0.02,
            "{}: RMS {} is near silence",
            instrument.id(),
            audio.rms()
        );
        let peak = audio
            .left
            .iter()
            .chain(&audio.right)
            .fold(0.0f32, |peak, s| peak.max(s.abs()));
        assert!((peak - 0.891).abs() < 1e-3, "peak {peak}");
    }
}

#[test]
fn corrupt_midi_is_an_error_not_a_panic() {
    let renderer = renderer();
    for bytes in [
        &b""[..],
        b"not a midi file at all",
        b"MThd\x00\x00\x00\x06\x00\x01\x00\x01\x01\xe0MTrk\x00\x00\xff\xff",
    ] {
        assert!(matches!(renderer.render(bytes), Err(AudioError::Midi(_))));
    }
}

#[test]
fn a_missing_or_corrupt_soundfont_is_one_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("none.sf2");
    let err = Renderer::open(&missing).unwrap_err();
    assert!(err.to_string().contains("none.sf2"), "{err}");
    let corrupt = dir.path().join("corrupt.sf2");
    std::fs::write(&corrupt, b"RIFF\x04\x00\x00\x00sfbk").unwrap();
    let err = Renderer::open(&corrupt).unwrap_err();
    assert!(err.to_string().contains("not a usable SoundFont"), "{err}");
}

#[test]
fn wav_is_16_bit_stereo_at_44_1_khz_with_every_sample() {
    let audio = Stereo {
        left: vec![0.5, -1.0, 2.0],
        right: vec![0.0, 0.25, -2.0],
        rate: SAMPLE_RATE,
    };
    let mut bytes = Vec::new();
    audio::write_wav(&audio, &mut bytes).unwrap();
    assert_eq!(&bytes[..4], b"RIFF");
    assert_eq!(&bytes[8..16], b"WAVEfmt ");
    let u16_at = |i: usize| u16::from_le_bytes([bytes[i], bytes[i + 1]]);
    let u32_at = |i: usize| u32::from_le_bytes(bytes[i..i + 4].try_into().unwrap());
    assert_eq!(u32_at(4) as usize, bytes.len() - 8);
    assert_eq!((u16_at(20), u16_at(22)), (1, 2), "PCM, two channels");
    assert_eq!(u32_at(24), SAMPLE_RATE);
    assert_eq!(u16_at(34), 16);
    assert_eq!(&bytes[36..40], b"data");
    assert_eq!(u32_at(40), 12);
    let samples: Vec<i16> = bytes[44..]
        .chunks(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect();
    // Interleaved left, right; out-of-range samples clipped.
    assert_eq!(samples, [16384, 0, -32767, 8192, 32767, -32767]);
}

#[test]
fn preview_is_ogg_vorbis_at_half_the_rate_near_96_kbps() {
    let (midi, _) = piece(Instrument::Piano, 20.0);
    let full = renderer().render(&midi).unwrap();
    let preview = full.preview();
    assert_eq!(preview.rate, SAMPLE_RATE / 2);
    assert!((preview.seconds() - full.seconds()).abs() < 1e-3);
    let mut ogg = Vec::new();
    audio::encode_preview(&preview, 7, &mut ogg).unwrap();
    assert_eq!(&ogg[..4], b"OggS");
    // The identification header: version, channels, then the sample rate.
    let header = ogg
        .windows(7)
        .position(|w| w == b"\x01vorbis")
        .expect("a Vorbis stream")
        + 7;
    assert_eq!(ogg[header + 4], 2, "stereo");
    let rate = u32::from_le_bytes(ogg[header + 5..header + 9].try_into().unwrap());
    assert_eq!(rate, SAMPLE_RATE / 2);
    let kbps = ogg.len() as f64 * 8.0 / preview.seconds() / 1000.0;
    assert!((48.0..160.0).contains(&kbps), "{kbps:.0} kbit/s");
    let mut again = Vec::new();
    audio::encode_preview(&full.preview(), 7, &mut again).unwrap();
    assert_eq!(ogg, again, "one piece, one preview");
}

#[test]
fn render_command_writes_the_wav_and_the_preview() {
    let dir = tempfile::tempdir().unwrap();
    let (midi, _) = piece(Instrument::Guitar, 8.0);
    let input = dir.path().join("piece.mid");
    std::fs::write(&input, midi).unwrap();
    let (wav, ogg) = (dir.path().join("piece.wav"), dir.path().join("piece.ogg"));
    let output = Command::new(env!("CARGO_BIN_EXE_mixtape"))
        .args(["render"])
        .arg(&input)
        .arg("--out")
        .arg(&wav)
        .arg("--preview")
        .arg(&ogg)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(std::fs::metadata(&wav).unwrap().len() > 44 * 1000);
    assert!(std::fs::read(&ogg).unwrap().starts_with(b"OggS"));

    let corrupt = dir.path().join("corrupt.mid");
    std::fs::write(&corrupt, b"MThd nonsense").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_mixtape"))
        .arg("render")
        .arg(&corrupt)
        .arg("--out")
        .arg(dir.path().join("x.wav"))
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("corrupt.mid") && stderr.contains("not a playable MIDI file"),
        "{stderr}"
    );
    assert!(
        !dir.path().join("x.wav").exists(),
        "no file for a failed render"
    );
}

/// A file handed to a request is not evicted before the request opens it,
/// however full the cache: eviction never turns a request in flight into a
/// 404. Once served, it may go.
#[tokio::test]
async fn the_cache_evicts_no_file_a_request_is_about_to_serve() {
    use server::audio::files::{AudioFiles, Kind};
    let dir = tempfile::tempdir().unwrap();
    // A cap of one byte: every rendering evicts every other file it may.
    let files = AudioFiles::new(renderer(), dir.path(), 1, 1).unwrap();
    let midi = |seconds: f64| {
        let program = Instrument::Piano.program();
        let notes: Vec<models::Note> = (0..8)
            .map(|i| models::Note {
                onset: f64::from(i) * 0.5,
                duration: seconds / 8.0,
                pitch: 60 + i as u8,
                velocity: 80,
                program,
                part: 0,
            })
            .collect();
        models::music::midi::write(&notes, program, 120.0, Default::default())
    };
    let first = files.rendered(midi(1.0), Kind::Preview).await.unwrap();
    let second = files.rendered(midi(2.0), Kind::Preview).await.unwrap();
    let path = |handed: &dyn AsRef<Path>| handed.as_ref().to_owned();
    let (first_path, second_path) = (path(&first), path(&second));
    assert!(first_path.is_file(), "evicted before it was served");
    assert!(second_path.is_file());
    drop((first, second));
    let _third = files.rendered(midi(3.0), Kind::Preview).await.unwrap();
    assert!(
        !first_path.is_file() && !second_path.is_file(),
        "the cap is not kept"
    );
}
