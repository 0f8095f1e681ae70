//! Recovery envelopes for the cold share C: round trips with the production
//! Argon2id parameters, and the negative vectors of
//! `tests/vectors/fail_recovery.json` (wrong password, tampering, wrong
//! wallet, wrong key, weak passwords).

// Tests panic on failure by design.
#![allow(clippy::unwrap_used)]

use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};
use chacha20::ChaCha20Rng;
use keyframe_signer::Error;
use keyframe_signer::recovery::{
    ColdRecord, KdfParams, RecoveryKey, open_with_key, open_with_password, seal_with_key,
    seal_with_password, seal_with_password_params,
};
use keyframe_signer::secret::{OsRng, WalletSecret};
use keyframe_signer::shares::{DeviceId, RandomId, Share, WalletId, combine, split_pair};
use keyframe_wire::Ciphertext;
use keyframe_wire::shield::{AutomaticParams, Kdf, Sealing};
use rand_core::SeedableRng;
use serde_json::{Value, json};
use zeroize::Zeroizing;

mod common;
use common::{JUNK, same_share};

/// The cheapest parameters this build accepts: production normally, tiny
/// with the `weak-test-kdf` feature.
fn test_params() -> KdfParams {
    KdfParams::floor()
}

fn recovery_pair(seed: u64) -> (WalletSecret, WalletId, Share, Share) {
    let mut r = ChaCha20Rng::seed_from_u64(seed);
    let secret = WalletSecret::from_mnemonic(JUNK).unwrap();
    let wallet = WalletId::random(&mut r).unwrap();
    let p = split_pair(&secret, wallet, DeviceId::RECOVERY, 0, &mut r).unwrap();
    (secret, wallet, p.local, p.hot)
}

#[test]
fn password_round_trip_with_production_params() {
    let (secret, wallet, cold, hot) = recovery_pair(1);
    let mut rng = OsRng;
    let rec = seal_with_password(&cold, "correct horse battery staple", &mut rng).unwrap();
    let Sealing::Password(params) = &rec.sealing else {
        panic!("not a password record")
    };
    assert_eq!(params.kdf, Kdf::Argon2id);
    assert_eq!((params.m, params.t, params.p), (65536, 3, 1));
    assert_eq!(STANDARD.decode(&params.salt).unwrap().len(), 16);
    // Through JSON, as Shield stores it.
    let json = serde_json::to_string(&rec).unwrap();
    let back: ColdRecord = serde_json::from_str(&json).unwrap();
    assert_eq!(back, rec);
    let opened = open_with_password(&back, "correct horse battery staple", wallet).unwrap();
    assert!(same_share(&opened, &cold));
    assert!(combine(&opened, &hot, &secret.addresses().unwrap()).unwrap() == secret);
    // The plaintext share is nowhere in the record.
    let plain = cold.to_bytes();
    assert!(
        !rec.ciphertext
            .as_bytes()
            .windows(16)
            .any(|w| w == &plain[64..80])
    );
    // Wrong password on the same record.
    assert_eq!(
        open_with_password(&rec, "correct horse battery stapl", wallet).unwrap_err(),
        Error::WrongPassword
    );
}

#[test]
fn params_survive_key_reordering() {
    // PostgreSQL jsonb and others reorder object keys; the AAD does not
    // depend on the JSON text.
    let (_, wallet, cold, _) = recovery_pair(2);
    let mut rng = OsRng;
    let rec = seal_with_password_params(&cold, "twelve chars!", test_params(), &mut rng).unwrap();
    let v = serde_json::to_value(&rec).unwrap();
    let p = &v["params"];
    let text = format!(
        r#"{{"ciphertext":{},"params":{{"verifier":{},"salt":{},"p":{},"t":{},"m":{},"kdf":"argon2id"}},"method":"password"}}"#,
        v["ciphertext"], p["verifier"], p["salt"], p["p"], p["t"], p["m"]
    );
    let reordered: ColdRecord = serde_json::from_str(&text).unwrap();
    assert!(same_share(
        &open_with_password(&reordered, "twelve chars!", wallet).unwrap(),
        &cold
    ));
}

#[test]
fn weak_passwords_are_refused() {
    let (_, _, cold, _) = recovery_pair(3);
    let mut rng = OsRng;
    for pw in [
        "",
        "short",
        "elevenchars",
        "🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑",
        "ééééééééééé",
    ] {
        assert_eq!(
            seal_with_password(&cold, pw, &mut rng).unwrap_err(),
            Error::WeakPassword(12),
            "{pw:?}"
        );
    }
    // Twelve characters count, not bytes: 12 emoji are fine, and so is a
    // 12-character ASCII password.
    assert!(
        seal_with_password_params(&cold, "🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑", test_params(), &mut rng)
            .is_ok()
    );
    assert!(seal_with_password_params(&cold, "twelve chars", test_params(), &mut rng).is_ok());
}

