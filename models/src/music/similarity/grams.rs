//! The index's keys: runs of six notes of a line, each interval reduced to
//! its size in scale steps (a third is a third, major or minor), so that a
//! melody keeps its keys transposed, at another tempo or in the parallel
//! mode. Only runs surprising enough in real music are keys: a scale or an
//! arpeggio is in every other piece, and looking it up would read half the
//! index.

use super::lines::LineNote;

/// Intervals per gram: six notes.
pub const GRAM_INTERVALS: usize = 5;

/// The least surprise, in bits, of a gram's notes after its second, that
/// makes it a key. At 12 bits a 30-second piece has about 80 keys and a key
/// is held by about 0.02% of real excerpts on average.
pub const MIN_KEY_BITS: f32 = 12.0;

/// The size of the interval `semitones`, in scale steps and with its
/// direction: unisons 0, seconds 1, thirds 2, fourths and tritones 3, fifths
/// 4, sixths 5, sevenths 6, octaves 7 and every wider leap 8.
pub fn interval_class(semitones: i32) -> i8 {
    const STEPS: [i8; 13] = [0, 1, 1, 2, 2, 3, 3, 4, 5, 5, 6, 6, 7];
    let size = semitones.unsigned_abs() as usize;
    let class = STEPS.get(size).copied().unwrap_or(8);
    if semitones < 0 { -class } else { class }
}

fn mix(hash: u64, value: u64) -> u64 {
    let h = (hash ^ value).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    h ^ (h >> 31)
}

/// Every gram of `line`, with the index of its first note.
pub fn grams(line: &[LineNote]) -> Vec<(usize, u64)> {
    let classes: Vec<i8> = line
        .windows(2)
        .map(|pair| interval_class(i32::from(pair[1].pitch) - i32::from(pair[0].pitch)))
        .collect();
    classes
        .windows(GRAM_INTERVALS)
        .enumerate()
        .map(|(start, run)| {
            let hash = run
                .iter()
                .fold(GRAM_INTERVALS as u64, |h, &c| mix(h, u64::from(c as u8)));
            (start, hash)
        })
        .collect()
}

/// The grams of a line whose notes surprise by `bits` that are keys.
pub fn keys(line: &[LineNote], bits: &[f32]) -> Vec<u64> {
    grams(line)
        .into_iter()
        .filter(|&(start, _)| {
            bits[start + 2..=start + GRAM_INTERVALS].iter().sum::<f32>() >= MIN_KEY_BITS
        })
        .map(|(_, hash)| hash)
        .collect()
}
