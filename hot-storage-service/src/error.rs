//! The one error type of both services and its JSON shape
//! `{ "error": { "code", "message" } }`.
//!
//! Messages are fixed strings or describe the client's own input; internal
//! causes are logged with `tracing` and never sent to the client.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Every failure a handler or middleware can answer with.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Malformed JSON, wrong types, unknown fields, bad ids (400).
    #[error("{0}")]
    BadRequest(String),
    /// Valid JSON of the wrong shape (422) or wrong content type (415).
    #[error("{1}")]
    BadRequestStatus(StatusCode, String),
    #[error("request body too large")]
    PayloadTooLarge,
    /// No credentials of a scheme this service takes (401 `AUTH_REQUIRED`,
    /// as [`AppError::AuthRequired`]; its challenge names no error).
    #[error("no credentials")]
    NoCredentials,
    /// Credentials that do not hold: a token refused (401 `AUTH_REQUIRED`).
    #[error("authentication required")]
    AuthRequired,
    #[error("authentication expired")]
    AuthExpired,
    /// A DPoP proof was needed and this one does not hold (crate::dpop).
    #[error("invalid DPoP proof")]
    DpopInvalid,
    /// An act that cannot be undone without a valid signature by the
    /// wallet's authority key (403; crate::authority). The reason is a
    /// fixed sentence, safe to send.
    #[error("authority required: {0}")]
    AuthorityRequired(&'static str),
    /// The operator's policy refuses the signature a share was asked for
    /// (403 `POLICY_DENIED`; crate::hot::policy). The reason names the rule
    /// and is safe to send.
    #[error("policy denied: {0}")]
    PolicyDenied(String),
    /// The policy's decision needs the user's yes on the consent screen
    /// and the request says none was shown (409 `POLICY_CHANGED`;
    /// crate::hot::policy_batch). The reason names the rule and is safe
    /// to send.
    #[error("policy changed: {0}")]
    PolicyChanged(String),
    #[error("no wallet")]
    NoWallet,
    #[error("share unavailable")]
    ShareUnavailable,
    #[error("wallet exists")]
    WalletExists,
    /// An authority key is registered already (409 `AUTHORITY_EXISTS`).
    #[error("authority exists")]
    AuthorityExists,
    #[error("device exists")]
    DeviceExists,
    /// The wallet has `max` live devices already (docs/api.md).
    #[error("device limit")]
    DeviceLimit { max: u32 },
    #[error("version conflict")]
    VersionConflict,
    /// User rules whose version is not above the stored one (409
    /// `VERSION_CONFLICT`; crate::hot::policy_routes).
    #[error("user rules version conflict")]
    RulesVersionConflict,
    #[error("rate limited")]
    RateLimited { retry_after_secs: u64 },
    #[error("timeout")]
    Timeout,
    #[error("unavailable")]
    Unavailable,
    #[error("not found")]
    NotFound,
    #[error("method not allowed")]
    MethodNotAllowed,
    /// Anything else: logged, answered as 500 INTERNAL.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        AppError::Internal(anyhow::Error::new(e).context("database"))
    }
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::BadRequestStatus(s, _) => *s,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::NoCredentials
            | AppError::AuthRequired
            | AppError::AuthExpired
            | AppError::DpopInvalid => StatusCode::UNAUTHORIZED,
            AppError::AuthorityRequired(_) | AppError::PolicyDenied(_) => StatusCode::FORBIDDEN,
            AppError::NoWallet | AppError::ShareUnavailable | AppError::NotFound => {
                StatusCode::NOT_FOUND
            }
            AppError::WalletExists
            | AppError::AuthorityExists
            | AppError::DeviceExists
            | AppError::DeviceLimit { .. }
            | AppError::PolicyChanged(_)
            | AppError::VersionConflict
            | AppError::RulesVersionConflict => StatusCode::CONFLICT,
            AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Timeout | AppError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            AppError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            AppError::BadRequest(_) | AppError::BadRequestStatus(..) => ErrorCode::BadRequest,
            AppError::PayloadTooLarge => ErrorCode::PayloadTooLarge,
            AppError::NoCredentials | AppError::AuthRequired => ErrorCode::AuthRequired,
            AppError::AuthExpired => ErrorCode::AuthExpired,
            AppError::DpopInvalid => ErrorCode::DpopInvalid,
            AppError::AuthorityRequired(_) => ErrorCode::AuthorityRequired,
            AppError::PolicyDenied(_) => ErrorCode::PolicyDenied,
            AppError::PolicyChanged(_) => ErrorCode::PolicyChanged,
            AppError::NoWallet => ErrorCode::NoWallet,
            AppError::ShareUnavailable => ErrorCode::ShareUnavailable,
            AppError::WalletExists => ErrorCode::WalletExists,
            AppError::AuthorityExists => ErrorCode::AuthorityExists,
            AppError::DeviceExists => ErrorCode::DeviceExists,
            AppError::DeviceLimit { .. } => ErrorCode::DeviceLimit,
            AppError::VersionConflict | AppError::RulesVersionConflict => {
                ErrorCode::VersionConflict
            }
            AppError::RateLimited { .. } => ErrorCode::RateLimited,
            AppError::Timeout => ErrorCode::Timeout,
            AppError::Unavailable => ErrorCode::Unavailable,
            AppError::NotFound => ErrorCode::NotFound,
            AppError::MethodNotAllowed => ErrorCode::BadRequest,
            AppError::Internal(_) => ErrorCode::Internal,
        }
    }

    /// The `WWW-Authenticate` challenge of a 401 (RFC 9449 §7.1): the DPoP
    /// scheme with the proof algorithm crate::dpop accepts, and the error
    /// when credentials came and were refused. The JSON body still says
    /// which, by its code.
    fn challenge(&self) -> Option<String> {
        let error = match self {
            AppError::NoCredentials => None,
            AppError::AuthRequired | AppError::AuthExpired => Some("invalid_token"),
            AppError::DpopInvalid => Some("invalid_dpop_proof"),
            _ => return None,
        };
        let algs = crate::dpop::ALG;
        Some(match error {
            Some(e) => format!(r#"DPoP error="{e}", algs="{algs}""#),
            None => format!(r#"DPoP algs="{algs}""#),
        })
    }

    fn message(&self) -> String {
        match self {
            AppError::BadRequest(m) | AppError::BadRequestStatus(_, m) => m.clone(),
            AppError::PayloadTooLarge => "request body too large".into(),
            AppError::NoCredentials | AppError::AuthRequired => {
                "a valid bearer token is required".into()
            }
            AppError::AuthExpired => "the bearer token has expired".into(),
            AppError::DpopInvalid => "a valid DPoP proof for this request is required".into(),
            AppError::AuthorityRequired(why) => {
                format!("a signature by the wallet's authority key is required: {why}")
            }
            AppError::PolicyDenied(why) => {
                format!("the operator's policy refuses this request: {why}")
            }
            AppError::PolicyChanged(why) => format!(
                "the policy now needs the user's approval on the screen for this request: {why}"
            ),
            AppError::NoWallet => "no wallet for this user".into(),
            AppError::ShareUnavailable => "no share at that device, version or split".into(),
            AppError::WalletExists => "this user already has a wallet".into(),
            AppError::AuthorityExists => "this wallet's authority key is registered already".into(),
            AppError::DeviceExists => "device already registered".into(),
            AppError::DeviceLimit { max } => {
                format!("this wallet already has {max} devices, the most allowed; revoke one first")
            }
            AppError::VersionConflict => "the share version changed; refresh refused".into(),
            AppError::RulesVersionConflict => {
                "user rules of this version or a newer one are stored already".into()
            }
            AppError::RateLimited { .. } => "too many requests".into(),
            AppError::Timeout => "the request took too long".into(),
            AppError::Unavailable => "the service is overloaded or shutting down".into(),
            AppError::NotFound => "no such route".into(),
            AppError::MethodNotAllowed => "method not allowed on this route".into(),
            AppError::Internal(_) => "internal error".into(),
        }
    }
}

/// Every error answer: `{ "error": { "code", "message" } }` (the wire
/// crate's [`ErrorBody`]).
pub use keyframe_wire::error::{ErrorBody, ErrorCode, ErrorDetail};

/// Builds the JSON error body for a status/code/message triple.
pub fn error_response(status: StatusCode, code: ErrorCode, message: &str) -> Response {
    let body = ErrorBody {
        error: ErrorDetail {
            code,
            message: message.to_owned(),
        },
    };
    (status, axum::Json(body)).into_response()
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let AppError::Internal(e) = &self {
            // `{:#}` prints the context chain; nothing in it carries share
            // bytes, tokens or ciphertext (seal errors are opaque).
            tracing::error!(error = format!("{e:#}"), "internal error");
        }
        let mut resp = error_response(self.status(), self.code(), &self.message());
        if let Some(v) = self
            .challenge()
            .and_then(|c| HeaderValue::from_str(&c).ok())
        {
            resp.headers_mut().insert(header::WWW_AUTHENTICATE, v);
        }
        if let AppError::RateLimited { retry_after_secs } = self
            && let Ok(v) = HeaderValue::from_str(&retry_after_secs.max(1).to_string())
        {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
        resp
    }
}

pub type AppResult<T> = Result<T, AppError>;
