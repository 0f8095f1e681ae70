//! Solana vectors: RFC 8032, transactions and fail_solana_tx.

use super::*;

pub fn ed_key(seed_hex: &str) -> ed25519_dalek::SigningKey {
    let seed: [u8; 32] = hex::decode(seed_hex).unwrap().try_into().unwrap();
    ed25519_dalek::SigningKey::from_bytes(&seed)
}

/// `ed25519_rfc8032.json`: RFC 8032 §7.1 tests 1–3.
pub fn check_rfc8032() {
    let file = load("ed25519_rfc8032.json");
    let vectors = file["vectors"].as_array().unwrap();
    assert_eq!(vectors.len(), 3);
    for v in vectors {
        let k = ed_key(s(&v["secret_key"]));
        assert_eq!(
            hex::encode(k.verifying_key().to_bytes()),
            s(&v["public_key"])
        );
        let msg = hex::decode(s(&v["message"])).unwrap();
        let sig = solana::sign_message(&k, &msg);
        assert_eq!(hex::encode(sig), s(&v["signature"]), "{}", v["name"]);
    }
}

/// `solana_tx.json` (@solana/web3.js): signed bytes, idempotent re-signing,
/// signature verification; legacy, v0 and a signer not at index 0.
pub fn check_solana_txs() {
    use ed25519_dalek::{Signature, Verifier};
    let file = load("solana_tx.json");
    let vectors = file["vectors"].as_array().unwrap();
    assert!(vectors.len() >= 4);
    let mut saw = (false, false, false);
    for v in vectors {
        let name = s(&v["name"]);
        let k = ed_key(s(&v["signer_seed"]));
        assert_eq!(
            bs58::encode(k.verifying_key().to_bytes()).into_string(),
            s(&v["signer_pubkey"])
        );
        let unsigned = B64.decode(s(&v["unsigned"])).unwrap();
        let expected = B64.decode(s(&v["signed"])).unwrap();
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

/// `fail_solana_tx.json`: every `step`-th malformed transaction is refused
/// with the named error. Returns how many cases ran.
pub fn check_fail_solana_tx(step: usize) -> usize {
    let file = load("fail_solana_tx.json");
    let cases = file["cases"].as_array().unwrap();
    assert!(cases.len() >= 10);
    let mut n = 0;
    for c in cases.iter().step_by(step) {
        let name = s(&c["name"]);
        let k = ed_key(s(&c["signer_seed"]));
        let tx = B64.decode(s(&c["tx"])).unwrap();
        let res = solana::sign_transaction(&k, &tx);
        match s(&c["error"]) {
            "none" => assert!(res.is_ok(), "{name}: control case refused: {res:?}"),
            "WrongAddress" => assert_eq!(res, Err(Error::WrongAddress), "{name}"),
            "BadRequest" => match res {
                Err(Error::BadRequest(msg)) => eprintln!("refused {name}: {msg}"),
                other => panic!("{name}: expected BadRequest, got {other:?}"),
            },
            e => panic!("{name}: unknown expectation {e}"),
        }
        n += 1;
    }
    n
}
