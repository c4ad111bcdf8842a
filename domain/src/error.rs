//! The one error type of MixTape's server functions and pages.

use leptos::server_fn::Bytes;
use leptos::server_fn::Encodes;
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// A form field the server rejected, with the message shown beside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FieldError {
    /// The field's `name`.
    pub field: String,
    /// What is wrong and what is allowed.
    pub message: String,
}

impl FieldError {
    /// The message `message` for field `field`.
    pub fn new(field: &str, message: impl Into<String>) -> FieldError {
        FieldError {
            field: field.to_owned(),
            message: message.into(),
        }
    }
}

/// An error a server function returns to the page that called it.
///
/// The message is written for the person using the site; details meant for
/// operators go to the server log instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// Some fields of a form are invalid; each has its own message.
    #[error("Please correct the highlighted fields.")]
    Invalid(Vec<FieldError>),
    /// The request needs a signed-in user, or the credentials were wrong.
    #[error("{0}")]
    Unauthorized(String),
    /// Signed in, but this belongs to someone else.
    #[error("{0}")]
    Forbidden(String),
    /// What was asked for does not exist.
    #[error("{0}")]
    NotFound(String),
    /// It cannot be done in the current state, such as buying a sold piece.
    #[error("{0}")]
    Conflict(String),
    /// The request's body is over its limit.
    #[error("{0}")]
    TooLarge(String),
    /// The card was declined; nothing was charged.
    #[error("{0}")]
    PaymentDeclined(String),
    /// Too many requests: the studio's queue is full, or a rate limit was
    /// reached; trying again after `retry_after` seconds will work.
    #[error("{message}")]
    TooManyRequests {
        /// What happened and when to try again.
        message: String,
        /// Seconds to wait, also sent as the `Retry-After` header.
        retry_after: u32,
    },
    /// The server cannot answer right now (its database is unreachable, or
    /// the answer depends on work still in progress); trying again shortly will work.
    #[error("{0}")]
    Busy(String),
    /// Something failed on the server; the message is safe to show.
    #[error("{0}")]
    Internal(String),
    /// The request did not reach the server or its answer could not be read.
    #[error("could not reach the server: {0}")]
    Transport(String),
}

impl AppError {
    /// The answer for an address naming no stored piece.
    pub fn no_piece() -> AppError {
        AppError::NotFound("There is no piece at this address.".into())
    }

    /// An internal failure: the details go to the log, the person gets `message`.
    #[cfg(feature = "ssr")]
    pub fn internal(message: &str, detail: &dyn std::fmt::Display) -> AppError {
        tracing::error!(%detail, "{message}");
        AppError::Internal(message.to_owned())
    }

    /// The answer for an address naming no generation.
    pub fn no_generation() -> AppError {
        AppError::NotFound("No piece is being composed at this address.".into())
    }

    /// One invalid field.
    pub fn invalid(field: &str, message: impl Into<String>) -> AppError {
        AppError::Invalid(vec![FieldError::new(field, message)])
    }

    /// The message for `field`, when the error is about it.
    pub fn field_message(&self, field: &str) -> Option<String> {
        match self {
            AppError::Invalid(fields) => fields
                .iter()
                .find(|f| f.field == field)
                .map(|f| f.message.clone()),
            _ => None,
        }
    }

    /// Sets the status (and, for too many requests, `Retry-After`) of the
    /// response being rendered on the server to this error's. The one place
    /// statuses are set: for a server function's error as it is written out
    /// ([`FromServerFnError::ser`]), and for an error a page shows
    /// (`components::alerts::ErrorAlert`), which is how a page rendered whole (`SsrMode::Async`)
    /// answers 404 for a missing piece.
    #[cfg(feature = "ssr")]
    pub fn set_response_status(&self) {
        if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
            let status = http::StatusCode::from_u16(self.status())
                .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
            response.set_status(status);
            if let AppError::TooManyRequests { retry_after, .. } = self {
                response.insert_header(http::header::RETRY_AFTER, (*retry_after).into());
            }
        }
    }

    /// The HTTP status that goes with the error.
    pub fn status(&self) -> u16 {
        match self {
            AppError::Invalid(_) => 422,
            AppError::Unauthorized(_) => 401,
            AppError::PaymentDeclined(_) => 402,
            AppError::Forbidden(_) => 403,
            AppError::NotFound(_) => 404,
            AppError::Conflict(_) => 409,
            AppError::TooLarge(_) => 413,
            AppError::TooManyRequests { .. } => 429,
            AppError::Busy(_) => 503,
            AppError::Internal(_) => 500,
            AppError::Transport(_) => 502,
        }
    }
}

/// A kind of error as the HTTP API reports it (RFC 9457 problem types),
/// explained on `/docs/api` under its anchor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProblemKind {
    /// Its anchor on `/docs/api`, the end of the problem's `type`.
    pub anchor: &'static str,
    /// Its HTTP status.
    pub status: u16,
    /// Its title, the same for every problem of the kind.
    pub title: &'static str,
    /// When it happens and what to do.
    pub meaning: &'static str,
}

