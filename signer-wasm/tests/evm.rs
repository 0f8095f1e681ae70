//! EVM signing against known-answer vectors from independent sources (the
//! EIP texts, viem and ethers) and against negative vectors that must be
//! refused. Vector files live in tests/vectors/ and name their source.

// Tests may panic on unexpected input: that is how they fail.
#![allow(clippy::unwrap_used)]

use k256::ecdsa::{RecoveryId, Signature, SigningKey, VerifyingKey};
use keyframe_signer::Error;
use keyframe_signer::evm::{self, SignedTransaction};
use serde_json::{Value, json};
use sha3::{Digest, Keccak256};

fn load(name: &str) -> Value {
    let path = format!("{}/tests/vectors/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    assert!(
        v["source"].as_str().is_some_and(|s| !s.is_empty()),
        "{name} must name its source"
    );
    v
}

fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s.strip_prefix("0x").unwrap_or(s)).expect("hex")
}

fn key(hex_key: &str) -> SigningKey {
    SigningKey::from_slice(&unhex(hex_key)).expect("key")
}

fn addr_hex(k: &SigningKey) -> String {
    evm::checksum_address(&evm::address(k))
}

/// Recovers the signer of a 65-byte r‖s‖v signature over `hash`.
fn recover(hash: &[u8; 32], sig: &[u8; 65]) -> String {
    let s = Signature::from_slice(&sig[..64]).expect("sig");
    let v = sig[64];
    assert!(v == 27 || v == 28, "v must be 27 or 28");
    let id = RecoveryId::from_byte(v - 27).expect("recid");
    let vk = VerifyingKey::recover_from_prehash(hash, &s, id).expect("recover");
    let point = vk.to_sec1_point(false);
    let h = Keccak256::digest(&point.as_bytes()[1..]);
    let mut a = [0u8; 20];
    a.copy_from_slice(&h[12..]);
    evm::checksum_address(&a)
}

fn vectors(file: &Value) -> &Vec<Value> {
    let v = file["vectors"].as_array().expect("vectors");
    assert!(!v.is_empty());
    v
}

// ---------- EIP-191 ----------

#[test]
fn eip191_vectors_match_viem_and_ethers() {
    let file = load("eip191.json");
    let k = key(file["private_key"].as_str().unwrap());
    assert_eq!(addr_hex(&k), file["address"].as_str().unwrap());
    for v in vectors(&file) {
        let name = v["name"].as_str().unwrap();
        let msg = unhex(v["message_hex"].as_str().unwrap());
        assert_eq!(
            evm::personal_sign_message_bytes(v["param"].as_str().unwrap()),
            msg,
            "{name}: param"
        );
        let sig = evm::personal_sign(&k, &msg).unwrap();
        assert_eq!(
            evm::signature_hex(&sig),
            v["signature"].as_str().unwrap(),
            "{name}"
        );
        assert_eq!(
            recover(&evm::personal_sign_hash(&msg), &sig),
            file["address"].as_str().unwrap()
        );
    }
}

#[test]
fn personal_sign_param_interpretation() {
    assert_eq!(evm::personal_sign_message_bytes("0x68656c6c6f"), b"hello");
    assert_eq!(evm::personal_sign_message_bytes("0x"), b"");
    assert_eq!(evm::personal_sign_message_bytes("0xABcd"), vec![0xab, 0xcd]);
    // Odd length or non-hex: the text itself.
    assert_eq!(evm::personal_sign_message_bytes("0x123"), b"0x123");
    assert_eq!(evm::personal_sign_message_bytes("0xzz"), b"0xzz");
    assert_eq!(evm::personal_sign_message_bytes("hello"), b"hello");
    assert_eq!(evm::personal_sign_message_bytes(""), b"");
}

// ---------- EIP-712 ----------

#[test]
fn eip712_specification_example() {
    let file = load("eip712.json");
    let v = &vectors(&file)[0];
    let k = SigningKey::from_slice(&Keccak256::digest(b"cow")).unwrap();
    assert_eq!(addr_hex(&k), v["address"].as_str().unwrap());
    let td = v["typed_data"].as_str().unwrap();
    let hash = evm::typed_data_hash(td, Some(1)).unwrap();
    assert_eq!(
        format!("0x{}", hex::encode(hash)),
        v["hash"].as_str().unwrap()
    );
    let sig = evm::sign_typed_data(&k, td, Some(1)).unwrap();
    assert_eq!(sig[64], v["v"].as_u64().unwrap() as u8);
    assert_eq!(
        format!("0x{}", hex::encode(&sig[..32])),
        v["r"].as_str().unwrap()
    );
    assert_eq!(
        format!("0x{}", hex::encode(&sig[32..64])),
        v["s"].as_str().unwrap()
    );
    assert_eq!(evm::signature_hex(&sig), v["signature"].as_str().unwrap());
    // The JSON-RPC parameter may also arrive as an object serialised again,
    // and without an active chain to compare.
    assert_eq!(evm::sign_typed_data(&k, td, None).unwrap(), sig);
}

