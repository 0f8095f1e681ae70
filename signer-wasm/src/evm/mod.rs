//! EVM signing: EIP-191 `personal_sign`, EIP-712 `eth_signTypedData_v4` and
//! `eth_signTransaction` (legacy EIP-155, EIP-2930, EIP-1559).
//!
//! The rule of the product holds throughout: no function here accepts a
//! digest. Every hash is computed from the structured request, and a request
//! that is ambiguous or malformed is refused with [`Error::BadRequest`] naming
//! the field.

mod eip191;
mod eip712;
mod hexutil;
pub(crate) mod tx;

pub use eip191::{personal_sign, personal_sign_hash, personal_sign_message_bytes};
pub use eip712::{sign_typed_data, typed_data_hash};
// The hasher's own value readers, shared with the permit decoder
// (intent::permit) so both read a field the same way.
pub(crate) use eip712::{json_bool, json_uint};
pub use hexutil::parse_address;
pub use tx::{SignedTransaction, sign_transaction};

use k256::ecdsa::SigningKey;
use sha3::{Digest, Keccak256};

/// keccak256 of `data`.
pub(crate) fn keccak256(data: &[u8]) -> [u8; 32] {
    Keccak256::digest(data).into()
}

/// Signs a hash this module computed itself. Returns `(r, s, recovery id)`
/// with low `s` (k256 normalises it).
fn sign_hash(key: &SigningKey, hash: &[u8; 32]) -> ([u8; 32], [u8; 32], u8) {
    let (sig, recid) = key.sign_prehash_recoverable(hash);
    let bytes = sig.to_bytes();
    let mut r = [0u8; 32];
    let mut s = [0u8; 32];
    r.copy_from_slice(&bytes[..32]);
    s.copy_from_slice(&bytes[32..64]);
    (r, s, recid.to_byte())
}

/// `r || s || v` with `v` = 27 + recovery id, as `personal_sign` and
/// `eth_signTypedData_v4` return it.
fn sign_hash_rsv(key: &SigningKey, hash: &[u8; 32]) -> [u8; 65] {
    let (r, s, recid) = sign_hash(key, hash);
    let mut out = [0u8; 65];
    out[..32].copy_from_slice(&r);
    out[32..64].copy_from_slice(&s);
    out[64] = 27 + recid;
    out
}

/// The 20-byte EVM address of `key`: the last 20 bytes of keccak256 of the
/// uncompressed public key without its `0x04` prefix.
pub fn address(key: &SigningKey) -> [u8; 20] {
    let point = key.verifying_key().to_sec1_point(false);
    let hash = keccak256(&point.as_bytes()[1..]);
    let mut out = [0u8; 20];
    out.copy_from_slice(&hash[12..]);
    out
}

/// The EIP-55 checksummed `0x…` form of a 20-byte address (alloy's, the
/// one implementation in the signer).
pub fn checksum_address(addr: &[u8; 20]) -> String {
    alloy_primitives::Address::from(*addr).to_checksum(None)
}

/// `0x`-prefixed lowercase hex of a 65-byte signature.
pub fn signature_hex(sig: &[u8; 65]) -> String {
    format!("0x{}", hex::encode(sig))
}
