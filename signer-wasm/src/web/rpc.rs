//! JSON-RPC 2.0 framing of the iFrame protocol (docs/api.md). The error
//! vocabulary (codes and reasons) is the flows' ([`crate::flows::error`]).

use serde_json::{Value, json};

use crate::flows::RpcError;

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

/// The id of the request a `keyframe_cancel` notification abandons (the
/// host SDK sends one when a request times out), if `text` is one.
pub fn cancelled(text: &str) -> Option<Value> {
    let value: Value = serde_json::from_str(text).ok()?;
    let obj = value.as_object()?;
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
