//! Audio from MIDI: a SoundFont synthesizer (rustysynth) renders a piece,
//! dry, and our own reverb places it in a room; that is the full version
//! (44.1 kHz 16-bit stereo WAV), from which the preview is made
//! ([`Stereo::preview`]).

pub mod files;
mod preview;
mod reverb;
mod split;

use std::fs::File;
use std::io::{self, BufReader, Cursor, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustysynth::{MidiFile, MidiFileSequencer, SoundFont, Synthesizer, SynthesizerSettings};

pub use preview::encode_preview;
use reverb::Reverb;

/// Samples per second of every rendering.
pub const SAMPLE_RATE: u32 = 44_100;

/// Changes whenever one MIDI file and SoundFont would render differently, so
/// that renderings cached by an earlier version are not served. 2: our reverb
/// in place of the synthesizer's, and the half-rate preview.
pub const RENDERING_VERSION: u32 = 2;

/// Where Debian's SoundFont packages put their files, best first:
/// `fluid-soundfont-gm` for quality, `timgm6mb-soundfont` where size matters.
const KNOWN_SOUNDFONTS: [&str; 4] = [
    "/usr/share/sounds/sf2/FluidR3_GM.sf2",
    "/usr/share/soundfonts/FluidR3_GM.sf2",
    "/usr/share/sounds/sf2/TimGM6mb.sf2",
    "/usr/share/soundfonts/TimGM6mb.sf2",
];

/// Rendering time after the last note ends, for releases and reverb to fade.
const TAIL_SECONDS: f64 = 1.5;

/// Peak level a rendering is scaled to (-1 dBFS): SoundFont synthesis comes
/// out far quieter than released music, and a buyer expects a usable level.
const PEAK: f32 = 0.891;

/// Errors of finding, loading and rendering with a SoundFont.
#[derive(Debug, thiserror::Error)]
pub enum AudioError {
    /// No SoundFont was configured and none of Debian's is installed.
    #[error(
        "no SoundFont found: install Debian's fluid-soundfont-gm or timgm6mb-soundfont \
         (scripts/setup.sh does), or name a .sf2 file with --soundfont"
    )]
    NoSoundFont,
    /// The SoundFont file could not be read.
    #[error("cannot read the SoundFont {path}: {source}")]
    SoundFontIo {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The SoundFont file is not a valid SoundFont 2.
    #[error("{path} is not a usable SoundFont 2 file: {reason}")]
    SoundFont {
        /// The file.
        path: PathBuf,
        /// What the synthesizer reported.
        reason: String,
    },
    /// The MIDI data could not be read.
    #[error("not a playable MIDI file: {0}")]
    Midi(String),
    /// Encoding the preview failed.
    #[error("cannot encode the preview: {0}")]
    Encode(String),
    /// Writing a result failed.
    #[error("cannot write the audio: {0}")]
    Write(#[from] io::Error),
}

/// The SoundFont to use: `configured` when given, else the best one installed.
pub fn find_soundfont(configured: Option<&Path>) -> Result<PathBuf, AudioError> {
    if let Some(path) = configured {
        return Ok(path.to_owned());
    }
    KNOWN_SOUNDFONTS
        .iter()
        .map(PathBuf::from)
        .find(|path| path.is_file())
        .ok_or(AudioError::NoSoundFont)
}

/// Two channels of samples in [-1, 1].
#[derive(Debug, Clone, PartialEq)]
pub struct Stereo {
    /// Left channel.
    pub left: Vec<f32>,
    /// Right channel.
    pub right: Vec<f32>,
    /// Samples per second.
    pub rate: u32,
}

impl Stereo {
    /// Length in seconds.
    pub fn seconds(&self) -> f64 {
        self.left.len() as f64 / f64::from(self.rate)
    }

    /// Scales both channels together so that the loudest sample is at [`PEAK`].
    fn normalize(&mut self) {
        let peak = self
            .left
            .iter()
            .chain(&self.right)
            .fold(0.0f32, |peak, s| peak.max(s.abs()));
        if peak > 0.0 {
            let gain = PEAK / peak;
            self.left
                .iter_mut()
                .chain(&mut self.right)
                .for_each(|s| *s *= gain);
        }
    }

    /// Adds `other`, sample by sample.
    fn add(&mut self, other: &Stereo) {
        for (sample, other) in self.left.iter_mut().zip(&other.left) {
            *sample += other;
        }
        for (sample, other) in self.right.iter_mut().zip(&other.right) {
            *sample += other;
        }
    }

    /// Root mean square level over both channels.
    pub fn rms(&self) -> f32 {
        let count = (self.left.len() + self.right.len()).max(1) as f64;
        let sum: f64 = self
            .left
            .iter()
            .chain(&self.right)
            .map(|&s| f64::from(s) * f64::from(s))
            .sum();
        (sum / count).sqrt() as f32
    }
}

/// A loaded SoundFont, shared by every rendering of the process.
#[derive(Clone)]
pub struct Renderer {
    sound_font: Arc<SoundFont>,
    path: PathBuf,
    /// Whether a piece's notes are split over two threads.
    split: bool,
}

impl std::fmt::Debug for Renderer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Renderer")
            .field("path", &self.path)
            .finish()
    }
}

