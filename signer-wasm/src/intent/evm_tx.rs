//! EVM transactions in words: network, recipient (contract creation
//! flagged), value and maximum fee in the native unit exactly, nonce, and
//! the calldata ([`super::calldata`]).
//!
//! The JSON is read by the rules of the signer's own parser
//! (src/evm/tx.rs): the same type inference, the same `gas`/`gasLimit` and
//! `data`/`input` aliases (both given must agree), the same refusals. A
//! transaction that parser refuses is refused here, so what is shown is what
//! would be signed; tests/intent.rs runs the signer's negative vectors
//! through both.

use super::calldata::describe_call;
use super::siwe::chain_name;
use super::tokens::show_address;
use super::units::format_units;
use super::{Builder, Context, Intent, IntentKind, WarningCode, bad};
use crate::Result;
use crate::evm::parse_address;
use alloy_primitives::U256;
use serde_json::{Map, Value};

/// The fields src/evm/tx.rs refuses rather than ignores.
const REFUSED_FIELDS: &[&str] = &[
    "blobVersionedHashes",
    "maxFeePerBlobGas",
    "blobs",
    "sidecars",
    "sidecar",
    "kzgCommitments",
    "kzgProofs",
    "authorizationList",
    "customData",
    "feeCurrency",
    "gatewayFee",
    "gatewayFeeRecipient",
    "isSystemTx",
    "mint",
    "sourceHash",
];

fn quantity(name: &str, v: &Value) -> Result<U256> {
    match v {
        Value::String(s) => {
            let h = s
                .strip_prefix("0x")
                .ok_or_else(|| bad(format!("{name}: quantity must be a 0x-prefixed hex string")))?;
            if h.is_empty() || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(bad(format!("{name}: quantity is not hex")));
            }
            let digits = h.trim_start_matches('0');
            if digits.len() > 64 {
                return Err(bad(format!("{name}: quantity exceeds 256 bits")));
            }
            if digits.is_empty() {
                return Ok(U256::ZERO);
            }
            U256::from_str_radix(digits, 16)
                .map_err(|_| bad(format!("{name}: quantity is not hex")))
        }
        Value::Number(n) => n
            .as_u64()
            .map(U256::from)
            .ok_or_else(|| bad(format!("{name}: quantity must be a non-negative integer"))),
        _ => Err(bad(format!("{name}: quantity must be a hex string"))),
    }
}

fn quantity64(name: &str, v: &Value) -> Result<u64> {
    u64::try_from(quantity(name, v)?).map_err(|_| bad(format!("{name}: quantity exceeds 64 bits")))
}

fn bytes(name: &str, v: &Value) -> Result<Vec<u8>> {
    let h = v
        .as_str()
        .and_then(|s| s.strip_prefix("0x"))
        .ok_or_else(|| bad(format!("{name}: must be a 0x-prefixed hex string")))?;
    if h.len() % 2 != 0 {
        return Err(bad(format!("{name}: hex has odd length")));
    }
    hex::decode(h).map_err(|_| bad(format!("{name}: is not hex")))
}

fn field<'a>(obj: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    obj.get(name).filter(|v| !v.is_null())
}

fn aliased<T: PartialEq>(
    obj: &Map<String, Value>,
    a: &str,
    b: &str,
    parse: impl Fn(&str, &Value) -> Result<T>,
) -> Result<Option<T>> {
    let va = field(obj, a).map(|v| parse(a, v)).transpose()?;
    let vb = field(obj, b).map(|v| parse(b, v)).transpose()?;
    match (va, vb) {
        (Some(x), Some(y)) if x != y => Err(bad(format!("{a} and {b} are both given and differ"))),
        (Some(x), _) => Ok(Some(x)),
        (None, y) => Ok(y),
    }
}

fn required<'a>(obj: &'a Map<String, Value>, name: &str) -> Result<&'a Value> {
    field(obj, name).ok_or_else(|| bad(format!("{name}: required")))
}

/// Checks the access list's shape as the signer does (it is shown as a
/// count: it changes which storage is warm, not what the call does).
fn access_list_len(v: &Value) -> Result<usize> {
    let arr = v
        .as_array()
        .ok_or_else(|| bad("accessList: must be an array"))?;
    for (i, item) in arr.iter().enumerate() {
        let obj = item
            .as_object()
            .ok_or_else(|| bad(format!("accessList[{i}]: must be an object")))?;
        if let Some(k) = obj.keys().find(|k| *k != "address" && *k != "storageKeys") {
            return Err(bad(format!("accessList[{i}]: unknown field {k}")));
        }
        let name = format!("accessList[{i}].address");
        match obj.get("address") {
            Some(Value::String(s)) => {
                parse_address(&name, s)?;
            }
            _ => return Err(bad(format!("{name}: required address string"))),
        }
        let keys = obj
            .get("storageKeys")
            .and_then(Value::as_array)
            .ok_or_else(|| bad(format!("accessList[{i}].storageKeys: required array")))?;
        for (j, k) in keys.iter().enumerate() {
            let name = format!("accessList[{i}].storageKeys[{j}]");
            if bytes(&name, k)?.len() != 32 {
                return Err(bad(format!("{name}: must be 32 bytes")));
            }
        }
    }
    Ok(arr.len())
}

/// A native amount: "1.5 ETH" with the network's decimals, else wei.
fn native(ctx: &Context, v: U256) -> String {
    match ctx.active_network() {
        Some(n) => format!("{} {}", format_units(v, n.decimals), n.symbol),
        None => format!("{v} wei"),
    }
}

