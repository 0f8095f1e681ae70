//! Solana signing against RFC 8032 and against transactions built and signed
//! by @solana/web3.js (tests/vectors/gen/solana.mjs), plus malformed
//! transactions that must be refused.

// Tests may panic on unexpected input: that is how they fail.
#![allow(clippy::unwrap_used)]

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use keyframe_signer::solana;

mod common;
use common::{ed_key as key, load};

#[test]
fn ed25519_rfc8032_vectors() {
    common::check_rfc8032();
}

#[test]
fn transactions_match_web3js() {
    common::check_solana_txs();
}

#[test]
fn negative_transactions_are_refused() {
    common::check_fail_solana_tx(1);
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
