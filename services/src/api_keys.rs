//! API keys: an account makes, lists and revokes them; a request to the
//! HTTP API is authenticated by one. Only a digest of each secret is stored:
//! the secret is shown once, when the key is made.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};
use sha2::{Digest, Sha256};

use crate::random_token;
use crate::storage::{api_key as table, now};
use domain::api_key::{self, ApiKeyView, NewApiKey, SECRET_PREFIX};
use domain::error::AppError;

/// The most keys an account may have that are not revoked.
pub const MAX_ACTIVE_KEYS: u64 = 20;

/// Random bytes in a secret: 256 bits, so a plain digest is as good as a
/// password hash (nobody can try enough secrets), and lookups stay one query.
const SECRET_BYTES: usize = 32;

/// Characters of the secret shown in the list.
const SHOWN: usize = SECRET_PREFIX.len() + 8;

/// Who a valid key acts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Authenticated {
    /// The account.
    pub user: i64,
    /// The key, for per-key limits.
    pub key: i64,
}

fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// The UTC day of Unix time `seconds`, as `YYYY-MM-DD`.
fn day(seconds: i64) -> String {
    chrono::DateTime::from_timestamp(seconds, 0)
        .map_or_else(String::new, |t| t.format("%Y-%m-%d").to_string())
}

fn view(row: table::Model) -> ApiKeyView {
    ApiKeyView {
        id: row.id,
        name: row.name,
        prefix: row.prefix,
        created_on: day(row.created_at),
        last_used_on: row.last_used_at.map(day),
        revoked: row.revoked_at.is_some(),
    }
}

