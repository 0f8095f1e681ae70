//! EIP-191 version 0x45 (`personal_sign`).

use super::{keccak256, sign_hash_rsv};
use crate::Result;
use k256::ecdsa::SigningKey;

/// The hash `personal_sign` signs:
/// `keccak256("\x19Ethereum Signed Message:\n" ‖ len(message) ‖ message)`.
pub fn personal_sign_hash(message: &[u8]) -> [u8; 32] {
    let prefix = format!("\x19Ethereum Signed Message:\n{}", message.len());
    let mut buf = Vec::with_capacity(prefix.len() + message.len());
    buf.extend_from_slice(prefix.as_bytes());
    buf.extend_from_slice(message);
    keccak256(&buf)
}

/// EIP-191 `personal_sign`. `message` is the raw bytes (see
/// [`personal_sign_message_bytes`] for the JSON-RPC parameter). Returns
/// `r ‖ s ‖ v` with `v` = 27 or 28.
pub fn personal_sign(key: &SigningKey, message: &[u8]) -> Result<[u8; 65]> {
    Ok(sign_hash_rsv(key, &personal_sign_hash(message)))
}

/// Interprets the `personal_sign` parameter as MetaMask does: a
/// `0x`-prefixed, even-length, valid hex string is the bytes it encodes
/// (`"0x"` alone is the empty message); anything else is its UTF-8 bytes.
pub fn personal_sign_message_bytes(param: &str) -> Vec<u8> {
    if let Some(h) = param.strip_prefix("0x")
        && h.len() % 2 == 0
        && let Ok(bytes) = hex::decode(h)
    {
        return bytes;
    }
    param.as_bytes().to_vec()
}
