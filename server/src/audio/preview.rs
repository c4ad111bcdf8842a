//! The preview a visitor hears before buying: the full rendering at half
//! its sample rate (22.05 kHz, so music up to about 9 kHz), a soft chime
//! every few seconds, Ogg Vorbis near 96 kbit/s. Good enough to choose by,
//! audibly not the product.

use std::io::Write;
use std::num::{NonZeroU8, NonZeroU32};

use vorbis_rs::{VorbisBitrateManagementStrategy, VorbisEncoderBuilder};

use super::{AudioError, Stereo};

/// Target bitrate of the preview, bits per second.
const PREVIEW_BITRATE: u32 = 96_000;

/// The preview's chime: first at this second, then every `CHIME_EVERY`.
const CHIME_START: f64 = 2.0;
const CHIME_EVERY: f64 = 10.0;
/// Peak level of the chime (about -26 dBFS): heard, not covering the music.
const CHIME_LEVEL: f32 = 0.05;

/// Non-zero taps on each side of the half-band filter's centre: 63 taps in
/// all, which keeps what folds back into the preview's band below -70 dB.
const HALF_TAPS: usize = 16;

impl Stereo {
    /// The preview of this full rendering: half the sample rate, with the chime.
    pub fn preview(&self) -> Stereo {
        let mut preview = Stereo {
            left: half_rate(&self.left),
            right: half_rate(&self.right),
            rate: self.rate / 2,
        };
        add_chime(&mut preview);
        preview
    }
}

/// `samples` low-pass filtered below a quarter of their rate and every
/// second one kept.
fn half_rate(samples: &[f32]) -> Vec<f32> {
    let taps = half_band_taps();
    // A half-band filter's taps at even offsets are zero but the centre (0.5),
    // so each output needs the even sample it sits on and the odd ones around it.
    let mut odd = vec![0.0; HALF_TAPS];
    odd.extend(samples.iter().skip(1).step_by(2));
    odd.resize(odd.len() + HALF_TAPS, 0.0);
    let mut out: Vec<f32> = samples.iter().step_by(2).map(|s| 0.5 * s).collect();
    // In chunks that stay in the cache while every tap passes over them.
    const CHUNK: usize = 4096;
    for (chunk, block) in out.chunks_mut(CHUNK).enumerate() {
        let first = chunk * CHUNK;
        for (j, &tap) in taps.iter().enumerate() {
            // Offsets +(2j+1) and -(2j+1) around output i are odd samples i+j and i-j-1.
            let after = &odd[first + HALF_TAPS + j..];
            let before = &odd[first + HALF_TAPS - j - 1..];
            for ((out, a), b) in block.iter_mut().zip(after).zip(before) {
                *out += tap * (a + b);
            }
        }
    }
    out
}

/// The half-band filter's taps at odd offsets 1, 3, 5, ...: a windowed sinc
/// (Blackman) cutting at a quarter of the sample rate, scaled for unit gain.
fn half_band_taps() -> [f32; HALF_TAPS] {
    use std::f64::consts::PI;
    let length = 2.0 * HALF_TAPS as f64;
    let mut taps = [0.0; HALF_TAPS];
    let values: Vec<f64> = (0..HALF_TAPS)
        .map(|j| {
            let n = (2 * j + 1) as f64;
            let sinc = (PI * n / 2.0).sin() / (PI * n);
            let window =
                0.42 + 0.5 * (PI * n / length).cos() + 0.08 * (2.0 * PI * n / length).cos();
            sinc * window
        })
        .collect();
    // The odd taps of both sides add up to one half, the centre to the other.
    let scale = 0.5 / (2.0 * values.iter().sum::<f64>());
    for (tap, value) in taps.iter_mut().zip(values) {
        *tap = (value * scale) as f32;
    }
    taps
}

/// Adds the chime: a soft bell-like tone every [`CHIME_EVERY`] seconds.
fn add_chime(audio: &mut Stereo) {
    let rate = f64::from(audio.rate);
    let length = (0.8 * rate) as usize;
    let chime: Vec<f32> = (0..length)
        .map(|i| {
            let t = i as f64 / rate;
            let tone = (2.0 * std::f64::consts::PI * 1568.0 * t).sin()
                + 0.5 * (2.0 * std::f64::consts::PI * 2093.0 * t).sin();
            // A 5 ms attack so that the chime does not click.
            let envelope = (t / 0.005).min(1.0) * (-t / 0.18).exp();
            (tone / 1.5 * envelope) as f32 * CHIME_LEVEL
        })
        .collect();
    let mut start = CHIME_START;
    while start < audio.seconds() {
        let first = (start * rate) as usize;
        for (offset, &value) in chime.iter().enumerate() {
            let Some(left) = audio.left.get_mut(first + offset) else {
                break;
            };
            *left += value;
            audio.right[first + offset] += value;
        }
        start += CHIME_EVERY;
    }
}

