//! `mixtape render`: a MIDI file to the full WAV and, optionally, the preview.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use server::audio::{self, AudioError, Renderer};

/// Arguments of `mixtape render`.
#[derive(Debug, Args)]
pub struct RenderArgs {
    /// The MIDI file to render.
    midi: PathBuf,
    /// The WAV file to write (44.1 kHz, 16-bit stereo).
    #[arg(long)]
    out: PathBuf,
    /// Also write the Ogg Vorbis preview (with its chime) to this file.
    #[arg(long)]
    preview: Option<PathBuf>,
    /// The SoundFont (.sf2) to play with; by default the best of Debian's that is installed.
    #[arg(long, env = "MIXTAPE_SOUNDFONT")]
    soundfont: Option<PathBuf>,
}

/// `mixtape render`.
pub fn render_command(args: RenderArgs) -> ExitCode {
    match render(&args) {
        Ok(seconds) => {
            println!(
                "rendered {} ({seconds:.1} s) to {}{}",
                args.midi.display(),
                args.out.display(),
                args.preview
                    .as_ref()
                    .map(|p| format!(" and {}", p.display()))
                    .unwrap_or_default()
            );
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("mixtape: {message}");
            ExitCode::FAILURE
        }
    }
}

fn render(args: &RenderArgs) -> Result<f64, String> {
    let renderer = audio::find_soundfont(args.soundfont.as_deref())
        .and_then(|path| Renderer::open(&path))
        .map_err(|err| err.to_string())?;
    let midi = models::midi::read_bytes(&args.midi).map_err(|err| err.to_string())?;
    let in_file = |err: AudioError| format!("{}: {err}", args.midi.display());
    let mut audio = renderer.render(&midi).map_err(in_file)?;
    let create = |path: &Path| {
        File::create(path)
            .map(BufWriter::new)
            .map_err(|err| format!("cannot create {}: {err}", path.display()))
    };
    audio::write_wav(&audio, &mut create(&args.out)?).map_err(|err| err.to_string())?;
    if let Some(preview) = &args.preview {
        audio::add_chime(&mut audio);
        audio::encode_preview(&audio, stream_serial(&midi), create(preview)?)
            .map_err(|err| err.to_string())?;
    }
    Ok(audio.seconds())
}

/// An Ogg stream serial from the file's bytes (FNV-1a), so that one file
/// always gives the same preview.
fn stream_serial(bytes: &[u8]) -> i32 {
    let hash = bytes.iter().fold(0x811c_9dc5_u32, |hash, &byte| {
        (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
    });
    hash as i32
}
