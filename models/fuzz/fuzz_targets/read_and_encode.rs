//! Any bytes: reading never panics, and whatever reads encodes and decodes back exactly.
#![no_main]

use libfuzzer_sys::fuzz_target;
use models::{music::events, music::midi};

fuzz_target!(|data: &[u8]| {
    if let Ok(piece) = midi::read(data) {
        let (grid, _) = events::quantise(&piece);
        let encoded = events::encode(&grid);
        assert_eq!(events::decode(&encoded), grid);
    }
});