#[test]
fn kdf_params_are_bounded_when_sealing() {
    let (_, _, cold, _) = recovery_pair(4);
    let mut rng = OsRng;
    let too_much = [
        KdfParams {
            m_kib: (1 << 20) + 1,
            t: 3,
            p: 1,
        },
        KdfParams {
            m_kib: 65536,
            t: 21,
            p: 1,
        },
        KdfParams {
            m_kib: 65536,
            t: 3,
            p: 5,
        },
        KdfParams {
            m_kib: 65536,
            t: 3,
            p: 0,
        },
    ];
    for k in too_much {
        assert!(
            matches!(
                seal_with_password_params(&cold, "long enough password", k, &mut rng),
                Err(Error::BadRequest(_))
            ),
            "{k:?}"
        );
    }
    #[cfg(not(feature = "weak-test-kdf"))]
    {
        // Without the weak-test-kdf feature nothing below production is accepted.
        for k in [
            KdfParams {
                m_kib: 65535,
                t: 3,
                p: 1,
            },
            KdfParams {
                m_kib: 65536,
                t: 2,
                p: 1,
            },
            KdfParams {
                m_kib: 8,
                t: 1,
                p: 1,
            },
        ] {
            assert!(
                matches!(
                    seal_with_password_params(&cold, "long enough password", k, &mut rng),
                    Err(Error::BadRequest(_))
                ),
                "{k:?}"
            );
        }
    }
}

#[test]
fn only_cold_shares_are_sealed() {
    let mut r = ChaCha20Rng::seed_from_u64(5);
    let secret = WalletSecret::from_mnemonic(JUNK).unwrap();
    let p = split_pair(
        &secret,
        WalletId::random(&mut r).unwrap(),
        DeviceId::random(&mut r).unwrap(),
        0,
        &mut r,
    )
    .unwrap();
    let key = RecoveryKey::generate(&mut r).unwrap();
    assert!(matches!(
        seal_with_key(&p.local, &key, &mut r),
        Err(Error::BadRequest(_))
    ));
    assert!(matches!(
        seal_with_password(&p.local, "long enough password", &mut r),
        Err(Error::BadRequest(_))
    ));
}

#[test]
fn automatic_round_trip_and_failures() {
    let (secret, wallet, cold, hot) = recovery_pair(6);
    let mut rng = OsRng;
    let key = RecoveryKey::generate(&mut rng).unwrap();
    let rec = seal_with_key(&cold, &key, &mut rng).unwrap();
    assert_eq!(rec.sealing, Sealing::Automatic(AutomaticParams {}));
    let key2 = RecoveryKey::from_base64url(&key.to_base64url()).unwrap();
    let opened = open_with_key(&rec, &key2, wallet).unwrap();
    assert!(combine(&opened, &hot, &secret.addresses().unwrap()).unwrap() == secret);
    // Two seals of the same share differ (fresh nonce).
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
    for i in 0..rec.ciphertext.as_bytes().len() {
        let mut t = rec.clone();
        let mut bytes = rec.ciphertext.as_bytes().to_vec();
        bytes[i] ^= 0x01;
        t.ciphertext = Ciphertext::new(Zeroizing::new(bytes)).unwrap();
        assert_eq!(
            open_with_key(&t, &key, wallet).unwrap_err(),
            Error::CorruptCiphertext,
            "flip at {i}"
        );
    }
    // A password record is not opened as automatic, nor the reverse.
    assert_eq!(
        open_with_password(&rec, "long enough password", wallet).unwrap_err(),
        Error::CorruptCiphertext
    );
}

#[test]
fn recovery_key_parsing() {
    let bytes = [7u8; 32];
    let unpadded = URL_SAFE_NO_PAD.encode(bytes);
    let padded = URL_SAFE.encode(bytes);
    let k1 = RecoveryKey::from_base64url(&unpadded).unwrap();
    let k2 = RecoveryKey::from_base64url(&padded).unwrap();
    assert_eq!(k1.to_base64url().as_str(), unpadded);
    assert_eq!(k2.to_base64url().as_str(), unpadded);
    for bad in [
        "",
        "abc",
        &URL_SAFE_NO_PAD.encode([7u8; 31]),
        &URL_SAFE_NO_PAD.encode([7u8; 33]),
        "!!!!",
    ] {
        assert!(
            matches!(RecoveryKey::from_base64url(bad), Err(Error::BadRequest(_))),
            "{bad}"
        );
    }
    assert!(!format!("{k1:?}").contains(&unpadded[..8]));
}

