//! The one error type every server function returns.
//!
//! A server fn returns its `AppError` as it is: the status travels with the
//! error. One response layer (`server::api::bounded_calls`) reads every
//! failed `/api/*` call back and answers it with [`AppError::status`], so no
//! server fn sets a status itself. A page rendering the same server fn keeps
//! its own status (its resources' errors are shown inline).

use leptos::prelude::{FromServerFnError, ServerFnErrorErr};
use leptos::server_fn::codec::JsonEncoding;
use serde::{Deserialize, Serialize};

/// What went wrong, phrased for the person who sees it.
///
/// Internal failures carry only a reference: the details go to the server
/// log, never to the browser.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// Bad input: names the field and why it was refused.
    #[error("{field}: {message}")]
    Validation { field: String, message: String },
    #[error("{0} was not found")]
    NotFound(String),
    /// Not signed in, or the sign-in failed; says what to do.
    #[error("{0}")]
    Unauthorized(String),
    /// Signed in, but the roles held do not allow this.
    #[error("{0}")]
    Forbidden(String),
    /// Too many attempts; says when to try again.
    #[error("{0}")]
    TooManyRequests(String),
    /// The request clashes with work in progress (a running deployment);
    /// says what holds it.
    #[error("{0}")]
    Conflict(String),
    /// A dependency (database, Docker engine) cannot be reached; says what to do.
    #[error("{0}")]
    Unavailable(String),
    #[error("internal error (reference {0}); the details are in the server log")]
    Internal(String),
    #[error("the request could not be completed: {0}")]
    ServerFn(ServerFnErrorErr),
}

impl AppError {
    /// Bad input in `field`, saying why it was refused.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::Validation {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Refuses `value` when it is longer than `max` characters, naming `field`:
/// every text a server fn takes is bounded before anything else reads it.
pub fn check_length(field: &str, value: &str, max: usize) -> Result<(), AppError> {
    if value.chars().count() <= max {
        return Ok(());
    }
    Err(AppError::invalid(
        field,
        format!("at most {max} characters"),
    ))
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::ServerFn(value)
    }
}

#[cfg(feature = "ssr")]
impl AppError {
    /// The HTTP status this error deserves (user errors are never 500): what
    /// a failed server fn call and a plain handler answer.
    pub fn status(&self) -> axum::http::StatusCode {
        use axum::http::StatusCode;
        match self {
            AppError::Validation { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::ServerFn(e) => server_fn_status(e),
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Logs `err` with a fresh reference and returns an error showing only that reference.
    pub fn internal(err: impl std::fmt::Display) -> Self {
        let reference = format!("{:x}", chrono::Utc::now().timestamp_micros());
        tracing::error!(%reference, error = %err, "internal error");
        AppError::Internal(reference)
    }
}

/// A database error nobody can act on: logged with a reference (`?` on a
/// query is enough). Errors a user can fix are mapped before, e.g. with
/// [`OnUnique::on_unique`].
#[cfg(feature = "ssr")]
impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        AppError::internal(e)
    }
}

/// Turns a unique violation into the field error a person can act on
/// (realworld's `on_constraint`): `.on_unique("name", "… already exists")?`.
#[cfg(feature = "ssr")]
pub trait OnUnique<T> {
    /// A unique violation becomes `field: message` (422); any other database
    /// error stays internal.
    fn on_unique(self, field: &str, message: impl Into<String>) -> Result<T, AppError>;
}

#[cfg(feature = "ssr")]
impl<T> OnUnique<T> for Result<T, sqlx::Error> {
    fn on_unique(self, field: &str, message: impl Into<String>) -> Result<T, AppError> {
        self.map_err(|e| match &e {
            sqlx::Error::Database(d) if d.is_unique_violation() => {
                AppError::invalid(field, message)
            }
            _ => e.into(),
        })
    }
}

/// Arguments that do not decode are the caller's fault (400), like a
/// method the function does not take (405); the rest are ours.
#[cfg(feature = "ssr")]
fn server_fn_status(e: &ServerFnErrorErr) -> axum::http::StatusCode {
    use axum::http::StatusCode;
    match e {
        ServerFnErrorErr::Args(_)
        | ServerFnErrorErr::MissingArg(_)
        | ServerFnErrorErr::Deserialization(_) => StatusCode::BAD_REQUEST,
        ServerFnErrorErr::UnsupportedRequestMethod(_) => StatusCode::METHOD_NOT_ALLOWED,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// Plain handlers (streams, downloads) answer an error as text with its
/// status, like server functions do with their JSON.
#[cfg(feature = "ssr")]
impl axum::response::IntoResponse for AppError {
    fn into_response(self) -> axum::response::Response {
        (self.status(), self.to_string()).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_error_names_the_field_and_the_reason() {
        let e = AppError::Validation {
            field: "replicas".into(),
            message: "must be between 0 and 50".into(),
        };
        assert_eq!(e.to_string(), "replicas: must be between 0 and 50");
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn arguments_that_do_not_decode_are_the_callers_fault() {
        use axum::http::StatusCode;
        let args = AppError::ServerFn(ServerFnErrorErr::Args("id: invalid digit".into()));
        assert_eq!(args.status(), StatusCode::BAD_REQUEST);
        let missing = AppError::ServerFn(ServerFnErrorErr::MissingArg("id".into()));
        assert_eq!(missing.status(), StatusCode::BAD_REQUEST);
        let ours = AppError::ServerFn(ServerFnErrorErr::Response("x".into()));
        assert_eq!(ours.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[test]
    fn a_text_over_its_limit_names_its_field() {
        assert_eq!(check_length("cron", "@daily", 6), Ok(()));
        assert_eq!(
            check_length("cron", "@hourly", 6),
            Err(AppError::Validation {
                field: "cron".into(),
                message: "at most 6 characters".into()
            })
        );
    }

    #[test]
    fn error_survives_the_trip_through_the_server_fn_encoding() {
        let e = AppError::Unavailable("Docker engine is unreachable".into());
        let back = AppError::de(e.ser());
        assert_eq!(back, e);
    }
}
