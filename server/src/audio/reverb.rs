//! The room every rendering is played in: a Freeverb-style reverb (eight
//! parallel damped comb filters into four series all-pass filters per
//! channel, the right channel's delays 23 samples longer for width).
//!
//! The synthesizer's own reverb costs more than half of a rendering and,
//! with its fixed silence threshold, stays mute for quiet SoundFonts (for
//! our piano pieces it never sounded). This one runs on the finished mix:
//! the sixteen comb filters advance together through one ring buffer of
//! sixteen lanes, so a sample costs one row write and sixteen reads instead
//! of sixteen separate dependency chains.

/// Comb filter delays in samples at 44.1 kHz, left channel (Freeverb's tuning).
const COMB_DELAYS: [usize; 8] = [1116, 1188, 1277, 1356, 1422, 1491, 1557, 1617];
/// All-pass filter delays in samples at 44.1 kHz, left channel.
const ALLPASS_DELAYS: [usize; 4] = [556, 441, 341, 225];
/// How much longer the right channel's delays are.
const STEREO_SPREAD: usize = 23;
/// Feedback of the comb filters: the room size (Freeverb's 0.5 setting).
const FEEDBACK: f32 = 0.84;
/// High-frequency damping inside the comb filters (Freeverb's 0.5 setting).
const DAMPING: f32 = 0.2;
/// All-pass filter feedback.
const ALLPASS_FEEDBACK: f32 = 0.5;
/// The share of the mix sent to the room: the General MIDI default send
/// (40/127) plus the few percent SoundFonts add for their instruments, times
/// Freeverb's fixed input gain of 0.015.
const SEND: f32 = 0.4 * 0.015;
/// Added to the reverb's input so that its decaying state never reaches
/// subnormal floats, which are a hundred times slower; far below audibility.
const ANTI_SUBNORMAL: f32 = 1e-18;

/// Rows of the comb filters' ring buffer: a power of two above the longest delay.
const RING: usize = 2048;
const LANES: usize = 16;
/// Samples processed per pass, for the all-pass filters' vectorised loops.
const BLOCK: usize = 1024;

/// A reverb at 44.1 kHz whose state carries over from call to call.
pub(super) struct Reverb {
    /// Row `t % RING` holds what each comb filter wrote at sample `t`.
    ring: Box<[[f32; LANES]; RING]>,
    written: usize,
    delays: [usize; LANES],
    lowpass: [f32; LANES],
    allpasses: [Vec<AllPass>; 2],
}

impl Reverb {
    /// A reverb of an empty, silent room.
    pub(super) fn new() -> Reverb {
        let mut delays = [0; LANES];
        for (k, delay) in COMB_DELAYS.iter().enumerate() {
            delays[k] = *delay;
            delays[k + 8] = delay + STEREO_SPREAD;
        }
        let allpasses = |spread: usize| {
            ALLPASS_DELAYS
                .iter()
                .map(|delay| AllPass::new(delay + spread))
                .collect()
        };
        Reverb {
            ring: vec![[0.0; LANES]; RING]
                .into_boxed_slice()
                .try_into()
                .expect("RING rows"),
            written: RING,
            delays,
            lowpass: [0.0; LANES],
            allpasses: [allpasses(0), allpasses(STEREO_SPREAD)],
        }
    }

    /// Adds the room's reverberation of `left` and `right` to them.
    pub(super) fn process(&mut self, left: &mut [f32], right: &mut [f32]) {
        let mut input = [0.0; BLOCK];
        let mut wet = [[0.0; BLOCK]; 2];
        for (left, right) in left.chunks_mut(BLOCK).zip(right.chunks_mut(BLOCK)) {
            let n = left.len();
            for ((x, l), r) in input.iter_mut().zip(&*left).zip(&*right) {
                *x = (l + r) * SEND + ANTI_SUBNORMAL;
            }
            let [wet_left, wet_right] = &mut wet;
            self.combs(&input[..n], &mut wet_left[..n], &mut wet_right[..n]);
            for (channel, wet) in self.allpasses.iter_mut().zip(&mut wet) {
                for allpass in channel {
                    allpass.process(&mut wet[..n]);
                }
            }
            for (sample, wet) in left.iter_mut().zip(&wet[0]) {
                *sample += wet;
            }
            for (sample, wet) in right.iter_mut().zip(&wet[1]) {
                *sample += wet;
            }
        }
    }