#[test]
fn eip712_vectors_match_viem_and_ethers() {
    let file = load("eip712_viem.json");
    let k = key(file["private_key"].as_str().unwrap());
    for v in vectors(&file) {
        let name = v["name"].as_str().unwrap();
        let td = v["typed_data"].as_str().unwrap();
        let chain = v["chain_id"].as_u64();
        let hash = evm::typed_data_hash(td, chain).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            format!("0x{}", hex::encode(hash)),
            v["hash"].as_str().unwrap(),
            "{name}: hash"
        );
        let sig = evm::sign_typed_data(&k, td, chain).unwrap();
        assert_eq!(
            evm::signature_hex(&sig),
            v["signature"].as_str().unwrap(),
            "{name}"
        );
        assert_eq!(recover(&hash, &sig), file["address"].as_str().unwrap());
        if let Some(c) = chain {
            assert!(
                evm::sign_typed_data(&k, td, Some(c + 1)).is_err(),
                "{name}: other chain accepted"
            );
        }
    }
}

#[test]
fn eip712_negative_vectors_are_refused() {
    let file = load("fail_typed_data.json");
    let k = key("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80");
    let cases = file["cases"].as_array().unwrap();
    assert!(cases.len() >= 20);
    for c in cases {
        let name = c["name"].as_str().unwrap();
        let res = evm::sign_typed_data(
            &k,
            c["typed_data"].as_str().unwrap(),
            c["chain_id"].as_u64(),
        );
        match c["error"].as_str().unwrap() {
            "none" => assert!(res.is_ok(), "{name}: control case refused: {res:?}"),
            _ => match res {
                Err(Error::BadRequest(msg)) => eprintln!("refused {name}: {msg}"),
                other => panic!("{name}: expected BadRequest, got {other:?}"),
            },
        }
    }
}

// ---------- Transactions ----------

fn check_tx_file(name: &str) -> usize {
    let file = load(name);
    let k = key(file["private_key"].as_str().unwrap());
    for v in vectors(&file) {
        let vname = v["name"].as_str().unwrap();
        let chain = v["chain_id"].as_u64().unwrap();
        let SignedTransaction { raw, hash } = evm::sign_transaction(&k, &v["request"], chain)
            .unwrap_or_else(|e| panic!("{vname}: {e}"));
        assert_eq!(
            format!("0x{}", hex::encode(&raw)),
            v["raw"].as_str().unwrap(),
            "{name} {vname}"
        );
        assert_eq!(hash, <[u8; 32]>::from(Keccak256::digest(&raw)));
        if let Some(h) = v["hash"].as_str() {
            assert_eq!(format!("0x{}", hex::encode(hash)), h, "{vname}: hash");
        }
    }
    vectors(&file).len()
}

#[test]
fn tx_eip155_specification_example() {
    assert_eq!(check_tx_file("tx_legacy_eip155.json"), 1);
}

#[test]
fn tx_legacy_vectors_match_viem_and_ethers() {
    check_tx_file("tx_legacy_viem.json");
}

#[test]
fn tx_eip2930_vectors_match_viem_and_ethers() {
    check_tx_file("tx_eip2930.json");
}

#[test]
fn tx_eip1559_vectors_match_viem_and_ethers() {
    check_tx_file("tx_eip1559.json");
}

