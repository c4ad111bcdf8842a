//! What a piece costs: an amount in a currency's minor unit, read from and
//! written as `250.00 INR`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A price in a currency's minor unit, written like `250.00 INR`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Price {
    /// Amount in hundredths (paise, cents).
    pub minor: i64,
    /// ISO 4217 code, such as `INR`.
    pub currency: String,
}

impl fmt::Display for Price {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}.{:02} {}",
            self.minor / 100,
            self.minor % 100,
            self.currency
        )
    }
}

impl FromStr for Price {
    type Err = String;

    /// Reads `250`, `250.5` or `250.00` followed by a currency code.
    fn from_str(text: &str) -> Result<Price, String> {
        let problem = || format!("`{text}` is not a price such as `250.00 INR`");
        let (amount, currency) = text.trim().split_once(' ').ok_or_else(problem)?;
        let currency = currency.trim();
        if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(problem());
        }
        let (whole, fraction) = amount.split_once('.').unwrap_or((amount, ""));
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(whole) || fraction.len() > 2 || (!fraction.is_empty() && !digits(fraction)) {
            return Err(problem());
        }
        let whole: i64 = whole.parse().map_err(|_| problem())?;
        let fraction: i64 = format!("{fraction:0<2}").parse().map_err(|_| problem())?;
        let minor = whole
            .checked_mul(100)
            .and_then(|m| m.checked_add(fraction))
            .filter(|m| *m > 0)
            .ok_or_else(problem)?;
        Ok(Price {
            minor,
            currency: currency.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Price;

    #[test]
    fn prices_read_and_write_with_two_decimals() {
        for (text, minor, shown) in [
            ("250.00 INR", 25_000, "250.00 INR"),
            ("250 INR", 25_000, "250.00 INR"),
            ("9.5 USD", 950, "9.50 USD"),
            (" 0.01 EUR ", 1, "0.01 EUR"),
        ] {
            let price: Price = text.parse().unwrap();
            assert_eq!(price.minor, minor, "{text}");
            assert_eq!(price.to_string(), shown);
        }
        for bad in [
            "",
            "250",
            "INR 250",
            "250.001 INR",
            "-5 INR",
            "0 INR",
            "250 inr",
            "2.5.0 INR",
            ".5 INR",
        ] {
            assert!(bad.parse::<Price>().is_err(), "{bad}");
        }
    }
}
