//! EIP-712 `eth_signTypedData_v4`.
//!
//! Hashing is alloy-dyn-abi's `TypedData::eip712_signing_hash`. Around it
//! this module closes the gaps where implementations disagree or where the
//! signature would not cover what a user is shown:
//!
//! * the domain may only use the five standard fields, and `types.EIP712Domain`
//!   must declare exactly the fields present, in the standard order with the
//!   standard types (MetaMask hashes the declared list, alloy the present
//!   fields: they agree only then);
//! * every struct value must have exactly its declared fields: a missing
//!   field *or an extra one* is refused (extra fields are not signed but a
//!   wallet might display them);
//! * mixed-case addresses must carry a valid EIP-55 checksum;
//! * with `primaryType: "EIP712Domain"` the message must be empty;
//! * the domain's `chainId`, when given, must equal the active chain.

use super::hexutil::parse_address;
use super::sign_hash_rsv;
use crate::{Error, Result};
use alloy_dyn_abi::TypedData;
use alloy_primitives::U256;
use k256::ecdsa::SigningKey;
use serde_json::{Map, Value};

/// `types` as read from the request: `(type name, [(field name, field type)])`.
type Types = Vec<(String, Vec<(String, String)>)>;

/// Nesting depth beyond which a message is refused.
const MAX_DEPTH: usize = 32;

/// The standard domain fields in the order EIP-712 lists them.
const DOMAIN_FIELDS: [(&str, &str); 5] = [
    ("name", "string"),
    ("version", "string"),
    ("chainId", "uint256"),
    ("verifyingContract", "address"),
    ("salt", "bytes32"),
];

fn bad(msg: impl Into<String>) -> Error {
    Error::BadRequest(msg.into())
}

/// `name → [(field name, field type)]` from the raw `types` object.
fn read_types(types: &Map<String, Value>) -> Result<Types> {
    let mut out = Vec::with_capacity(types.len());
    for (name, fields) in types {
        let arr = fields
            .as_array()
            .ok_or_else(|| bad(format!("types.{name}: must be an array")))?;
        let mut list = Vec::with_capacity(arr.len());
        for (i, f) in arr.iter().enumerate() {
            let obj = f
                .as_object()
                .ok_or_else(|| bad(format!("types.{name}[{i}]: must be an object")))?;
            let fname = obj
                .get("name")
                .and_then(Value::as_str)
                .ok_or_else(|| bad(format!("types.{name}[{i}].name: required string")))?;
            let ftype = obj
                .get("type")
                .and_then(Value::as_str)
                .ok_or_else(|| bad(format!("types.{name}[{i}].type: required string")))?;
            if list.iter().any(|(n, _): &(String, String)| n == fname) {
                return Err(bad(format!("types.{name}: field {fname} declared twice")));
            }
            list.push((fname.to_owned(), ftype.to_owned()));
        }
        out.push((name.clone(), list));
    }
    Ok(out)
}

fn check_domain(
    domain: &Map<String, Value>,
    declared: Option<&Vec<(String, String)>>,
) -> Result<()> {
    for k in domain.keys() {
        if !DOMAIN_FIELDS.iter().any(|(n, _)| n == k) {
            return Err(bad(format!("domain.{k}: not an EIP-712 domain field")));
        }
    }
    let present: Vec<(String, String)> = DOMAIN_FIELDS
        .iter()
        .filter(|(n, _)| domain.get(*n).is_some_and(|v| !v.is_null()))
        .map(|(n, t)| ((*n).to_owned(), (*t).to_owned()))
        .collect();
    match declared {
        Some(decl) if *decl != present => Err(bad(
            "types.EIP712Domain: must declare exactly the domain's fields, in the order name, version, chainId, verifyingContract, salt",
        )),
        None if !present.is_empty() => Err(bad(
            "types.EIP712Domain: required when the domain has fields",
        )),
        _ => Ok(()),
    }
}

/// Root type name and, if it is an array type, the element type and the
/// fixed length (`None` for dynamic arrays).
fn split_array(ty: &str) -> Option<(&str, Option<&str>)> {
    let ty = ty.strip_suffix(']')?;
    let open = ty.rfind('[')?;
    let len = &ty[open + 1..];
    Some((&ty[..open], if len.is_empty() { None } else { Some(len) }))
}

