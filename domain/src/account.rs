//! Accounts as the browser also knows them: who is signed in, and the rules
//! for emails, passwords and names.

use serde::{Deserialize, Serialize};

use crate::error::FieldError;

/// The signed-in user, as pages show them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedInUser {
    /// Their account's id.
    pub id: i64,
    /// Their display or company name.
    pub display_name: String,
}

/// Shortest password accepted.
pub const MIN_PASSWORD: usize = 10;
/// Longest password accepted (hashing cost grows with it).
const MAX_PASSWORD: usize = 128;
/// Passwords too common to protect anything, checked in lower case.
const COMMON_PASSWORDS: [&str; 8] = [
    "password12",
    "1234567890",
    "0123456789",
    "qwertyuiop",
    "password123",
    "iloveyou12",
    "abcdefghij",
    "letmein123",
];

/// An email address as stored: trimmed, lower case, checked for shape.
pub fn normalize_email(email: &str) -> Option<String> {
    let email = email.trim().to_lowercase();
    let (local, domain) = email.split_once('@')?;
    let shaped = !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && email.len() <= 254
        && !email.chars().any(char::is_whitespace);
    shaped.then_some(email)
}

/// Why `password` is too weak, if it is.
pub fn password_problem(password: &str, email: &str) -> Option<String> {
    let length = password.chars().count();
    if length < MIN_PASSWORD {
        return Some(format!("Use at least {MIN_PASSWORD} characters."));
    }
    if length > MAX_PASSWORD {
        return Some(format!("Use at most {MAX_PASSWORD} characters."));
    }
    let lower = password.to_lowercase();
    let first = lower.chars().next();
    let repeated = lower.chars().all(|c| Some(c) == first);
    let local = email.trim().to_lowercase();
    let local = local.split('@').next().unwrap_or_default();
    if repeated
        || COMMON_PASSWORDS.contains(&lower.as_str())
        // A short name appears inside ordinary words; a longer one is a giveaway.
        || (local.chars().count() >= 4 && lower.contains(local))
    {
        return Some("This password is too easy to guess; choose another one.".into());
    }
    None
}

/// Checks the registration form; the errors name each field at fault.
pub fn validate_registration(
    email: &str,
    password: &str,
    display_name: &str,
) -> Result<(String, String), Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut fail = |field: &str, message: String| {
        errors.push(FieldError {
            field: field.into(),
            message,
        })
    };
    let email = normalize_email(email);
    if email.is_none() {
        fail(
            "email",
            "Enter an email address such as name@company.com.".into(),
        );
    }
    if let Some(problem) = password_problem(password, email.as_deref().unwrap_or_default()) {
        fail("password", problem);
    }
    let name = display_name.trim();
    if name.is_empty() || name.chars().count() > 80 {
        fail(
            "display_name",
            "Enter your name or your company's, up to 80 characters.".into(),
        );
    }
    match email {
        Some(email) if errors.is_empty() => Ok((email, name.to_owned())),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_lower_cased_and_checked() {
        assert_eq!(
            normalize_email("  Ana@Example.COM "),
            Some("ana@example.com".into())
        );
        for bad in [
            "",
            "ana",
            "ana@",
            "@example.com",
            "ana@example",
            "ana @example.com",
            "a@b@c.com",
            "ana@.com",
        ] {
            assert_eq!(normalize_email(bad), None, "{bad}");
        }
    }

    #[test]
    fn weak_passwords_are_named() {
        assert_eq!(
            password_problem("short", "a@b.co").unwrap(),
            "Use at least 10 characters."
        );
        let guessable = "This password is too easy to guess; choose another one.";
        assert_eq!(
            password_problem("aaaaaaaaaaaa", "a@b.co").unwrap(),
            guessable
        );
        assert_eq!(password_problem("Password12", "a@b.co").unwrap(), guessable);
        assert_eq!(
            password_problem("ana.lopez-2026", "ana.lopez@b.co").unwrap(),
            guessable
        );
        assert_eq!(
            password_problem(&"x1".repeat(65), "a@b.co").unwrap(),
            "Use at most 128 characters."
        );
        assert_eq!(password_problem("tulip sunrise harbour", "ana@b.co"), None);
        assert_eq!(password_problem("tulip sunrise harbour", "bo@b.co"), None);
    }

    #[test]
    fn registration_names_every_bad_field() {
        let errors = validate_registration("nope", "short", "  ").unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["email", "password", "display_name"]);
        assert_eq!(
            validate_registration(" Ana@Shop.com", "tulip sunrise harbour", " Ana's Bakery ")
                .unwrap(),
            ("ana@shop.com".to_owned(), "Ana's Bakery".to_owned())
        );
    }
}
