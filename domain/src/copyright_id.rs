//! Copyright IDs such as `MT-2026-7K3Q-9XPA`: the year of the sale, seven
//! random characters and a check character, in Crockford's base 32 (no I,
//! L, O or U, so that an ID read aloud or typed is hard to get wrong, and
//! the check character catches any single slip and most swaps).

use std::fmt;
use std::str::FromStr;

/// Crockford's base-32 digits.
const DIGITS: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A well-formed copyright ID, its check character verified.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CopyrightId(String);

/// Why a text is not a copyright ID.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("This is not a MixTape copyright ID: they look like MT-2026-7K3Q-9XPA.")]
pub struct MalformedId;

impl CopyrightId {
    /// The ID of a sale made in `year`, from seven random base-32 digits
    /// (each byte's low five bits are used).
    pub fn new(year: u16, random: [u8; 7]) -> CopyrightId {
        let year = format!("{:04}", year % 10_000);
        let body: String = random
            .iter()
            .map(|b| char::from(DIGITS[usize::from(b & 31)]))
            .collect();
        let check = check_digit(format!("{year}{body}").as_bytes());
        CopyrightId(format!("MT-{year}-{}-{}{check}", &body[..4], &body[4..]))
    }

    /// The ID as written, such as `MT-2026-7K3Q-9XPA`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CopyrightId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for CopyrightId {
    type Err = MalformedId;

    /// Reads an ID in any case, with Crockford's look-alikes (O for 0, I and
    /// L for 1) taken for the digits they resemble.
    fn from_str(text: &str) -> Result<CopyrightId, MalformedId> {
        let normal: String = text
            .trim()
            .chars()
            .map(|c| match c.to_ascii_uppercase() {
                'O' => '0',
                'I' | 'L' => '1',
                c => c,
            })
            .collect();
        let parts: Vec<&str> = normal.split('-').collect();
        let [prefix, year, first, second] = parts[..] else {
            return Err(MalformedId);
        };
        // The prefix was mapped too: "MT" has no look-alike letters.
        let lengths_fit =
            prefix == "MT" && year.len() == 4 && first.len() == 4 && second.len() == 4;
        let payload = format!("{year}{first}{}", second.get(..3).ok_or(MalformedId)?);
        if !lengths_fit
            || !year.bytes().all(|b| b.is_ascii_digit())
            || !payload
                .bytes()
                .chain(second.bytes())
                .all(|b| DIGITS.contains(&b))
            || second.as_bytes()[3] != check_digit(payload.as_bytes()) as u8
        {
            return Err(MalformedId);
        }
        Ok(CopyrightId(normal))
    }
}

/// The Luhn mod 32 check digit of base-32 digits.
fn check_digit(payload: &[u8]) -> char {
    let value = |b: &u8| DIGITS.iter().position(|d| d == b).expect("a base-32 digit") as u32;
    let sum: u32 = payload
        .iter()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let addend = value(b) * if i % 2 == 0 { 2 } else { 1 };
            addend / 32 + addend % 32
        })
        .sum();
    char::from(DIGITS[((32 - sum % 32) % 32) as usize])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_id_reads_back_and_has_the_documented_shape() {
        let id = CopyrightId::new(2026, [7, 20, 3, 23, 9, 29, 22]);
        assert_eq!(id.as_str().len(), "MT-2026-7K3Q-9XPA".len());
        assert!(id.as_str().starts_with("MT-2026-7M3Q-9XP"), "{id}");
        assert_eq!(id.as_str().parse::<CopyrightId>(), Ok(id.clone()));
        assert_eq!(id.as_str().to_lowercase().parse::<CopyrightId>(), Ok(id));
    }

    #[test]
    fn look_alike_letters_are_read_as_digits() {
        let id = CopyrightId::new(2026, [0, 1, 0, 1, 0, 1, 0]);
        let typed = id.as_str().replace("-0", "-O").replacen('1', "l", 1);
        assert_ne!(typed, id.as_str());
        assert_eq!(typed.parse::<CopyrightId>(), Ok(id));
    }

    #[test]
    fn every_single_slip_is_caught_and_so_are_these_swaps_of_neighbours() {
        let id = CopyrightId::new(2031, [31, 4, 17, 8, 26, 13, 2]);
        let text = id.as_str().as_bytes().to_vec();
        let positions: Vec<usize> = (0..text.len())
            .filter(|&i| text[i] != b'-' && i > 2)
            .collect();
        for &i in &positions {
            for &digit in DIGITS {
                if digit == text[i] || (i < 7 && !digit.is_ascii_digit()) {
                    continue;
                }
                let mut slip = text.clone();
                slip[i] = digit;
                let slip = String::from_utf8(slip).unwrap();
                assert_eq!(slip.parse::<CopyrightId>(), Err(MalformedId), "{slip}");
            }
        }
        for pair in positions.windows(2).filter(|p| p[1] == p[0] + 1) {
            let mut swap = text.clone();
            swap.swap(pair[0], pair[1]);
            if swap != text {
                let swap = String::from_utf8(swap).unwrap();
                assert_eq!(swap.parse::<CopyrightId>(), Err(MalformedId), "{swap}");
            }
        }
    }

    #[test]
    fn malformed_text_is_refused() {
        for text in [
            "",
            "MT-2026-7K3Q",
            "XX-2026-7K3Q-9XPA",
            "MT-26-7K3Q-9XPA",
            "MT-2026-7K3Q-9XPAA",
            "MT-2026-7K3U-9XPA",
            "MT-2026-7K3Q-9XP!",
            "MT-2026-7K3Q-9XPA-1",
        ] {
            assert_eq!(text.parse::<CopyrightId>(), Err(MalformedId), "{text}");
        }
    }
}
