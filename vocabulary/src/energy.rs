//! Energy: how calm or lively a piece is, from 1 to 5.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// How lively a piece is: 1 calm to 5 lively; 3 is the training music's middle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(try_from = "u8", into = "u8")]
pub struct Energy(u8);

impl Energy {
    /// The calmest level.
    pub const MIN: u8 = 1;
    /// The liveliest level.
    pub const MAX: u8 = 5;
    /// The number of levels.
    pub const LEVELS: usize = 5;
    /// The middle level, the training music's own.
    pub const MIDDLE: Energy = Energy(3);

    /// Every level, calm to lively.
    pub fn all() -> impl Iterator<Item = Energy> {
        (Self::MIN..=Self::MAX).map(Energy)
    }

    /// The level `level`, if it is 1 to 5.
    pub fn new(level: u8) -> Option<Energy> {
        (Self::MIN..=Self::MAX)
            .contains(&level)
            .then_some(Energy(level))
    }

    /// The level, 1 to 5.
    pub fn level(self) -> u8 {
        self.0
    }

    /// The level's row in the network's table, 0 to 4.
    pub fn index(self) -> u8 {
        self.0 - Self::MIN
    }

    /// The level's word, as the form shows it.
    pub fn name(self) -> &'static str {
        match self.0 {
            1 => "calm",
            2 => "gentle",
            3 => "moderate",
            4 => "lively",
            _ => "energetic",
        }
    }
}

impl Default for Energy {
    fn default() -> Energy {
        Energy::MIDDLE
    }
}

impl TryFrom<u8> for Energy {
    type Error = String;

    fn try_from(level: u8) -> Result<Energy, String> {
        Energy::new(level).ok_or_else(|| {
            format!(
                "energy must be {} to {}, not {level}",
                Energy::MIN,
                Energy::MAX
            )
        })
    }
}

impl From<Energy> for u8 {
    fn from(energy: Energy) -> u8 {
        energy.0
    }
}

impl fmt::Display for Energy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for Energy {
    type Err = String;

    /// A level from its number.
    fn from_str(text: &str) -> Result<Energy, String> {
        let level: u8 = text.trim().parse().map_err(|_| {
            format!(
                "energy must be a whole number from {} to {}, not {text:?}",
                Energy::MIN,
                Energy::MAX
            )
        })?;
        Energy::try_from(level)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_are_one_to_five() {
        assert_eq!(Energy::all().count(), Energy::LEVELS);
        assert_eq!("5".parse::<Energy>().map(Energy::index), Ok(4));
        assert!("0".parse::<Energy>().unwrap_err().contains("1 to 5"));
        assert!("6".parse::<Energy>().is_err());
        assert!(
            "lively"
                .parse::<Energy>()
                .unwrap_err()
                .contains("whole number")
        );
        assert_eq!(Energy::default().level(), 3);
    }
}
