//! Accounts: registering, checking a password, and who an account is.

use std::sync::OnceLock;
use std::time::Duration;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use password_hash::rand_core::OsRng;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set, SqlErr,
};
use tokio::sync::{Semaphore, SemaphorePermit};

use crate::ServerContext;
use crate::storage::{now, user};
use domain::account::{SignedInUser, normalize_email, validate_registration};
use domain::error::AppError;

/// Creates an account from the registration form, counted against the
/// registration limit of `client` (an address key); its id.
pub async fn register(
    context: &ServerContext,
    client: &str,
    email: &str,
    password: String,
    display_name: &str,
) -> Result<i64, AppError> {
    let (email, display_name) =
        validate_registration(email, &password, display_name).map_err(AppError::Invalid)?;
    let db = &context.db;
    context.limits.register(db, client).await?;
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
    let db = &context.db;
    let attempt = context.limits.login(db, client).await?;
    if context.limits.login_slowed(db, email).await? {
        tokio::time::sleep(SLOWED_LOGIN).await;
    }
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
    let matches = verify(password, hash).await?;
    match user {
        Some(user) if matches => {
            context.limits.login_succeeded(db, &attempt).await?;
            Ok(user.id)
        }
        _ => {
            context.limits.login_failed(db, email).await?;
            Err(AppError::Unauthorized(
                "The email or the password is not right.".into(),
            ))
        }
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

/// How long a login at an account with too many failed logins waits first.
const SLOWED_LOGIN: Duration = Duration::from_secs(1);

/// How long a password check waits for a free core before the answer is 429.
const HASHING_WAIT: Duration = Duration::from_secs(3);

/// A turn to hash a password: about one at a time per core, since argon2id
/// takes tens of milliseconds of CPU and a few MB by design, so that a flood of
/// registrations or guesses neither exhausts memory nor starves logins.
async fn hashing_turn() -> Result<SemaphorePermit<'static>, AppError> {
    static TURNS: OnceLock<Semaphore> = OnceLock::new();
    let turns = TURNS.get_or_init(|| {
        Semaphore::new(std::thread::available_parallelism().map_or(1, |n| n.get()))
    });
    match tokio::time::timeout(HASHING_WAIT, turns.acquire()).await {
        Ok(Ok(turn)) => Ok(turn),
        _ => Err(AppError::TooManyRequests {
            message: "The server is busy checking passwords. Please try again in a few seconds."
                .into(),
            retry_after: HASHING_WAIT.as_secs() as u32,
        }),
    }
}

/// Hashes on a blocking thread: argon2id takes tens of milliseconds by design.
async fn hash(password: String) -> Result<String, AppError> {
    let failed = "Your account could not be created. Please try again.";
    let _turn = hashing_turn().await?;
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
async fn verify(password: String, hash: String) -> Result<bool, AppError> {
    let _turn = hashing_turn().await?;
    Ok(tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash).is_ok_and(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
    })
    .await
    .unwrap_or(false))
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