impl Renderer {
    /// Loads the SoundFont at `path`.
    pub fn open(path: &Path) -> Result<Renderer, AudioError> {
        let file = File::open(path).map_err(|source| AudioError::SoundFontIo {
            path: path.to_owned(),
            source,
        })?;
        let sound_font =
            SoundFont::new(&mut BufReader::new(file)).map_err(|err| AudioError::SoundFont {
                path: path.to_owned(),
                reason: format!("{err:?}"),
            })?;
        Ok(Renderer {
            sound_font: Arc::new(sound_font),
            path: path.to_owned(),
            split: true,
        })
    }

    /// This renderer, rendering each piece on one thread (it splits a
    /// piece's notes over two by default): the synthesizer's own speed.
    pub fn on_one_thread(self) -> Renderer {
        Renderer {
            split: false,
            ..self
        }
    }

    /// The SoundFont file this renderer loaded.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Renders a standard MIDI file with the programs it names, to its end
    /// plus a short tail for the last notes to fade, at [`SAMPLE_RATE`].
    pub fn render(&self, midi: &[u8]) -> Result<Stereo, AudioError> {
        // The project's own reader first: it is fuzzed and names what is wrong,
        // where the synthesizer's parser assumes a well-formed file.
        models::music::midi::read(midi).map_err(|err| AudioError::Midi(err.to_string()))?;
        let length = MidiFile::new(&mut Cursor::new(midi))
            .map_err(|err| AudioError::Midi(format!("{err:?}")))?
            .get_length();
        let samples = ((length + TAIL_SECONDS) * f64::from(SAMPLE_RATE)) as usize;
        let halves = self.split.then(|| split::split_notes(midi)).flatten();
        let mut stereo = match halves {
            // The synthesizer without effects sums independent voices, so
            // the halves' renderings add up to the whole piece's.
            Some((first, second)) => {
                let (stereo, other) = std::thread::scope(|scope| {
                    let other = scope.spawn(|| self.render_dry(&second, samples));
                    let stereo = self.render_dry(&first, samples);
                    (
                        stereo,
                        other.join().expect("a rendering thread does not panic"),
                    )
                });
                let mut stereo = stereo?;
                stereo.add(&other?);
                stereo
            }
            None => self.render_dry(midi, samples)?,
        };
        Reverb::new().process(&mut stereo.left, &mut stereo.right);
        stereo.normalize();
        Ok(stereo)
    }

