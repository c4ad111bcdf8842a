//! The instruments MixTape composes for.

use std::ops::RangeInclusive;

use serde::{Deserialize, Serialize};

use crate::music::piece::Parts;

/// An instrument (or ensemble) that a model can be trained and shipped for.
///
/// The id is also the name of the model's folder under the models directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Instrument {
    Piano,
    Guitar,
    Violin,
    Cello,
    StringQuartet,
    Chorale,
    Folk,
}

impl Instrument {
    /// Every instrument, in the order the site lists them.
    pub const ALL: [Instrument; 7] = [
        Instrument::Piano,
        Instrument::Guitar,
        Instrument::Violin,
        Instrument::Cello,
        Instrument::StringQuartet,
        Instrument::Chorale,
        Instrument::Folk,
    ];

    /// The stable identifier used in URLs, folders and the database.
    pub fn id(self) -> &'static str {
        match self {
            Instrument::Piano => "piano",
            Instrument::Guitar => "guitar",
            Instrument::Violin => "violin",
            Instrument::Cello => "cello",
            Instrument::StringQuartet => "string_quartet",
            Instrument::Chorale => "chorale",
            Instrument::Folk => "folk",
        }
    }

    /// The name shown to people.
    pub fn display_name(self) -> &'static str {
        match self {
            Instrument::Piano => "Piano",
            Instrument::Guitar => "Classical guitar",
            Instrument::Violin => "Violin",
            Instrument::Cello => "Cello",
            Instrument::StringQuartet => "String quartet",
            Instrument::Chorale => "Chorale organ",
            Instrument::Folk => "Folk fiddle",
        }
    }

    /// One sentence on where the instrument's music fits an advertisement.
    pub fn use_case(self) -> &'static str {
        match self {
            Instrument::Piano => "Warm and versatile: product stories, cafés, real estate.",
            Instrument::Guitar => "Intimate and relaxed: travel, food, lifestyle reels.",
            Instrument::Violin => "Expressive and bright: fashion, weddings, events.",
            Instrument::Cello => "Deep and calm: wellness, craft, premium brands.",
            Instrument::StringQuartet => "Elegant and rich: hotels, jewellery, galas.",
            Instrument::Chorale => "Solemn and uplifting: seasonal campaigns, charities.",
            Instrument::Folk => "Lively dance tunes: markets, bakeries, family businesses.",
        }
    }

    /// The General MIDI program (0-127) that plays it.
    pub fn program(self) -> u8 {
        match self {
            Instrument::Piano => 0,
            Instrument::Guitar => 24,
            Instrument::Violin => 40,
            Instrument::Cello => 42,
            Instrument::StringQuartet => 48,
            // Four voices on a church organ, as chorales are sung and played.
            Instrument::Chorale => 19,
            Instrument::Folk => 110,
        }
    }

    /// The MIDI pitches it can play; transposition keeps music inside them.
    pub fn range(self) -> RangeInclusive<u8> {
        match self {
            Instrument::Piano => 21..=108,
            Instrument::Guitar => 40..=88,
            Instrument::Violin => 55..=103,
            Instrument::Cello => 36..=76,
            Instrument::StringQuartet => 36..=103,
            Instrument::Chorale => 36..=84,
            // A fiddle's G string up, as the violin.
            Instrument::Folk => 55..=103,
        }
    }

    /// Which parts of its training files it learns from. A violin or cello
    /// plays one line: Mutopia's sonatas carry the piano part in the same
    /// file (more than half of `cello_solo`'s notes), and a model that learnt
    /// from it wrote piano chords and leaps for a cello.
    pub fn parts(self) -> Parts {
        match self {
            Instrument::Violin | Instrument::Cello | Instrument::Folk => Parts::First,
            _ => Parts::All,
        }
    }

    /// Parses an instrument id; `None` for anything MixTape does not know.
    pub fn from_id(id: &str) -> Option<Instrument> {
        Instrument::ALL.into_iter().find(|i| i.id() == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_are_unique() {
        for instrument in Instrument::ALL {
            assert_eq!(Instrument::from_id(instrument.id()), Some(instrument));
        }
        let mut ids: Vec<_> = Instrument::ALL.iter().map(|i| i.id()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), Instrument::ALL.len());
    }

    #[test]
    fn ranges_are_playable_and_hold_middle_c_region() {
        for instrument in Instrument::ALL {
            let range = instrument.range();
            assert!(range.start() < range.end());
            assert!(*range.end() <= 127);
            assert!(range.contains(&64), "{instrument:?} plays E4");
        }
    }

    #[test]
    fn serde_uses_the_id() {
        let json = serde_json::to_string(&Instrument::StringQuartet).unwrap();
        assert_eq!(json, "\"string_quartet\"");
    }

    #[test]
    fn unknown_ids_are_rejected() {
        assert_eq!(Instrument::from_id("kazoo"), None);
        assert_eq!(Instrument::from_id(""), None);
        assert_eq!(Instrument::from_id("Piano"), None);
    }
}
