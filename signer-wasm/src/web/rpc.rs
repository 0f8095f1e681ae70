//! JSON-RPC 2.0 framing of the iFrame protocol (docs/api.md). The error
//! vocabulary (codes and reasons) is the flows' ([`crate::flows::error`]).

use keyframe_json::json;
use serde_json::Value;

use crate::flows::RpcError;

/// A parsed JSON value whose strings are wiped when it is dropped: params
/// may carry the automatic-recovery key (`recovery.token`) or a JWT, and
/// serde_json's `String`s would otherwise be freed with their bytes intact
/// (signer-wasm/tests/wipe.rs searches the module's memory for them).
pub struct Wiped(pub Value);

impl Drop for Wiped {
    fn drop(&mut self) {
        keyframe_json::wipe(&mut self.0);
    }
}

/// A request that passed the schema gate. Its params are moved out of the
/// parsed message, never copied, and wiped with it.
pub struct Request {
    pub id: Value,
    pub method: String,
    pub params: Wiped,
}

/// Parses one message from the port. `Err(Some(id))` is a malformed request
/// that still deserves an answer; `Err(None)` is noise to ignore. The text
/// is `JSON.stringify` of the message (web/mod.rs), so it never holds a
/// duplicate key; keyframe_json reads it because it is the WASM's one JSON
/// reader (bench/SIZE.md).
pub fn parse(text: &str) -> Result<Request, Option<Value>> {
    let mut value = Wiped(keyframe_json::parse(text).map_err(|_| None)?);
    let obj = value.0.as_object_mut().ok_or(None)?;
    // Taken out, not removed: a map's removal code is ~5 KB of the WASM
    // per key and value type (bench/SIZE.md, "Map removals"), and the
    // `null` left in its place is wiped with the rest of the tree.
    let params = Wiped(
        obj.get_mut("params")
            .map(std::mem::take)
            .unwrap_or_default(),
    );
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
    if !(params.0.is_null() || params.0.is_array() || params.0.is_object()) {
        return Err(Some(id));
    }
    Ok(Request {
        id,
        method: method.to_owned(),
        params,
    })
}

/// The id of the request a `keyframe_cancel` notification abandons (the
/// host SDK sends one when a request times out), if `text` is one.
pub fn cancelled(text: &str) -> Option<Value> {
    let value = Wiped(keyframe_json::parse(text).ok()?);
    let obj = value.0.as_object()?;
    if obj.contains_key("id") || obj.get("method")?.as_str()? != "keyframe_cancel" {
        return None;
    }
    let id = obj.get("params")?.get("id")?.clone();
    (id.is_string() || id.is_u64() || id.is_i64()).then_some(id)
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
