//! Keys: estimating a piece's key and transposing within an instrument's range.

use std::fmt;
use std::ops::RangeInclusive;

use serde::{Deserialize, Serialize};
use vocabulary::names::PLAIN as NAMES;

use crate::music::events::GridNote;

/// Major or minor, as every crate names them.
pub use vocabulary::Mode;

/// A key: tonic pitch class (0 = C … 11 = B) and mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Key {
    /// Pitch class of the tonic, 0..12.
    pub tonic: u8,
    /// Major or minor.
    pub mode: Mode,
}

impl Key {
    /// The key's row in a network's key table: the tonic, plus 12 for minor.
    pub fn index(self) -> u8 {
        self.mode.index() * 12 + self.tonic % 12
    }

    /// The key `semitones` higher (lower when negative).
    pub fn transposed(self, semitones: i32) -> Key {
        Key {
            tonic: (i32::from(self.tonic) + semitones).rem_euclid(12) as u8,
            mode: self.mode,
        }
    }

    /// The tonic triad's degrees, in semitones above the tonic.
    pub fn triad(self) -> [u8; 3] {
        match self.mode {
            Mode::Major => [0, 4, 7],
            Mode::Minor => [0, 3, 7],
        }
    }

    /// Which pitch classes (0 = C) belong to the key's scale (see [`Mode::scale`]).
    pub fn scale(self) -> [bool; 12] {
        let mut scale = self.mode.scale();
        scale.rotate_right(usize::from(self.tonic % 12));
        scale
    }
}

/// The pitch class (0 = C) of a note name: a letter, then optionally one sharp
/// (`#`, `♯`) or flat (`b`, `♭`), in either case (C, f#, Bb, E♭, Cb).
pub fn parse_tonic(name: &str) -> Result<u8, String> {
    let unknown = || format!("unknown key {name:?}: expected a note name such as C, F#, Bb");
    let mut chars = name.trim().chars();
    let letter = chars.next().ok_or_else(unknown)?;
    let natural: u8 = match letter.to_ascii_uppercase() {
        'C' => 0,
        'D' => 2,
        'E' => 4,
        'F' => 5,
        'G' => 7,
        'A' => 9,
        'B' => 11,
        _ => return Err(unknown()),
    };
    let shift = match (chars.next(), chars.next()) {
        (None, _) => 0,
        (Some('#' | '♯'), None) => 1,
        (Some('b' | 'B' | '♭'), None) => 11,
        _ => return Err(unknown()),
    };
    Ok((natural + shift) % 12)
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}",
            NAMES[usize::from(self.tonic % 12)],
            self.mode.name()
        )
    }
}

// Krumhansl and Kessler's probe-tone profiles (1982), starting at the tonic.
const MAJOR_PROFILE: [f64; 12] = [
    6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88,
];
const MINOR_PROFILE: [f64; 12] = [
    6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17,
];

fn correlation(a: &[f64; 12], b: &[f64; 12]) -> f64 {
    let mean = |x: &[f64; 12]| x.iter().sum::<f64>() / 12.0;
    let (ma, mb) = (mean(a), mean(b));
    let (mut cov, mut va, mut vb) = (0.0, 0.0, 0.0);
    for i in 0..12 {
        cov += (a[i] - ma) * (b[i] - mb);
        va += (a[i] - ma).powi(2);
        vb += (b[i] - mb).powi(2);
    }
    if va == 0.0 || vb == 0.0 {
        0.0
    } else {
        cov / (va * vb).sqrt()
    }
}

/// The duration-weighted pitch-class histogram (index 0 = C), in grid steps.
pub fn pitch_class_weights(notes: &[GridNote]) -> [f64; 12] {
    let mut histogram = [0.0; 12];
    for note in notes {
        histogram[usize::from(note.pitch % 12)] += f64::from(note.duration);
    }
    histogram
}