/// Describes an `eth_signTransaction` / `eth_sendTransaction` request on
/// the active chain `ctx.chain_id`.
pub fn describe_evm_transaction(tx: &Value, ctx: &Context) -> Result<Intent> {
    let obj = tx
        .as_object()
        .ok_or_else(|| bad("transaction must be a JSON object"))?;
    if let Some(name) = REFUSED_FIELDS.iter().find(|n| obj.contains_key(**n)) {
        return Err(bad(format!("{name}: not supported by this signer")));
    }
    let has_1559 =
        field(obj, "maxFeePerGas").is_some() || field(obj, "maxPriorityFeePerGas").is_some();
    let has_access_list = field(obj, "accessList").is_some();
    let ty = match field(obj, "type") {
        Some(t) => match quantity64("type", t)? {
            n @ 0..=2 => n,
            n => return Err(bad(format!("type: unsupported transaction type {n:#x}"))),
        },
        None if has_1559 => 2,
        None if has_access_list => 1,
        None => 0,
    };
    if ty < 2 && has_1559 {
        return Err(bad(
            "maxFeePerGas/maxPriorityFeePerGas: not allowed in a legacy or EIP-2930 transaction",
        ));
    }
    if ty == 0 && has_access_list {
        return Err(bad("accessList: not allowed in a legacy transaction"));
    }
    if ty == 2 && field(obj, "gasPrice").is_some() {
        return Err(bad("gasPrice: not allowed in an EIP-1559 transaction"));
    }
    let chain_id = match field(obj, "chainId") {
        Some(c) => quantity64("chainId", c)?,
        None => ctx.chain_id,
    };
    if chain_id == 0 {
        return Err(bad("chainId: must be non-zero (replay protection)"));
    }
    if chain_id != ctx.chain_id {
        return Err(bad(format!(
            "chainId: {chain_id} differs from the active chain {}",
            ctx.chain_id
        )));
    }
    let nonce = quantity64("nonce", required(obj, "nonce")?)?;
    if nonce == u64::MAX {
        return Err(bad("nonce: exceeds 2^64-2 (EIP-2681)"));
    }
    let gas = aliased(obj, "gas", "gasLimit", quantity64)?.ok_or_else(|| bad("gas: required"))?;
    let fee_per_gas = if ty == 2 {
        let max = quantity("maxFeePerGas", required(obj, "maxFeePerGas")?)?;
        let prio = quantity(
            "maxPriorityFeePerGas",
            required(obj, "maxPriorityFeePerGas")?,
        )?;
        if prio > max {
            return Err(bad("maxPriorityFeePerGas: exceeds maxFeePerGas"));
        }
        max
    } else {
        quantity("gasPrice", required(obj, "gasPrice")?)?
    };
    let to = match field(obj, "to") {
        None => None,
        Some(Value::String(s)) => Some(parse_address("to", s)?),
        Some(_) => return Err(bad("to: must be an address string or null")),
    };
    let value = field(obj, "value")
        .map(|v| quantity("value", v))
        .transpose()?
        .unwrap_or(U256::ZERO);
    let data = aliased(obj, "data", "input", bytes)?.unwrap_or_default();
    let access = field(obj, "accessList")
        .map(access_list_len)
        .transpose()?
        .unwrap_or(0);
    if to.is_none() && data.is_empty() {
        return Err(bad("to: missing, and no contract creation code in data"));
    }

    let mut b = Builder::default();
    b.field("Network", chain_name(chain_id));
    let value_s = native(ctx, value);
    let summary = match &to {
        None => {
            b.field("To", "New contract");
            b.warn(
                WarningCode::ContractCreation,
                "This transaction deploys a new contract from your account. Approve only if you meant to deploy one.",
            );
            b.field("Value", value_s.clone());
            format!("Deploys a contract ({} bytes of code)", data.len())
        }
        Some(addr) => {
            let dst = show_address(ctx, addr);
            b.field("To", dst.clone());
            b.field("Value", value_s.clone());
            if data.is_empty() {
                format!("Sends {value_s} to {dst}")
            } else {
                let call = describe_call(ctx, chain_id, addr, &data, &mut b)?;
                if value == U256::ZERO {
                    call
                } else {
                    format!("{call}, and sends {value_s} to {dst}")
                }
            }
        }
    };
    // gas < 2^64 and fee < 2^256: the product can overflow only for absurd
    // fees; it is then said as such rather than wrapped.
    let max_fee = U256::from(gas)
        .checked_mul(fee_per_gas)
        .map_or_else(|| "more than 2^256 wei".to_owned(), |f| native(ctx, f));
    b.field("Max fee", max_fee);
    b.field("Gas limit", gas.to_string());
    b.field("Nonce", nonce.to_string());
    b.field(
        "Type",
        match ty {
            0 => "Legacy (EIP-155)",
            1 => "EIP-2930",
            _ => "EIP-1559",
        },
    );
    if access > 0 {
        b.field("Access list", format!("{access} entries"));
    }
    Ok(Intent {
        kind: IntentKind::EvmTransaction,
        title: "Sign transaction".to_owned(),
        summary: Some(summary),
        fields: b.fields,
        warnings: b.warnings,
        raw: (!data.is_empty()).then(|| format!("0x{}", hex::encode(&data))),
    })
}