/// Every kind of problem the API answers, in the order the documentation lists them.
pub const PROBLEM_KINDS: [ProblemKind; 10] = [
    ProblemKind {
        anchor: "invalid",
        status: 422,
        title: "Invalid request",
        meaning: "A body that is not the JSON asked for, or fields out of their limits; `errors` lists each field with its message (settings, card fields, `Idempotency-Key`).",
    },
    ProblemKind {
        anchor: "unauthorized",
        status: 401,
        title: "Missing, malformed or revoked API key",
        meaning: "No `Authorization: Bearer` header, a value that is not a MixTape key, an unknown key, or a revoked one.",
    },
    ProblemKind {
        anchor: "payment-declined",
        status: 402,
        title: "Payment declined",
        meaning: "The card was declined. Nothing was charged; another card may pay.",
    },
    ProblemKind {
        anchor: "forbidden",
        status: 403,
        title: "Forbidden",
        meaning: "A download of a piece whose rights you do not own.",
    },
    ProblemKind {
        anchor: "not-found",
        status: 404,
        title: "Not found",
        meaning: "No piece or generation of yours has this id. Another account's pieces answer the same, so ids reveal nothing.",
    },
    ProblemKind {
        anchor: "conflict",
        status: 409,
        title: "Conflict",
        meaning: "The piece is sold (or its music is too close to one that is), a sold piece cannot be deleted, or the account has as many keys as it may.",
    },
    ProblemKind {
        anchor: "too-large",
        status: 413,
        title: "Body too large",
        meaning: "The body is over its limit (a MIDI file of 1 MiB as base64 and the settings, 16 KiB elsewhere), whether it says its length or is sent in chunks.",
    },
    ProblemKind {
        anchor: "too-many-requests",
        status: 429,
        title: "Too many requests",
        meaning: "The composers' queue is full or a limit per key or account was reached. Try again after the `Retry-After` header's seconds.",
    },
    ProblemKind {
        anchor: "unavailable",
        status: 503,
        title: "Unavailable for a moment",
        meaning: "The database is out of reach for a moment. Try again shortly.",
    },
    ProblemKind {
        anchor: "internal",
        status: 500,
        title: "Internal error",
        meaning: "Something failed on our side; the detail is safe to show and the rest is in our logs.",
    },
];

impl AppError {
    /// The kind of problem the API reports for this error.
    pub fn problem_kind(&self) -> &'static ProblemKind {
        let status = match self {
            AppError::Transport(_) => 500,
            other => other.status(),
        };
        PROBLEM_KINDS
            .iter()
            .find(|kind| kind.status == status)
            .unwrap_or(&PROBLEM_KINDS[PROBLEM_KINDS.len() - 1])
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // A malformed request (a field that does not parse at all) is the caller's mistake.
            ServerFnErrorErr::Args(message) => AppError::Invalid(vec![FieldError {
                field: String::new(),
                message,
            }]),
            other => AppError::Transport(other.to_string()),
        }
    }

    fn ser(&self) -> Bytes {
        #[cfg(feature = "ssr")]
        self.set_response_status();
        // Every variant is plain strings and numbers, so encoding cannot fail;
        // should it, the caller still gets an error it can read.
        Self::Encoder::encode(self).unwrap_or_else(|_| {
            Self::Encoder::encode(&AppError::Internal(
                "The answer could not be written.".into(),
            ))
            .unwrap_or_default()
        })
    }
}

/// A failed query, logged in full; the person is told to try again. Lost
/// connections are 503 (the database is restarting or out of reach: trying
/// again shortly works), anything else 500.
#[cfg(feature = "ssr")]
impl From<sea_orm::DbErr> for AppError {
    fn from(err: sea_orm::DbErr) -> AppError {
        use sea_orm::DbErr;
        match err {
            DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => {
                tracing::warn!(%err, "the database is out of reach");
                AppError::Busy(
                    "The database is out of reach for a moment. Please try again shortly.".into(),
                )
            }
            err => {
                tracing::error!(%err, "a database query failed");
                AppError::Internal("This could not be done right now. Please try again.".into())
            }
        }
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use sea_orm::{ConnAcquireErr, DbErr, RuntimeErr};

    use super::AppError;

    #[test]
    fn lost_connections_are_503_and_other_query_failures_500() {
        let lost: AppError = DbErr::ConnectionAcquire(ConnAcquireErr::Timeout).into();
        assert_eq!(lost.status(), 503);
        let refused: AppError = DbErr::Conn(RuntimeErr::Internal("refused".into())).into();
        assert_eq!(refused.status(), 503);
        let failed: AppError = DbErr::Query(RuntimeErr::Internal("no such table".into())).into();
        assert_eq!(failed.status(), 500);
        // The details stay in the log.
        assert!(!failed.to_string().contains("no such table"));
    }
}
