//! The errors a flow answers with: an EIP-1193 / JSON-RPC code, a message
//! for people, and a [`Reason`] from the closed list (docs/api.md).

use super::types::ServiceError;
use crate::{Error, Reason};

pub const USER_REJECTED: i64 = 4001;
pub const UNAUTHORIZED: i64 = 4100;
pub const UNSUPPORTED_METHOD: i64 = 4200;
/// EIP-3326: the chain is not one the wallet knows.
pub const UNRECOGNIZED_CHAIN: i64 = 4902;
pub const INVALID_REQUEST: i64 = -32600;
pub const INVALID_PARAMS: i64 = -32602;
pub const INTERNAL: i64 = -32603;

/// An error answer of the iFrame protocol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpcError {
    pub code: i64,
    pub message: String,
    pub reason: Reason,
}

pub type RpcResult<T> = Result<T, RpcError>;

impl RpcError {
    pub fn new(code: i64, reason: Reason, message: impl Into<String>) -> Self {
        RpcError {
            code,
            message: message.into(),
            reason,
        }
    }
    pub fn bad_params(message: impl Into<String>) -> Self {
        RpcError::new(INVALID_PARAMS, Reason::BadRequest, message)
    }
    pub fn unsupported(method: &str) -> Self {
        RpcError::new(
            UNSUPPORTED_METHOD,
            Reason::BadRequest,
            format!("unsupported method {method}"),
        )
    }
    pub fn auth_required() -> Self {
        RpcError::new(
            UNAUTHORIZED,
            Reason::AuthRequired,
            "call keyframe_setAuth with the user's token first",
        )
    }
    pub fn no_wallet() -> Self {
        RpcError::new(
            UNAUTHORIZED,
            Reason::NoWallet,
            "this user has no wallet yet",
        )
    }
    pub fn recovery_required() -> Self {
        RpcError::new(
            UNAUTHORIZED,
            Reason::RecoveryRequired,
            "this device holds no share: recover the wallet first",
        )
    }
    /// The user rejected the request on the approval screen.
    pub fn user_rejected() -> Self {
        RpcError::new(
            USER_REJECTED,
            Reason::UserRejected,
            "the user rejected the request",
        )
    }
    /// `chain` is not in the provider's chain list (docs/api.md,
    /// `wallet_switchEthereumChain`).
    pub fn unsupported_chain(chain: u64) -> Self {
        RpcError::new(
            UNRECOGNIZED_CHAIN,
            Reason::UnsupportedChain,
            format!("chain 0x{chain:x} is not in the provider's chain list"),
        )
    }
    /// The host abandoned the request before the user decided (it timed
    /// out at the SDK, or the port closed); the answer is for the record,
    /// nobody waits for it.
    pub fn abandoned() -> Self {
        RpcError::new(
            INTERNAL,
            Reason::Timeout,
            "the request was abandoned by the host",
        )
    }
    /// The policy refused the request (docs/policy.md): nothing was
    /// signed; `why` names the rule or the webhook's answer.
    pub fn policy_denied(why: impl Into<String>) -> Self {
        RpcError::new(UNAUTHORIZED, Reason::PolicyDenied, why)
    }
    pub fn storage() -> Self {
        RpcError::new(
            INTERNAL,
            Reason::StorageUnavailable,
            "browser storage failed",
        )
    }
}

impl From<Error> for RpcError {
    fn from(e: Error) -> Self {
        let reason = e.reason();
        let code = match reason {
            Reason::WrongPassword | Reason::BadRequest => INVALID_PARAMS,
            _ => INTERNAL,
        };
        RpcError::new(code, reason, e.to_string())
    }
}

impl From<ServiceError> for RpcError {
    fn from(e: ServiceError) -> Self {
        if let ServiceError::Denied(why) = e {
            return RpcError::policy_denied(format!("refused by the policy: {why}"));
        }
        let (code, reason, message) = match e.code() {
            "AUTH_REQUIRED" => (
                UNAUTHORIZED,
                Reason::AuthRequired,
                "the session token was refused",
            ),
            "AUTH_EXPIRED" => (
                UNAUTHORIZED,
                Reason::AuthExpired,
                "the session token has expired",
            ),
            // The token is bound to another key than this iFrame's (a new
            // device, or storage lost): the host asks the dApp for tokens
            // bound to keyframe_status.dpopJkt.
            "DPOP_INVALID" => (
                UNAUTHORIZED,
                Reason::AuthRequired,
                "the service refused this iFrame's proof of its token key",
            ),
            // The service holds an authority key that is not this wallet's
            // (registered first by a token holder, docs/api.md "Wallet
            // authority"): retrying cannot help.
            "AUTHORITY_REQUIRED" => (
                INTERNAL,
                Reason::AuthorityRequired,
                "a share service refused this wallet's authority signature",
            ),
            "NO_WALLET" => (
                UNAUTHORIZED,
                Reason::NoWallet,
                "this user has no wallet yet",
            ),
            "RATE_LIMITED" => (
                INTERNAL,
                Reason::RateLimited,
                "too many requests; try again shortly",
            ),
            "TIMEOUT" => (INTERNAL, Reason::Timeout, "the share service timed out"),
            "BAD_REQUEST" | "PAYLOAD_TOO_LARGE" => (
                INVALID_PARAMS,
                Reason::BadRequest,
                "the share service refused the request",
            ),
            // Hot storage's device cap (docs/api.md): the user must revoke a
            // device first; retrying cannot help, so it is not UNAVAILABLE.
            "DEVICE_LIMIT" => (
                INVALID_PARAMS,
                Reason::BadRequest,
                "this wallet has the most devices allowed; revoke one first",
            ),
            "WALLET_EXISTS" => (
                INVALID_PARAMS,
                Reason::BadRequest,
                "this user already has a wallet",
            ),
            _ => (
                INTERNAL,
                Reason::ShareUnavailable,
                "a share service is unavailable",
            ),
        };
        RpcError::new(code, reason, message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hot storage's device cap is the user's to resolve (revoke a device),
    /// not an outage: BAD_REQUEST with invalid params, not SHARE_UNAVAILABLE.
    #[test]
    fn device_limit_is_a_bad_request() {
        let e = RpcError::from(ServiceError::Api {
            status: 409,
            code: "DEVICE_LIMIT".into(),
        });
        assert_eq!((e.code, e.reason), (INVALID_PARAMS, Reason::BadRequest));
        assert!(e.message.contains("revoke"), "{}", e.message);
    }

    /// A refused authority signature keeps its own reason, not an outage.
    #[test]
    fn authority_required_keeps_its_reason() {
        let e = RpcError::from(ServiceError::Api {
            status: 403,
            code: "AUTHORITY_REQUIRED".into(),
        });
        assert_eq!((e.code, e.reason), (INTERNAL, Reason::AuthorityRequired));
    }
}
