//! The error that crosses the wire from server functions to the browser.
//!
//! Internal causes are logged once on the server and reach people only as
//! [`AppError::Internal`]; mistakes a person can fix carry a message that
//! says what to fix.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// Input that breaks a rule; the text says which and how to fix it.
    #[error("{0}")]
    Invalid(String),
    /// No valid session.
    #[error("Please log in first.")]
    Unauthorized,
    /// A log-in with an unknown name or a wrong password (never says which).
    #[error("Wrong username or password.")]
    BadCredentials,
    /// Logged in, but not allowed to do this.
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    /// A unique name is already used.
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    TooLarge(String),
    /// A rate limit was hit; `retry_after_secs` says when trying again helps.
    #[error("{message}")]
    TooManyRequests {
        message: String,
        retry_after_secs: u64,
    },
    /// The server is overloaded for this kind of work right now.
    #[error("{0}")]
    Busy(String),
    /// Something failed on the server; details are in the server's log.
    #[error("Something went wrong on our side. Please try again in a moment.")]
    Internal,
    /// The request never got a proper answer (network down, server restarting).
    #[error("Could not reach the server ({0}). Check your connection and try again.")]
    Transport(String),
}

impl AppError {
    /// The code a websocket `error` event carries for this error (the one
    /// mapping between the two).
    pub fn code(&self) -> crate::model::ErrorCode {
        use crate::model::ErrorCode;
        match self {
            AppError::Invalid(_) | AppError::Conflict(_) | AppError::TooLarge(_) => {
                ErrorCode::Invalid
            }
            AppError::Unauthorized | AppError::BadCredentials | AppError::Forbidden(_) => {
                ErrorCode::Forbidden
            }
            AppError::NotFound(_) => ErrorCode::NotFound,
            AppError::TooManyRequests { .. } => ErrorCode::RateLimited,
            AppError::Busy(_) | AppError::Internal | AppError::Transport(_) => ErrorCode::Internal,
        }
    }

    /// The HTTP status this error is answered with.
    pub fn status(&self) -> u16 {
        match self {
            AppError::Invalid(_) => 400,
            AppError::Unauthorized | AppError::BadCredentials => 401,
            AppError::Forbidden(_) => 403,
            AppError::NotFound(_) => 404,
            AppError::Conflict(_) => 409,
            AppError::TooLarge(_) => 413,
            AppError::TooManyRequests { .. } => 429,
            AppError::Internal => 500,
            AppError::Busy(_) => 503,
            AppError::Transport(_) => 502,
        }
    }
}

impl From<crate::model::Invalid> for AppError {
    fn from(e: crate::model::Invalid) -> Self {
        AppError::Invalid(e.0)
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(msg) | ServerFnErrorErr::Deserialization(msg) => {
                AppError::Invalid(format!("The request was not understood: {msg}"))
            }
            ServerFnErrorErr::Request(msg) | ServerFnErrorErr::Response(msg) => {
                AppError::Transport(msg)
            }
            other => AppError::Transport(other.to_string()),
        }
    }
}
