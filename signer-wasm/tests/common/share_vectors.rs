//! Share envelopes and recovery records: shares_v1 and the fail_* vectors.

use super::*;

/// `shares_v1.json`: shares written by format v1 still decode,
/// re-encode byte-identically and combine (in either order) to the pinned
/// secret and addresses.
pub fn check_shares_v1() {
    let v = load("shares_v1.json");
    let cases = v["cases"].as_array().unwrap();
    assert!(cases.len() >= 3);
    for c in cases {
        let addrs: Addresses = serde_json::from_value(c["addresses"].clone()).unwrap();
        let a = Share::from_bytes(&hex::decode(s(&c["local"])).unwrap()).unwrap();
        let b = Share::from_bytes(&hex::decode(s(&c["hot"])).unwrap()).unwrap();
        assert_eq!(a.wallet().to_string(), s(&c["wallet"]));
        assert_eq!(a.device().to_string(), s(&c["device"]));
        assert_eq!(a.split().to_string(), s(&c["split"]));
        assert_eq!(a.version(), c["version"].as_u64().unwrap());
        // Decoding and re-encoding is byte-identical.
        assert_eq!(hex::encode(a.to_bytes().as_slice()), s(&c["local"]));
        let secret = combine(&a, &b, &addrs).unwrap();
        let again = combine(&b, &a, &addrs).unwrap();
        assert!(secret == again);
        match s(&c["kind"]) {
            "mnemonic" => assert_eq!(secret.mnemonic().unwrap().as_str(), s(&c["mnemonic"])),
            "evm_private_key" => {
                assert_eq!(
                    secret.evm_private_key_hex(0).unwrap().as_str(),
                    s(&c["private_key"])
                )
            }
            k => panic!("kind {k}"),
        }
        assert_eq!(secret.addresses().unwrap(), addrs);
    }
}

/// `fail_shares.json`: the base envelope decodes; every malformed variant
/// is `Error::MalformedShare`. Returns how many cases ran.
pub fn check_fail_shares() -> usize {
    let v = load("fail_shares.json");
    let valid = hex::decode(s(&v["valid"])).unwrap();
    assert!(
        Share::from_bytes(&valid).is_ok(),
        "the base vector must decode"
    );
    let cases = v["cases"].as_array().unwrap();
    assert!(cases.len() >= 10);
    for c in cases {
        let bytes = hex::decode(s(&c["hex"])).unwrap();
        assert_eq!(
            Share::from_bytes(&bytes).unwrap_err(),
            Error::MalformedShare,
            "{}",
            c["name"]
        );
    }
    cases.len()
}

// ---------- Recovery ----------

/// The name of an error variant (`WrongPassword`, `WeakPassword`, …).
pub fn variant(e: &Error) -> String {
    let d = format!("{e:?}");
    d.split('(').next().unwrap().to_string()
}

pub fn record(v: &Value) -> ColdRecord {
    serde_json::from_value(v.clone()).unwrap()
}

pub fn same_share(a: &Share, b: &Share) -> bool {
    a.to_bytes().as_slice() == b.to_bytes().as_slice()
}

/// `fail_recovery.json`: the pinned password (production Argon2id) and
/// automatic records open; the negative cases fail with the named error.
/// `include(case)` picks which cases run (each password case that gets past
/// the parameter checks costs one production Argon2id). Returns how many
/// cases ran.
pub fn check_fail_recovery(include: impl Fn(usize, &Value) -> bool) -> usize {
    let v = load("fail_recovery.json");
    let wallet: WalletId = s(&v["wallet"]).parse().unwrap();
    let share = Share::from_bytes(&hex::decode(s(&v["share"])).unwrap()).unwrap();
    let password = s(&v["password"]);
    let key = RecoveryKey::from_base64url(s(&v["recovery_key"])).unwrap();
    // The pinned good records open (with production parameters).
    let good = record(&v["password_record"]);
    assert_eq!(v["password_record"]["params"]["m"], 65536);
    assert!(same_share(
        &open_with_password(&good, password, wallet).unwrap(),
        &share
    ));
    assert!(same_share(
        &open_with_key(&record(&v["automatic_record"]), &key, wallet).unwrap(),
        &share
    ));

    let cases = v["cases"].as_array().unwrap();
    assert!(cases.len() >= 15);
    let mut n = 0;
    for (i, c) in cases.iter().enumerate() {
        if !include(i, c) {
            continue;
        }
        let name = s(&c["name"]);
        // A record the wire type refuses (wrong shape, unknown field, a kdf
        // other than Argon2id) never reaches the opening code: to the signer
        // it is as unusable as a corrupt ciphertext.
        let Ok(rec) = serde_json::from_value::<ColdRecord>(c["record"].clone()) else {
            assert_eq!(
                s(&c["error"]),
                "CorruptCiphertext",
                "{name}: refused by the wire type"
            );
            n += 1;
            continue;
        };
        let w: WalletId = c["wallet"]
            .as_str()
            .map(|s| s.parse().unwrap())
            .unwrap_or(wallet);
        let got = match s(&c["open"]) {
            "password" => open_with_password(&rec, c["password"].as_str().unwrap_or(password), w),
            "automatic" => {
                let k = c["key"]
                    .as_str()
                    .map(|k| RecoveryKey::from_base64url(k).unwrap());
                open_with_key(&rec, k.as_ref().unwrap_or(&key), w)
            }
            o => panic!("{o}"),
        };
        let mut expected = s(&c["error"]);
        // Below-floor parameters are only a downgrade in production builds;
        // with `weak-test-kdf` they are in bounds and simply derive another key.
        if cfg!(feature = "weak-test-kdf") && c["below_floor"].as_bool() == Some(true) {
            expected = "WrongPassword";
        }
        match got {
            Ok(_) => panic!("{name}: opened"),
            Err(e) => assert_eq!(variant(&e), expected, "{name}"),
        }
        n += 1;
    }
    n
}
