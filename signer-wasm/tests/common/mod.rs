//! Known-answer vector checks shared by the native tests (`tests/*.rs`) and
//! the wasm32 tests (`tests/wasm.rs`), so both targets run the very same
//! assertions over the very same files.
//!
//! The vector files are compiled in with `include_str!`: wasm32 has no file
//! system, and natively it costs nothing. Each test crate uses only some of
//! these helpers, hence `dead_code` (and unused re-exports) are allowed.

#![allow(dead_code, unused_imports)]
// Tests panic on failure by design.
#![allow(clippy::unwrap_used)]

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use keyframe_signer::Error;
use keyframe_signer::evm::{self, SignedTransaction};
use keyframe_signer::recovery::{ColdRecord, RecoveryKey, open_with_key, open_with_password};
use keyframe_signer::secret::{WalletKind, WalletSecret};
use keyframe_signer::shares::{Share, WalletId, combine};
use keyframe_signer::solana;
use keyframe_signer::wallet::{
    self, Addresses, derive_ed25519, derive_secp256k1, evm_address, parse_path,
};
use serde_json::Value;
use sha2::{Digest as _, Sha256};
use sha3::Keccak256;

mod authority_vectors;
mod evm_vectors;
mod key_vectors;
mod share_vectors;
mod solana_vectors;

pub use authority_vectors::*;
pub use evm_vectors::*;
pub use key_vectors::*;
pub use share_vectors::*;
pub use solana_vectors::*;

pub const JUNK: &str = "test test test test test test test test test test test junk";

/// The text of `tests/vectors/{name}`, embedded at compile time.
pub fn vector_text(name: &str) -> &'static str {
    match name {
        "authority_v1.json" => include_str!("../vectors/authority_v1.json"),
        "bip32.json" => include_str!("../vectors/bip32.json"),
        "bip39.json" => include_str!("../vectors/bip39.json"),
        "ed25519_rfc8032.json" => include_str!("../vectors/ed25519_rfc8032.json"),
        "eip191.json" => include_str!("../vectors/eip191.json"),
        "eip712.json" => include_str!("../vectors/eip712.json"),
        "eip712_viem.json" => include_str!("../vectors/eip712_viem.json"),
        "fail_recovery.json" => include_str!("../vectors/fail_recovery.json"),
        "fail_shares.json" => include_str!("../vectors/fail_shares.json"),
        "fail_solana_tx.json" => include_str!("../vectors/fail_solana_tx.json"),
        "fail_tx.json" => include_str!("../vectors/fail_tx.json"),
        "fail_typed_data.json" => include_str!("../vectors/fail_typed_data.json"),
        "shares_v1.json" => include_str!("../vectors/shares_v1.json"),
        "slip10_ed25519.json" => include_str!("../vectors/slip10_ed25519.json"),
        "solana_tx.json" => include_str!("../vectors/solana_tx.json"),
        "tx_eip1559.json" => include_str!("../vectors/tx_eip1559.json"),
        "tx_eip2930.json" => include_str!("../vectors/tx_eip2930.json"),
        "tx_legacy_eip155.json" => include_str!("../vectors/tx_legacy_eip155.json"),
        "tx_legacy_viem.json" => include_str!("../vectors/tx_legacy_viem.json"),
        "wallets.json" => include_str!("../vectors/wallets.json"),
        other => panic!("unknown vector file {other}"),
    }
}

/// A vector file, parsed; every file must name its source.
pub fn load(name: &str) -> Value {
    let v: Value =
        serde_json::from_str(vector_text(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(
        v["source"].as_str().is_some_and(|s| s.len() > 20),
        "{name} must name its source"
    );
    v
}

pub fn s(v: &Value) -> &str {
    v.as_str().unwrap()
}

pub fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s.strip_prefix("0x").unwrap_or(s)).expect("hex")
}

/// The `vectors` array of a file (never empty).
pub fn vectors(file: &Value) -> &Vec<Value> {
    let v = file["vectors"].as_array().expect("vectors");
    assert!(!v.is_empty());
    v
}
