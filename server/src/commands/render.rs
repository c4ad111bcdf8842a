//! `mixtape render`: a MIDI file to the full WAV and, optionally, the preview.

use std::io::Write;
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
    let midi = models::music::midi::read_bytes(&args.midi).map_err(|err| err.to_string())?;
    // Rendered to memory first, so that a failed render leaves no file behind.
    let mut full = Vec::new();
    let mut preview = args.preview.as_ref().map(|_| Vec::new());
    let seconds = renderer
        .render_products(
            &midi,
            &mut full,
            preview.as_mut().map(|p| p as &mut dyn Write),
        )
        .map_err(|err| match err {
            AudioError::Midi(_) => format!("{}: {err}", args.midi.display()),
            other => other.to_string(),
        })?;
    let write = |path: &Path, bytes: &[u8]| {
        std::fs::write(path, bytes).map_err(|err| format!("cannot write {}: {err}", path.display()))
    };
    write(&args.out, &full)?;
    if let (Some(path), Some(bytes)) = (&args.preview, &preview) {
        write(path, bytes)?;
    }
    Ok(seconds)
}
