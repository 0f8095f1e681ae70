//! The signer core as wasm32 (docs/architecture.md §8): the known-answer vectors of
//! `tests/vectors/` run through the public core API in a wasm32 build, with
//! the same checks as the native tests (`tests/common`), plus randomness
//! (`getrandom` via `crypto.getRandomValues`) and Argon2id at production
//! parameters.
//!
//! `cargo test -p keyframe-signer --target wasm32-unknown-unknown --test wasm`
//! (runs in Node through wasm-bindgen-test-runner; no browser needed).

#![cfg(target_arch = "wasm32")]
// Tests panic on failure by design.
#![allow(clippy::unwrap_used)]

use keyframe_signer::Error;
use keyframe_signer::recovery::{
    ColdRecord, KdfParams, RecoveryKey, open_with_key, open_with_password, seal_with_key,
    seal_with_password,
};
use keyframe_signer::secret::{OsRng, WalletKind, WalletSecret};
use keyframe_signer::shares::RandomId;
use keyframe_signer::shares::{self, DeviceId, Share, WalletId, combine, split_pair, split_three};
use keyframe_wire::shield::{Kdf, RecoveryMethod, Sealing};
use wasm_bindgen_test::{console_log, wasm_bindgen_test};

mod common;
use common::{JUNK, same_share};

/// Milliseconds since some origin (`Date.now()`), for timing logs.
fn now_ms() -> f64 {
    js_sys::Date::now()
}

// ---------- Keys ----------

#[wasm_bindgen_test]
fn bip39_vectors() {
    // entropy ↔ mnemonic for all 24 cases; seed and master key for all too
    // (PBKDF2 with 2048 rounds each is cheap).
    assert_eq!(common::check_bip39(1), 24);
}

#[wasm_bindgen_test]
fn bip32_vectors() {
    common::check_bip32();
}

#[wasm_bindgen_test]
fn slip10_vectors() {
    common::check_slip10();
}

#[wasm_bindgen_test]
fn test_junk_is_the_anvil_account() {
    common::check_test_junk();
}

#[wasm_bindgen_test]
fn wallet_account_vectors() {
    common::check_wallets();
}

/// The wallet authority key (src/authority.rs): derivation and a signed
/// request match the independently computed vectors in wasm32 too.
#[wasm_bindgen_test]
fn authority_vectors() {
    assert!(common::check_authority() >= 4);
}

// ---------- EVM ----------

#[wasm_bindgen_test]
fn eip191_vectors() {
    common::check_eip191();
}

#[wasm_bindgen_test]
fn eip712_specification_example() {
    common::check_eip712_spec();
}

#[wasm_bindgen_test]
fn eip712_viem_vectors() {
    common::check_eip712_viem();
}

#[wasm_bindgen_test]
fn tx_legacy_eip155_specification_example() {
    assert_eq!(common::check_tx_file("tx_legacy_eip155.json"), 1);
}

#[wasm_bindgen_test]
fn tx_legacy_viem_vectors() {
    assert!(common::check_tx_file("tx_legacy_viem.json") >= 1);
}

#[wasm_bindgen_test]
fn tx_eip2930_vectors() {
    assert!(common::check_tx_file("tx_eip2930.json") >= 1);
}

#[wasm_bindgen_test]
fn tx_eip1559_vectors() {
    assert!(common::check_tx_file("tx_eip1559.json") >= 1);
}

// ---------- Solana ----------

#[wasm_bindgen_test]
fn ed25519_rfc8032_vectors() {
    common::check_rfc8032();
}

#[wasm_bindgen_test]
fn solana_transaction_vectors() {
    common::check_solana_txs();
}

// ---------- Shares ----------

#[wasm_bindgen_test]
fn pinned_v1_shares_combine() {
    common::check_shares_v1();
}