/// Estimates the key with the Krumhansl-Schmuckler algorithm: the key whose
/// profile best correlates with the duration-weighted pitch-class histogram.
/// `None` for a piece without notes.
pub fn estimate_key(notes: &[GridNote]) -> Option<Key> {
    if notes.is_empty() {
        return None;
    }
    let histogram = pitch_class_weights(notes);
    let mut best: Option<(f64, Key)> = None;
    for tonic in 0..12u8 {
        for (mode, profile) in [(Mode::Major, &MAJOR_PROFILE), (Mode::Minor, &MINOR_PROFILE)] {
            let mut rotated = [0.0; 12];
            for (i, weight) in profile.iter().enumerate() {
                rotated[(i + usize::from(tonic)) % 12] = *weight;
            }
            let r = correlation(&histogram, &rotated);
            if best.is_none_or(|(top, _)| r > top) {
                best = Some((r, Key { tonic, mode }));
            }
        }
    }
    best.map(|(_, key)| key)
}

/// How a stretch of music shares its sounding time among the pitch classes of
/// its key: the duration-weighted shares from the tonic up, with its mode.
/// Real music has a balance of its own, tonic and fifth weighty, chromatic
/// notes rare but present; a composed piece steered towards one is heard in
/// its key as real music is.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct KeyProfile {
    /// The mode of the music it was measured on.
    pub mode: Mode,
    /// Shares of the sounding time (adding up to 1), index 0 the tonic.
    pub shares: [f32; 12],
}

impl KeyProfile {
    /// The profile of `notes` in their estimated key, shares rounded to
    /// thousandths (they are stored in a model's config); `None` without notes.
    pub fn of(notes: &[GridNote]) -> Option<KeyProfile> {
        let key = estimate_key(notes)?;
        let weights = pitch_class_weights(notes);
        let total: f64 = weights.iter().sum();
        if total <= 0.0 {
            return None;
        }
        let mut shares = [0.0f32; 12];
        for (degree, share) in shares.iter_mut().enumerate() {
            let weight = weights[(degree + usize::from(key.tonic)) % 12];
            *share = ((weight / total * 1000.0).round() / 1000.0) as f32;
        }
        Some(KeyProfile {
            mode: key.mode,
            shares,
        })
    }

    /// The shares by pitch class (index 0 = C) of music with this profile in `tonic`.
    pub fn in_key(&self, tonic: u8) -> [f64; 12] {
        let mut shares = [0.0; 12];
        for (degree, &share) in self.shares.iter().enumerate() {
            shares[(degree + usize::from(tonic)) % 12] = f64::from(share);
        }
        shares
    }
}

/// Scale degrees (semitones above the tonic) that differ between the major
/// scale and the natural minor: the third, sixth and seventh.
const MAJOR_DEGREES: [u8; 3] = [4, 9, 11];
const MINOR_DEGREES: [u8; 3] = [3, 8, 10];

/// Moves the music in `key` to the parallel key of `mode` (C major to C minor
/// and back) by moving the third, sixth and seventh degrees a semitone, the
/// textbook change of mode; notes outside those degrees keep their pitch.
/// A note pushed out of `range` goes the other way by an octave.
pub fn to_mode(
    notes: &[GridNote],
    key: Key,
    mode: Mode,
    range: &RangeInclusive<u8>,
) -> Vec<GridNote> {
    let (from, step): (_, i32) = match (key.mode, mode) {
        (Mode::Major, Mode::Minor) => (MAJOR_DEGREES, -1),
        (Mode::Minor, Mode::Major) => (MINOR_DEGREES, 1),
        _ => return notes.to_vec(),
    };
    notes
        .iter()
        .map(|note| {
            let degree = (note.pitch + 12 - key.tonic % 12) % 12;
            if !from.contains(&degree) {
                return *note;
            }
            let mut pitch = i32::from(note.pitch) + step;
            if !range.contains(&(pitch as u8)) {
                pitch -= 12 * step;
            }
            GridNote {
                pitch: pitch as u8,
                ..*note
            }
        })
        .collect()
}

