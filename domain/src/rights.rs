//! Exclusive rights as pages show them: the checkout, the licence
//! certificate and the public verification of a copyright ID.

use serde::{Deserialize, Serialize};

/// What the payment page shows and sends back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checkout {
    /// The piece being bought.
    pub piece_id: i64,
    /// Its title.
    pub title: String,
    /// The price, written out.
    pub price: String,
    /// This checkout's idempotency key: a repeated submit charges once.
    pub key: String,
    /// The licensee the form suggests: the account's name.
    pub licensee: String,
}

/// The longest licensee name a certificate shows.
pub const MAX_LICENSEE: usize = 120;

/// The licensee named at checkout, trimmed; `None` when left empty.
pub fn licensee(text: &str) -> Result<Option<String>, crate::error::FieldError> {
    let name = text.trim();
    if name.chars().count() > MAX_LICENSEE || name.chars().any(char::is_control) {
        return Err(crate::error::FieldError::new(
            "licensee",
            format!("Enter the name for the certificate, up to {MAX_LICENSEE} characters."),
        ));
    }
    Ok((!name.is_empty()).then(|| name.to_owned()))
}

/// The terms of licence `MT-EXCLUSIVE-1`, which every sale grants.
pub const LICENCE_TERMS: &str = "MixTape grants the owner named above the exclusive, perpetual, worldwide right to use, copy, modify, publish, broadcast and synchronise this piece with any media, commercially or not. MixTape will not sell or license this piece, or any piece with the same music, to anyone else, and uses it only to show this certificate and the piece's preview on its public verification page.";

/// A licence certificate, as its page prints it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Certificate {
    /// The copyright ID.
    pub copyright_id: String,
    /// The owner's display or company name.
    pub owner: String,
    /// The piece's id.
    pub piece_id: i64,
    /// The piece's title.
    pub title: String,
    /// Length in seconds.
    pub seconds: f64,
    /// The key it is in.
    pub key_name: Option<String>,
    /// Tempo in beats per minute.
    pub tempo_bpm: i32,
    /// The meter, whose beat the tempo counts.
    pub meter: crate::compose::Meter,
    /// The date of the sale, written out.
    pub date: String,
    /// What was paid.
    pub price: String,
    /// The licence's version.
    pub licence_version: String,
}

/// What the verification page shows about a copyright ID.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verification {
    /// The copyright ID, as written.
    pub copyright_id: String,
    /// The owner's display or company name.
    pub owner: String,
    /// The date of the sale, written out.
    pub date: String,
    /// The piece's title.
    pub title: String,
    /// The instrument's name.
    pub instrument: String,
    /// The piece's length in seconds.
    pub seconds: f64,
}

#[cfg(test)]
mod tests {
    use super::{MAX_LICENSEE, licensee};

    #[test]
    fn a_licensee_is_trimmed_bounded_and_may_be_left_empty() {
        assert_eq!(
            licensee("  Sunrise Bakery Ltd ").unwrap().as_deref(),
            Some("Sunrise Bakery Ltd")
        );
        assert_eq!(licensee("   ").unwrap(), None);
        assert!(licensee(&"a".repeat(MAX_LICENSEE)).is_ok());
        let too_long = licensee(&"a".repeat(MAX_LICENSEE + 1)).unwrap_err();
        assert_eq!(too_long.field, "licensee");
        assert!(licensee("Sunrise\nBakery").is_err());
    }
}
