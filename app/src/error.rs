//! The one error type of MixTape's server functions and pages.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// An error a server function returns to the page that called it.
///
/// The message is written for the person using the site; details meant for
/// operators go to the server log instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// Something failed on the server; the message is safe to show.
    #[error("{0}")]
    Internal(String),
    /// The request did not reach the server or its answer could not be read.
    #[error("could not reach the server: {0}")]
    Transport(String),
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::Transport(value.to_string())
    }
}