/// Equivalent spellings of one request sign to the same bytes: inferred
/// type, `gasLimit` for `gas`, `input` for `data` (or both, equal), leading
/// zeros, JSON numbers, `null` for absent, and ignored extras.
#[test]
fn tx_equivalent_request_forms() {
    let file = load("tx_eip1559.json");
    let k = key(file["private_key"].as_str().unwrap());
    for v in vectors(&file) {
        let chain = v["chain_id"].as_u64().unwrap();
        let expected = v["raw"].as_str().unwrap();
        let base = v["request"].as_object().unwrap().clone();
        let mut forms = Vec::new();
        let mut a = base.clone();
        a.remove("type");
        a.remove("chainId");
        forms.push(a);
        let mut b = base.clone();
        let gas = b.remove("gas").unwrap();
        b.insert("gasLimit".into(), gas.clone());
        if let Some(d) = b.remove("data") {
            b.insert("input".into(), d.clone());
            b.insert("data".into(), d);
        }
        b.insert("hash".into(), json!("0x1234"));
        b.insert("gasPrice".into(), Value::Null);
        b.insert("blockHash".into(), Value::Null);
        forms.push(b);
        let mut c = base.clone();
        c.insert("gas".into(), gas.clone());
        c.insert("gasLimit".into(), gas);
        let n = c["nonce"]
            .as_str()
            .unwrap()
            .trim_start_matches("0x")
            .to_string();
        c.insert("nonce".into(), json!(format!("0x000{n}")));
        c.insert("chainId".into(), json!(chain));
        c.insert("type".into(), json!("0x02"));
        forms.push(c);
        for (i, f) in forms.into_iter().enumerate() {
            let got = evm::sign_transaction(&k, &Value::Object(f), chain)
                .unwrap_or_else(|e| panic!("form {i}: {e}"));
            assert_eq!(format!("0x{}", hex::encode(got.raw)), expected, "form {i}");
        }
    }
}

#[test]
fn tx_legacy_without_chain_id_uses_the_active_chain() {
    let file = load("tx_legacy_eip155.json");
    let v = &vectors(&file)[0];
    let k = key(file["private_key"].as_str().unwrap());
    let mut req = v["request"].as_object().unwrap().clone();
    req.remove("chainId");
    let got = evm::sign_transaction(&k, &Value::Object(req.clone()), 1).unwrap();
    assert_eq!(
        format!("0x{}", hex::encode(got.raw)),
        v["raw"].as_str().unwrap()
    );
    // On another active chain the same request is signed for that chain, never without EIP-155.
    let other = evm::sign_transaction(&k, &Value::Object(req), 5).unwrap();
    assert_ne!(other.raw, unhex(v["raw"].as_str().unwrap()));
}

#[test]
fn tx_negative_vectors_are_refused() {
    let file = load("fail_tx.json");
    let k = key("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80");
    let cases = file["cases"].as_array().unwrap();
    assert!(cases.len() >= 20);
    for c in cases {
        let name = c["name"].as_str().unwrap();
        let res = evm::sign_transaction(&k, &c["request"], c["chain_id"].as_u64().unwrap());
        match c["error"].as_str().unwrap() {
            "none" => assert!(res.is_ok(), "{name}: control case refused: {res:?}"),
            _ => match res {
                Err(Error::BadRequest(msg)) => eprintln!("refused {name}: {msg}"),
                other => panic!("{name}: expected BadRequest, got {other:?}"),
            },
        }
    }
}

#[test]
fn addresses_checksum_and_parse() {
    let k = key("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80");
    assert_eq!(addr_hex(&k), "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
    let a = evm::address(&k);
    assert_eq!(
        evm::parse_address("a", "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266").unwrap(),
        a
    );
    assert_eq!(
        evm::parse_address("a", "0xF39FD6E51AAD88F6F4CE6AB8827279CFFFB92266").unwrap(),
        a
    );
    assert_eq!(
        evm::parse_address("a", "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266").unwrap(),
        a
    );
    assert!(evm::parse_address("a", "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92267").is_err());
    assert!(evm::parse_address("a", "0xF39Fd6e51aad88F6F4ce6aB8827279cffFb92266").is_err());
    assert!(evm::parse_address("a", "f39fd6e51aad88f6f4ce6ab8827279cfffb92266").is_err());
}

#[test]
fn signatures_are_low_s() {
    let half_n = unhex("7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0");
    let k = key("0x4646464646464646464646464646464646464646464646464646464646464646");
    for i in 0..32u8 {
        let sig = evm::personal_sign(&k, &[i; 7]).unwrap();
        assert!(sig[32..64] <= half_n[..], "high s");
    }
}

/// The domain's chainId may arrive as a number, a hex string or a decimal
/// string (libraries differ); all mean the same domain.
#[test]
fn eip712_chain_id_spellings() {
    let file = load("eip712.json");
    let v = &vectors(&file)[0];
    let td: Value = serde_json::from_str(v["typed_data"].as_str().unwrap()).unwrap();
    for spelling in [json!(1), json!("0x1"), json!("1")] {
        let mut t = td.clone();
        t["domain"]["chainId"] = spelling.clone();
        let hash = evm::typed_data_hash(&t.to_string(), Some(1))
            .unwrap_or_else(|e| panic!("{spelling}: {e}"));
        assert_eq!(
            format!("0x{}", hex::encode(hash)),
            v["hash"].as_str().unwrap(),
            "{spelling}"
        );
        assert!(
            evm::typed_data_hash(&t.to_string(), Some(2)).is_err(),
            "{spelling}"
        );
    }
}
