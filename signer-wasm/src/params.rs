//! Reading `params` of an iFrame request: fields, positional arrays,
//! base64 and the recovery method, each refused with a clear
//! `BAD_REQUEST`. A password, phrase or key in params is refused too: the
//! user types those on the iFrame's screen (`crate::consent::entry`), never
//! on the host page. Native (not in `web`), so the signing requests of
//! `crate::signing` that read through it are tested natively.

use keyframe_wire::b64;
use serde_json::Value;

use crate::flows::{RpcError, RpcResult};
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
    b64::decode(value).map_err(|_| RpcError::bad_params(format!("{what} must be base64")))
}

/// The recovery method a request names; a password is typed on the
/// screen, an automatic key comes from the host (its backend's secret).
pub enum RecoveryChoice {
    Password,
    Automatic(RecoveryKey),
    /// A backup file the user keeps (crate::backup), under a typed password.
    File,
}

/// How the cold share is to be protected, from `params.recovery`.
pub fn recovery_param(params: &Value) -> RpcResult<RecoveryChoice> {
    recovery_at(params, "recovery")
}

/// `params.current` of `keyframe_setRecovery`: the method in force now,
/// whose secret proves the caller may change it.
pub fn current_recovery_param(params: &Value) -> RpcResult<RecoveryChoice> {
    recovery_at(params, "current")
}

/// Refuses `params.<name>` when present: it is typed in the iFrame.
pub fn refuse_typed_secret(params: &Value, name: &str) -> RpcResult<()> {
    if params.get(name).is_some() {
        return Err(RpcError::bad_params(format!(
            "params.{name} is not accepted: the user types it in the Keyframe window"
        )));
    }
    Ok(())
}

fn recovery_at(params: &Value, name: &str) -> RpcResult<RecoveryChoice> {
    let recovery = field(params, name)?;
    match recovery.get("method").and_then(Value::as_str) {
        Some("password") => {
            if recovery.get("password").is_some() {
                return Err(RpcError::bad_params(format!(
                    "{name}.password is not accepted: the user types the recovery password in the Keyframe window"
                )));
            }
            Ok(RecoveryChoice::Password)
        }
        Some("automatic") => {
            let token = str_field(recovery, "token")?;
            let key = RecoveryKey::from_base64url(token).map_err(|_| {
                RpcError::bad_params(format!("{name}.token must be the 32-byte recovery key"))
            })?;
            Ok(RecoveryChoice::Automatic(key))
        }
        Some("file") => {
            if recovery.get("password").is_some() {
                return Err(RpcError::bad_params(format!(
                    "{name}.password is not accepted: the user types the backup's password in the Keyframe window"
                )));
            }
            Ok(RecoveryChoice::File)
        }
        _ => Err(RpcError::bad_params(format!(
            "{name}.method must be \"password\", \"automatic\" or \"file\""
        ))),
    }
}