/// Encodes `audio` as Ogg Vorbis; `serial` names the Ogg stream (derive it
/// from the piece so that the same piece gives the same bytes).
pub fn encode_preview(audio: &Stereo, serial: i32, out: impl Write) -> Result<(), AudioError> {
    let encode = |err: vorbis_rs::VorbisError| AudioError::Encode(err.to_string());
    let mut builder = VorbisEncoderBuilder::new_with_serial(
        NonZeroU32::new(audio.rate).ok_or_else(|| AudioError::Encode("no sample rate".into()))?,
        NonZeroU8::new(2).expect("two channels"),
        out,
        serial,
    );
    builder.bitrate_management_strategy(VorbisBitrateManagementStrategy::Vbr {
        target_bitrate: NonZeroU32::new(PREVIEW_BITRATE).expect("a positive bitrate"),
    });
    builder
        .comment_tag("COMMENT", "MixTape preview")
        .map_err(encode)?;
    let mut encoder = builder.build().map_err(encode)?;
    // Blocks of a few thousand samples: libvorbis slows down on long blocks.
    const BLOCK: usize = 4096;
    for (left, right) in audio.left.chunks(BLOCK).zip(audio.right.chunks(BLOCK)) {
        encoder.encode_audio_block([left, right]).map_err(encode)?;
    }
    encoder.finish().map_err(encode)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::SAMPLE_RATE;

    fn sine(frequency: f64, seconds: f64) -> Vec<f32> {
        let rate = f64::from(SAMPLE_RATE);
        (0..(seconds * rate) as usize)
            .map(|i| (2.0 * std::f64::consts::PI * frequency * i as f64 / rate).sin() as f32)
            .collect()
    }

    /// Level in dB of `samples` relative to a full-scale sine, away from the edges.
    fn level(samples: &[f32]) -> f64 {
        let middle = &samples[samples.len() / 4..3 * samples.len() / 4];
        let power: f64 = middle
            .iter()
            .map(|&s| f64::from(s) * f64::from(s))
            .sum::<f64>()
            / middle.len() as f64;
        10.0 * (power / 0.5).log10()
    }

    #[test]
    fn half_rate_keeps_the_band_and_removes_what_would_fold_back() {
        for frequency in [100.0, 1000.0, 5000.0, 8000.0] {
            let out = half_rate(&sine(frequency, 0.5));
            assert_eq!(out.len(), (0.5 * f64::from(SAMPLE_RATE) / 2.0) as usize);
            let gain = level(&out);
            assert!(gain.abs() < 0.1, "{frequency} Hz: {gain:.2} dB");
        }
        for frequency in [13_000.0, 15_000.0, 20_000.0] {
            let gain = level(&half_rate(&sine(frequency, 0.5)));
            assert!(gain < -70.0, "{frequency} Hz folds back at {gain:.1} dB");
        }
    }

    #[test]
    fn half_rate_of_an_odd_length_keeps_the_last_sample() {
        assert_eq!(half_rate(&[1.0; 5]).len(), 3);
        assert_eq!(half_rate(&[]).len(), 0);
    }

    #[test]
    fn the_chime_sounds_every_ten_seconds_from_the_second_second_and_nowhere_else() {
        let rate = SAMPLE_RATE / 2;
        let mut audio = Stereo {
            left: vec![0.0; 25 * rate as usize],
            right: vec![0.0; 25 * rate as usize],
            rate,
        };
        add_chime(&mut audio);
        let at = |second: f64| audio.left[(second * f64::from(rate)) as usize];
        for second in [2.05, 12.05, 22.05] {
            assert!(at(second).abs() > 1e-3, "silent at {second} s");
        }
        for second in [1.9, 3.0, 7.0, 11.9, 13.0, 21.9] {
            assert_eq!(at(second), 0.0, "sounds at {second} s");
        }
        assert_eq!(audio.left, audio.right);
        let peak = audio.left.iter().fold(0.0f32, |p, s| p.max(s.abs()));
        assert!(peak <= CHIME_LEVEL);
    }
}
