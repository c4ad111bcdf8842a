//! Accounts: registering, checking a password, and who an account is.

use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use password_hash::rand_core::OsRng;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set, SqlErr,
};

use crate::domain::account::{SignedInUser, normalize_email, validate_registration};
use crate::domain::error::AppError;
use crate::services::ServerContext;
use crate::storage::{now, user};

/// Creates an account from the registration form; its id.
pub async fn register(
    db: &DatabaseConnection,
    email: &str,
    password: String,
    display_name: &str,
) -> Result<i64, AppError> {
    let (email, display_name) =
        validate_registration(email, &password, display_name).map_err(AppError::Invalid)?;
    let taken = || {
        AppError::invalid(
            "email",
            "An account with this email already exists. Log in instead?",
        )
    };
    let exists = user::Entity::find()
        .filter(user::Column::Email.eq(&email))
        .one(db)
        .await?;
    if exists.is_some() {
        return Err(taken());
    }
    let user = user::ActiveModel {
        email: Set(email),
        display_name: Set(display_name),
        password_hash: Set(hash(password).await?),
        created_at: Set(now()),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(|err| match err.sql_err() {
        // Two registrations racing for one email: the unique index decides.
        Some(SqlErr::UniqueConstraintViolation(_)) => taken(),
        _ => err.into(),
    })?;
    Ok(user.id)
}

/// The account whose email and password these are, counted against the
/// login limits of `client` (an address key) and the email.
pub async fn log_in(
    context: &ServerContext,
    client: &str,
    email: &str,
    password: String,
) -> Result<i64, AppError> {
    context.limits.login(&context.db, client, email).await?;
    let user = match normalize_email(email) {
        Some(email) => {
            user::Entity::find()
                .filter(user::Column::Email.eq(email))
                .one(&context.db)
                .await?
        }
        None => None,
    };
    let hash = user
        .as_ref()
        .map_or_else(decoy_hash, |u| u.password_hash.clone());
    let matches = verify(password, hash).await;
    match user {
        Some(user) if matches => Ok(user.id),
        _ => Err(AppError::Unauthorized(
            "The email or the password is not right.".into(),
        )),
    }
}

/// Account `id` as pages show it, if it exists.
pub async fn find(db: &DatabaseConnection, id: i64) -> Result<Option<SignedInUser>, AppError> {
    Ok(user::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(|user| SignedInUser {
            id: user.id,
            display_name: user.display_name,
        }))
}

/// Hashes on a blocking thread: argon2id takes tens of milliseconds by design.
async fn hash(password: String) -> Result<String, AppError> {
    let failed = "Your account could not be created. Please try again.";
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
    })
    .await
    .map_err(|err| AppError::internal(failed, &err))?
    .map_err(|err| AppError::internal(failed, &err))
}

/// Whether `password` matches `hash`, on a blocking thread.
async fn verify(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash).is_ok_and(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
    })
    .await
    .unwrap_or(false)
}

/// A hash no password matches, verified against when the email is unknown
/// so that an unknown email takes as long as a wrong password.
fn decoy_hash() -> String {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY
        .get_or_init(|| {
            let salt = SaltString::generate(&mut OsRng);
            Argon2::default()
                .hash_password(b"decoy password, never a user's", &salt)
                .map(|hash| hash.to_string())
                .unwrap_or_default()
        })
        .clone()
}
