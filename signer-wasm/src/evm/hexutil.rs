//! Strict parsing of the hex forms JSON-RPC uses: quantities, byte strings,
//! addresses (EIP-55 checksum checked when mixed-case).

use crate::{Error, Result};
use alloy_primitives::{Address, U256};
use serde_json::Value;

fn bad(field: &str, what: &str) -> Error {
    Error::BadRequest(format!("{field}: {what}"))
}

/// Parses a `0x`-prefixed 20-byte address. All-lowercase and all-uppercase
/// hex are accepted as is; mixed case must be a valid EIP-55 checksum.
/// `field` names the request field in the error.
pub fn parse_address(field: &str, s: &str) -> Result<[u8; 20]> {
    let h = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .ok_or_else(|| bad(field, "address must start with 0x"))?;
    if h.len() != 40 {
        return Err(bad(field, "address must be 20 bytes (40 hex digits)"));
    }
    let mut out = [0u8; 20];
    hex::decode_to_slice(h, &mut out).map_err(|_| bad(field, "address is not hex"))?;
    let has_upper = h.chars().any(|c| c.is_ascii_uppercase());
    let has_lower = h.chars().any(|c| c.is_ascii_lowercase());
    if has_upper && has_lower && Address::from(out).to_checksum(None)[2..] != *h {
        return Err(bad(field, "address has an invalid EIP-55 checksum"));
    }
    Ok(out)
}

/// Parses a JSON quantity: a `0x`-prefixed hex string of 1 to 64 digits
/// (leading zeros tolerated) or a non-negative JSON integer. Decimal strings,
/// negative numbers, fractions and values wider than 256 bits are refused.
pub(crate) fn parse_u256(field: &str, v: &Value) -> Result<U256> {
    match v {
        Value::String(s) => {
            let h = s
                .strip_prefix("0x")
                .ok_or_else(|| bad(field, "quantity must be a 0x-prefixed hex string"))?;
            if h.is_empty() {
                return Err(bad(field, "quantity has no digits"));
            }
            if !h.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(bad(field, "quantity is not hex"));
            }
            let digits = h.trim_start_matches('0');
            if digits.len() > 64 {
                return Err(bad(field, "quantity exceeds 256 bits"));
            }
            if digits.is_empty() {
                return Ok(U256::ZERO);
            }
            U256::from_str_radix(digits, 16).map_err(|_| bad(field, "quantity is not hex"))
        }
        Value::Number(n) => n
            .as_u64()
            .map(U256::from)
            .ok_or_else(|| bad(field, "quantity must be a non-negative integer")),
        _ => Err(bad(field, "quantity must be a hex string")),
    }
}

/// [`parse_u256`] limited to 64 bits.
pub(crate) fn parse_u64(field: &str, v: &Value) -> Result<u64> {
    let x = parse_u256(field, v)?;
    u64::try_from(x).map_err(|_| bad(field, "quantity exceeds 64 bits"))
}

/// Parses `0x`-prefixed hex bytes (`"0x"` is empty). Odd length is refused.
pub(crate) fn parse_bytes(field: &str, v: &Value) -> Result<Vec<u8>> {
    let s = v
        .as_str()
        .ok_or_else(|| bad(field, "must be a 0x-prefixed hex string"))?;
    let h = s
        .strip_prefix("0x")
        .ok_or_else(|| bad(field, "must start with 0x"))?;
    if h.len() % 2 != 0 {
        return Err(bad(field, "hex has odd length"));
    }
    hex::decode(h).map_err(|_| bad(field, "is not hex"))
}

/// Parses exactly 32 bytes of `0x`-prefixed hex.
pub(crate) fn parse_b256(field: &str, v: &Value) -> Result<[u8; 32]> {
    let bytes = parse_bytes(field, v)?;
    <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| bad(field, "must be 32 bytes"))
}

/// Big-endian bytes of `x` without leading zeros (RLP integer payload).
pub(crate) fn be_trimmed(x: &U256) -> Vec<u8> {
    let bytes: [u8; 32] = x.to_be_bytes();
    let first = bytes.iter().position(|b| *b != 0).unwrap_or(32);
    bytes[first..].to_vec()
}
