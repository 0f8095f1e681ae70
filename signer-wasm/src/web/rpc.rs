//! JSON-RPC 2.0 framing and the error vocabulary of the iFrame protocol
//! (DESIGN.md §4): EIP-1193 / JSON-RPC codes plus a closed list of reasons.

use serde::Serialize;
use serde_json::{Value, json};

use super::services::ServiceError;
use crate::Error;

/// A request that passed the schema gate.
pub struct Request {
    pub id: Value,
    pub method: String,
    pub params: Value,
}

/// Parses one message from the port. `Err(Some(id))` is a malformed request
/// that still deserves an answer; `Err(None)` is noise to ignore.
pub fn parse(text: &str) -> Result<Request, Option<Value>> {
    let value: Value = serde_json::from_str(text).map_err(|_| None)?;
    let obj = value.as_object().ok_or(None)?;
    let id = obj.get("id").cloned().ok_or(None)?;
    if !(id.is_string() || id.is_u64() || id.is_i64()) {
        return Err(None);
    }
    if obj.get("jsonrpc") != Some(&json!("2.0")) {
        return Err(Some(id));
    }
    let method = obj
        .get("method")
        .and_then(Value::as_str)
        .ok_or_else(|| Some(id.clone()))?;
    let params = obj.get("params").cloned().unwrap_or(Value::Null);
    if !(params.is_null() || params.is_array() || params.is_object()) {
        return Err(Some(id));
    }
    Ok(Request {
        id,
        method: method.to_owned(),
        params,
    })
}

/// The reasons a caller can branch on (DESIGN.md §4), closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Reason {
    AuthRequired,
    AuthExpired,
    NoWallet,
    RecoveryRequired,
    WrongPassword,
    ShareUnavailable,
    ShareMismatch,
    PolicyDenied,
    RateLimited,
    StorageUnavailable,
    Timeout,
    BadRequest,
}

// `PolicyDenied` is part of the closed vocabulary hosts branch on; no
// policy engine produces it yet.
const _: Reason = Reason::PolicyDenied;

pub const UNAUTHORIZED: i64 = 4100;
pub const UNSUPPORTED_METHOD: i64 = 4200;
pub const INVALID_REQUEST: i64 = -32600;
pub const INVALID_PARAMS: i64 = -32602;
pub const INTERNAL: i64 = -32603;

#[derive(Debug)]
pub struct RpcError {
    pub code: i64,
    pub message: String,
    pub reason: Reason,
}

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
        let message = e.to_string();
        match e.reason() {
            "WRONG_PASSWORD" => RpcError::new(INVALID_PARAMS, Reason::WrongPassword, message),
            "SHARE_MISMATCH" => RpcError::new(INTERNAL, Reason::ShareMismatch, message),
            "BAD_REQUEST" => RpcError::new(INVALID_PARAMS, Reason::BadRequest, message),
            _ => RpcError::new(INTERNAL, Reason::ShareUnavailable, message),
        }
    }
}

impl From<ServiceError> for RpcError {
    fn from(e: ServiceError) -> Self {
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

pub fn result(id: &Value, result: Value) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "result": result })
}

pub fn error(id: &Value, e: &RpcError) -> Value {
    json!({
        "jsonrpc": "2.0",
        "id": id,
        "error": { "code": e.code, "message": e.message, "data": { "reason": e.reason } },
    })
}

pub fn notification(method: &str, params: Value) -> Value {
    json!({ "jsonrpc": "2.0", "method": method, "params": params })
}
