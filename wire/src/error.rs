//! The services' error answers: `{ "error": { "code", "message" } }` with a
//! stable code (docs/api.md lists them).

use serde::{Deserialize, Serialize};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// A stable error code of hot storage and Shield.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[non_exhaustive]
pub enum ErrorCode {
    BadRequest,
    PayloadTooLarge,
    AuthRequired,
    AuthExpired,
    /// The DPoP proof is missing, malformed, for another request, stale,
    /// replayed, or by another key than the token is bound to (RFC 9449).
    DpopInvalid,
    /// An act that cannot be undone without a valid signature by the
    /// wallet's authority key (docs/api.md, "Wallet authority"): 403.
    AuthorityRequired,
    /// The wallet has an authority key registered already (409).
    AuthorityExists,
    NoWallet,
    ShareUnavailable,
    /// The operator's policy refuses the signature the share was asked
    /// for (docs/policy.md): 403, the share is not released.
    PolicyDenied,
    /// The policy's decision at hot storage needs the user's yes on the
    /// consent screen (`ask`, or `approve` without `silent`) and the
    /// request says none was shown: the iFrame judged with older usage.
    /// 409, nothing released, counted or logged; the iFrame shows the
    /// screen and asks again (docs/policy.md, "Enforced twice").
    PolicyChanged,
    WalletExists,
    DeviceExists,
    /// The wallet already has the most devices hot storage allows.
    DeviceLimit,
    VersionConflict,
    RateLimited,
    Timeout,
    Unavailable,
    NotFound,
    Internal,
}

impl ErrorCode {
    /// The wire form, e.g. `"VERSION_CONFLICT"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "BAD_REQUEST",
            ErrorCode::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            ErrorCode::AuthRequired => "AUTH_REQUIRED",
            ErrorCode::AuthExpired => "AUTH_EXPIRED",
            ErrorCode::DpopInvalid => "DPOP_INVALID",
            ErrorCode::AuthorityRequired => "AUTHORITY_REQUIRED",
            ErrorCode::AuthorityExists => "AUTHORITY_EXISTS",
            ErrorCode::NoWallet => "NO_WALLET",
            ErrorCode::ShareUnavailable => "SHARE_UNAVAILABLE",
            ErrorCode::PolicyDenied => "POLICY_DENIED",
            ErrorCode::PolicyChanged => "POLICY_CHANGED",
            ErrorCode::WalletExists => "WALLET_EXISTS",
            ErrorCode::DeviceExists => "DEVICE_EXISTS",
            ErrorCode::DeviceLimit => "DEVICE_LIMIT",
            ErrorCode::VersionConflict => "VERSION_CONFLICT",
            ErrorCode::RateLimited => "RATE_LIMITED",
            ErrorCode::Timeout => "TIMEOUT",
            ErrorCode::Unavailable => "UNAVAILABLE",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::Internal => "INTERNAL",
        }
    }
}

/// The inside of an error answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ErrorDetail {
    /// A stable code.
    pub code: ErrorCode,
    /// A sentence for people; never parsed.
    pub message: String,
}

/// Every error answer: `{ "error": { "code", "message" } }`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_serialise_as_their_wire_form() {
        for code in [
            ErrorCode::BadRequest,
            ErrorCode::VersionConflict,
            ErrorCode::DeviceLimit,
            ErrorCode::AuthorityRequired,
            ErrorCode::PolicyDenied,
            ErrorCode::PolicyChanged,
            ErrorCode::Internal,
        ] {
            assert_eq!(
                serde_json::to_value(code).expect("serialise"),
                serde_json::json!(code.as_str())
            );
        }
    }
}
