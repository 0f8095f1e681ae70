//! `eth_signTransaction`: legacy (EIP-155), EIP-2930 and EIP-1559
//! transactions from the JSON object dApps and libraries send, encoded with
//! `alloy-rlp` and small local structs (no `alloy-consensus`, to keep the
//! WASM small).

use super::hexutil::{be_trimmed, parse_address, parse_b256, parse_bytes, parse_u64, parse_u256};
use super::{keccak256, sign_hash};
use crate::{Error, Result};
use alloy_primitives::U256;
use alloy_rlp::{Encodable, Header};
use k256::ecdsa::SigningKey;
use serde_json::{Map, Value};

/// A signed transaction ready for `eth_sendRawTransaction`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedTransaction {
    /// The raw signed transaction: RLP for legacy, `type ‖ RLP` for typed.
    pub raw: Vec<u8>,
    /// The transaction hash, keccak256 of `raw`.
    pub hash: [u8; 32],
}

/// Fields that would change what the transaction does (blob and set-code
/// transactions, chain-specific extensions) and that this signer therefore
/// refuses rather than ignores.
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TxType {
    Legacy,
    Eip2930,
    Eip1559,
}

pub(crate) struct AccessItem {
    address: [u8; 20],
    storage_keys: Vec<[u8; 32]>,
}

/// A transaction as parsed from its JSON request: also what
/// `crate::intent` describes, so what is shown is what is signed.
pub(crate) struct Tx {
    pub(crate) ty: TxType,
    pub(crate) chain_id: u64,
    pub(crate) nonce: u64,
    pub(crate) gas_limit: u64,
    pub(crate) gas_price: U256,
    pub(crate) max_fee: U256,
    pub(crate) max_priority_fee: U256,
    pub(crate) to: Option<[u8; 20]>,
    pub(crate) value: U256,
    pub(crate) data: Vec<u8>,
    pub(crate) access_list: Vec<AccessItem>,
}

fn bad(msg: impl Into<String>) -> Error {
    Error::BadRequest(msg.into())
}

/// A field that is present and not `null`.
fn field<'a>(obj: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    obj.get(name).filter(|v| !v.is_null())
}

/// Two aliases of one field (`gas`/`gasLimit`, `data`/`input`): either may
/// be given; when both are, they must parse to the same value.
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

fn parse_access_list(v: &Value) -> Result<Vec<AccessItem>> {
    let arr = v
        .as_array()
        .ok_or_else(|| bad("accessList: must be an array"))?;
    let mut out = Vec::with_capacity(arr.len());
    for (i, item) in arr.iter().enumerate() {
        let obj = item
            .as_object()
            .ok_or_else(|| bad(format!("accessList[{i}]: must be an object")))?;
        for k in obj.keys() {
            if k != "address" && k != "storageKeys" {
                return Err(bad(format!("accessList[{i}]: unknown field {k}")));
            }
        }
        let addr_field = format!("accessList[{i}].address");
        let address = match obj.get("address") {
            Some(Value::String(s)) => parse_address(&addr_field, s)?,
            _ => return Err(bad(format!("{addr_field}: required address string"))),
        };
        let keys = obj
            .get("storageKeys")
            .and_then(Value::as_array)
            .ok_or_else(|| bad(format!("accessList[{i}].storageKeys: required array")))?;
        let mut storage_keys = Vec::with_capacity(keys.len());
        for (j, k) in keys.iter().enumerate() {
            storage_keys.push(parse_b256(&format!("accessList[{i}].storageKeys[{j}]"), k)?);
        }
        out.push(AccessItem {
            address,
            storage_keys,
        });
    }
    Ok(out)
}

