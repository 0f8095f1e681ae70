//! Timings of the core in wasm32 (issue 15: every trade of size against
//! speed is measured). Not part of `npm test`; run it on the `wasm`
//! profile, which is what ships:
//!
//! `cargo test --profile wasm -p keyframe-signer --target wasm32-unknown-unknown --test speed -- --nocapture`
//!
//! (`--release` times the services' opt-level "s", bench/SIZE.md). It
//! prints milliseconds per operation: EIP-712 hashing with the signer's own
//! encoder and with alloy-dyn-abi (its parse and `eip712_signing_hash`
//! alone, without the request checks the previous implementation also
//! ran), EIP-191 and EIP-712 signing, the BIP-39 seed (PBKDF2, 2,048 rounds
//! of HMAC-SHA512), deriving both accounts and, from a seed, each key and
//! the wallet authority key, and Argon2id at the production floor, and two
//! service answers decoded by hand and by serde's derive.
//! Node's V8 is the engine of Chromium.

#![cfg(target_arch = "wasm32")]
// Tests panic on failure by design.
#![allow(clippy::unwrap_used)]

use keyframe_signer::authority::WalletAuthority;
use keyframe_signer::evm;
use keyframe_signer::recovery::{ColdRecord, open_with_password, seal_with_password};
use keyframe_signer::secret::{OsRng, WalletSecret};
use keyframe_signer::shares::{DeviceId, RandomId, WalletId, split_three};
use keyframe_signer::wallet::{HARDENED as H, derive_ed25519, derive_secp256k1};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::{console_log, wasm_bindgen_test};

mod common;

/// `performance.now()` of the JS global (Node and browsers).
fn now() -> f64 {
    let perf = js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("performance")).unwrap();
    let f: js_sys::Function = js_sys::Reflect::get(&perf, &JsValue::from_str("now"))
        .unwrap()
        .dyn_into()
        .unwrap();
    f.call0(&perf).unwrap().as_f64().unwrap()
}

/// Best of 5 runs of `n` calls, in ms per call.
fn time(name: &str, n: u32, mut f: impl FnMut()) {
    f();
    let mut best = f64::MAX;
    for _ in 0..5 {
        let t = now();
        for _ in 0..n {
            f();
        }
        best = best.min((now() - t) / f64::from(n));
    }
    console_log!("speed: {name}: {best:.4} ms");
}

#[wasm_bindgen_test]
fn speed() {
    let file = common::load("eip712_viem.json");
    let td = common::s(&file["vectors"][0]["typed_data"]).to_owned();
    let chain = file["vectors"][0]["chain_id"].as_u64();
    let key = common::evm_key(common::ANVIL_KEY);
    time("eip712 hash (own encoder)", 200, || {
        evm::typed_data_hash(&td, chain).unwrap();
    });
    time("eip712 hash (alloy-dyn-abi alone)", 200, || {
        let t: alloy_dyn_abi::TypedData = serde_json::from_str(&td).unwrap();
        t.eip712_signing_hash().unwrap();
    });
    time("eip712 sign (own encoder)", 50, || {
        evm::sign_typed_data(&key, &td, chain).unwrap();
    });
    time("eip191 sign", 50, || {
        evm::personal_sign(&key, b"hello").unwrap();
    });
    let secret = WalletSecret::from_mnemonic(common::JUNK).unwrap();
    time("bip39 words of the entropy (the list scanned)", 200, || {
        secret.mnemonic().unwrap();
    });
    time("bip39 entropy of the words (the list scanned)", 200, || {
        WalletSecret::from_mnemonic(common::JUNK).unwrap();
    });
    time("bip39 seed (PBKDF2-HMAC-SHA512, 2048 rounds)", 10, || {
        secret.bip39_seed_with_passphrase("").unwrap();
    });
    time("addresses (seed, BIP-32, SLIP-0010)", 5, || {
        WalletSecret::from_mnemonic(common::JUNK)
            .unwrap()
            .addresses()
            .unwrap();
    });
    let seed = secret.bip39_seed_with_passphrase("").unwrap();
    time("evm key of the seed (BIP-32)", 20, || {
        let node = derive_secp256k1(seed.as_slice(), &[44 | H, 60 | H, H, 0, 0]).unwrap();
        k256::ecdsa::SigningKey::from_slice(node.private_key()).unwrap();
    });
    time("solana key of the seed (SLIP-0010)", 20, || {
        let node = derive_ed25519(seed.as_slice(), &[44 | H, 501 | H, H, H]).unwrap();
        ed25519_dalek::SigningKey::from_bytes(node.private_key());
    });
    let wallet = WalletId::random(&mut OsRng).unwrap();
    time("wallet authority key (HKDF, ed25519)", 20, || {
        WalletAuthority::derive(&secret, wallet).unwrap();
    });
    let three = split_three(&secret, wallet, DeviceId::RECOVERY, 1, &mut OsRng).unwrap();
    let mut record: Option<ColdRecord> = None;
    time("argon2id seal (production floor)", 1, || {
        record = Some(seal_with_password(&three[2], "correct horse battery", &mut OsRng).unwrap());
    });
    let record = record.unwrap();
    time("argon2id open (production floor)", 1, || {
        open_with_password(&record, "correct horse battery", wallet).unwrap();
    });
    answers();
}

