//! Wallet secrets and key derivation against published known-answer vectors
//! (files under `tests/vectors/`, each naming its source).

// Tests panic on failure by design.
#![allow(clippy::unwrap_used)]

use keyframe_signer::Error;
use keyframe_signer::secret::{OsRng, WalletKind, WalletSecret};
use keyframe_signer::wallet::{Addresses, derive_ed25519, parse_path};

mod common;
use common::JUNK;

#[test]
fn bip39_trezor_vectors() {
    common::check_bip39(1);
}

/// The BIP-39 English list the signer's front-coded copy is checked
/// against (tests/vectors/bip39_english.txt; src/mnemonic.rs) is the
/// published `english.txt` byte for byte: its SHA-256 is the one the BIP
/// repository's file has.
#[test]
fn bip39_word_list_is_the_published_one() {
    use sha2::{Digest as _, Sha256};
    let text = include_str!("vectors/bip39_english.txt");
    assert_eq!(
        hex::encode(Sha256::digest(text.as_bytes())),
        "2f5eed53a4727b4bf8880d8f3f199efc90e58503646d9ff8eff3a2ed3b24dbda"
    );
    assert_eq!(text.lines().count(), 2048);
}

/// Every word length and every position of the list round-trips: entropy
/// with each 11-bit group set to each index in turn.
#[test]
fn every_word_round_trips() {
    let words: Vec<&str> = include_str!("vectors/bip39_english.txt").lines().collect();
    for (i, w) in words.iter().enumerate() {
        // 12 words: put index i into the first group of 128 bits of entropy.
        let mut entropy = [0u8; 16];
        entropy[0] = (i >> 3) as u8;
        entropy[1] = ((i & 7) << 5) as u8;
        let secret = WalletSecret::from_entropy(&entropy).unwrap();
        let phrase = secret.mnemonic().unwrap();
        assert_eq!(phrase.split(' ').next(), Some(*w), "index {i}");
        assert!(WalletSecret::from_mnemonic(&phrase).unwrap() == secret);
    }
}

#[test]
fn bip32_vectors() {
    common::check_bip32();
}

#[test]
fn slip10_vectors() {
    common::check_slip10();
}

#[test]
fn ed25519_refuses_normal_children() {
    assert!(derive_ed25519(&[7u8; 32], &parse_path("m/0'/1").unwrap()).is_err());
}

#[test]
fn parse_path_rejects_garbage() {
    for bad in [
        "",
        "m/",
        "x/0",
        "m/a",
        "m/0''",
        "m/2147483648",
        "m/-1",
        "m//0",
        "44'/0",
    ] {
        assert!(parse_path(bad).is_err(), "{bad}");
    }
    assert_eq!(parse_path("m").unwrap(), Vec::<u32>::new());
    assert_eq!(
        parse_path("m/44'/60h/0").unwrap(),
        vec![0x8000_002c, 0x8000_003c, 0]
    );
}

#[test]
fn test_junk_gives_the_anvil_account() {
    common::check_test_junk();
}

#[test]
fn wallet_account_vectors() {
    common::check_wallets();
}

#[test]
fn mnemonic_input_is_normalised() {
    let messy = "  Test test TEST test\ttest test test test\n\ntest test test   Junk \r\n";
    let a = WalletSecret::from_mnemonic(messy).unwrap();
    let b = WalletSecret::from_mnemonic(JUNK).unwrap();
    assert!(a == b);
    assert_eq!(a.mnemonic().unwrap().as_str(), JUNK);
}

#[test]
fn bad_mnemonics_are_refused() {
    let cases = [
        "",
        "test",
        // bad checksum
        "test test test test test test test test test test test test",
        // 11 words
        "test test test test test test test test test test junk",
        // 13 words
        "test test test test test test test test test test test test junk",
        // not a BIP-39 word
        "test test test test test test test test test test test junkk",
        // non-ASCII look-alike
        "tеst test test test test test test test test test test junk",
        "test,test,test,test,test,test,test,test,test,test,test,junk",
    ];
    for c in cases {
        assert_eq!(
            WalletSecret::from_mnemonic(c).unwrap_err(),
            Error::InvalidMnemonic,
            "{c:?}"
        );
    }
}

#[test]
fn raw_private_keys() {
    let k = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
    let a = WalletSecret::from_evm_private_key(k).unwrap();
    let b = WalletSecret::from_evm_private_key(&format!("0x{k}")).unwrap();
    let c = WalletSecret::from_evm_private_key(&format!("  0X{} ", k.to_uppercase())).unwrap();
    assert!(a == b && b == c);
    assert_eq!(
        a.addresses().unwrap().evm,
        "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
    );
    // The curve order n, n + 1, zero, short, long, non-hex: all refused.
    let n = "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141";
    let n1 = "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364142";
    let zero = "0000000000000000000000000000000000000000000000000000000000000000";
    for bad in [
        n,
        n1,
        zero,
        &k[..62],
        &format!("{k}00"),
        &format!("{}zz", &k[..62]),
        "",
        "0x",
    ] {
        assert_eq!(
            WalletSecret::from_evm_private_key(bad).unwrap_err(),
            Error::InvalidPrivateKey,
            "{bad}"
        );
    }
    // n - 1 is the largest valid key.
    let nm1 = "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140";
    assert!(WalletSecret::from_evm_private_key(nm1).is_ok());
}

#[test]
fn raw_key_wallets_are_evm_only() {
    let w = WalletSecret::from_evm_private_key(
        "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318",
    )
    .unwrap();
    assert!(w.mnemonic().is_none());
    assert_eq!(w.solana_signing_key(0).unwrap_err(), Error::Unsupported);
    assert_eq!(w.evm_signing_key(1).unwrap_err(), Error::Unsupported);
    assert!(w.addresses().unwrap().solana.is_none());
}

#[test]
fn generated_wallets_are_24_words_and_distinct() {
    let mut rng = OsRng;
    let a = WalletSecret::generate(&mut rng).unwrap();
    let b = WalletSecret::generate_os().unwrap();
    assert!(a != b);
    let phrase = a.mnemonic().unwrap();
    assert_eq!(phrase.split(' ').count(), 24);
    assert!(WalletSecret::from_mnemonic(&phrase).unwrap() == a);
    assert_eq!(a.kind(), WalletKind::Mnemonic);
}

#[test]
fn debug_never_prints_secrets() {
    let w = WalletSecret::from_evm_private_key(
        "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    )
    .unwrap();
    let d = format!("{w:?}");
    assert!(
        d.contains("redacted") && !d.contains("ac09") && !d.contains("172"),
        "{d}"
    );
    let node = derive_ed25519(&[1u8; 32], &[]).unwrap();
    assert!(!format!("{node:?}").contains(&hex::encode(&node.private_key()[..4])));
}

#[test]
fn wallet_kind_serde_names() {
    assert_eq!(
        serde_json::to_string(&WalletKind::Mnemonic).unwrap(),
        "\"mnemonic\""
    );
    assert_eq!(
        serde_json::to_string(&WalletKind::EvmPrivateKey).unwrap(),
        "\"evm_private_key\""
    );
    let a: Addresses = serde_json::from_str(r#"{"evm":"0xabc","solana":null}"#).unwrap();
    assert_eq!(a.solana, None);
}
