//! The one error type of the API and the JSON error body
//! `{ "error": { "code", "message" } }`.

use std::borrow::Cow;

use axum::{
    Json,
    body::Body,
    extract::rejection::JsonRejection,
    http::{HeaderValue, Response, StatusCode, header},
    response::IntoResponse,
};
use serde_json::json;

/// Every way a request can fail. `message`s are for people and never carry
/// internals; [`AppError::Internal`] details go to the log only.
#[derive(Debug)]
pub enum AppError {
    /// 400: malformed JSON, wrong types, unknown fields, invalid values.
    BadRequest(Cow<'static, str>),
    /// 415: the body is not `application/json`.
    UnsupportedMediaType,
    /// 413: the body is over the limit.
    PayloadTooLarge,
    /// 409: the username is taken (case-insensitively).
    UsernameTaken,
    /// 401: unknown user or wrong password (indistinguishable on purpose).
    InvalidCredentials,
    /// 401: missing, malformed, forged or wrongly-addressed JWT.
    AuthRequired(&'static str),
    /// 401: the JWT has expired.
    AuthExpired,
    /// 401: the session's absolute lifetime (`--max-session-seconds` from
    /// the password login, the token's `auth_time`) is over: no refresh can
    /// extend it; the user must log in again.
    SessionExpired,
    /// 429: too many requests; retry after this many seconds.
    RateLimited { retry_after_secs: u64 },
    /// 400: a JSON-RPC method the proxy does not forward.
    MethodNotAllowed(String),
    /// 503: the Ethereum node cannot be reached.
    RpcUnavailable,
    /// 502: the Ethereum node answered with an error or garbage.
    RpcError,
    /// 404: no such route or file.
    NotFound,
    /// 500: anything else; the detail is logged, never sent.
    Internal(String),
}

impl AppError {
    /// Logs `err` and returns an opaque 500.
    pub fn internal(err: impl std::fmt::Display) -> Self {
        Self::Internal(err.to_string())
    }

    pub fn bad_request(message: impl Into<Cow<'static, str>>) -> Self {
        Self::BadRequest(message.into())
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) | Self::MethodNotAllowed(_) => StatusCode::BAD_REQUEST,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UsernameTaken => StatusCode::CONFLICT,
            Self::InvalidCredentials
            | Self::AuthRequired(_)
            | Self::AuthExpired
            | Self::SessionExpired => StatusCode::UNAUTHORIZED,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::RpcUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::RpcError => StatusCode::BAD_GATEWAY,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest(_) | Self::UnsupportedMediaType => "BAD_REQUEST",
            Self::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            Self::UsernameTaken => "USERNAME_TAKEN",
            Self::InvalidCredentials => "INVALID_CREDENTIALS",
            Self::AuthRequired(_) => "AUTH_REQUIRED",
            Self::AuthExpired => "AUTH_EXPIRED",
            Self::SessionExpired => "SESSION_EXPIRED",
            Self::RateLimited { .. } => "RATE_LIMITED",
            Self::MethodNotAllowed(_) => "METHOD_NOT_ALLOWED",
            Self::RpcUnavailable => "RPC_UNAVAILABLE",
            Self::RpcError => "RPC_ERROR",
            Self::NotFound => "NOT_FOUND",
            Self::Internal(_) => "INTERNAL",
        }
    }

    pub fn message(&self) -> Cow<'static, str> {
        match self {
            Self::BadRequest(m) => m.clone(),
            Self::UnsupportedMediaType => {
                "expected a body with Content-Type: application/json".into()
            }
            Self::PayloadTooLarge => "request body is too large".into(),
            Self::UsernameTaken => "that username is already taken".into(),
            Self::InvalidCredentials => "wrong username or password".into(),
            Self::AuthRequired(why) => Cow::Borrowed(why),
            Self::AuthExpired => "the token has expired; log in again".into(),
            Self::SessionExpired => {
                "the session has reached its maximum lifetime; log in again".into()
            }
            Self::RateLimited { retry_after_secs } => {
                format!("too many requests; retry in {retry_after_secs} s").into()
            }
            Self::MethodNotAllowed(method) => {
                // The method name is echoed only if it looks like one.
                if method.len() <= 64
                    && method
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_')
                {
                    format!("JSON-RPC method {method} is not allowed through this proxy").into()
                } else {
                    "JSON-RPC method not allowed through this proxy".into()
                }
            }
            Self::RpcUnavailable => "the Ethereum node is unreachable".into(),
            Self::RpcError => "the Ethereum node refused the request".into(),
            Self::NotFound => "no such resource".into(),
            Self::Internal(_) => "internal error".into(),
        }
    }
}

/// The JSON error body of `status` with `code` and `message`.
pub fn error_body(code: &str, message: &str) -> serde_json::Value {
    json!({ "error": { "code": code, "message": message } })
}

impl IntoResponse for AppError {
    fn into_response(self) -> axum::response::Response {
        if let Self::Internal(detail) = &self {
            tracing::error!(error = %detail, "internal error");
        }
        let status = self.status();
        let mut response = (status, Json(error_body(self.code(), &self.message()))).into_response();
        let headers = response.headers_mut();
        match &self {
            Self::RateLimited { retry_after_secs } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
            }
            Self::AuthRequired(_) => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            Self::AuthExpired | Self::SessionExpired => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static(r#"Bearer error="invalid_token""#),
                );
            }
            _ => {}
        }
        response
    }
}

impl From<JsonRejection> for AppError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::MissingJsonContentType(_) => Self::UnsupportedMediaType,
            JsonRejection::JsonSyntaxError(_) => {
                Self::bad_request("request body is not valid JSON")
            }
            JsonRejection::JsonDataError(_) => Self::bad_request(
                "request body has unknown or missing fields, or a field of the wrong type",
            ),
            other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => Self::PayloadTooLarge,
            _ => Self::bad_request("could not read the request body"),
        }
    }
}

impl From<sqlx::Error> for AppError {
    fn from(err: sqlx::Error) -> Self {
        Self::internal(format_args!("database: {err}"))
    }
}

/// Middleware (outermost): gives every error response that is not JSON yet
/// (404 from the static files, 405, 413 from the body limit, 503 from the
/// timeout, …) the JSON error body, so axum's and tower's plain-text bodies
/// never reach a client.
pub async fn json_error_bodies<B>(response: Response<B>) -> Response<Body>
where
    B: http_body::Body<Data = axum::body::Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    let response = response.map(Body::new);
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return response;
    }
    let (code, message) = match status {
        StatusCode::NOT_FOUND => ("NOT_FOUND", "no such resource"),
        StatusCode::METHOD_NOT_ALLOWED => {
            ("METHOD_NOT_ALLOWED", "method not allowed on this route")
        }
        StatusCode::PAYLOAD_TOO_LARGE => ("PAYLOAD_TOO_LARGE", "request body is too large"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            "BAD_REQUEST",
            "expected a body with Content-Type: application/json",
        ),
        StatusCode::SERVICE_UNAVAILABLE => ("TIMEOUT", "the request took too long"),
        StatusCode::REQUEST_TIMEOUT => ("TIMEOUT", "the request took too long"),
        s if s.is_client_error() => ("BAD_REQUEST", "bad request"),
        _ => ("INTERNAL", "internal error"),
    };
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    let body = error_body(code, message).to_string();
    Response::from_parts(parts, Body::from(body))
}