/// Makes a key named `name` for account `user`; its secret is in the answer only.
pub async fn create(db: &DatabaseConnection, user: i64, name: &str) -> Result<NewApiKey, AppError> {
    let name = api_key::key_name(name).map_err(|e| AppError::Invalid(vec![e]))?;
    let active = table::Entity::find()
        .filter(table::Column::UserId.eq(user))
        .filter(table::Column::RevokedAt.is_null())
        .count(db)
        .await?;
    if active >= MAX_ACTIVE_KEYS {
        return Err(AppError::Conflict(format!(
            "An account can have {MAX_ACTIVE_KEYS} keys at once. Revoke one you no longer use first."
        )));
    }
    let secret = format!("{SECRET_PREFIX}{}", random_token(SECRET_BYTES));
    let row = table::ActiveModel {
        user_id: Set(user),
        name: Set(name),
        prefix: Set(secret[..SHOWN].to_owned()),
        secret_hash: Set(digest(&secret)),
        created_at: Set(now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    tracing::info!(user, key = row.id, "API key created");
    Ok(NewApiKey {
        key: view(row),
        secret,
    })
}

/// Account `user`'s keys, newest first, revoked ones included.
pub async fn list(db: &DatabaseConnection, user: i64) -> Result<Vec<ApiKeyView>, AppError> {
    Ok(table::Entity::find()
        .filter(table::Column::UserId.eq(user))
        .order_by_desc(table::Column::CreatedAt)
        .order_by_desc(table::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(view)
        .collect())
}

/// Revokes key `id` of account `user`; revoking it again changes nothing.
pub async fn revoke(db: &DatabaseConnection, user: i64, id: i64) -> Result<(), AppError> {
    let revoked = table::Entity::update_many()
        .col_expr(table::Column::RevokedAt, Expr::value(now()))
        .filter(table::Column::Id.eq(id))
        .filter(table::Column::UserId.eq(user))
        .filter(table::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    if revoked.rows_affected == 0 {
        // Another account's key and no key get the same answer.
        let exists = table::Entity::find_by_id(id)
            .filter(table::Column::UserId.eq(user))
            .count(db)
            .await?;
        if exists == 0 {
            return Err(AppError::NotFound(
                "There is no such key on your account.".into(),
            ));
        }
    } else {
        tracing::info!(user, key = id, "API key revoked");
    }
    Ok(())
}

/// The account and key that `secret` belongs to, or 401 with the reason.
pub async fn authenticate(
    db: &DatabaseConnection,
    secret: &str,
) -> Result<Authenticated, AppError> {
    let well_formed = secret.strip_prefix(SECRET_PREFIX).is_some_and(|rest| {
        rest.len() == 2 * SECRET_BYTES && rest.bytes().all(|b| b.is_ascii_hexdigit())
    });
    if !well_formed {
        return Err(AppError::Unauthorized(format!(
            "This is not a MixTape API key: keys start with {SECRET_PREFIX} followed by 64 hexadecimal digits."
        )));
    }
    let row = table::Entity::find()
        .filter(table::Column::SecretHash.eq(digest(secret)))
        .one(db)
        .await?
        .ok_or_else(|| AppError::Unauthorized("This API key is not known.".into()))?;
    if row.revoked_at.is_some() {
        return Err(AppError::Unauthorized(
            "This API key was revoked. Make a new one on your account page.".into(),
        ));
    }
    // Once a day at most: a write per request would cost more than the request.
    let today = now() / 86_400;
    if row.last_used_at.is_none_or(|at| at / 86_400 < today) {
        table::Entity::update_many()
            .col_expr(table::Column::LastUsedAt, Expr::value(now()))
            .filter(table::Column::Id.eq(row.id))
            .exec(db)
            .await?;
    }
    Ok(Authenticated {
        user: row.user_id,
        key: row.id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::user;

    async fn database() -> (tempfile::TempDir, DatabaseConnection, i64, i64) {
        let dir = tempfile::tempdir().unwrap();
        let db = migrations::testing::migrated_database(dir.path()).await;
        let mut users = Vec::new();
        for email in ["a@example.com", "b@example.com"] {
            let row = user::ActiveModel {
                email: Set(email.into()),
                display_name: Set(email.into()),
                password_hash: Set(String::new()),
                created_at: Set(now()),
                ..Default::default()
            }
            .insert(&db)
            .await
            .unwrap();
            users.push(row.id);
        }
        (dir, db, users[0], users[1])
    }

    #[tokio::test]
    async fn a_key_authenticates_its_account_until_it_is_revoked() {
        let (_dir, db, alice, bob) = database().await;
        let made = create(&db, alice, " Video tool ").await.unwrap();
        assert_eq!(made.key.name, "Video tool");
        assert!(made.secret.starts_with(&made.key.prefix));
        let stored = table::Entity::find_by_id(made.key.id)
            .one(&db)
            .await
            .unwrap()
            .unwrap();
        assert!(
            !stored
                .secret_hash
                .contains(&made.secret[SECRET_PREFIX.len()..])
        );

        let who = authenticate(&db, &made.secret).await.unwrap();
        assert_eq!((who.user, who.key), (alice, made.key.id));
        assert!(list(&db, alice).await.unwrap()[0].last_used_on.is_some());
        assert!(list(&db, bob).await.unwrap().is_empty());

        // Another account cannot revoke it, nor learn that it exists.
        let refused = revoke(&db, bob, made.key.id).await.unwrap_err();
        assert_eq!(refused.status(), 404);
        assert!(authenticate(&db, &made.secret).await.is_ok());

        revoke(&db, alice, made.key.id).await.unwrap();
        revoke(&db, alice, made.key.id).await.unwrap();
        let refused = authenticate(&db, &made.secret).await.unwrap_err();
        assert_eq!(refused.status(), 401);
        assert!(refused.to_string().contains("revoked"));
        assert!(list(&db, alice).await.unwrap()[0].revoked);
    }

    #[tokio::test]
    async fn malformed_and_unknown_secrets_and_bad_names_are_refused() {
        let (_dir, db, alice, _) = database().await;
        for secret in ["", "mtk_", "Bearer x", &format!("mtk_{}", "g".repeat(64))] {
            let err = authenticate(&db, secret).await.unwrap_err();
            assert!(
                err.to_string().contains("not a MixTape API key"),
                "{secret}: {err}"
            );
        }
        let unknown = format!("mtk_{}", "0".repeat(64));
        assert!(
            authenticate(&db, &unknown)
                .await
                .unwrap_err()
                .to_string()
                .contains("not known")
        );
        let err = create(&db, alice, "").await.unwrap_err();
        assert!(err.field_message("name").is_some());
    }

    #[tokio::test]
    async fn an_account_has_a_bounded_number_of_live_keys() {
        let (_dir, db, alice, _) = database().await;
        let mut first = None;
        for n in 0..MAX_ACTIVE_KEYS {
            let made = create(&db, alice, &format!("key {n}")).await.unwrap();
            first.get_or_insert(made.key.id);
        }
        assert_eq!(
            create(&db, alice, "one more").await.unwrap_err().status(),
            409
        );
        revoke(&db, alice, first.unwrap()).await.unwrap();
        create(&db, alice, "one more").await.unwrap();
    }
}