/// Transposes by `semitones` when every note stays within `range`; `None` otherwise.
///
/// Used for augmentation, where a transposition that would leave the range is skipped.
pub fn transpose_within(
    notes: &[GridNote],
    semitones: i32,
    range: &RangeInclusive<u8>,
) -> Option<Vec<GridNote>> {
    notes
        .iter()
        .map(|note| {
            let pitch = i32::from(note.pitch) + semitones;
            let pitch = u8::try_from(pitch).ok().filter(|p| range.contains(p))?;
            Some(GridNote { pitch, ..*note })
        })
        .collect()
}

/// Moves the music from key `from` to tonic `to_tonic`, choosing the nearest
/// octave (up to six semitones either way) and folding any note that would
/// leave `range` back into it by octaves.
pub fn transpose_to(
    notes: &[GridNote],
    from: u8,
    to_tonic: u8,
    range: &RangeInclusive<u8>,
) -> Vec<GridNote> {
    let mut semitones = (i32::from(to_tonic) - i32::from(from)).rem_euclid(12);
    if semitones > 6 {
        semitones -= 12;
    }
    let (low, high) = (i32::from(*range.start()), i32::from(*range.end()));
    notes
        .iter()
        .map(|note| {
            let mut pitch = i32::from(note.pitch) + semitones;
            while pitch < low && pitch + 12 <= high {
                pitch += 12;
            }
            while pitch > high && pitch - 12 >= low {
                pitch -= 12;
            }
            GridNote {
                pitch: pitch.clamp(low, high) as u8,
                ..*note
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn note_names_with_sharps_and_flats() {
        for (name, pc) in [
            ("C", 0),
            ("c#", 1),
            ("Db", 1),
            ("E♭", 3),
            ("F♯", 6),
            ("bb", 10),
            ("B", 11),
            ("Cb", 11),
        ] {
            assert_eq!(parse_tonic(name), Ok(pc), "{name}");
        }
        for name in ["", "H", "C##", "Do", "7"] {
            assert!(
                parse_tonic(name).unwrap_err().contains("note name"),
                "{name}"
            );
        }
        // Every name the display writes reads back.
        for (pc, name) in NAMES.iter().enumerate() {
            assert_eq!(parse_tonic(name), Ok(pc as u8));
        }
    }

    fn notes(pitches: &[u8]) -> Vec<GridNote> {
        pitches
            .iter()
            .enumerate()
            .map(|(i, &pitch)| GridNote {
                onset: i as u32 * 12,
                pitch,
                duration: 12,
                velocity_band: 4,
            })
            .collect()
    }

    #[test]
    fn a_profile_is_measured_from_the_tonic_and_moves_to_any_key() {
        // D major: D twice as long as the rest, one chromatic G#.
        let mut music = notes(&[62, 64, 66, 67, 69, 71, 73, 68]);
        music[0].duration = 24;
        let profile = KeyProfile::of(&music).unwrap();
        assert_eq!(profile.mode, Mode::Major);
        assert!((profile.shares.iter().sum::<f32>() - 1.0).abs() < 0.01);
        // Index 0 is D, the tonic; G# is six semitones above it.
        assert!(profile.shares[0] > profile.shares[2]);
        assert!(profile.shares[6] > 0.0 && profile.shares[1] == 0.0);
        let in_f = profile.in_key(5);
        assert_eq!(in_f[5], f64::from(profile.shares[0]));
        assert_eq!(in_f[11], f64::from(profile.shares[6]));
        assert_eq!(KeyProfile::of(&[]), None);
    }

    #[test]
    fn changes_mode_by_the_third_sixth_and_seventh() {
        let c_major = notes(&[60, 62, 64, 65, 67, 69, 71, 72, 60, 64, 67]);
        let major = estimate_key(&c_major).unwrap();
        let minor = to_mode(&c_major, major, Mode::Minor, &(0..=127));
        let pitches: Vec<u8> = minor.iter().map(|n| n.pitch).collect();
        assert_eq!(pitches, [60, 62, 63, 65, 67, 68, 70, 72, 60, 63, 67]);
        assert_eq!(estimate_key(&minor).unwrap().to_string(), "C minor");
        let back = to_mode(
            &minor,
            Key {
                tonic: 0,
                mode: Mode::Minor,
            },
            Mode::Major,
            &(0..=127),
        );
        assert_eq!(back, c_major);
        assert_eq!(to_mode(&c_major, major, Mode::Major, &(0..=127)), c_major);
        // A raised seventh at the top of the range goes down an octave instead.
        let top = notes(&[70]);
        let raised = to_mode(
            &top,
            Key {
                tonic: 0,
                mode: Mode::Minor,
            },
            Mode::Major,
            &(40..=70),
        );
        assert_eq!(raised[0].pitch, 59);
    }

    #[test]
    fn recognises_scales_and_triads() {
        // C major scale with a long tonic.
        let c_major = notes(&[60, 62, 64, 65, 67, 69, 71, 72, 60, 64, 67]);
        assert_eq!(estimate_key(&c_major).unwrap().to_string(), "C major");
        // A harmonic minor with its tonic triad.
        let a_minor = notes(&[57, 59, 60, 62, 64, 65, 68, 69, 57, 60, 64, 57]);
        assert_eq!(estimate_key(&a_minor).unwrap().to_string(), "A minor");
        // The same tune up a fifth.
        let g_major = transpose_within(&c_major, 7, &(0..=127)).unwrap();
        assert_eq!(estimate_key(&g_major).unwrap().to_string(), "G major");
        assert_eq!(estimate_key(&[]), None);
    }

    #[test]
    fn keys_have_a_table_row_and_a_scale() {
        let d_major = Key {
            tonic: 2,
            mode: Mode::Major,
        };
        assert_eq!(d_major.index(), 2);
        let scale = d_major.scale();
        let members: Vec<usize> = (0..12).filter(|&pc| scale[pc]).collect();
        assert_eq!(members, [1, 2, 4, 6, 7, 9, 11]);
        let a_minor = Key {
            tonic: 9,
            mode: Mode::Minor,
        };
        assert_eq!(a_minor.index(), 21);
        // The natural and the leading seventh (G and G#).
        let scale = a_minor.scale();
        let members: Vec<usize> = (0..12).filter(|&pc| scale[pc]).collect();
        assert_eq!(members, [0, 2, 4, 5, 7, 8, 9, 11]);
        assert_eq!(a_minor.transposed(5).to_string(), "D minor");
        assert_eq!(a_minor.transposed(-10).to_string(), "B minor");
    }

    #[test]
    fn transposition_within_a_range_refuses_to_leave_it() {
        let tune = notes(&[40, 52, 88]);
        assert!(transpose_within(&tune, 1, &(40..=88)).is_none());
        assert!(transpose_within(&tune, -1, &(40..=88)).is_none());
        let same = transpose_within(&tune, 0, &(40..=88)).unwrap();
        assert_eq!(same, tune);
    }

    #[test]
    fn transposition_to_a_key_takes_the_nearest_octave_and_stays_in_range() {
        let tune = notes(&[60, 64, 67]);
        let up = transpose_to(&tune, 0, 2, &(21..=108));
        assert_eq!(up.iter().map(|n| n.pitch).collect::<Vec<_>>(), [62, 66, 69]);
        let down = transpose_to(&tune, 0, 10, &(21..=108));
        assert_eq!(
            down.iter().map(|n| n.pitch).collect::<Vec<_>>(),
            [58, 62, 65]
        );
        let folded = transpose_to(&notes(&[40, 88]), 0, 5, &(40..=88));
        assert!(
            folded.iter().all(|n| (40..=88).contains(&n.pitch)),
            "{folded:?}"
        );
        assert_eq!(folded[0].pitch, 45);
        assert_eq!(folded[1].pitch, 81);
    }
}
