//! The wallet authority key: authority_v1.json (computed independently by
//! tests/vectors/gen/authority.py), run natively (tests/authority.rs) and as
//! wasm32 (tests/wasm.rs).

use super::*;
use ed25519_dalek::{Signature, VerifyingKey};
use keyframe_signer::authority::WalletAuthority;
use keyframe_wire::authority::AuthorityHeader;

pub fn authority_vectors() -> Vec<Value> {
    load("authority_v1.json")["vectors"]
        .as_array()
        .unwrap()
        .clone()
}

pub fn authority_secret(v: &Value) -> WalletSecret {
    let hex_secret = v["secret"].as_str().unwrap();
    match v["kind"].as_str().unwrap() {
        "mnemonic" => WalletSecret::from_entropy(&hex::decode(hex_secret).unwrap()).unwrap(),
        "evm_private_key" => WalletSecret::from_evm_private_key(hex_secret).unwrap(),
        other => panic!("unknown kind {other}"),
    }
}

/// The derivation, the public key and one signed request per vector, and
/// the services' check of that request; returns how many vectors ran.
pub fn check_authority() -> usize {
    let vectors = authority_vectors();
    assert!(vectors.len() >= 4);
    for v in &vectors {
        let wallet: WalletId = v["wallet"].as_str().unwrap().parse().unwrap();
        let authority = WalletAuthority::derive(&authority_secret(v), wallet).unwrap();
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
    vectors.len()
}
