//! API keys as the account page shows them, and the rule for their names.

use serde::{Deserialize, Serialize};

use crate::error::FieldError;

/// The longest name of a key, in characters.
pub const MAX_KEY_NAME: usize = 80;

/// What every secret starts with, so that a leaked one is recognisable.
pub const SECRET_PREFIX: &str = "mtk_";

/// One of an account's API keys, without its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyView {
    /// Its id, to revoke it.
    pub id: i64,
    /// What the account named it.
    pub name: String,
    /// The secret's first characters, such as `mtk_3f9a0c1e`.
    pub prefix: String,
    /// The day it was made, `YYYY-MM-DD` (UTC).
    pub created_on: String,
    /// The day a request last used it, if any.
    pub last_used_on: Option<String>,
    /// Whether it was revoked (it then authenticates nothing).
    pub revoked: bool,
}

/// A key just made: the only time its secret is seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewApiKey {
    /// The key as it is listed from now on.
    pub key: ApiKeyView,
    /// The secret a client sends as `Authorization: Bearer <secret>`.
    pub secret: String,
}

/// The name of a new key, trimmed, or the field's message.
pub fn key_name(name: &str) -> Result<String, FieldError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_KEY_NAME {
        return Err(FieldError::new(
            "name",
            format!(
                "Name the key in 1 to {MAX_KEY_NAME} characters, such as the app that uses it."
            ),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(FieldError::new("name", "A key's name is one line of text."));
    }
    Ok(name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_limited() {
        assert_eq!(key_name("  Video tool ").unwrap(), "Video tool");
        assert!(key_name("   ").is_err());
        assert!(key_name(&"x".repeat(MAX_KEY_NAME)).is_ok());
        assert!(key_name(&"x".repeat(MAX_KEY_NAME + 1)).is_err());
        assert!(key_name("two\nlines").is_err());
    }
}
