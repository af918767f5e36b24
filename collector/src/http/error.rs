//! The one error type of the HTTP layer. Every status is chosen in one `match`;
//! 4xx bodies carry a stable code and a human message, 5xx bodies are generic and the
//! detail goes to the log.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::ingest::IngestError;
use crate::reports::QueryError;
use crate::writer::SubmitError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Ingest(#[from] IngestError),
    #[error(transparent)]
    Query(#[from] QueryError),
    #[error("site `{0}` does not exist")]
    UnknownSite(String),
    #[error("the body is larger than {0} bytes")]
    BodyTooLarge(usize),
    /// The media types the endpoint takes.
    #[error("send the body as {0}")]
    UnsupportedMediaType(&'static str),
    #[error("send the batch uncompressed (no Content-Encoding)")]
    UnsupportedEncoding,
    #[error("too many requests; retry after {} s", retry_after_secs(*.0))]
    RateLimited(std::time::Duration),
    #[error("this API needs `Authorization: Bearer <admin token>`")]
    Unauthorized,
    #[error("sign in first, or send `Authorization: Bearer <API token>` (`spur token create`)")]
    SignInRequired,
    #[error("wrong email or password")]
    InvalidCredentials,
    #[error("this request must come from the collector's own pages")]
    CrossSite,
    #[error("{0}")]
    BadRequest(String),
    #[error("this API is off: start the collector with --admin-token to use it")]
    AdminApiOff,
    #[error(transparent)]
    Who(#[from] crate::privacy::WhoError),
    #[error(transparent)]
    Submit(#[from] SubmitError),
    #[error("no such resource")]
    NotFound,
    #[error("this endpoint does not take that method; the `Allow` header lists those it takes")]
    MethodNotAllowed,
    #[error("the request was not answered within {} s; send it again", .0.as_secs())]
    RequestTimeout(std::time::Duration),
    #[error("the tracker bundle has not been built; run tracker-wasm/build.sh")]
    TrackerNotBuilt,
    /// Why the collector cannot take events now (`/readyz`).
    #[error("not ready: {0}; the collector's log says more")]
    NotReady(&'static str),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// Every error answer: a stable code for programs and a message for people.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Body<'a> {
    error: Detail<'a>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Detail<'a> {
    /// Stable and machine-readable, e.g. `invalid_event`.
    code: &'a str,
    /// For people: what was wrong and how to fix it.
    message: String,
}

impl ApiError {
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        use IngestError as I;
        match self {
            ApiError::Ingest(e @ (I::Malformed(_) | I::UnsupportedVersion(_))) => {
                (StatusCode::BAD_REQUEST, e.code())
            }
            ApiError::Ingest(e @ I::OriginNotAllowed(_)) => (StatusCode::FORBIDDEN, e.code()),
            ApiError::Ingest(e) => (StatusCode::UNPROCESSABLE_ENTITY, e.code()),
            ApiError::Query(_) => (StatusCode::BAD_REQUEST, "invalid_query"),
            ApiError::UnknownSite(_) => (StatusCode::NOT_FOUND, "unknown_site"),
            ApiError::BodyTooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "body_too_large"),
            ApiError::UnsupportedMediaType(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            ApiError::UnsupportedEncoding => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_encoding")
            }
            ApiError::RateLimited(_) => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            ApiError::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ApiError::SignInRequired => (StatusCode::UNAUTHORIZED, "sign_in_required"),
            ApiError::InvalidCredentials => (StatusCode::UNAUTHORIZED, "invalid_credentials"),
            ApiError::CrossSite => (StatusCode::FORBIDDEN, "cross_site_request"),
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "invalid_request"),
            ApiError::AdminApiOff => (StatusCode::FORBIDDEN, "admin_api_off"),
            ApiError::Who(_) => (StatusCode::BAD_REQUEST, "invalid_query"),
            ApiError::Submit(SubmitError::Full) => (StatusCode::SERVICE_UNAVAILABLE, "queue_full"),
            ApiError::Submit(SubmitError::Closed) => {
                (StatusCode::SERVICE_UNAVAILABLE, "shutting_down")
            }
            ApiError::Submit(SubmitError::StoreFailed) => {
                (StatusCode::INTERNAL_SERVER_ERROR, "internal")
            }
            ApiError::NotFound => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            ApiError::RequestTimeout(_) => (StatusCode::REQUEST_TIMEOUT, "request_timeout"),
            ApiError::TrackerNotBuilt => (StatusCode::SERVICE_UNAVAILABLE, "tracker_not_built"),
            ApiError::NotReady(_) => (StatusCode::SERVICE_UNAVAILABLE, "not_ready"),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl ApiError {
    /// The stable machine-readable code of this error.
    pub fn code(&self) -> &'static str {
        self.status_and_code().1
    }
}

/// Whole seconds to wait, at least one (`Retry-After` has no fractions).
fn retry_after_secs(wait: std::time::Duration) -> u64 {
    u64::try_from(wait.as_millis().div_ceil(1000))
        .unwrap_or(u64::MAX)
        .max(1)
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let message = if status.is_server_error() && status != StatusCode::SERVICE_UNAVAILABLE {
            tracing::error!(error = format!("{self:#}"), "Request failed.");
            "internal error; the details are in the collector's log".to_owned()
        } else {
            self.to_string()
        };
        let mut response = (
            status,
            Json(Body {
                error: Detail { code, message },
            }),
        )
            .into_response();
        let retry_after = match &self {
            // The queue drains in milliseconds; a shutdown takes longer.
            ApiError::Submit(SubmitError::Full) => Some(1),
            ApiError::Submit(SubmitError::Closed) => Some(5),
            ApiError::RateLimited(wait) => Some(retry_after_secs(*wait)),
            _ => None,
        };
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if matches!(self, ApiError::Unauthorized) {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"spur\""),
            );
        }
        response
    }
}
