//! Reading `params` of a request: fields, positional arrays, base64 and the
//! recovery method, each refused with a clear `BAD_REQUEST`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::Value;
use zeroize::Zeroizing;

use crate::flows::{Recovery, RpcError, RpcResult};
use crate::recovery::RecoveryKey;

pub fn field<'a>(params: &'a Value, name: &str) -> RpcResult<&'a Value> {
    params
        .get(name)
        .ok_or_else(|| RpcError::bad_params(format!("missing params.{name}")))
}

pub fn str_field<'a>(params: &'a Value, name: &str) -> RpcResult<&'a str> {
    field(params, name)?
        .as_str()
        .ok_or_else(|| RpcError::bad_params(format!("params.{name} must be a string")))
}

/// `params` as a positional array of exactly `n` items (EIP-1193 methods).
pub fn positional(params: &Value, n: usize) -> RpcResult<&Vec<Value>> {
    match params.as_array() {
        Some(items) if items.len() == n => Ok(items),
        _ => Err(RpcError::bad_params(format!(
            "params must be an array of {n}"
        ))),
    }
}

/// The first object in an array, or the object itself (wallets send both).
pub fn object_param(params: &Value) -> RpcResult<&Value> {
    let value = match params {
        Value::Array(items) if items.len() == 1 => &items[0],
        other => other,
    };
    if value.is_object() {
        Ok(value)
    } else {
        Err(RpcError::bad_params("params must be an object"))
    }
}

pub fn decode_b64(value: &str, what: &str) -> RpcResult<Vec<u8>> {
    B64.decode(value)
        .map_err(|_| RpcError::bad_params(format!("{what} must be base64")))
}

/// How the cold share is protected, from `params.recovery`.
pub fn recovery_param(params: &Value) -> RpcResult<Recovery> {
    recovery_at(params, "recovery")
}

/// `params.current` of `keyframe_setRecovery`: the current method's secret,
/// the proof that the caller may change it.
pub fn current_recovery_param(params: &Value) -> RpcResult<Recovery> {
    recovery_at(params, "current")
}

fn recovery_at(params: &Value, name: &str) -> RpcResult<Recovery> {
    let recovery = field(params, name)?;
    match recovery.get("method").and_then(Value::as_str) {
        Some("password") => {
            let password = str_field(recovery, "password")?;
            Ok(Recovery::Password(Zeroizing::new(password.to_owned())))
        }
        Some("automatic") => {
            let token = str_field(recovery, "token")?;
            let key = RecoveryKey::from_base64url(token).map_err(|_| {
                RpcError::bad_params(format!("{name}.token must be the 32-byte recovery key"))
            })?;
            Ok(Recovery::Automatic(key))
        }
        _ => Err(RpcError::bad_params(format!(
            "{name}.method must be \"password\" or \"automatic\""
        ))),
    }
}
