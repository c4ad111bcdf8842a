//! Card details as the payment form takes them, checked by the same rules in
//! the browser (messages before anything is sent) and on the server (the
//! check that counts).

use serde::{Deserialize, Serialize};

use crate::error::FieldError;

/// The payment form's card fields, as typed.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CardForm {
    /// Name on the card.
    pub name: String,
    /// Card number; spaces and dashes are allowed.
    pub number: String,
    /// Expiry as `MM/YY` or `MM/YYYY`.
    pub expiry: String,
    /// The 3 or 4 digits on the card.
    pub cvv: String,
}

// Card numbers and codes never reach a log line through `{:?}`.
impl std::fmt::Debug for CardForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CardForm").finish_non_exhaustive()
    }
}

/// A card that passed every check.
#[derive(Clone, PartialEq)]
pub struct Card {
    /// Name on the card.
    pub name: String,
    /// The number's digits.
    pub number: String,
    /// The CVV's digits.
    pub cvv: String,
}

impl std::fmt::Debug for Card {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Card")
            .field("brand", &self.brand())
            .field("last4", &self.last4())
            .finish_non_exhaustive()
    }
}

impl Card {
    /// The card's network, from the number's first digits.
    pub fn brand(&self) -> &'static str {
        let prefix = |digits: usize| self.number[..digits].parse::<u32>().unwrap_or(0);
        match self.number.as_bytes()[0] {
            b'4' => "Visa",
            b'5' if (51..=55).contains(&prefix(2)) => "Mastercard",
            b'2' if (2221..=2720).contains(&prefix(4)) => "Mastercard",
            b'3' if matches!(prefix(2), 34 | 37) => "American Express",
            b'6' if prefix(4) == 6011 || prefix(2) == 65 => "Discover",
            _ => "Card",
        }
    }

    /// The last four digits, which receipts may show.
    pub fn last4(&self) -> &str {
        &self.number[self.number.len() - 4..]
    }
}

/// A year and month (1-12), to compare expiry dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct YearMonth {
    /// Four-digit year.
    pub year: i32,
    /// Month, 1 to 12.
    pub month: u32,
}

/// Checks every field as of `today`; the errors name each field at fault.
pub fn check(form: &CardForm, today: YearMonth) -> Result<Card, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut fail = |field: &str, message: &str| {
        errors.push(FieldError {
            field: field.to_owned(),
            message: message.to_owned(),
        })
    };
    let name = form.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        fail("name", "Enter the name as it is written on the card.");
    }
    let number: String = form
        .number
        .chars()
        .filter(|c| !matches!(c, ' ' | '-'))
        .collect();
    if !(12..=19).contains(&number.len()) || !number.bytes().all(|b| b.is_ascii_digit()) {
        fail("number", "Enter the card number: 12 to 19 digits.");
    } else if !luhn(&number) {
        fail(
            "number",
            "This card number is not valid: please check the digits.",
        );
    }
    match expiry(&form.expiry) {
        None => fail("expiry", "Enter the expiry date as MM/YY."),
        Some(expires) if expires < today => fail("expiry", "This card has expired."),
        Some(_) => {}
    }
    let cvv = form.cvv.trim();
    if !(3..=4).contains(&cvv.len()) || !cvv.bytes().all(|b| b.is_ascii_digit()) {
        fail("cvv", "Enter the 3 or 4 digits on the back of the card.");
    }
    if errors.is_empty() {
        Ok(Card {
            name: name.to_owned(),
            number,
            cvv: cvv.to_owned(),
        })
    } else {
        Err(errors)
    }
}

/// The Luhn checksum every card number carries in its last digit.
fn luhn(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .map(|b| u32::from(b - b'0'))
        .enumerate()
        .map(|(i, d)| match (i % 2, d * 2) {
            (0, _) => d,
            (_, doubled) if doubled > 9 => doubled - 9,
            (_, doubled) => doubled,
        })
        .sum();
    sum.is_multiple_of(10)
}

