//! MixTape's musical vocabulary: the words every crate uses for the same
//! music, so that a mode or a beat means one thing from the form to the model.
//! It depends on nothing of the project's and builds for the browser too:
//! modes, the time grid, meters and energy levels.

use std::str::FromStr;

use serde::{Deserialize, Serialize};

mod energy;
mod meter;

pub use energy::Energy;
pub use meter::Meter;

/// Grid steps per beat: sixteenths and eighth-note triplets both fall on it.
pub const STEPS_PER_BEAT: u32 = 12;

/// The names of the twelve pitch classes (0 = C), one table for each way the
/// product writes them.
pub mod names {
    /// The form's tonics: both spellings where a black key has two.
    pub const TONICS: [&str; 12] = [
        "C",
        "C♯/D♭",
        "D",
        "E♭",
        "E",
        "F",
        "F♯/G♭",
        "G",
        "A♭",
        "A",
        "B♭",
        "B",
    ];
    /// A keyboard's keys, black keys as sharps.
    pub const KEYBOARD: [&str; 12] = [
        "C", "C♯", "D", "D♯", "E", "F", "F♯", "G", "G♯", "A", "A♯", "B",
    ];
    /// A key's name in plain text, as a piece's key is stored (`E♭` as `Eb`)
    /// and as the command line reads it.
    pub const PLAIN: [&str; 12] = [
        "C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B",
    ];
}

/// Major or minor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Bright.
    Major,
    /// Moody.
    Minor,
}

impl Mode {
    /// Both modes, in the order of their [`Mode::index`].
    pub const ALL: [Mode; 2] = [Mode::Major, Mode::Minor];

    /// The mode's number: 0 major, 1 minor.
    pub fn index(self) -> u8 {
        match self {
            Mode::Major => 0,
            Mode::Minor => 1,
        }
    }

    /// Which pitch classes above the tonic belong to the mode's scale: the
    /// major scale, or the minor with both the natural and the raised (leading)
    /// seventh, since minor-key music leans on its leading note.
    pub fn scale(self) -> [bool; 12] {
        let degrees: &[usize] = match self {
            Mode::Major => &[0, 2, 4, 5, 7, 9, 11],
            Mode::Minor => &[0, 2, 3, 5, 7, 8, 10, 11],
        };
        let mut scale = [false; 12];
        for &d in degrees {
            scale[d] = true;
        }
        scale
    }

    /// The mode's name in lower case, as the form, the database and the
    /// command line spell it.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Major => "major",
            Mode::Minor => "minor",
        }
    }
}

impl FromStr for Mode {
    type Err = String;

    /// A mode by its name, in either case.
    fn from_str(name: &str) -> Result<Mode, String> {
        match name.to_ascii_lowercase().as_str() {
            "major" => Ok(Mode::Major),
            "minor" => Ok(Mode::Minor),
            _ => Err(format!("unknown mode {name:?}: expected major or minor")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mode_reads_back_as_written_in_either_case() {
        for mode in Mode::ALL {
            assert_eq!(mode.name().parse::<Mode>(), Ok(mode));
            assert_eq!(mode.name().to_uppercase().parse::<Mode>(), Ok(mode));
        }
        assert!("dorian".parse::<Mode>().is_err());
    }
}
