//! Solana signing against RFC 8032 and against transactions built and signed
//! by @solana/web3.js (tests/vectors/gen/solana.mjs), plus malformed
//! transactions that must be refused.

// Tests may panic on unexpected input: that is how they fail.
#![allow(clippy::unwrap_used)]

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::{Signature, SigningKey, Verifier};
use keyframe_signer::Error;
use keyframe_signer::solana;
use serde_json::Value;

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

fn key(seed_hex: &str) -> SigningKey {
    let seed: [u8; 32] = hex::decode(seed_hex).unwrap().try_into().unwrap();
    SigningKey::from_bytes(&seed)
}

#[test]
fn ed25519_rfc8032_vectors() {
    let file = load("ed25519_rfc8032.json");
    let vectors = file["vectors"].as_array().unwrap();
    assert_eq!(vectors.len(), 3);
    for v in vectors {
        let k = key(v["secret_key"].as_str().unwrap());
        assert_eq!(
            hex::encode(k.verifying_key().to_bytes()),
            v["public_key"].as_str().unwrap()
        );
        let msg = hex::decode(v["message"].as_str().unwrap()).unwrap();
        let sig = solana::sign_message(&k, &msg);
        assert_eq!(
            hex::encode(sig),
            v["signature"].as_str().unwrap(),
            "{}",
            v["name"]
        );
    }
}

#[test]
fn transactions_match_web3js() {
    let file = load("solana_tx.json");
    let vectors = file["vectors"].as_array().unwrap();
    assert!(vectors.len() >= 4);
    let mut saw = (false, false, false);
    for v in vectors {
        let name = v["name"].as_str().unwrap();
        let k = key(v["signer_seed"].as_str().unwrap());
        assert_eq!(
            bs58::encode(k.verifying_key().to_bytes()).into_string(),
            v["signer_pubkey"].as_str().unwrap()
        );
        let unsigned = B64.decode(v["unsigned"].as_str().unwrap()).unwrap();
        let expected = B64.decode(v["signed"].as_str().unwrap()).unwrap();
        assert_ne!(unsigned, expected, "{name}: input already signed");
        let got = solana::sign_transaction(&k, &unsigned).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(B64.encode(&got), B64.encode(&expected), "{name}");
        // Signing again is idempotent (our slot is overwritten, others kept).
        assert_eq!(
            solana::sign_transaction(&k, &got).unwrap(),
            expected,
            "{name}: re-sign"
        );
        // Our signature verifies over the message bytes at our index.
        let n = usize::from(got[0]);
        let msg = &got[1 + 64 * n..];
        let idx = (0..n)
            .find(|i| got[1 + 64 * i..1 + 64 * (i + 1)] != unsigned[1 + 64 * i..1 + 64 * (i + 1)])
            .expect("a slot changed");
        let sig = Signature::from_slice(&got[1 + 64 * idx..1 + 64 * (idx + 1)]).unwrap();
        k.verifying_key().verify(msg, &sig).unwrap();
        assert!(solana::is_transaction_message(msg), "{name}");
        saw.0 |= v["version"] == "legacy";
        saw.1 |= v["version"] == "v0";
        saw.2 |= idx > 0;
    }
    assert_eq!(
        saw,
        (true, true, true),
        "need legacy, v0 and a signer not at index 0"
    );
}

#[test]
fn negative_transactions_are_refused() {
    let file = load("fail_solana_tx.json");
    let cases = file["cases"].as_array().unwrap();
    assert!(cases.len() >= 10);
    for c in cases {
        let name = c["name"].as_str().unwrap();
        let k = key(c["signer_seed"].as_str().unwrap());
        let tx = B64.decode(c["tx"].as_str().unwrap()).unwrap();
        let res = solana::sign_transaction(&k, &tx);
        match c["error"].as_str().unwrap() {
            "none" => assert!(res.is_ok(), "{name}: control case refused: {res:?}"),
            "WrongAddress" => assert_eq!(res, Err(Error::WrongAddress), "{name}"),
            "BadRequest" => match res {
                Err(Error::BadRequest(msg)) => eprintln!("refused {name}: {msg}"),
                other => panic!("{name}: expected BadRequest, got {other:?}"),
            },
            e => panic!("{name}: unknown expectation {e}"),
        }
    }
}

#[test]
fn every_truncation_and_extension_is_refused() {
    let file = load("solana_tx.json");
    for v in file["vectors"].as_array().unwrap() {
        let k = key(v["signer_seed"].as_str().unwrap());
        let tx = B64.decode(v["unsigned"].as_str().unwrap()).unwrap();
        for len in 0..tx.len() {
            assert!(
                solana::sign_transaction(&k, &tx[..len]).is_err(),
                "{} truncated to {len}",
                v["name"]
            );
        }
        let mut longer = tx.clone();
        longer.push(0);
        assert!(solana::sign_transaction(&k, &longer).is_err());
    }
}

#[test]
fn plain_messages_are_not_transaction_messages() {
    assert!(!solana::is_transaction_message(
        b"Sign in to Keyframe\nNonce: 1234"
    ));
    assert!(!solana::is_transaction_message(b""));
}