#[cfg(feature = "weak-test-kdf")]
#[test]
fn weak_test_kdf_allows_cheap_params() {
    let (_, wallet, cold, _) = recovery_pair(7);
    let mut rng = OsRng;
    let k = KdfParams {
        m_kib: 8,
        t: 1,
        p: 1,
    };
    let rec = seal_with_password_params(&cold, "long enough password", k, &mut rng).unwrap();
    assert!(same_share(
        &open_with_password(&rec, "long enough password", wallet).unwrap(),
        &cold
    ));
}

#[test]
fn recovery_vectors() {
    common::check_fail_recovery(|_, _| true);
    let v = common::load("fail_recovery.json");
    let (_, _, cold, _) = recovery_pair(8);
    let mut rng = OsRng;
    for pw in v["weak_passwords"].as_array().unwrap() {
        let pw = pw.as_str().unwrap();
        assert_eq!(
            seal_with_password(&cold, pw, &mut rng).unwrap_err(),
            Error::WeakPassword(12),
            "{pw:?}"
        );
    }
}

/// Regenerates `fail_recovery.json`. Run by hand only:
/// `cargo test -p keyframe-signer --test recovery -- --ignored --nocapture generate`
#[test]
#[ignore]
fn generate_recovery_vectors() {
    let mut r = ChaCha20Rng::seed_from_u64(20261121);
    let secret = WalletSecret::from_mnemonic(JUNK).unwrap();
    let wallet = WalletId::random(&mut r).unwrap();
    let other_wallet = WalletId::random(&mut r).unwrap();
    let pair = split_pair(&secret, wallet, DeviceId::RECOVERY, 0, &mut r).unwrap();
    let password = "correct horse battery staple";
    let key = RecoveryKey::generate(&mut r).unwrap();
    let wrong_key = RecoveryKey::generate(&mut r).unwrap();
    let pw = seal_with_password(&pair.local, password, &mut r).unwrap();
    let auto = seal_with_key(&pair.local, &key, &mut r).unwrap();
    // Records are edited in their JSON form, as a hostile Shield would.
    let rec = |x: &ColdRecord| serde_json::to_value(x).unwrap();
    let edit = |base: &ColdRecord, f: &dyn Fn(&mut Value)| {
        let mut x = rec(base);
        f(&mut x);
        x
    };
    let bytes = |base: &ColdRecord, f: &dyn Fn(&mut Vec<u8>)| {
        let mut c = base.ciphertext.as_bytes().to_vec();
        f(&mut c);
        let mut x = rec(base);
        x["ciphertext"] = json!(STANDARD.encode(&c));
        x
    };
    let param = |name: &str, val: Value| {
        let mut x = rec(&pw);
        x["params"][name] = val;
        x
    };
    let n = pw.ciphertext.as_bytes().len();
    // Sealed by hand: a record that authenticates under this wallet and key
    // but holds a device share, or another wallet's share.
    let hand_sealed = |share: &Share| {
        let mut aad = b"keyframe/cold-share/v1\0".to_vec();
        aad.extend_from_slice(wallet.as_bytes());
        aad.push(9);
        aad.extend_from_slice(b"automatic");
        let raw: [u8; 32] = URL_SAFE_NO_PAD
            .decode(key.to_base64url().as_bytes())
            .unwrap()
            .try_into()
            .unwrap();
        let cipher = Aes256Gcm::new(&raw.into());
        let nonce = [9u8; 12];
        let ct = cipher
            .encrypt(
                &nonce.into(),
                Payload {
                    msg: &share.to_bytes(),
                    aad: &aad,
                },
            )
            .unwrap();
        let mut c = nonce.to_vec();
        c.extend_from_slice(&ct);
        json!({ "method": "automatic", "params": {}, "ciphertext": STANDARD.encode(&c) })
    };
    let device_pair = split_pair(
        &secret,
        wallet,
        DeviceId::random(&mut r).unwrap(),
        0,
        &mut r,
    )
    .unwrap();
    let foreign_pair = split_pair(&secret, other_wallet, DeviceId::RECOVERY, 0, &mut r).unwrap();
    let b64 = |n: usize, byte: u8| STANDARD.encode(vec![byte; n]);
    let cases = json!([
        {"name": "wrong password", "open": "password", "record": rec(&pw), "password": "correct horse battery stapler", "error": "WrongPassword"},
        {"name": "password differing in case", "open": "password", "record": rec(&pw), "password": "Correct horse battery staple", "error": "WrongPassword"},
        {"name": "empty password", "open": "password", "record": rec(&pw), "password": "", "error": "WrongPassword"},
        {"name": "flipped nonce byte", "open": "password", "record": bytes(&pw, &|c| c[0] ^= 1), "error": "CorruptCiphertext"},
        {"name": "flipped ciphertext byte", "open": "password", "record": bytes(&pw, &|c| c[20] ^= 0x80), "error": "CorruptCiphertext"},
        {"name": "flipped tag byte", "open": "password", "record": bytes(&pw, &|c| c[n - 1] ^= 1), "error": "CorruptCiphertext"},
        {"name": "truncated ciphertext", "open": "password", "record": bytes(&pw, &|c| { c.pop(); }), "error": "CorruptCiphertext"},
        {"name": "empty ciphertext", "open": "password", "record": bytes(&pw, &|c| c.clear()), "error": "CorruptCiphertext"},
        {"name": "other kdf", "open": "password", "record": param("kdf", json!("argon2i")), "error": "CorruptCiphertext"},
        {"name": "memory above 1 GiB", "open": "password", "record": param("m", json!(4_194_304)), "error": "CorruptCiphertext"},
        {"name": "memory as a huge number", "open": "password", "record": param("m", json!(1u64 << 40)), "error": "CorruptCiphertext"},
        {"name": "passes above 20", "open": "password", "record": param("t", json!(1000)), "error": "CorruptCiphertext"},
        {"name": "zero lanes", "open": "password", "record": param("p", json!(0)), "error": "CorruptCiphertext"},
        {"name": "memory as a string", "open": "password", "record": param("m", json!("65536")), "error": "CorruptCiphertext"},
        {"name": "memory lowered below the production floor", "open": "password", "record": param("m", json!(8)), "error": "CorruptCiphertext", "below_floor": true},
        {"name": "passes lowered below the production floor", "open": "password", "record": param("t", json!(1)), "error": "CorruptCiphertext", "below_floor": true},
        {"name": "short salt", "open": "password", "record": param("salt", json!(b64(8, 1))), "error": "CorruptCiphertext"},
        {"name": "salt not base64", "open": "password", "record": param("salt", json!("***")), "error": "CorruptCiphertext"},
        {"name": "salt replaced (same length): indistinguishable from a wrong password", "open": "password", "record": param("salt", json!(b64(16, 1))), "error": "WrongPassword"},
        {"name": "verifier replaced: indistinguishable from a wrong password", "open": "password", "record": param("verifier", json!(b64(32, 2))), "error": "WrongPassword"},
        {"name": "unknown params field", "open": "password", "record": param("extra", json!(1)), "error": "CorruptCiphertext"},
        {"name": "params without verifier", "open": "password", "record": edit(&pw, &|x| { x["params"].as_object_mut().unwrap().remove("verifier"); }), "error": "CorruptCiphertext"},
        {"name": "params not an object", "open": "password", "record": edit(&pw, &|x| x["params"] = json!([])), "error": "CorruptCiphertext"},
        {"name": "password record labelled automatic", "open": "password", "record": edit(&pw, &|x| x["method"] = json!("automatic")), "error": "CorruptCiphertext"},
        {"name": "password record of another wallet id", "open": "password", "record": rec(&pw), "wallet": other_wallet.to_string(), "error": "CorruptCiphertext"},
        {"name": "wrong automatic key", "open": "automatic", "record": rec(&auto), "key": wrong_key.to_base64url().as_str(), "error": "CorruptCiphertext"},
        {"name": "automatic: flipped ciphertext byte", "open": "automatic", "record": bytes(&auto, &|c| c[30] ^= 4), "error": "CorruptCiphertext"},
        {"name": "automatic: params not empty", "open": "automatic", "record": edit(&auto, &|x| x["params"] = json!({"kdf": "none"})), "error": "CorruptCiphertext"},
        {"name": "automatic: labelled password", "open": "automatic", "record": edit(&auto, &|x| x["method"] = json!("password")), "error": "CorruptCiphertext"},
        {"name": "automatic: another wallet id", "open": "automatic", "record": rec(&auto), "wallet": other_wallet.to_string(), "error": "CorruptCiphertext"},
        {"name": "automatic: authentic record holding a device share", "open": "automatic", "record": hand_sealed(&device_pair.local), "error": "ShareMismatch"},
        {"name": "automatic: authentic record holding another wallet's cold share", "open": "automatic", "record": hand_sealed(&foreign_pair.local), "error": "ShareMismatch"}
    ]);
    let out = json!({
        "source": "Generated by this crate (keyframe-signer recovery envelopes v1) on 2026-11-21 with tests/recovery.rs::generate_recovery_vectors (seeded ChaCha20 rng, production Argon2id m=65536 t=3 p=1). 'password_record' and 'automatic_record' seal 'share' for 'wallet'; every case must fail with the named error.",
        "wallet": wallet.to_string(),
        "share": hex::encode(pair.local.to_bytes().as_slice()),
        "password": password,
        "recovery_key": key.to_base64url().as_str(),
        "password_record": rec(&pw),
        "automatic_record": rec(&auto),
        "cases": cases,
        "weak_passwords": ["", "a", "password123", "elevenchars", "ÄÄÄÄÄÄÄÄÄÄÄ", "🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑"]
    });
    println!("{}", serde_json::to_string_pretty(&out).unwrap());
}