/// Platform randomness works in wasm32 (getrandom's `wasm_js` backend,
/// `crypto.getRandomValues`): fresh wallets differ, and any two of three
/// shares of an `OsRng` split rebuild the secret.
#[wasm_bindgen_test]
fn split_combine_round_trip_with_os_rng() {
    let mut rng = OsRng;
    let a = WalletSecret::generate(&mut rng).unwrap();
    let b = WalletSecret::generate_os().unwrap();
    assert!(a != b, "two generated wallets are equal");
    assert_eq!(a.kind(), WalletKind::Mnemonic);
    assert_eq!(a.mnemonic().unwrap().split(' ').count(), 24);

    for secret in [
        a,
        WalletSecret::from_mnemonic(JUNK).unwrap(),
        WalletSecret::from_evm_private_key(
            "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318",
        )
        .unwrap(),
    ] {
        let addrs = secret.addresses().unwrap();
        let wallet = WalletId::random(&mut rng).unwrap();
        let device = DeviceId::random(&mut rng).unwrap();
        let three = split_three(&secret, wallet, device, 1, &mut rng).unwrap();
        for (i, j) in [(0, 1), (0, 2), (1, 2), (1, 0), (2, 0), (2, 1)] {
            assert!(
                combine(&three[i], &three[j], &addrs).unwrap() == secret,
                "shares {i} and {j}"
            );
        }
        for s in &three {
            assert_eq!(combine(s, s, &addrs).unwrap_err(), Error::ShareMismatch);
        }
        // The pair the product keeps, through its byte envelope.
        let p = split_pair(&secret, wallet, device, 2, &mut rng).unwrap();
        let local = Share::from_bytes(&p.local.to_bytes()).unwrap();
        let hot = Share::from_bytes(&p.hot.to_bytes()).unwrap();
        assert!(combine(&local, &hot, &addrs).unwrap() == secret);
        // Two splits of one secret differ; shares of different splits refuse.
        let q = split_pair(&secret, wallet, device, 2, &mut rng).unwrap();
        assert_ne!(p.local.split(), q.local.split());
        assert_ne!(&p.local.to_bytes()[64..], &q.local.to_bytes()[64..]);
        assert_eq!(
            combine(&p.local, &q.hot, &addrs).unwrap_err(),
            Error::ShareMismatch
        );
        // The recovery pair: C recomputed from (secret, H₀).
        let r = split_pair(&secret, wallet, DeviceId::RECOVERY, 0, &mut rng).unwrap();
        let c = shares::recovery_partner(&secret, &r.hot).unwrap();
        assert!(same_share(&c, &r.local));
    }
}

// ---------- Recovery ----------

/// A fresh recovery pair (C, H₀) of the `test … junk` wallet, drawn from
/// `OsRng`.
fn recovery_pair() -> (WalletSecret, WalletId, Share, Share) {
    let mut rng = OsRng;
    let secret = WalletSecret::from_mnemonic(JUNK).unwrap();
    let wallet = WalletId::random(&mut rng).unwrap();
    let p = split_pair(&secret, wallet, DeviceId::RECOVERY, 0, &mut rng).unwrap();
    (secret, wallet, p.local, p.hot)
}

/// Password recovery at the production Argon2id parameters (64 MiB, 3
/// passes, 1 lane) in wasm32: seal, store as JSON, open, rebuild; a wrong
/// password is `Error::WrongPassword`.
#[wasm_bindgen_test]
fn password_recovery_at_production_params() {
    assert_eq!(
        KdfParams::floor(),
        KdfParams::PRODUCTION,
        "weak-test-kdf build"
    );
    let (secret, wallet, cold, hot) = recovery_pair();
    let password = "correct horse battery staple";
    let t0 = now_ms();
    let rec = seal_with_password(&cold, password, &mut OsRng).unwrap();
    let t1 = now_ms();
    let Sealing::Password(params) = &rec.sealing else {
        panic!("not a password record")
    };
    assert_eq!(params.kdf, Kdf::Argon2id);
    assert_eq!((params.m, params.t, params.p), (65536, 3, 1));
    let json = serde_json::to_string(&rec).unwrap();
    let back: ColdRecord = serde_json::from_str(&json).unwrap();
    assert_eq!(back, rec);
    let t2 = now_ms();
    let opened = open_with_password(&back, password, wallet).unwrap();
    let t3 = now_ms();
    assert!(same_share(&opened, &cold));
    assert!(combine(&opened, &hot, &secret.addresses().unwrap()).unwrap() == secret);
    let err = open_with_password(&back, "correct horse battery stapler", wallet).unwrap_err();
    assert_eq!(err, Error::WrongPassword);
    assert_eq!(err.reason(), "WRONG_PASSWORD");
    console_log!(
        "argon2id m=65536 t=3 p=1 in wasm32: seal {:.0} ms, open {:.0} ms",
        t1 - t0,
        t3 - t2
    );
}