    /// The sixteen comb filters, lanes 0-7 summed into `left` and 8-15 into `right`.
    fn combs(&mut self, input: &[f32], left: &mut [f32], right: &mut [f32]) {
        let mut lowpass = self.lowpass;
        for ((&x, left), right) in input.iter().zip(left).zip(right) {
            let mut delayed = [0.0f32; LANES];
            for (k, out) in delayed.iter_mut().enumerate() {
                *out = self.ring[self.written.wrapping_sub(self.delays[k]) % RING][k];
            }
            let mut row = [0.0f32; LANES];
            for k in 0..LANES {
                lowpass[k] = delayed[k] * (1.0 - DAMPING) + lowpass[k] * DAMPING;
                row[k] = x + lowpass[k] * FEEDBACK;
            }
            self.ring[self.written % RING] = row;
            self.written = self.written.wrapping_add(1);
            *left = delayed[..8].iter().sum();
            *right = delayed[8..].iter().sum();
        }
        self.lowpass = lowpass;
    }
}

/// Freeverb's all-pass filter: a delay line fed back and forward.
struct AllPass {
    buffer: Vec<f32>,
    at: usize,
}

impl AllPass {
    fn new(delay: usize) -> AllPass {
        AllPass {
            buffer: vec![0.0; delay],
            at: 0,
        }
    }

    /// Filters `samples` in place.
    fn process(&mut self, mut samples: &mut [f32]) {
        // Runs up to the end of the delay line read only what earlier runs
        // wrote, so each run is one loop without a dependency between samples.
        while !samples.is_empty() {
            let run = samples.len().min(self.buffer.len() - self.at);
            let (head, rest) = samples.split_at_mut(run);
            for (x, delayed) in head
                .iter_mut()
                .zip(&mut self.buffer[self.at..self.at + run])
            {
                let out = *delayed - *x;
                *delayed = *x + *delayed * ALLPASS_FEEDBACK;
                *x = out;
            }
            self.at = (self.at + run) % self.buffer.len();
            samples = rest;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn impulse_response(seconds: f64) -> (Vec<f32>, Vec<f32>) {
        let n = (seconds * 44_100.0) as usize;
        let (mut left, mut right) = (vec![0.0; n], vec![0.0; n]);
        left[0] = 1.0;
        right[0] = 1.0;
        Reverb::new().process(&mut left, &mut right);
        (left, right)
    }

    fn energy(samples: &[f32]) -> f64 {
        samples.iter().map(|&s| f64::from(s) * f64::from(s)).sum()
    }

    #[test]
    fn the_room_answers_after_the_shortest_comb_delay_and_dies_away() {
        let (left, right) = impulse_response(3.0);
        // The dry impulse, then nothing until the first comb filter's echo.
        assert!((left[0] - 1.0).abs() < 1e-9);
        assert!(left[1..COMB_DELAYS[0]].iter().all(|s| s.abs() < 1e-12));
        assert!(
            left[COMB_DELAYS[0]..COMB_DELAYS[0] + 50]
                .iter()
                .any(|s| s.abs() > 1e-4)
        );
        // Decays: the last half second holds a millionth of the first second's energy.
        let second = 44_100;
        let early = energy(&left[1..second]);
        let late = energy(&left[5 * second / 2..]);
        assert!(late < early * 1e-6, "early {early:e}, late {late:e}");
        // The right channel's longer delays make a different, equally strong echo.
        assert!(
            right[1..COMB_DELAYS[0] + STEREO_SPREAD]
                .iter()
                .all(|s| s.abs() < 1e-12)
        );
        let right_early = energy(&right[1..second]);
        assert!(
            (right_early / early - 1.0).abs() < 0.2,
            "{right_early:e} vs {early:e}"
        );
    }

    #[test]
    fn processing_in_pieces_equals_processing_at_once() {
        let signal: Vec<f32> = (0..30_000)
            .map(|i| ((i * 7919) % 201) as f32 / 100.0 - 1.0)
            .collect();
        let (mut whole_left, mut whole_right) = (signal.clone(), signal.clone());
        Reverb::new().process(&mut whole_left, &mut whole_right);
        let (mut left, mut right) = (signal.clone(), signal);
        let mut reverb = Reverb::new();
        for (l, r) in left.chunks_mut(777).zip(right.chunks_mut(777)) {
            reverb.process(l, r);
        }
        assert_eq!(left, whole_left);
        assert_eq!(right, whole_right);
    }

    #[test]
    fn is_linear_in_its_input() {
        let signal: Vec<f32> = (0..20_000).map(|i| (i as f32 * 0.01).sin()).collect();
        let (mut once_l, mut once_r) = (signal.clone(), signal.clone());
        Reverb::new().process(&mut once_l, &mut once_r);
        let (mut twice_l, mut twice_r): (Vec<f32>, Vec<f32>) = (
            signal.iter().map(|s| 2.0 * s).collect(),
            signal.iter().map(|s| 2.0 * s).collect(),
        );
        Reverb::new().process(&mut twice_l, &mut twice_r);
        for (a, b) in once_l.iter().zip(&twice_l) {
            assert!((2.0 * a - b).abs() < 1e-5, "{a} {b}");
        }
    }
}
