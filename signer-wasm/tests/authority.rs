//! The wallet authority key (src/authority.rs) against the pinned vectors
//! of tests/vectors/authority_v1.json, computed independently
//! (tests/vectors/gen/authority.py): the derivation, the public key, and
//! one signed request in the wire format. If any of these moved, every
//! registered wallet would lose its irreversible acts.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ed25519_dalek::{Signature, VerifyingKey};
use keyframe_signer::authority::WalletAuthority;
use keyframe_signer::secret::WalletSecret;
use keyframe_signer::shares::WalletId;
use keyframe_wire::authority::AuthorityHeader;
use serde_json::Value;

fn vectors() -> Vec<Value> {
    let text = include_str!("vectors/authority_v1.json");
    let all: Value = serde_json::from_str(text).unwrap();
    all["vectors"].as_array().unwrap().clone()
}

fn secret(v: &Value) -> WalletSecret {
    let hex_secret = v["secret"].as_str().unwrap();
    match v["kind"].as_str().unwrap() {
        "mnemonic" => WalletSecret::from_entropy(&hex::decode(hex_secret).unwrap()).unwrap(),
        "evm_private_key" => WalletSecret::from_evm_private_key(hex_secret).unwrap(),
        other => panic!("unknown kind {other}"),
    }
}

#[test]
fn derivation_and_signature_match_the_pinned_vectors() {
    let vectors = vectors();
    assert!(vectors.len() >= 4);
    for v in &vectors {
        let wallet: WalletId = v["wallet"].as_str().unwrap().parse().unwrap();
        let authority = WalletAuthority::derive(&secret(v), wallet).unwrap();
        let public = authority.public_key();
        assert_eq!(public.to_base64url(), v["authority"], "{v}");

        let r = &v["request"];
        let nonce: [u8; 16] = hex::decode(r["nonce"].as_str().unwrap())
            .unwrap()
            .try_into()
            .unwrap();
        let header = authority.sign_with_nonce(
            r["method"].as_str().unwrap(),
            r["path"].as_str().unwrap(),
            r["body"].as_str().unwrap().as_bytes(),
            r["t"].as_u64().unwrap(),
            &nonce,
        );
        assert_eq!(header.to_value(), v["header"], "{v}");

        // And the services' check accepts it (verify_strict over the
        // message the wire crate rebuilds from the parsed header).
        let parsed = AuthorityHeader::parse(v["header"].as_str().unwrap()).unwrap();
        let message = parsed.message(
            r["method"].as_str().unwrap(),
            r["path"].as_str().unwrap(),
            r["body"].as_str().unwrap().as_bytes(),
        );
        VerifyingKey::from_bytes(public.as_bytes())
            .unwrap()
            .verify_strict(&message, &Signature::from_bytes(&parsed.sig))
            .unwrap();
    }
}

#[test]
fn the_authority_is_bound_to_the_wallet_and_the_secret() {
    let vectors = vectors();
    // Same secret, two wallets: two keys.
    assert_eq!(vectors[0]["secret"], vectors[2]["secret"]);
    assert_ne!(vectors[0]["authority"], vectors[2]["authority"]);
    // A fresh nonce each time: two signatures of one request differ.
    let wallet: WalletId = vectors[0]["wallet"].as_str().unwrap().parse().unwrap();
    let authority = WalletAuthority::derive(&secret(&vectors[0]), wallet).unwrap();
    let a = authority.sign_request("POST", "/x", b"{}", 1).unwrap();
    let b = authority.sign_request("POST", "/x", b"{}", 1).unwrap();
    assert_ne!(a.nonce, b.nonce);
    assert_ne!(a.to_value(), b.to_value());
}
