//! The choices made once per piece before its first note, each drawn from its
//! own stream of the seed: its key and the training excerpt it follows.

use super::settings::Settings;
use crate::music::key::{Key, Mode};
use crate::music::musicality::ExcerptStyle;
use crate::rng::Rng;

/// The training excerpt whose figures a piece follows: one in `mode`, drawn
/// by the piece's seed (any if none is in that mode).
pub(super) fn choose_style(
    seed: u64,
    mode: Mode,
    styles: &[ExcerptStyle],
) -> Option<&ExcerptStyle> {
    let in_mode: Vec<&ExcerptStyle> = styles.iter().filter(|s| s.profile.mode == mode).collect();
    let pool: Vec<&ExcerptStyle> = if in_mode.is_empty() {
        styles.iter().collect()
    } else {
        in_mode
    };
    if pool.is_empty() {
        return None;
    }
    let mut rng = Rng::new(Rng::derive(seed, PROFILE_STREAM));
    Some(pool[rng.below(pool.len())])
}

/// The stream of a piece's seed that draws its key, apart from the attempts' streams.
pub(super) const KEY_STREAM: u64 = 1 << 32;
/// The stream of an attempt's seed that draws its chance of echoing bars.
pub(super) const ECHO_STREAM: u64 = (1 << 32) + 1;
/// The stream of an attempt's seed its bars' energy classes are drawn from.
pub(super) const ENERGY_STREAM: u64 = (1 << 32) + 3;
/// The stream of a piece's seed that draws the training excerpt it follows.
pub(super) const PROFILE_STREAM: u64 = (1 << 32) + 2;

/// The key a piece is composed in: the settings' tonic and mode where given,
/// else the primer's, else drawn (from the piece's seed) as the keys of the
/// model's training music are spread.
pub(super) fn choose_key(settings: &Settings, primer: Option<Key>, counts: &[[u32; 12]; 2]) -> Key {
    let mut rng = Rng::new(Rng::derive(settings.seed, KEY_STREAM));
    let mut pick = |weights: &[u32]| -> Option<usize> {
        let total: u32 = weights.iter().sum();
        if total == 0 {
            return None;
        }
        let mut draw = rng.below(total as usize) as u32;
        weights.iter().position(|&w| {
            if draw < w {
                return true;
            }
            draw -= w;
            false
        })
    };
    let mode = settings.mode.or(primer.map(|k| k.mode)).unwrap_or_else(|| {
        let per_mode: Vec<u32> = counts.iter().map(|row| row.iter().sum()).collect();
        pick(&per_mode).map_or(Mode::Major, |i| Mode::ALL[i])
    });
    let tonic = settings
        .tonic
        .or(primer.map(|k| k.tonic))
        .unwrap_or_else(|| {
            let row = counts[usize::from(mode.index())];
            let all: Vec<u32> = (0..12).map(|t| counts[0][t] + counts[1][t]).collect();
            pick(&row).or_else(|| pick(&all)).unwrap_or(0) as u8
        });
    Key { tonic, mode }
}
