//! EIP-712 typed data in words: the domain (name, version, chain,
//! verifying contract), the primary type and the message as a tree, and the
//! permits of [`super::permit`] in one sentence.
//!
//! The request is first put through the signer's own checks
//! ([`crate::evm::typed_data_hash`]), so a document the signer would refuse
//! is refused here and the tree shows exactly the declared, signed fields.

use super::message::safe_text;
use super::permit::recognise;
use super::tokens::show_address;
use super::{Builder, Context, Field, Intent, IntentKind, WarningCode, bad};
use crate::Result;
use crate::evm::parse_address;
use alloy_primitives::U256;
use serde_json::{Map, Value};
use std::str::FromStr;

/// `type name → [(field name, field type)]`, in declaration order.
pub(crate) type Types = Vec<(String, Vec<(String, String)>)>;

pub(crate) fn read_types(v: &Map<String, Value>) -> Types {
    v.iter()
        .map(|(name, fields)| {
            let list = fields
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|f| {
                            Some((
                                f.get("name")?.as_str()?.to_owned(),
                                f.get("type")?.as_str()?.to_owned(),
                            ))
                        })
                        .collect()
                })
                .unwrap_or_default();
            (name.clone(), list)
        })
        .collect()
}

pub(crate) fn fields_of<'a>(types: &'a Types, name: &str) -> Option<&'a [(String, String)]> {
    types
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, f)| f.as_slice())
}

/// A JSON integer as the typed-data encoders accept it: a number, a
/// decimal string or a `0x` hex string.
pub(crate) fn json_u256(v: &Value) -> Option<U256> {
    match v {
        Value::Number(n) => n.as_u64().map(U256::from),
        Value::String(s) => U256::from_str(s).ok(),
        _ => None,
    }
}

pub(crate) fn json_address(v: &Value) -> Option<[u8; 20]> {
    parse_address("address", v.as_str()?).ok()
}

fn leaf(ctx: &Context, ty: &str, v: &Value) -> String {
    if ty == "address"
        && let Some(a) = json_address(v)
    {
        return show_address(ctx, &a);
    }
    if ty.starts_with("uint")
        && let Some(x) = json_u256(v)
    {
        return x.to_string();
    }
    match v {
        Value::String(s) => safe_text(s),
        Value::Bool(b) => b.to_string(),
        other => keyframe_json::to_text(other),
    }
}

/// The tree of `value` of type `ty` (depth is bounded by the signer's own
/// check, which ran first).
fn tree(ctx: &Context, types: &Types, label: &str, ty: &str, v: &Value) -> Field {
    if let Some(elem) = ty
        .strip_suffix(']')
        .and_then(|t| t.rfind('[').map(|i| &t[..i]))
    {
        let items = v.as_array().map(Vec::as_slice).unwrap_or_default();
        let children = items
            .iter()
            .enumerate()
            .map(|(i, x)| tree(ctx, types, &format!("[{i}]"), elem, x))
            .collect();
        return Field::tree(label, format!("{ty} ({} items)", items.len()), children);
    }
    if let Some(fields) = fields_of(types, ty) {
        let children = fields
            .iter()
            .map(|(n, t)| tree(ctx, types, n, t, v.get(n).unwrap_or(&Value::Null)))
            .collect();
        return Field::tree(label, ty, children);
    }
    Field::new(label, leaf(ctx, ty, v))
}

/// Describes an `eth_signTypedData_v4` request on the active chain.
pub fn describe_typed_data(json: &str, ctx: &Context) -> Result<Intent> {
    crate::evm::typed_data_hash(json, Some(ctx.chain_id))?;
    let raw = keyframe_json::parse(json).map_err(|e| bad(format!("typed data: {e}")))?;
    let empty = Map::new();
    let types = read_types(
        raw.get("types")
            .and_then(Value::as_object)
            .unwrap_or(&empty),
    );
    let primary = raw
        .get("primaryType")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let domain = raw
        .get("domain")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let message = raw.get("message").unwrap_or(&Value::Null);

    let mut b = Builder::default();
    let domain_chain = domain.get("chainId").and_then(json_u256);
    let mut d = Vec::new();
    for (key, label) in [("name", "Name"), ("version", "Version")] {
        if let Some(s) = domain.get(key).and_then(Value::as_str) {
            d.push(Field::new(label, safe_text(s)));
        }
    }
    match domain_chain {
        Some(c) => d.push(Field::new(
            "Chain",
            u64::try_from(c).map_or_else(|_| format!("Chain {c}"), |c| ctx.chain_name(c)),
        )),
        None => b.warn(
            WarningCode::NoChainId,
            "This signature names no chain: it is valid on every network where the contract exists.",
        ),
    }
    let verifying = domain.get("verifyingContract").and_then(json_address);
    if let Some(a) = &verifying {
        d.push(Field::new("Verifying contract", show_address(ctx, a)));
    }
    if let Some(s) = domain.get("salt").and_then(Value::as_str) {
        d.push(Field::new("Salt", s));
    }
    b.fields.push(Field::tree("Domain", "", d));
    b.field("Primary type", primary);
    if primary != "EIP712Domain" {
        b.fields
            .push(tree(ctx, &types, "Message", primary, message));
    }

    // The chain the permit's token lives on: the domain's (equal to the
    // active chain when given, the signer checked) or the active one.
    let summary = recognise(
        ctx,
        ctx.chain_id,
        &types,
        primary,
        verifying.as_ref(),
        message,
        &mut b,
    );
    Ok(Intent {
        kind: IntentKind::TypedData,
        title: "Sign typed data".to_owned(),
        summary,
        fields: b.fields,
        warnings: b.warnings,
        raw: Some(json.to_owned()),
    })
}