    /// `samples` samples of `midi` from the synthesizer alone.
    fn render_dry(&self, midi: &[u8], samples: usize) -> Result<Stereo, AudioError> {
        let midi_file = MidiFile::new(&mut Cursor::new(midi))
            .map_err(|err| AudioError::Midi(format!("{err:?}")))?;
        let mut settings = SynthesizerSettings::new(SAMPLE_RATE as i32);
        // Its reverb and chorus are replaced by our reverb on the mix.
        settings.enable_reverb_and_chorus = false;
        let synthesizer = Synthesizer::new(&self.sound_font, &settings)
            .map_err(|err| AudioError::Midi(format!("{err:?}")))?;
        let mut sequencer = MidiFileSequencer::new(synthesizer);
        sequencer.play(&Arc::new(midi_file), false);
        let mut stereo = Stereo {
            left: vec![0.0; samples],
            right: vec![0.0; samples],
            rate: SAMPLE_RATE,
        };
        sequencer.render(&mut stereo.left, &mut stereo.right);
        Ok(stereo)
    }
}

impl Renderer {
    /// Renders `midi` once into both products: the full version as WAV into
    /// `full`, and, when asked, the preview into `preview`. Returns the length
    /// in seconds.
    pub fn render_products(
        &self,
        midi: &[u8],
        full: &mut impl Write,
        preview: Option<&mut dyn Write>,
    ) -> Result<f64, AudioError> {
        let audio = self.render(midi)?;
        write_wav(&audio, full)?;
        if let Some(preview) = preview {
            encode_preview(&audio.preview(), stream_serial(midi), preview)?;
        }
        Ok(audio.seconds())
    }
}

/// An Ogg stream serial from the MIDI file's bytes (FNV-1a), so that one
/// file always gives the same preview.
fn stream_serial(bytes: &[u8]) -> i32 {
    let hash = bytes.iter().fold(0x811c_9dc5_u32, |hash, &byte| {
        (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
    });
    hash as i32
}

/// Writes `audio` as a 16-bit stereo PCM WAV file at its sample rate.
pub fn write_wav(audio: &Stereo, out: &mut impl Write) -> Result<(), AudioError> {
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: audio.rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let encode = |e: hound::Error| AudioError::Encode(e.to_string());
    // hound seeks back to write the sizes; the whole file is small enough to
    // assemble in memory (a few minutes of CD audio) and then stream out.
    let mut bytes = Cursor::new(Vec::with_capacity(44 + audio.left.len() * 4));
    let mut writer = hound::WavWriter::new(&mut bytes, spec).map_err(encode)?;
    for (&l, &r) in audio.left.iter().zip(&audio.right) {
        writer.write_sample(pcm16(l)).map_err(encode)?;
        writer.write_sample(pcm16(r)).map_err(encode)?;
    }
    writer.finalize().map_err(encode)?;
    out.write_all(bytes.get_ref())?;
    Ok(())
}

fn pcm16(sample: f32) -> i16 {
    (sample.clamp(-1.0, 1.0) * f32::from(i16::MAX)).round() as i16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_threads_render_what_one_thread_renders() {
        let path = find_soundfont(None).expect("scripts/setup.sh installs a SoundFont");
        let renderer = Renderer::open(&path).unwrap();
        let notes: Vec<models::music::piece::Note> = (0..60)
            .map(|i| models::music::piece::Note {
                onset: f64::from(i) * 0.25,
                duration: 0.5 + f64::from(i % 4) * 0.5,
                pitch: 48 + (i * 7 % 24) as u8,
                velocity: 60 + (i % 5) as u8 * 10,
                program: 0,
                part: 0,
            })
            .collect();
        let midi = models::music::midi::write(
            &notes,
            0,
            110.0,
            models::music::piece::TimeSignature::default(),
        );
        let split = renderer.render(&midi).unwrap();
        let whole = renderer.clone().on_one_thread().render(&midi).unwrap();
        assert_eq!(split.left.len(), whole.left.len());
        let difference: Vec<f32> = split
            .left
            .iter()
            .zip(&whole.left)
            .chain(split.right.iter().zip(&whole.right))
            .map(|(a, b)| a - b)
            .collect();
        let level = |samples: &[f32]| {
            (samples.iter().map(|s| s * s).sum::<f32>() / samples.len() as f32).sqrt()
        };
        assert!(
            level(&difference) < 1e-4 * whole.rms(),
            "difference {} against {}",
            level(&difference),
            whole.rms()
        );
    }
}
