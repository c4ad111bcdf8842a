//! The meters a piece can be written in, and how a corpus file's time
//! signature counts as one of them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::STEPS_PER_BEAT;

/// A bar's metre: how many beats and how they group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Meter {
    /// Four quarter beats (2/4 and 2/2 music counts here too): marches, reels, most pop.
    #[default]
    #[serde(rename = "4/4")]
    Common,
    /// Three quarter beats: waltzes, minuets.
    #[serde(rename = "3/4")]
    Triple,
    /// Two dotted-quarter beats of three eighths each: jigs, barcarolles.
    #[serde(rename = "6/8")]
    Compound,
}

impl Meter {
    /// Every meter, in the order of their [`Meter::index`].
    pub const ALL: [Meter; 3] = [Meter::Common, Meter::Triple, Meter::Compound];

    /// The meter's row in the network's table: 0 common, 1 triple, 2 compound.
    pub fn index(self) -> u8 {
        match self {
            Meter::Common => 0,
            Meter::Triple => 1,
            Meter::Compound => 2,
        }
    }

    /// The time signature as written: `4/4`, `3/4`, `6/8`.
    pub fn name(self) -> &'static str {
        match self {
            Meter::Common => "4/4",
            Meter::Triple => "3/4",
            Meter::Compound => "6/8",
        }
    }

    /// The time signature's numerator and denominator, as MIDI carries them.
    pub fn signature(self) -> (u8, u8) {
        match self {
            Meter::Common => (4, 4),
            Meter::Triple => (3, 4),
            Meter::Compound => (6, 8),
        }
    }

    /// Grid steps per bar (quarter beats of [`STEPS_PER_BEAT`]).
    pub fn bar_steps(self) -> u32 {
        match self {
            Meter::Common => 4 * STEPS_PER_BEAT,
            Meter::Triple | Meter::Compound => 3 * STEPS_PER_BEAT,
        }
    }

    /// Quarter notes per counted beat: a tempo in 6/8 counts dotted quarters,
    /// as musicians count a jig, so its quarter notes run 1.5 times as fast.
    pub fn quarters_per_beat(self) -> f64 {
        match self {
            Meter::Common | Meter::Triple => 1.0,
            Meter::Compound => 1.5,
        }
    }

    /// Grid steps per counted beat: a quarter, or a dotted quarter in 6/8.
    pub fn beat_steps(self) -> u32 {
        match self {
            Meter::Common | Meter::Triple => STEPS_PER_BEAT,
            Meter::Compound => STEPS_PER_BEAT * 3 / 2,
        }
    }

    /// The meter a file's time signature is felt in: three beats (3/4, 3/8,
    /// 3/2) is triple; beats of three eighths (6/8, 9/8, 12/8, 6/4) compound;
    /// the rest (4/4, 2/4, 2/2, ...) common.
    pub fn of_signature(numerator: u8, denominator: u8) -> Meter {
        match (numerator, denominator) {
            (3, _) => Meter::Triple,
            (6 | 9 | 12, 8 | 16) | (6, 4) => Meter::Compound,
            _ => Meter::Common,
        }
    }
}

impl fmt::Display for Meter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Meter {
    type Err = String;

    /// A meter by its time signature (`4/4`, `3/4`, `6/8`).
    fn from_str(name: &str) -> Result<Meter, String> {
        Meter::ALL
            .into_iter()
            .find(|m| m.name() == name.trim())
            .ok_or_else(|| format!("unknown meter {name:?}: expected 4/4, 3/4 or 6/8"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meters_read_back_and_bars_have_their_beats() {
        for meter in Meter::ALL {
            assert_eq!(meter.name().parse::<Meter>(), Ok(meter));
            let (numerator, denominator) = meter.signature();
            assert_eq!(Meter::of_signature(numerator, denominator), meter);
            assert_eq!(
                meter.bar_steps(),
                u32::from(numerator) * 4 * STEPS_PER_BEAT / u32::from(denominator)
            );
        }
        assert!("5/4".parse::<Meter>().is_err());
        assert_eq!(
            Meter::Compound.bar_steps() / Meter::Compound.beat_steps(),
            2
        );
        assert_eq!(Meter::Triple.bar_steps() / Meter::Triple.beat_steps(), 3);
        assert_eq!(Meter::of_signature(2, 2), Meter::Common);
        assert_eq!(Meter::of_signature(9, 8), Meter::Compound);
        assert_eq!(Meter::of_signature(3, 8), Meter::Triple);
    }
}