/// Automatic recovery: AES-256-GCM under a generated 32-byte key.
#[wasm_bindgen_test]
fn automatic_recovery_round_trip() {
    let (secret, wallet, cold, hot) = recovery_pair();
    let mut rng = OsRng;
    let key = RecoveryKey::generate(&mut rng).unwrap();
    let rec = seal_with_key(&cold, &key, &mut rng).unwrap();
    assert_eq!(rec.sealing.method(), RecoveryMethod::Automatic);
    let key2 = RecoveryKey::from_base64url(&key.to_base64url()).unwrap();
    let back: ColdRecord = serde_json::from_str(&serde_json::to_string(&rec).unwrap()).unwrap();
    let opened = open_with_key(&back, &key2, wallet).unwrap();
    assert!(combine(&opened, &hot, &secret.addresses().unwrap()).unwrap() == secret);
    // Fresh nonce per seal.
    assert_ne!(
        seal_with_key(&cold, &key, &mut rng).unwrap().ciphertext,
        rec.ciphertext
    );
    let other = RecoveryKey::generate(&mut rng).unwrap();
    assert_eq!(
        open_with_key(&rec, &other, wallet).unwrap_err(),
        Error::CorruptCiphertext
    );
    assert_eq!(
        open_with_key(&rec, &key, WalletId::random(&mut rng).unwrap()).unwrap_err(),
        Error::CorruptCiphertext
    );
    let mut t = rec.clone();
    let mut bytes = rec.ciphertext.as_bytes().to_vec();
    bytes[20] ^= 1;
    t.ciphertext = keyframe_wire::Ciphertext::new(bytes.into()).unwrap();
    assert_eq!(
        open_with_key(&t, &key, wallet).unwrap_err(),
        Error::CorruptCiphertext
    );
}

// ---------- Negative vectors (fail_*.json) ----------

#[wasm_bindgen_test]
fn fail_typed_data_vectors() {
    assert!(common::check_fail_typed_data(1) >= 20);
}

#[wasm_bindgen_test]
fn fail_tx_vectors() {
    assert!(common::check_fail_tx(1) >= 20);
}

#[wasm_bindgen_test]
fn fail_solana_tx_vectors() {
    assert!(common::check_fail_solana_tx(1) >= 10);
}

#[wasm_bindgen_test]
fn fail_shares_vectors() {
    assert!(common::check_fail_shares() >= 10);
}

/// All cases of `fail_recovery.json`, including the pinned production
/// records (each password case past the parameter checks runs a production
/// Argon2id), and the weak passwords.
#[wasm_bindgen_test]
fn fail_recovery_vectors() {
    let t0 = now_ms();
    let n = common::check_fail_recovery(|_, _| true);
    assert!(n >= 15);
    let v = common::load("fail_recovery.json");
    let (_, _, cold, _) = recovery_pair();
    for pw in v["weak_passwords"].as_array().unwrap() {
        let pw = pw.as_str().unwrap();
        assert_eq!(
            seal_with_password(&cold, pw, &mut OsRng).unwrap_err(),
            Error::WeakPassword(12),
            "{pw:?}"
        );
    }
    console_log!("fail_recovery.json: {n} cases in {:.0} ms", now_ms() - t0);
}

// ---------- JSON ----------

/// In the WASM, a JSON number that is not an integer is JavaScript's
/// `parseFloat` of its text (json/src/parse.rs, `float_of`): correctly
/// rounded, the same bits as Rust's own parse, and a text beyond `f64`'s
/// range is refused as serde_json refuses it. Integers never go through it.
#[wasm_bindgen_test]
fn json_numbers_parse_as_natively() {
    let floats = [
        "1.5",
        "-1.5",
        "0.1",
        "1e3",
        "-0",
        "-0.0",
        "4.9e-324",
        "1e-400",
        "2.2250738585072014e-308",
        "1.7976931348623157e308",
        "123.456e-7",
        "18446744073709551616",
        "-9223372036854775809",
        "0.30000000000000004",
    ];
    for text in floats {
        let value = keyframe_json::parse(text).unwrap();
        let exact: f64 = text.parse().unwrap();
        assert_eq!(
            value.as_f64().map(f64::to_bits),
            Some(exact.to_bits()),
            "{text}"
        );
        assert!(value.is_f64(), "{text} is a float");
    }
    for text in ["1e400", "-1e400", "1e309", "1.", "01", "Infinity"] {
        assert!(keyframe_json::parse(text).is_err(), "{text} was accepted");
    }
    assert_eq!(
        keyframe_json::parse("18446744073709551615")
            .unwrap()
            .as_u64(),
        Some(u64::MAX)
    );
    assert_eq!(
        keyframe_json::parse("-9223372036854775808")
            .unwrap()
            .as_i64(),
        Some(i64::MIN)
    );
}
