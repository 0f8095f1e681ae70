//! The wallet authority key (src/authority.rs) against the pinned vectors
//! of tests/vectors/authority_v1.json, computed independently
//! (tests/vectors/gen/authority.py): the derivation, the public key, and
//! one signed request in the wire format. If any of these moved, every
//! registered wallet would lose its irreversible acts.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use keyframe_signer::authority::WalletAuthority;
use keyframe_signer::shares::WalletId;

#[test]
fn derivation_and_signature_match_the_pinned_vectors() {
    assert!(common::check_authority() >= 4);
}

#[test]
fn the_authority_is_bound_to_the_wallet_and_the_secret() {
    let vectors = common::authority_vectors();
    // Same secret, two wallets: two keys.
    assert_eq!(vectors[0]["secret"], vectors[2]["secret"]);
    assert_ne!(vectors[0]["authority"], vectors[2]["authority"]);
    // A fresh nonce each time: two signatures of one request differ.
    let wallet: WalletId = vectors[0]["wallet"].as_str().unwrap().parse().unwrap();
    let authority =
        WalletAuthority::derive(&common::authority_secret(&vectors[0]), wallet).unwrap();
    let a = authority.sign_request("POST", "/x", b"{}", 1).unwrap();
    let b = authority.sign_request("POST", "/x", b"{}", 1).unwrap();
    assert_ne!(a.nonce, b.nonce);
    assert_ne!(a.to_value(), b.to_value());
}