pub(crate) fn parse_tx(v: &Value, default_chain_id: u64) -> Result<Tx> {
    let obj = v
        .as_object()
        .ok_or_else(|| bad("transaction must be a JSON object"))?;
    for name in REFUSED_FIELDS {
        if obj.contains_key(*name) {
            return Err(bad(format!("{name}: not supported by this signer")));
        }
    }

    let has_1559 =
        field(obj, "maxFeePerGas").is_some() || field(obj, "maxPriorityFeePerGas").is_some();
    let has_gas_price = field(obj, "gasPrice").is_some();
    let has_access_list = field(obj, "accessList").is_some();
    let ty = match field(obj, "type") {
        Some(t) => match parse_u64("type", t)? {
            0 => TxType::Legacy,
            1 => TxType::Eip2930,
            2 => TxType::Eip1559,
            n => return Err(bad(format!("type: unsupported transaction type {n:#x}"))),
        },
        None if has_1559 => TxType::Eip1559,
        None if has_access_list => TxType::Eip2930,
        None => TxType::Legacy,
    };
    match ty {
        TxType::Legacy | TxType::Eip2930 if has_1559 => {
            return Err(bad(
                "maxFeePerGas/maxPriorityFeePerGas: not allowed in a legacy or EIP-2930 transaction",
            ));
        }
        TxType::Legacy if has_access_list => {
            return Err(bad("accessList: not allowed in a legacy transaction"));
        }
        TxType::Eip1559 if has_gas_price => {
            return Err(bad("gasPrice: not allowed in an EIP-1559 transaction"));
        }
        _ => {}
    }

    let chain_id = match field(obj, "chainId") {
        Some(c) => parse_u64("chainId", c)?,
        None => default_chain_id,
    };
    if chain_id == 0 {
        return Err(bad("chainId: must be non-zero (replay protection)"));
    }
    if chain_id != default_chain_id {
        return Err(bad(format!(
            "chainId: {chain_id} differs from the active chain {default_chain_id}"
        )));
    }

    let nonce = parse_u64(
        "nonce",
        field(obj, "nonce").ok_or_else(|| bad("nonce: required"))?,
    )?;
    if nonce == u64::MAX {
        return Err(bad("nonce: exceeds 2^64-2 (EIP-2681)"));
    }
    let gas_limit =
        aliased(obj, "gas", "gasLimit", parse_u64)?.ok_or_else(|| bad("gas: required"))?;

    let (gas_price, max_fee, max_priority_fee) = match ty {
        TxType::Legacy | TxType::Eip2930 => {
            let p = parse_u256(
                "gasPrice",
                field(obj, "gasPrice").ok_or_else(|| bad("gasPrice: required"))?,
            )?;
            (p, U256::ZERO, U256::ZERO)
        }
        TxType::Eip1559 => {
            let max = parse_u256(
                "maxFeePerGas",
                field(obj, "maxFeePerGas").ok_or_else(|| bad("maxFeePerGas: required"))?,
            )?;
            let prio = parse_u256(
                "maxPriorityFeePerGas",
                field(obj, "maxPriorityFeePerGas")
                    .ok_or_else(|| bad("maxPriorityFeePerGas: required"))?,
            )?;
            if prio > max {
                return Err(bad("maxPriorityFeePerGas: exceeds maxFeePerGas"));
            }
            (U256::ZERO, max, prio)
        }
    };

    let to = match field(obj, "to") {
        None => None,
        Some(Value::String(s)) => Some(parse_address("to", s)?),
        Some(_) => return Err(bad("to: must be an address string or null")),
    };
    let value = field(obj, "value")
        .map(|v| parse_u256("value", v))
        .transpose()?
        .unwrap_or(U256::ZERO);
    let data = aliased(obj, "data", "input", parse_bytes)?.unwrap_or_default();
    let access_list = field(obj, "accessList")
        .map(parse_access_list)
        .transpose()?
        .unwrap_or_default();
    if to.is_none() && data.is_empty() {
        return Err(bad("to: missing, and no contract creation code in data"));
    }

    Ok(Tx {
        ty,
        chain_id,
        nonce,
        gas_limit,
        gas_price,
        max_fee,
        max_priority_fee,
        to,
        value,
        data,
        access_list,
    })
}

impl Tx {
    /// The most this transaction can pay in fees, in wei: its gas limit
    /// times `maxFeePerGas` (EIP-1559) or `gasPrice` (legacy, EIP-2930).
    /// `None` when the product does not fit in 256 bits (an absurd fee,
    /// never wrapped): the consent screen says so and the policy counts it
    /// as everything (`crate::intent::policy`).
    pub(crate) fn max_fee_wei(&self) -> Option<U256> {
        let fee_per_gas = match self.ty {
            TxType::Eip1559 => self.max_fee,
            TxType::Legacy | TxType::Eip2930 => self.gas_price,
        };
        U256::from(self.gas_limit).checked_mul(fee_per_gas)
    }
}

fn rlp_bytes(out: &mut Vec<u8>, b: &[u8]) {
    b.encode(out);
}

fn rlp_uint(out: &mut Vec<u8>, x: &U256) {
    rlp_bytes(out, &be_trimmed(x));
}

fn rlp_u64(out: &mut Vec<u8>, x: u64) {
    rlp_uint(out, &U256::from(x));
}

fn rlp_list(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 9);
    Header {
        list: true,
        payload_length: payload.len(),
    }
    .encode(&mut out);
    out.extend_from_slice(payload);
    out
}