/// The answers the iFrame reads before each signature, decoded by hand
/// (keyframe-json, as shipped) and by serde's derive (as before): the
/// policy state (the issue's example policy, a user rule set, 20 usage
/// entries) and a hot share; and the recover body it writes.
fn answers() {
    let example: serde_json::Value = serde_json::from_str(include_str!(
        "../../tests/vectors/policy/issue_example.json"
    ))
    .unwrap();
    let usage: Vec<serde_json::Value> = (0..20)
        .map(|i| serde_json::json!({"layer": "operator", "rule": "small-usdc", "at": 1_700_000_000 + i, "value": "5"}))
        .collect();
    let state = serde_json::json!({
        "operator": example["policy"],
        "user_rules": {"wallet": "0123abcd-4567-89ab-cdef-0123456789ab", "version": 3,
                       "rules": example["policy"].to_string(), "signature": "c2ln"},
        "usage": usage,
        "now": 1_700_000_100u64,
    })
    .to_string();
    type State = keyframe_wire::policy::PolicyState;
    time("policy state answer (keyframe-json)", 200, || {
        keyframe_json::decode::<State>(&state).unwrap();
    });
    time("policy state answer (serde derive)", 200, || {
        serde_json::from_str::<State>(&state).unwrap();
    });
    let share = r#"{"wallet":"0123abcd-4567-89ab-cdef-0123456789ab","device":"11111111-2222-4333-8444-555555555555","version":3,"split":"00112233445566778899aabbccddeeff","share":"S0ZTSAEBAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","kind":"mnemonic","addresses":{"evm":"0x52908400098527886e0f7030069857d2e4169ee7","solana":"7EcDhSYGxXyscszYEp35KHN8vvw3svAuLKTzXwCFLtV"}}"#;
    type Share = keyframe_wire::hot::RecoverResponse;
    time("hot share answer (keyframe-json)", 500, || {
        keyframe_json::decode::<Share>(share).unwrap();
    });
    time("hot share answer (serde derive)", 500, || {
        serde_json::from_str::<Share>(share).unwrap();
    });
    // The body of the recover the iFrame sends before each signature,
    // written by hand (keyframe-json, as shipped) and by serde's derive.
    let body: keyframe_wire::policy::RecoverWithIntent = serde_json::from_value(serde_json::json!({
        "wallet": "0123abcd-4567-89ab-cdef-0123456789ab",
        "device": "11111111-2222-4333-8444-555555555555",
        "version": 3, "split": "00112233445566778899aabbccddeeff",
        "intent": {"kind": "evm_transaction", "chain": 8453, "origin": "https://app.example",
                   "to": "0x833589fcd6edb6e08f4c7c32d4f71b54bda02913", "selector": "0xa9059cbb",
                   "token_transfers": [{"token": "0x833589fcd6edb6e08f4c7c32d4f71b54bda02913",
                                        "to": "0x52908400098527886e0f7030069857d2e4169ee7", "amount": "5000000"}]},
        "on_screen": true,
    }))
    .unwrap();
    time("recover body (keyframe-json)", 500, || {
        keyframe_json::write_json(&body);
    });
    time("recover body (serde derive)", 500, || {
        serde_json::to_string(&body).unwrap();
    });
}
