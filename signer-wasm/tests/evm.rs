//! EVM signing against known-answer vectors from independent sources (the
//! EIP texts, viem and ethers) and against negative vectors that must be
//! refused. Vector files live in tests/vectors/ and name their source.

// Tests may panic on unexpected input: that is how they fail.
#![allow(clippy::unwrap_used)]

use k256::ecdsa::SigningKey;
use keyframe_signer::evm;
use serde_json::{Value, json};

mod common;
use common::{addr_hex, check_tx_file, load, unhex, vectors};

fn key(hex_key: &str) -> SigningKey {
    common::evm_key(hex_key)
}

// ---------- EIP-191 ----------

#[test]
fn eip191_vectors_match_viem_and_ethers() {
    common::check_eip191();
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
    common::check_eip712_spec();
}

#[test]
fn eip712_vectors_match_viem_and_ethers() {
    common::check_eip712_viem();
}

#[test]
fn eip712_negative_vectors_are_refused() {
    common::check_fail_typed_data(1);
}

// ---------- Transactions ----------

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
    common::check_fail_tx(1);
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
