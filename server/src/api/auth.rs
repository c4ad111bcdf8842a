//! Who calls the API: the account of the key in `Authorization: Bearer <key>`.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;

use domain::error::AppError;
use services::api_keys::{self, Authenticated};
use services::owner::Owner;

use super::problem::ApiError;
use crate::AppState;

/// The account (and key) a request's API key acts for.
#[derive(Debug, Clone, Copy)]
pub struct Caller(pub Authenticated);

impl Caller {
    /// Whom the caller's pieces belong to.
    pub fn owner(&self) -> Owner {
        Owner::User(self.0.user)
    }

    /// The rate limits' key for this caller: per API key, as per address on the site.
    pub fn client(&self) -> String {
        format!("api-key:{}", self.0.key)
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Caller, ApiError> {
        let missing = || {
            AppError::Unauthorized(
                "Send your API key as `Authorization: Bearer <key>`; make one on your account page."
                    .into(),
            )
        };
        let value = parts
            .headers
            .get(header::AUTHORIZATION)
            .ok_or_else(missing)?
            .to_str()
            .map_err(|_| missing())?;
        let (scheme, secret) = value.trim().split_once(' ').ok_or_else(missing)?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(missing().into());
        }
        let caller = api_keys::authenticate(&state.context.db, secret.trim()).await?;
        Ok(Caller(caller))
    }
}
