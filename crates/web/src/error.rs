//! Errors with two audiences: a stable code and a translated message for the user, the cause
//! chain for the log. Nothing internal ever reaches a response body.

use crate::codes::ErrorCode;
use poem::error::ResponseError;
use poem::http::StatusCode;

/// An error a handler returns.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The thing asked for does not exist (or is not the asker's to see).
    #[error("not found")]
    NotFound,
    /// The request is malformed in a way no form field explains.
    #[error("bad request")]
    BadRequest,
    /// The body is larger than the limit; it was not read.
    #[error("payload too large")]
    PayloadTooLarge,
    /// Too many requests from this client; it has to wait.
    #[error("too many requests")]
    TooManyRequests,
    /// A form came without its CSRF token (or with another's): it is not processed.
    #[error("forbidden")]
    Forbidden,
    /// Something failed inside; the cause goes to the log only.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl AppError {
    /// Wraps an internal cause.
    pub fn internal(cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        AppError::Internal(cause.into())
    }

    /// The stable code the user and API clients see.
    pub fn code(&self) -> &'static str {
        ErrorCode::of_status(self.status()).as_str()
    }
}

impl ResponseError for AppError {
    fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::BadRequest => StatusCode::BAD_REQUEST,
            AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<parkportal_domain::StoreError> for AppError {
    fn from(e: parkportal_domain::StoreError) -> Self {
        AppError::internal(e)
    }
}

/// The stable code of an HTTP status, for error pages and JSON error bodies.
pub fn code_of(status: StatusCode) -> &'static str {
    ErrorCode::of_status(status).as_str()
}

/// The whole cause chain of an error, for the log.
pub fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// A refusal of the JSON API: a status, a stable code and a message in the caller's language,
/// answered as `{"error": {"code": ..., "message": ...}}`. The site layer passes it through as is.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}", code.as_str())]
pub struct ApiFailure {
    /// The HTTP status.
    pub status: StatusCode,
    /// The stable code.
    pub code: ErrorCode,
    /// The translated message.
    pub message: String,
    /// More fields of the error object (the alternatives of a refused session, say).
    pub extra: Option<serde_json::Map<String, serde_json::Value>>,
}

impl ApiFailure {
    /// A failure with a code and message only.
    pub fn new(status: StatusCode, code: ErrorCode, message: String) -> Self {
        Self {
            status,
            code,
            message,
            extra: None,
        }
    }

    /// The JSON body.
    pub fn body(&self, request_id: &str) -> serde_json::Value {
        let mut error = serde_json::Map::new();
        error.insert("code".into(), self.code.as_str().into());
        error.insert("message".into(), self.message.clone().into());
        error.insert("request_id".into(), request_id.into());
        if let Some(extra) = &self.extra {
            error.extend(extra.clone());
        }
        serde_json::json!({ "error": error })
    }
}

impl ResponseError for ApiFailure {
    fn status(&self) -> StatusCode {
        self.status
    }

    fn as_response(&self) -> poem::Response {
        poem::Response::builder()
            .status(self.status)
            .content_type("application/json")
            .body(self.body("").to_string())
    }
}
