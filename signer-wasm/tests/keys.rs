//! Wallet secrets and key derivation against published known-answer vectors
//! (files under `tests/vectors/`, each naming its source).

// Tests panic on failure by design.
#![allow(clippy::unwrap_used)]

use keyframe_signer::Error;
use keyframe_signer::secret::{OsRng, WalletKind, WalletSecret};
use keyframe_signer::wallet::{
    self, Addresses, derive_ed25519, derive_secp256k1, evm_address, parse_path,
};
use serde_json::Value;
use sha2::{Digest, Sha256};

fn load(name: &str) -> Value {
    let path = format!("{}/tests/vectors/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let v: Value = serde_json::from_str(&text).unwrap();
    assert!(
        v["source"].as_str().is_some_and(|s| s.len() > 20),
        "{name} must name its source"
    );
    v
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap()
}

const JUNK: &str = "test test test test test test test test test test test junk";

#[test]
fn bip39_trezor_vectors() {
    let v = load("bip39.json");
    let pass = s(&v["passphrase"]);
    let cases = v["english"].as_array().unwrap();
    assert!(cases.len() >= 8);
    let mut lengths = std::collections::BTreeSet::new();
    for c in cases {
        let entropy = hex::decode(s(&c[0])).unwrap();
        let phrase = s(&c[1]);
        let seed = s(&c[2]);
        lengths.insert(phrase.split(' ').count());
        // entropy → mnemonic
        let from_entropy = WalletSecret::from_entropy(&entropy).unwrap();
        assert_eq!(from_entropy.mnemonic().unwrap().as_str(), phrase);
        // mnemonic → entropy
        let from_phrase = WalletSecret::from_mnemonic(phrase).unwrap();
        assert_eq!(from_phrase.kind(), WalletKind::Mnemonic);
        assert!(from_phrase == from_entropy, "entropy of {phrase}");
        // mnemonic → seed
        let got = from_phrase.bip39_seed_with_passphrase(pass).unwrap();
        assert_eq!(hex::encode(got.as_slice()), seed, "seed of {phrase}");
        // seed → BIP-32 master key
        let (_, _, cc, data) = decode_ext(s(&c[3]));
        let master = derive_secp256k1(got.as_slice(), &[]).unwrap();
        assert_eq!(
            (&cc, &data[1..]),
            (master.chain_code(), &master.private_key()[..]),
            "master of {phrase}"
        );
    }
    assert!(
        lengths.contains(&12) && lengths.contains(&24),
        "{lengths:?}"
    );
}

/// Decodes a BIP-32 base58check extended key into
/// (depth, child number, chain code, key data).
fn decode_ext(key: &str) -> (u8, u32, [u8; 32], [u8; 33]) {
    let raw = bs58::decode(key).into_vec().unwrap();
    assert_eq!(raw.len(), 82);
    let (body, check) = raw.split_at(78);
    let h = Sha256::digest(Sha256::digest(body));
    assert_eq!(&h[..4], check, "checksum of {key}");
    let depth = body[4];
    let child = u32::from_be_bytes(body[9..13].try_into().unwrap());
    let chain: [u8; 32] = body[13..45].try_into().unwrap();
    let data: [u8; 33] = body[45..78].try_into().unwrap();
    (depth, child, chain, data)
}

fn compressed_public(private: &[u8; 32]) -> Vec<u8> {
    let sk = k256::ecdsa::SigningKey::from_slice(private).unwrap();
    sk.verifying_key().to_sec1_point(true).as_bytes().to_vec()
}

#[test]
fn bip32_vectors() {
    let v = load("bip32.json");
    let mut n = 0;
    for vector in v["vectors"].as_array().unwrap() {
        let seed = hex::decode(s(&vector["seed"])).unwrap();
        for chain in vector["chains"].as_array().unwrap() {
            let path = parse_path(s(&chain["path"])).unwrap();
            let node = derive_secp256k1(&seed, &path).unwrap();
            let (depth, child, cc, data) = decode_ext(s(&chain["xprv"]));
            assert_eq!(usize::from(depth), path.len());
            assert_eq!(child, path.last().copied().unwrap_or(0));
            assert_eq!(
                &cc,
                node.chain_code(),
                "chain code at {}",
                s(&chain["path"])
            );
            assert_eq!(data[0], 0);
            assert_eq!(
                &data[1..],
                node.private_key(),
                "private key at {}",
                s(&chain["path"])
            );
            let (pdepth, pchild, pcc, pdata) = decode_ext(s(&chain["xpub"]));
            assert_eq!((pdepth, pchild, pcc), (depth, child, cc));
            assert_eq!(
                compressed_public(node.private_key()),
                pdata.to_vec(),
                "public key at {}",
                s(&chain["path"])
            );
            n += 1;
        }
    }
    assert_eq!(n, 14);
}

#[test]
fn slip10_vectors() {
    let v = load("slip10_ed25519.json");
    let mut ed = 0;
    for vector in v["vectors"].as_array().unwrap() {
        let seed = hex::decode(s(&vector["seed"])).unwrap();
        for chain in vector["chains"].as_array().unwrap() {
            let path = parse_path(s(&chain["path"])).unwrap();
            let (node, public) = match s(&vector["curve"]) {
                "ed25519" => {
                    ed += 1;
                    let node = derive_ed25519(&seed, &path).unwrap();
                    let sk = ed25519_dalek::SigningKey::from_bytes(node.private_key());
                    // SLIP-0010 writes ed25519 public keys with a 0x00 prefix.
                    let mut public = vec![0u8];
                    public.extend_from_slice(sk.verifying_key().as_bytes());
                    (node, public)
                }
                "secp256k1" => {
                    let node = derive_secp256k1(&seed, &path).unwrap();
                    let public = compressed_public(node.private_key());
                    (node, public)
                }
                other => panic!("curve {other}"),
            };
            let at = s(&chain["path"]);
            assert_eq!(
                hex::encode(node.chain_code()),
                s(&chain["chain_code"]),
                "chain code at {at}"
            );
            assert_eq!(
                hex::encode(node.private_key()),
                s(&chain["private"]),
                "private at {at}"
            );
            assert_eq!(hex::encode(public), s(&chain["public"]), "public at {at}");
        }
    }
    assert_eq!(ed, 12);
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
    let w = WalletSecret::from_mnemonic(JUNK).unwrap();
    let addrs = w.addresses().unwrap();
    assert_eq!(addrs.evm, "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
    assert_eq!(
        addrs.solana.as_deref(),
        Some("oeYf6KAJkLYhBuR8CiGc6L4D4Xtfepr85fuDgA9kq96")
    );
}

#[test]
fn wallet_account_vectors() {
    let v = load("wallets.json");
    for m in v["mnemonics"].as_array().unwrap() {
        let w = WalletSecret::from_mnemonic(s(&m["mnemonic"])).unwrap();
        for e in m["evm"].as_array().unwrap() {
            let i = u32::try_from(e["index"].as_u64().unwrap()).unwrap();
            let key = w.evm_signing_key(i).unwrap();
            assert_eq!(evm_address(key.verifying_key()), s(&e["address"]));
            if let Some(pk) = e["private_key"].as_str() {
                assert_eq!(w.evm_private_key_hex(i).unwrap().as_str(), pk);
            }
        }
        for e in m["solana"].as_array().unwrap() {
            let i = u32::try_from(e["index"].as_u64().unwrap()).unwrap();
            let key = w.solana_signing_key(i).unwrap();
            assert_eq!(
                wallet::solana_address(&key.verifying_key()),
                s(&e["address"])
            );
        }
    }
    for r in v["raw_keys"].as_array().unwrap() {
        let w = WalletSecret::from_evm_private_key(s(&r["private_key"])).unwrap();
        assert_eq!(w.kind(), WalletKind::EvmPrivateKey);
        assert_eq!(
            w.addresses().unwrap(),
            Addresses {
                evm: s(&r["evm"]).to_string(),
                solana: None
            }
        );
        assert_eq!(
            w.evm_private_key_hex(0).unwrap().as_str(),
            s(&r["private_key"])
        );
    }
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