/// `MM/YY` or `MM/YYYY` (a dash or spaces also do).
fn expiry(text: &str) -> Option<YearMonth> {
    let (month, year) = text.trim().split_once(['/', '-'])?;
    let month: u32 = month.trim().parse().ok()?;
    let year = year.trim();
    let year: i32 = match year.len() {
        2 => 2000 + year.parse::<i32>().ok()?,
        4 => year.parse().ok()?,
        _ => return None,
    };
    (1..=12)
        .contains(&month)
        .then_some(YearMonth { year, month })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TODAY: YearMonth = YearMonth {
        year: 2026,
        month: 11,
    };

    fn form(number: &str, expiry: &str, cvv: &str) -> CardForm {
        CardForm {
            name: "Ada Lovelace".into(),
            number: number.into(),
            expiry: expiry.into(),
            cvv: cvv.into(),
        }
    }

    fn messages(form: CardForm) -> Vec<(String, String)> {
        check(&form, TODAY)
            .unwrap_err()
            .into_iter()
            .map(|e| (e.field, e.message))
            .collect()
    }

    #[test]
    fn a_good_card_passes_with_its_digits_brand_and_last_four() {
        let card = check(&form("4242 4242 4242 4242", "12/30", "123"), TODAY).unwrap();
        assert_eq!(card.number, "4242424242424242");
        assert_eq!((card.brand(), card.last4()), ("Visa", "4242"));
        for (number, brand) in [
            ("5555-5555-5555-4444", "Mastercard"),
            ("2223003122003222", "Mastercard"),
            ("378282246310005", "American Express"),
            ("6011111111111117", "Discover"),
        ] {
            let card = check(&form(number, "12/30", "1234"), TODAY).unwrap();
            assert_eq!(card.brand(), brand, "{number}");
        }
    }

    #[test]
    fn the_luhn_checksum_catches_a_wrong_digit() {
        assert!(luhn("4242424242424242"));
        assert!(luhn("79927398713"));
        assert!(!luhn("4242424242424241"));
        assert!(!luhn("79927398710"));
        assert_eq!(
            messages(form("4242 4242 4242 4241", "12/30", "123")),
            [(
                "number".to_owned(),
                "This card number is not valid: please check the digits.".to_owned()
            )]
        );
    }

    #[test]
    fn a_card_is_good_through_its_expiry_month() {
        assert!(check(&form("4242424242424242", "11/26", "123"), TODAY).is_ok());
        assert!(check(&form("4242424242424242", "11/2026", "123"), TODAY).is_ok());
        assert_eq!(
            messages(form("4242424242424242", "10/26", "123")),
            [("expiry".to_owned(), "This card has expired.".to_owned())]
        );
    }

    #[test]
    fn every_bad_field_gets_its_own_message() {
        let errors = messages(CardForm {
            name: "  ".into(),
            number: "4242 abcd".into(),
            expiry: "13/27".into(),
            cvv: "12".into(),
        });
        let expected = [
            ("name", "Enter the name as it is written on the card."),
            ("number", "Enter the card number: 12 to 19 digits."),
            ("expiry", "Enter the expiry date as MM/YY."),
            ("cvv", "Enter the 3 or 4 digits on the back of the card."),
        ];
        let expected: Vec<_> = expected
            .iter()
            .map(|(f, m)| (f.to_string(), m.to_string()))
            .collect();
        assert_eq!(errors, expected);
        for bad in ["", "1226", "12/3", "00/30", "12/30/1"] {
            assert_eq!(expiry(bad), None, "{bad}");
        }
    }

    #[test]
    fn debug_output_never_shows_the_number_or_the_code() {
        let form = form("4242 4242 4242 4242", "12/30", "987");
        let card = check(&form, TODAY).unwrap();
        for shown in [format!("{form:?}"), format!("{card:?}")] {
            assert!(
                !shown.contains("4242 4242") && !shown.contains("42424242"),
                "{shown}"
            );
            assert!(!shown.contains("987"), "{shown}");
        }
    }
}