/// Checks `value` against `ty` for what alloy's coercion does not check:
/// exact field sets of structs and EIP-55 checksums of addresses. Type
/// mismatches of leaves are left to alloy, which refuses them.
fn walk(types: &Types, ty: &str, value: &Value, path: &str, depth: usize) -> Result<()> {
    if depth > MAX_DEPTH {
        return Err(bad(format!("{path}: nested too deeply")));
    }
    if let Some((elem, len)) = split_array(ty) {
        let arr = value
            .as_array()
            .ok_or_else(|| bad(format!("{path}: expected an array of {elem}")))?;
        if let Some(len) = len {
            let n: usize = len
                .parse()
                .map_err(|_| bad(format!("{path}: bad array length in type {ty}")))?;
            if arr.len() != n {
                return Err(bad(format!(
                    "{path}: expected {n} elements, got {}",
                    arr.len()
                )));
            }
        }
        for (i, v) in arr.iter().enumerate() {
            walk(types, elem, v, &format!("{path}[{i}]"), depth + 1)?;
        }
        return Ok(());
    }
    if let Some((_, fields)) = types.iter().find(|(n, _)| n == ty) {
        let obj = value
            .as_object()
            .ok_or_else(|| bad(format!("{path}: expected a {ty} object")))?;
        for k in obj.keys() {
            if !fields.iter().any(|(n, _)| n == k) {
                return Err(bad(format!("{path}.{k}: not a field of {ty}")));
            }
        }
        for (fname, ftype) in fields {
            let v = obj
                .get(fname)
                .ok_or_else(|| bad(format!("{path}.{fname}: missing ({ftype})")))?;
            walk(types, ftype, v, &format!("{path}.{fname}"), depth + 1)?;
        }
        return Ok(());
    }
    if ty == "address" {
        let s = value
            .as_str()
            .ok_or_else(|| bad(format!("{path}: expected an address string")))?;
        parse_address(path, s)?;
    }
    Ok(())
}

/// The EIP-712 signing hash of a typed-data JSON document, after the checks
/// listed in the module documentation.
pub fn typed_data_hash(typed_data_json: &str, chain_id: Option<u64>) -> Result<[u8; 32]> {
    let raw: Value = serde_json::from_str(typed_data_json)
        .map_err(|e| bad(format!("typed data: not JSON ({e})")))?;
    let obj = raw
        .as_object()
        .ok_or_else(|| bad("typed data: must be a JSON object"))?;
    for k in obj.keys() {
        if !matches!(k.as_str(), "types" | "primaryType" | "domain" | "message") {
            return Err(bad(format!("typed data: unknown top-level field {k}")));
        }
    }
    let types_obj = obj
        .get("types")
        .and_then(Value::as_object)
        .ok_or_else(|| bad("types: required object"))?;
    let primary = obj
        .get("primaryType")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("primaryType: required string"))?;
    let empty = Map::new();
    let domain = match obj.get("domain") {
        None | Some(Value::Null) => &empty,
        Some(Value::Object(d)) => d,
        Some(_) => return Err(bad("domain: must be an object")),
    };
    let message = obj.get("message").unwrap_or(&Value::Null);

    let types = read_types(types_obj)?;
    check_domain(
        domain,
        types
            .iter()
            .find(|(n, _)| n == "EIP712Domain")
            .map(|(_, f)| f),
    )?;
    walk(
        &types,
        "EIP712Domain",
        &Value::Object(domain.clone()),
        "domain",
        0,
    )?;

    if primary == "EIP712Domain" {
        let is_empty = match message {
            Value::Null => true,
            Value::Object(m) => m.is_empty(),
            _ => false,
        };
        if !is_empty {
            return Err(bad(
                "message: must be empty when primaryType is EIP712Domain",
            ));
        }
    } else {
        if !types.iter().any(|(n, _)| n == primary) {
            return Err(bad(format!(
                "primaryType: {primary} is not defined in types"
            )));
        }
        walk(&types, primary, message, "message", 0)?;
    }

    let td: TypedData =
        serde_json::from_value(raw.clone()).map_err(|e| bad(format!("typed data: {e}")))?;

    if let (Some(expected), Some(got)) = (chain_id, td.domain.chain_id)
        && got != U256::from(expected)
    {
        return Err(bad(format!(
            "domain.chainId: {got} differs from the active chain {expected}"
        )));
    }
    let hash = td
        .eip712_signing_hash()
        .map_err(|e| bad(format!("typed data: {e}")))?;
    Ok(hash.0)
}

/// EIP-712 `eth_signTypedData_v4` of the JSON a dApp sends. If `chain_id` is
/// `Some` and the domain has a `chainId`, they must match. Returns
/// `r ‖ s ‖ v` with `v` = 27 or 28.
pub fn sign_typed_data(
    key: &SigningKey,
    typed_data_json: &str,
    chain_id: Option<u64>,
) -> Result<[u8; 65]> {
    let hash = typed_data_hash(typed_data_json, chain_id)?;
    Ok(sign_hash_rsv(key, &hash))
}
