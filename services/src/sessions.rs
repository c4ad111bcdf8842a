//! Who a browser session is: a signed-in account, a visitor who composed
//! something, or nobody yet; signing in and out.

use sea_orm::DatabaseConnection;
use tower_sessions::Session;

use crate::owner::Owner;
use crate::{generations, pieces, random_token};
use domain::error::AppError;

/// The session key holding the signed-in user's id.
const USER_KEY: &str = "user_id";
/// The session key naming a visitor's pieces until they sign in.
const VISITOR_KEY: &str = "visitor";
/// The session key holding the day (Unix days) it was last kept alive.
const KEPT_KEY: &str = "kept_on";

fn failed(err: tower_sessions::session::Error) -> AppError {
    AppError::internal("Your session could not be saved. Please try again.", &err)
}

/// The id of the account signed in with `session`, if any.
pub async fn signed_in(session: &Session) -> Result<Option<i64>, AppError> {
    session.get::<i64>(USER_KEY).await.map_err(failed)
}

/// The account signed in with `session`, or the answer that one is needed for `what`.
pub async fn require_user(session: &Session, what: &str) -> Result<i64, AppError> {
    signed_in(session)
        .await?
        .ok_or_else(|| AppError::Unauthorized(format!("Log in to {what}.")))
}

/// The session's owner, if it is anyone yet.
pub async fn owner(session: &Session) -> Result<Option<Owner>, AppError> {
    if let Some(user) = signed_in(session).await? {
        return Ok(Some(Owner::User(user)));
    }
    let key = session.get::<String>(VISITOR_KEY).await.map_err(failed)?;
    Ok(key.map(Owner::Visitor))
}

/// The session's owner, or a new visitor who becomes the session's owner
/// only once [`keep`] is called, when something is stored for them: a
/// refused request leaves no session behind.
pub async fn owner_or_new_visitor(session: &Session) -> Result<Owner, AppError> {
    Ok(owner(session)
        .await?
        .unwrap_or_else(|| Owner::Visitor(random_token(16))))
}

/// Makes `owner` the session's owner, if it is a visitor it is not yet.
pub async fn keep(session: &Session, owner: &Owner) -> Result<(), AppError> {
    match owner {
        Owner::Visitor(key)
            if session
                .get::<String>(VISITOR_KEY)
                .await
                .map_err(failed)?
                .as_ref()
                != Some(key) =>
        {
            session.insert(VISITOR_KEY, key).await.map_err(failed)
        }
        _ => Ok(()),
    }
}

/// Starts a fresh session (a new id, so that one fixed before sign-in is
/// worthless) holding `user`, and gives the visitor's pieces to the account.
pub async fn sign_in(
    db: &DatabaseConnection,
    session: &Session,
    user: i64,
) -> Result<(), AppError> {
    if let Some(key) = session
        .remove::<String>(VISITOR_KEY)
        .await
        .map_err(failed)?
    {
        give_visitor_to(db, &key, user).await?;
    }
    session.cycle_id().await.map_err(failed)?;
    session.insert(USER_KEY, user).await.map_err(failed)
}

/// Gives visitor `key`'s generations, then their pieces, to account `user`:
/// in that order, a piece stored in between follows its generation
/// (`generations::store`).
pub async fn give_visitor_to(
    db: &DatabaseConnection,
    key: &str,
    user: i64,
) -> Result<(), sea_orm::DbErr> {
    generations::give_visitor_generations(db, key, user).await?;
    pieces::give_visitor_pieces(db, key, user).await
}

/// The most checkout keys a session keeps per piece (a payment page open in
/// several tabs, each retry a new checkout).
const KEPT_CHECKOUTS: usize = 64;

/// The session key listing the checkout keys issued for piece `piece`.
fn checkouts(piece: i64) -> String {
    format!("checkouts:{piece}")
}

/// Remembers that checkout `key` was issued to this session for `piece`:
/// only such keys pay, so a caller cannot choose its own.
pub async fn issue_checkout(session: &Session, piece: i64, key: &str) -> Result<(), AppError> {
    let mut keys: Vec<String> = session
        .get(&checkouts(piece))
        .await
        .map_err(failed)?
        .unwrap_or_default();
    keys.push(key.to_owned());
    let excess = keys.len().saturating_sub(KEPT_CHECKOUTS);
    keys.drain(..excess);
    session
        .insert(&checkouts(piece), keys)
        .await
        .map_err(failed)
}

/// Whether checkout `key` was issued to this session for `piece`.
pub async fn issued_checkout(session: &Session, piece: i64, key: &str) -> Result<bool, AppError> {
    let keys: Vec<String> = session
        .get(&checkouts(piece))
        .await
        .map_err(failed)?
        .unwrap_or_default();
    Ok(keys.iter().any(|issued| issued == key))
}

/// Ends the session.
pub async fn sign_out(session: &Session) -> Result<(), AppError> {
    session.flush().await.map_err(failed)
}

/// Keeps a stored session alive for its full lifetime from today: sessions
/// expire after a lifetime without a request, not a lifetime after sign-in.
/// Marking the session changed once a day makes the session layer save it
/// with a new expiry and send the cookie again, without a database write on
/// every request. A browser without a stored session gets none from this.
pub async fn keep_alive(session: &Session) -> Result<(), AppError> {
    if session.is_empty().await {
        return Ok(());
    }
    let today = crate::storage::now() / (24 * 60 * 60);
    if session.get::<i64>(KEPT_KEY).await.map_err(failed)? != Some(today) {
        session.insert(KEPT_KEY, today).await.map_err(failed)?;
    }
    Ok(())
}
