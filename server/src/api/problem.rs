//! Errors of the HTTP API as `application/problem+json` (RFC 9457): the one
//! place an [`AppError`] becomes an API response.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use domain::error::{AppError, FieldError};

/// The media type of every error the API answers.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// An error as the API writes it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// What kind of problem: a link to its explanation in the API's documentation.
    #[serde(rename = "type")]
    pub kind: String,
    /// The kind of problem in words; the same for every problem of a kind.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong this time and what to do, written for a person.
    pub detail: String,
    /// For an invalid request, each field at fault with its message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
}

/// An error the API answers, as `application/problem+json`.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl From<AppError> for ApiError {
    fn from(err: AppError) -> ApiError {
        ApiError(err)
    }
}

/// The answer to a body over its limit.
pub fn too_large() -> ApiError {
    ApiError(AppError::TooLarge(
        "The body is over its limit: a MIDI file of at most 1 MiB (as base64) with the settings, 16 KiB for anything else.".into(),
    ))
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> ApiError {
        // A chunked body says no length up front: it is cut off while read.
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            return too_large();
        }
        ApiError(AppError::Invalid(vec![FieldError::new(
            "",
            format!(
                "The body is not the JSON this takes: {}",
                rejection.body_text()
            ),
        )]))
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> ApiError {
        ApiError(AppError::Invalid(vec![FieldError::new(
            "",
            format!("The query string is not valid: {}", rejection.body_text()),
        )]))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let err = self.0;
        let status =
            StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let kind = err.problem_kind();
        let (detail, errors) = match &err {
            AppError::Invalid(fields) => {
                let detail = match fields.as_slice() {
                    [only] if only.field.is_empty() => only.message.clone(),
                    _ => "Some fields are invalid; each has its message in `errors`.".to_owned(),
                };
                (detail, Some(fields.clone()))
            }
            other => (other.to_string(), None),
        };
        let body = Problem {
            kind: format!("/docs/api#{}", kind.anchor),
            title: kind.title.to_owned(),
            status: status.as_u16(),
            detail,
            errors,
        };
        let mut response = (status, axum::Json(body)).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        match err {
            AppError::TooManyRequests { retry_after, .. } => {
                headers.insert(header::RETRY_AFTER, retry_after.into());
            }
            AppError::Unauthorized(_) => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"MixTape API\""),
                );
            }
            _ => {}
        }
        response
    }
}