fn encode_access_list(out: &mut Vec<u8>, list: &[AccessItem]) {
    let mut items = Vec::new();
    for item in list {
        let mut keys = Vec::with_capacity(item.storage_keys.len() * 33);
        for k in &item.storage_keys {
            rlp_bytes(&mut keys, k);
        }
        let mut entry = Vec::new();
        rlp_bytes(&mut entry, &item.address);
        entry.extend_from_slice(&rlp_list(&keys));
        items.extend_from_slice(&rlp_list(&entry));
    }
    out.extend_from_slice(&rlp_list(&items));
}

/// The RLP fields shared by all types, in each type's order, without
/// signature fields.
fn encode_fields(tx: &Tx) -> Vec<u8> {
    let mut p = Vec::with_capacity(128 + tx.data.len());
    let to: &[u8] = match &tx.to {
        Some(a) => a,
        None => &[],
    };
    match tx.ty {
        TxType::Legacy => {
            rlp_u64(&mut p, tx.nonce);
            rlp_uint(&mut p, &tx.gas_price);
            rlp_u64(&mut p, tx.gas_limit);
            rlp_bytes(&mut p, to);
            rlp_uint(&mut p, &tx.value);
            rlp_bytes(&mut p, &tx.data);
        }
        TxType::Eip2930 => {
            rlp_u64(&mut p, tx.chain_id);
            rlp_u64(&mut p, tx.nonce);
            rlp_uint(&mut p, &tx.gas_price);
            rlp_u64(&mut p, tx.gas_limit);
            rlp_bytes(&mut p, to);
            rlp_uint(&mut p, &tx.value);
            rlp_bytes(&mut p, &tx.data);
            encode_access_list(&mut p, &tx.access_list);
        }
        TxType::Eip1559 => {
            rlp_u64(&mut p, tx.chain_id);
            rlp_u64(&mut p, tx.nonce);
            rlp_uint(&mut p, &tx.max_priority_fee);
            rlp_uint(&mut p, &tx.max_fee);
            rlp_u64(&mut p, tx.gas_limit);
            rlp_bytes(&mut p, to);
            rlp_uint(&mut p, &tx.value);
            rlp_bytes(&mut p, &tx.data);
            encode_access_list(&mut p, &tx.access_list);
        }
    }
    p
}

fn type_byte(ty: TxType) -> Option<u8> {
    match ty {
        TxType::Legacy => None,
        TxType::Eip2930 => Some(1),
        TxType::Eip1559 => Some(2),
    }
}

fn with_type(ty: TxType, rlp: Vec<u8>) -> Vec<u8> {
    match type_byte(ty) {
        None => rlp,
        Some(b) => {
            let mut out = Vec::with_capacity(rlp.len() + 1);
            out.push(b);
            out.extend_from_slice(&rlp);
            out
        }
    }
}

/// `eth_signTransaction`: parses `tx` strictly, computes the signing hash
/// (EIP-155 for legacy, `keccak256(type ‖ rlp(fields))` for typed), signs it
/// and returns the raw signed transaction and its hash.
///
/// `chainId`, when present, must equal `default_chain_id` (the active chain);
/// legacy transactions are always signed with EIP-155 replay protection.
pub fn sign_transaction(
    key: &SigningKey,
    tx: &Value,
    default_chain_id: u64,
) -> Result<SignedTransaction> {
    let tx = parse_tx(tx, default_chain_id)?;
    let fields = encode_fields(&tx);

    // Signing payload.
    let mut unsigned = fields.clone();
    if tx.ty == TxType::Legacy {
        rlp_u64(&mut unsigned, tx.chain_id);
        rlp_u64(&mut unsigned, 0);
        rlp_u64(&mut unsigned, 0);
    }
    let sighash = keccak256(&with_type(tx.ty, rlp_list(&unsigned)));
    let (r, s, recid) = sign_hash(key, &sighash);

    let mut signed = fields;
    match tx.ty {
        TxType::Legacy => {
            let v = U256::from(tx.chain_id) * U256::from(2u8) + U256::from(35u8 + recid);
            rlp_uint(&mut signed, &v);
        }
        _ => rlp_u64(&mut signed, u64::from(recid)),
    }
    rlp_uint(&mut signed, &U256::from_be_bytes(r));
    rlp_uint(&mut signed, &U256::from_be_bytes(s));
    let raw = with_type(tx.ty, rlp_list(&signed));
    let hash = keccak256(&raw);
    Ok(SignedTransaction { raw, hash })
}
