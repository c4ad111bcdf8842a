//! Accounts: register, log in, log out, and who is signed in.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_location;
use serde::{Deserialize, Serialize};

use crate::AppError;
use crate::error::FieldMessage;
use crate::meta::PageMeta;

/// The signed-in user, as pages show them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedInUser {
    /// Their account's id.
    pub id: i64,
    /// Their display or company name.
    pub display_name: String,
}

/// Who is signed in on this browser, if anyone.
#[server(endpoint = "current_user")]
pub async fn current_user() -> Result<Option<SignedInUser>, AppError> {
    ssr::current_user().await
}

/// Creates an account, signs it in and goes to the instruments page.
#[server(endpoint = "register")]
pub async fn register(
    email: String,
    password: String,
    display_name: String,
) -> Result<(), AppError> {
    ssr::register(email, password, display_name).await?;
    leptos_axum::redirect("/instruments");
    Ok(())
}

/// Signs in with email and password and goes to the instruments page.
#[server(endpoint = "log_in")]
pub async fn log_in(email: String, password: String) -> Result<(), AppError> {
    ssr::log_in(email, password).await?;
    leptos_axum::redirect("/instruments");
    Ok(())
}

/// Signs out and goes to the home page.
#[server(endpoint = "log_out")]
pub async fn log_out() -> Result<(), AppError> {
    ssr::log_out().await?;
    leptos_axum::redirect("/");
    Ok(())
}

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    use std::sync::OnceLock;

    use argon2::Argon2;
    use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
    use password_hash::rand_core::OsRng;
    use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set, SqlErr};
    use tower_sessions::Session;

    use super::SignedInUser;
    use crate::ssr::{USER_KEY, internal, now, server_context, session_user, user_table};
    use crate::{AppError, FieldError};

    /// The session key naming a visitor's pieces until they sign in.
    const VISITOR_KEY: &str = "visitor";

    /// Whom new pieces belong to, and whose pieces the library lists.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum Owner {
        /// A signed-in account.
        User(i64),
        /// A visitor's browser session, by its random key.
        Visitor(String),
    }

    impl Owner {
        /// The condition selecting this owner's pieces.
        pub fn pieces(&self) -> sea_orm::Condition {
            use crate::ssr::piece_table::Column;
            match self {
                Owner::User(id) => sea_orm::Condition::all().add(Column::OwnerId.eq(*id)),
                Owner::Visitor(key) => sea_orm::Condition::all()
                    .add(Column::OwnerId.is_null())
                    .add(Column::Visitor.eq(key.as_str())),
            }
        }
    }

    /// The current owner; a visitor without a key gets one when `create` is set
    /// (composing does), and is nobody otherwise.
    pub async fn owner(create: bool) -> Result<Option<Owner>, AppError> {
        let session = session().await?;
        if let Some(user) = session_user(&session).await.map_err(session_failed)? {
            return Ok(Some(Owner::User(user)));
        }
        if let Some(key) = session
            .get::<String>(VISITOR_KEY)
            .await
            .map_err(session_failed)?
        {
            return Ok(Some(Owner::Visitor(key)));
        }
        if !create {
            return Ok(None);
        }
        let key = crate::ssr::random_token(16);
        session
            .insert(VISITOR_KEY, &key)
            .await
            .map_err(session_failed)?;
        Ok(Some(Owner::Visitor(key)))
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

    async fn session() -> Result<Session, AppError> {
        leptos_axum::extract::<Session>().await.map_err(|err| {
            internal(
                "Your session could not be read. Please reload the page.",
                &err,
            )
        })
    }

    fn session_failed(err: tower_sessions::session::Error) -> AppError {
        internal("Your session could not be saved. Please try again.", &err)
    }

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

    /// Hashes on a blocking thread: argon2id takes tens of milliseconds by design.
    async fn hash(password: String) -> Result<String, AppError> {
        tokio::task::spawn_blocking(move || {
            let salt = SaltString::generate(&mut OsRng);
            Argon2::default()
                .hash_password(password.as_bytes(), &salt)
                .map(|hash| hash.to_string())
        })
        .await
        .map_err(|err| internal("Your account could not be created. Please try again.", &err))?
        .map_err(|err| internal("Your account could not be created. Please try again.", &err))
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

    /// Gives visitor `key`'s pieces, and those still being composed, to account
    /// `user`. The generations go first: a piece stored between the two
    /// statements then follows its generation (`generations::store`).
    pub async fn give_visitor_pieces(
        db: &sea_orm::DatabaseConnection,
        key: &str,
        user: i64,
    ) -> Result<(), sea_orm::DbErr> {
        use crate::ssr::{generation_table, piece_table};
        use sea_orm::sea_query::Expr;

        generation_table::Entity::update_many()
            .col_expr(generation_table::Column::OwnerId, Expr::value(user))
            .col_expr(
                generation_table::Column::Visitor,
                Expr::value(Option::<String>::None),
            )
            .filter(generation_table::Column::OwnerId.is_null())
            .filter(generation_table::Column::Visitor.eq(key))
            .exec(db)
            .await?;
        piece_table::Entity::update_many()
            .col_expr(piece_table::Column::OwnerId, Expr::value(user))
            .col_expr(
                piece_table::Column::Visitor,
                Expr::value(Option::<String>::None),
            )
            .filter(Owner::Visitor(key.to_owned()).pieces())
            .exec(db)
            .await?;
        Ok(())
    }

    /// Starts a fresh session (a new id, so that one fixed before sign-in is
    /// worthless) holding `user`, and gives the visitor's pieces to the account.
    async fn sign_in(session: &Session, user: i64) -> Result<(), AppError> {
        if let Some(key) = session
            .remove::<String>(VISITOR_KEY)
            .await
            .map_err(session_failed)?
        {
            give_visitor_pieces(&server_context().db, &key, user)
                .await
                .map_err(|err| {
                    internal(
                        "Your pieces could not be moved to your account. Please log in again.",
                        &err,
                    )
                })?;
        }
        session.cycle_id().await.map_err(session_failed)?;
        session.insert(USER_KEY, user).await.map_err(session_failed)
    }

    pub async fn register(
        email: String,
        password: String,
        display_name: String,
    ) -> Result<(), AppError> {
        let (email, display_name) =
            validate_registration(&email, &password, &display_name).map_err(AppError::Invalid)?;
        let taken = || {
            AppError::invalid(
                "email",
                "An account with this email already exists. Log in instead?",
            )
        };
        let db = server_context().db;
        let exists = user_table::Entity::find()
            .filter(user_table::Column::Email.eq(&email))
            .one(&db)
            .await
            .map_err(|err| {
                internal("Your account could not be created. Please try again.", &err)
            })?;
        if exists.is_some() {
            return Err(taken());
        }
        let user = user_table::ActiveModel {
            email: Set(email),
            display_name: Set(display_name),
            password_hash: Set(hash(password).await?),
            created_at: Set(now()),
            ..Default::default()
        }
        .insert(&db)
        .await
        .map_err(|err| match err.sql_err() {
            // Two registrations racing for one email: the unique index decides.
            Some(SqlErr::UniqueConstraintViolation(_)) => taken(),
            _ => internal("Your account could not be created. Please try again.", &err),
        })?;
        sign_in(&session().await?, user.id).await
    }

    pub async fn log_in(email: String, password: String) -> Result<(), AppError> {
        let wrong = || AppError::Unauthorized("The email or the password is not right.".into());
        let context = server_context();
        context.limits.login(&context.db, &email).await?;
        let user = match normalize_email(&email) {
            Some(email) => user_table::Entity::find()
                .filter(user_table::Column::Email.eq(email))
                .one(&context.db)
                .await
                .map_err(|err| internal("You could not be logged in. Please try again.", &err))?,
            None => None,
        };
        let hash = user
            .as_ref()
            .map_or_else(decoy_hash, |u| u.password_hash.clone());
        let matches = verify(password, hash).await;
        match user {
            Some(user) if matches => sign_in(&session().await?, user.id).await,
            _ => Err(wrong()),
        }
    }

    pub async fn log_out() -> Result<(), AppError> {
        session().await?.flush().await.map_err(session_failed)
    }

    /// The signed-in account's id, if any.
    pub async fn signed_in() -> Result<Option<i64>, AppError> {
        session_user(&session().await?)
            .await
            .map_err(session_failed)
    }

    /// The signed-in account's id, or the answer that one is needed for `what`.
    pub async fn require_user(what: &str) -> Result<i64, AppError> {
        signed_in()
            .await?
            .ok_or_else(|| AppError::Unauthorized(format!("Log in to {what}.")))
    }

    pub async fn current_user() -> Result<Option<SignedInUser>, AppError> {
        let Some(id) = session_user(&session().await?).await.map_err(|err| {
            internal(
                "Your session could not be read. Please reload the page.",
                &err,
            )
        })?
        else {
            return Ok(None);
        };
        let user = user_table::Entity::find_by_id(id)
            .one(&server_context().db)
            .await
            .map_err(|err| {
                internal(
                    "Your account could not be read. Please reload the page.",
                    &err,
                )
            })?;
        Ok(user.map(|user| SignedInUser {
            id: user.id,
            display_name: user.display_name,
        }))
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
}

/// The error of an account form that belongs to no single field.
fn form_message(error: Signal<Option<AppError>>) -> Signal<Option<String>> {
    Signal::derive(move || error.get().map(|err| err.to_string()))
}

/// The registration page.
#[component]
pub fn RegisterPage() -> impl IntoView {
    let action = ServerAction::<Register>::new();
    let pending = action.pending();
    let error = Signal::derive(move || action.value().get().and_then(|r| r.err()));
    let message = form_message(error);
    view! {
        <PageMeta title="Create an account" description="Create a MixTape account to keep your pieces and buy exclusive rights to them." />
        <section class="narrow">
            <h1>"Create an account"</h1>
            <ActionForm action attr:class="settings-form account-form">
                <div class="field">
                    <label for="display_name">"Your name or company"</label>
                    <input id="display_name" name="display_name" type="text" autocomplete="organization" maxlength="80" required />
                    <FieldMessage field="display_name" error />
                </div>
                <div class="field">
                    <label for="email">"Email"</label>
                    <input id="email" name="email" type="email" autocomplete="email" required />
                    <FieldMessage field="email" error />
                </div>
                <div class="field">
                    <label for="password">"Password"</label>
                    <input id="password" name="password" type="password" autocomplete="new-password" minlength="10" required />
                    <p class="hint">"At least 10 characters; a few unrelated words work well."</p>
                    <FieldMessage field="password" error />
                </div>
                <button type="submit" class="button button-primary" disabled=move || pending.get()>"Create account"</button>
                <Show when=move || message.get().is_some()>
                    <p class="error" role="alert">{message}</p>
                </Show>
                <p class="hint">"Already have an account? " <A href="/login">"Log in"</A></p>
            </ActionForm>
        </section>
    }
}

/// The log-in page.
#[component]
pub fn LoginPage() -> impl IntoView {
    let action = ServerAction::<LogIn>::new();
    let pending = action.pending();
    let error = Signal::derive(move || action.value().get().and_then(|r| r.err()));
    let message = form_message(error);
    view! {
        <PageMeta title="Log in" description="Log in to MixTape to find your pieces and purchases." />
        <section class="narrow">
            <h1>"Log in"</h1>
            <ActionForm action attr:class="settings-form account-form">
                <div class="field">
                    <label for="email">"Email"</label>
                    <input id="email" name="email" type="email" autocomplete="email" required />
                </div>
                <div class="field">
                    <label for="password">"Password"</label>
                    <input id="password" name="password" type="password" autocomplete="current-password" required />
                </div>
                <button type="submit" class="button button-primary" disabled=move || pending.get()>"Log in"</button>
                <Show when=move || message.get().is_some()>
                    <p class="error" role="alert">{message}</p>
                </Show>
                <p class="hint">"New to MixTape? " <A href="/register">"Create an account"</A></p>
            </ActionForm>
        </section>
    }
}

/// The header's account links: log in and register, or the name and log out.
#[component]
pub fn AccountNav() -> impl IntoView {
    let log_out = ServerAction::<LogOut>::new();
    let location = use_location();
    // Asked again on every navigation (signing in or out ends in one) and after logging out.
    let user = Resource::new(
        move || (location.pathname.get(), log_out.version().get()),
        |_| current_user(),
    );
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match user.await {
                    Ok(Some(user)) => view! {
                        <span class="account-name">{user.display_name}</span>
                        <ActionForm action=log_out attr:class="inline-form">
                            <button type="submit" class="link-button">"Log out"</button>
                        </ActionForm>
                    }.into_any(),
                    _ => view! {
                        <A href="/login">"Log in"</A>
                        <A href="/register">"Register"</A>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}
