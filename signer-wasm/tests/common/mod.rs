//! Known-answer vector checks shared by the native tests (`tests/*.rs`) and
//! the wasm32 tests (`tests/wasm.rs`), so both targets run the very same
//! assertions over the very same files.
//!
//! The vector files are compiled in with `include_str!`: wasm32 has no file
//! system, and natively it costs nothing. Each test crate uses only some of
//! these helpers, hence `dead_code` is allowed.

#![allow(dead_code)]
// Tests panic on failure by design.
#![allow(clippy::unwrap_used)]

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use keyframe_signer::Error;
use keyframe_signer::evm::{self, SignedTransaction};
use keyframe_signer::recovery::{ColdRecord, RecoveryKey, open_with_key, open_with_password};
use keyframe_signer::secret::{WalletKind, WalletSecret};
use keyframe_signer::shares::{Share, WalletId, combine};
use keyframe_signer::solana;
use keyframe_signer::wallet::{
    self, Addresses, derive_ed25519, derive_secp256k1, evm_address, parse_path,
};
use serde_json::Value;
use sha2::{Digest as _, Sha256};
use sha3::Keccak256;

pub const JUNK: &str = "test test test test test test test test test test test junk";

/// The text of `tests/vectors/{name}`, embedded at compile time.
pub fn vector_text(name: &str) -> &'static str {
    match name {
        "bip32.json" => include_str!("../vectors/bip32.json"),
        "bip39.json" => include_str!("../vectors/bip39.json"),
        "ed25519_rfc8032.json" => include_str!("../vectors/ed25519_rfc8032.json"),
        "eip191.json" => include_str!("../vectors/eip191.json"),
        "eip712.json" => include_str!("../vectors/eip712.json"),
        "eip712_viem.json" => include_str!("../vectors/eip712_viem.json"),
        "fail_recovery.json" => include_str!("../vectors/fail_recovery.json"),
        "fail_shares.json" => include_str!("../vectors/fail_shares.json"),
        "fail_solana_tx.json" => include_str!("../vectors/fail_solana_tx.json"),
        "fail_tx.json" => include_str!("../vectors/fail_tx.json"),
        "fail_typed_data.json" => include_str!("../vectors/fail_typed_data.json"),
        "shares_v1.json" => include_str!("../vectors/shares_v1.json"),
        "slip10_ed25519.json" => include_str!("../vectors/slip10_ed25519.json"),
        "solana_tx.json" => include_str!("../vectors/solana_tx.json"),
        "tx_eip1559.json" => include_str!("../vectors/tx_eip1559.json"),
        "tx_eip2930.json" => include_str!("../vectors/tx_eip2930.json"),
        "tx_legacy_eip155.json" => include_str!("../vectors/tx_legacy_eip155.json"),
        "tx_legacy_viem.json" => include_str!("../vectors/tx_legacy_viem.json"),
        "wallets.json" => include_str!("../vectors/wallets.json"),
        other => panic!("unknown vector file {other}"),
    }
}

/// A vector file, parsed; every file must name its source.
pub fn load(name: &str) -> Value {
    let v: Value =
        serde_json::from_str(vector_text(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(
        v["source"].as_str().is_some_and(|s| s.len() > 20),
        "{name} must name its source"
    );
    v
}

pub fn s(v: &Value) -> &str {
    v.as_str().unwrap()
}

pub fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s.strip_prefix("0x").unwrap_or(s)).expect("hex")
}

/// The `vectors` array of a file (never empty).
pub fn vectors(file: &Value) -> &Vec<Value> {
    let v = file["vectors"].as_array().expect("vectors");
    assert!(!v.is_empty());
    v
}

// ---------- Keys: BIP-39, BIP-32, SLIP-0010, wallets ----------

/// Decodes a BIP-32 base58check extended key into
/// (depth, child number, chain code, key data).
pub fn decode_ext(key: &str) -> (u8, u32, [u8; 32], [u8; 33]) {
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

pub fn compressed_public(private: &[u8; 32]) -> Vec<u8> {
    let sk = k256::ecdsa::SigningKey::from_slice(private).unwrap();
    sk.verifying_key().to_sec1_point(true).as_bytes().to_vec()
}

/// `bip39.json` (Trezor): entropy ↔ mnemonic for every case; the seed (with
/// the `TREZOR` passphrase) and BIP-32 master key for every `seed_every`-th
/// case (1 = all). Returns how many seeds were checked.
pub fn check_bip39(seed_every: usize) -> usize {
    let v = load("bip39.json");
    let pass = s(&v["passphrase"]);
    let cases = v["english"].as_array().unwrap();
    assert!(cases.len() >= 8);
    let mut lengths = std::collections::BTreeSet::new();
    let mut seeds = 0;
    for (i, c) in cases.iter().enumerate() {
        let entropy = hex::decode(s(&c[0])).unwrap();
        let phrase = s(&c[1]);
        lengths.insert(phrase.split(' ').count());
        // entropy → mnemonic
        let from_entropy = WalletSecret::from_entropy(&entropy).unwrap();
        assert_eq!(from_entropy.mnemonic().unwrap().as_str(), phrase);
        // mnemonic → entropy
        let from_phrase = WalletSecret::from_mnemonic(phrase).unwrap();
        assert_eq!(from_phrase.kind(), WalletKind::Mnemonic);
        assert!(from_phrase == from_entropy, "entropy of {phrase}");
        if i % seed_every != 0 {
            continue;
        }
        // mnemonic → seed
        let got = from_phrase.bip39_seed_with_passphrase(pass).unwrap();
        assert_eq!(hex::encode(got.as_slice()), s(&c[2]), "seed of {phrase}");
        // seed → BIP-32 master key
        let (_, _, cc, data) = decode_ext(s(&c[3]));
        let master = derive_secp256k1(got.as_slice(), &[]).unwrap();
        assert_eq!(
            (&cc, &data[1..]),
            (master.chain_code(), &master.private_key()[..]),
            "master of {phrase}"
        );
        seeds += 1;
    }
    assert!(
        lengths.contains(&12) && lengths.contains(&24),
        "{lengths:?}"
    );
    seeds
}

/// `bip32.json`: every chain's xprv and xpub.
pub fn check_bip32() {
    let v = load("bip32.json");
    let mut n = 0;
    for vector in v["vectors"].as_array().unwrap() {
        let seed = hex::decode(s(&vector["seed"])).unwrap();
        for chain in vector["chains"].as_array().unwrap() {
            let at = s(&chain["path"]);
            let path = parse_path(at).unwrap();
            let node = derive_secp256k1(&seed, &path).unwrap();
            let (depth, child, cc, data) = decode_ext(s(&chain["xprv"]));
            assert_eq!(usize::from(depth), path.len());
            assert_eq!(child, path.last().copied().unwrap_or(0));
            assert_eq!(&cc, node.chain_code(), "chain code at {at}");
            assert_eq!(data[0], 0);
            assert_eq!(&data[1..], node.private_key(), "private key at {at}");
            let (pdepth, pchild, pcc, pdata) = decode_ext(s(&chain["xpub"]));
            assert_eq!((pdepth, pchild, pcc), (depth, child, cc));
            assert_eq!(
                compressed_public(node.private_key()),
                pdata.to_vec(),
                "public key at {at}"
            );
            n += 1;
        }
    }
    assert_eq!(n, 14);
}

/// `slip10_ed25519.json`: ed25519 (and the secp256k1 cross-check) chains.
pub fn check_slip10() {
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

/// `test … junk` is Anvil's first account, and its Solana address.
pub fn check_test_junk() {
    let w = WalletSecret::from_mnemonic(JUNK).unwrap();
    let addrs = w.addresses().unwrap();
    assert_eq!(addrs.evm, "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
    assert_eq!(
        addrs.solana.as_deref(),
        Some("oeYf6KAJkLYhBuR8CiGc6L4D4Xtfepr85fuDgA9kq96")
    );
}

/// `wallets.json`: EVM and Solana accounts of mnemonics, and raw keys.
pub fn check_wallets() {
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

// ---------- EVM ----------

pub fn evm_key(hex_key: &str) -> k256::ecdsa::SigningKey {
    k256::ecdsa::SigningKey::from_slice(&unhex(hex_key)).expect("key")
}

pub fn addr_hex(k: &k256::ecdsa::SigningKey) -> String {
    evm::checksum_address(&evm::address(k))
}

/// Recovers the signer of a 65-byte r‖s‖v signature over `hash`.
pub fn recover(hash: &[u8; 32], sig: &[u8; 65]) -> String {
    use k256::ecdsa::{RecoveryId, Signature, VerifyingKey};
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

/// `eip191.json` (viem and ethers): message bytes, signature, recovery.
pub fn check_eip191() {
    let file = load("eip191.json");
    let k = evm_key(s(&file["private_key"]));
    assert_eq!(addr_hex(&k), s(&file["address"]));
    for v in vectors(&file) {
        let name = s(&v["name"]);
        let msg = unhex(s(&v["message_hex"]));
        assert_eq!(
            evm::personal_sign_message_bytes(s(&v["param"])),
            msg,
            "{name}: param"
        );
        let sig = evm::personal_sign(&k, &msg).unwrap();
        assert_eq!(evm::signature_hex(&sig), s(&v["signature"]), "{name}");
        assert_eq!(
            recover(&evm::personal_sign_hash(&msg), &sig),
            s(&file["address"])
        );
    }
}

/// `eip712.json`: the Mail example of the EIP-712 specification.
pub fn check_eip712_spec() {
    let file = load("eip712.json");
    let v = &vectors(&file)[0];
    let k = k256::ecdsa::SigningKey::from_slice(&Keccak256::digest(b"cow")).unwrap();
    assert_eq!(addr_hex(&k), s(&v["address"]));
    let td = s(&v["typed_data"]);
    let hash = evm::typed_data_hash(td, Some(1)).unwrap();
    assert_eq!(format!("0x{}", hex::encode(hash)), s(&v["hash"]));
    let sig = evm::sign_typed_data(&k, td, Some(1)).unwrap();
    assert_eq!(sig[64], v["v"].as_u64().unwrap() as u8);
    assert_eq!(format!("0x{}", hex::encode(&sig[..32])), s(&v["r"]));
    assert_eq!(format!("0x{}", hex::encode(&sig[32..64])), s(&v["s"]));
    assert_eq!(evm::signature_hex(&sig), s(&v["signature"]));
    // Without an active chain to compare, the same signature.
    assert_eq!(evm::sign_typed_data(&k, td, None).unwrap(), sig);
}

/// `eip712_viem.json` (viem and ethers): hash, signature, recovery, and
/// refusal on another active chain.
pub fn check_eip712_viem() {
    let file = load("eip712_viem.json");
    let k = evm_key(s(&file["private_key"]));
    for v in vectors(&file) {
        let name = s(&v["name"]);
        let td = s(&v["typed_data"]);
        let chain = v["chain_id"].as_u64();
        let hash = evm::typed_data_hash(td, chain).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            format!("0x{}", hex::encode(hash)),
            s(&v["hash"]),
            "{name}: hash"
        );
        let sig = evm::sign_typed_data(&k, td, chain).unwrap();
        assert_eq!(evm::signature_hex(&sig), s(&v["signature"]), "{name}");
        assert_eq!(recover(&hash, &sig), s(&file["address"]));
        if let Some(c) = chain {
            assert!(
                evm::sign_typed_data(&k, td, Some(c + 1)).is_err(),
                "{name}: other chain accepted"
            );
        }
    }
}

/// Anvil's first key, which the negative vectors sign with.
pub const ANVIL_KEY: &str = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

/// Runs every `step`-th case of a negative-vector file (`fail_*.json` with
/// `cases` of `{name, error, …}`): `"none"` must succeed, anything else must
/// be refused with `Error::BadRequest`. Returns how many cases ran.
fn check_bad_requests(
    name: &str,
    min_cases: usize,
    step: usize,
    run: impl Fn(&Value) -> keyframe_signer::Result<()>,
) -> usize {
    let file = load(name);
    let cases = file["cases"].as_array().unwrap();
    assert!(cases.len() >= min_cases, "{name}: {} cases", cases.len());
    let mut n = 0;
    for c in cases.iter().step_by(step) {
        let cname = s(&c["name"]);
        let res = run(c);
        match s(&c["error"]) {
            "none" => assert!(res.is_ok(), "{cname}: control case refused: {res:?}"),
            _ => match res {
                Err(Error::BadRequest(msg)) => eprintln!("refused {cname}: {msg}"),
                other => panic!("{cname}: expected BadRequest, got {other:?}"),
            },
        }
        n += 1;
    }
    n
}

/// `fail_typed_data.json`: malformed or ambiguous typed data is refused.
pub fn check_fail_typed_data(step: usize) -> usize {
    let k = evm_key(ANVIL_KEY);
    check_bad_requests("fail_typed_data.json", 20, step, |c| {
        evm::sign_typed_data(&k, s(&c["typed_data"]), c["chain_id"].as_u64()).map(|_| ())
    })
}

/// `fail_tx.json`: malformed or ambiguous transaction requests are refused.
pub fn check_fail_tx(step: usize) -> usize {
    let k = evm_key(ANVIL_KEY);
    check_bad_requests("fail_tx.json", 20, step, |c| {
        evm::sign_transaction(&k, &c["request"], c["chain_id"].as_u64().unwrap()).map(|_| ())
    })
}

/// A transaction vector file (`tx_*.json`): raw signed bytes and hash.
/// Returns the number of vectors.
pub fn check_tx_file(name: &str) -> usize {
    let file = load(name);
    let k = evm_key(s(&file["private_key"]));
    for v in vectors(&file) {
        let vname = s(&v["name"]);
        let chain = v["chain_id"].as_u64().unwrap();
        let SignedTransaction { raw, hash } = evm::sign_transaction(&k, &v["request"], chain)
            .unwrap_or_else(|e| panic!("{vname}: {e}"));
        assert_eq!(
            format!("0x{}", hex::encode(&raw)),
            s(&v["raw"]),
            "{name} {vname}"
        );
        assert_eq!(hash, <[u8; 32]>::from(Keccak256::digest(&raw)));
        if let Some(h) = v["hash"].as_str() {
            assert_eq!(format!("0x{}", hex::encode(hash)), h, "{vname}: hash");
        }
    }
    vectors(&file).len()
}

// ---------- Solana ----------

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

// ---------- Shares ----------

/// `shares_v1.json`: shares written by format v1 still decode,
/// re-encode byte-identically and combine (in either order) to the pinned
/// secret and addresses.
pub fn check_shares_v1() {
    let v = load("shares_v1.json");
    let cases = v["cases"].as_array().unwrap();
    assert!(cases.len() >= 3);
    for c in cases {
        let addrs: Addresses = serde_json::from_value(c["addresses"].clone()).unwrap();
        let a = Share::from_bytes(&hex::decode(s(&c["local"])).unwrap()).unwrap();
        let b = Share::from_bytes(&hex::decode(s(&c["hot"])).unwrap()).unwrap();
        assert_eq!(a.wallet().to_string(), s(&c["wallet"]));
        assert_eq!(a.device().to_string(), s(&c["device"]));
        assert_eq!(a.split().to_string(), s(&c["split"]));
        assert_eq!(a.version(), c["version"].as_u64().unwrap());
        // Decoding and re-encoding is byte-identical.
        assert_eq!(hex::encode(a.to_bytes().as_slice()), s(&c["local"]));
        let secret = combine(&a, &b, &addrs).unwrap();
        let again = combine(&b, &a, &addrs).unwrap();
        assert!(secret == again);
        match s(&c["kind"]) {
            "mnemonic" => assert_eq!(secret.mnemonic().unwrap().as_str(), s(&c["mnemonic"])),
            "evm_private_key" => {
                assert_eq!(
                    secret.evm_private_key_hex(0).unwrap().as_str(),
                    s(&c["private_key"])
                )
            }
            k => panic!("kind {k}"),
        }
        assert_eq!(secret.addresses().unwrap(), addrs);
    }
}

/// `fail_shares.json`: the base envelope decodes; every malformed variant
/// is `Error::MalformedShare`. Returns how many cases ran.
pub fn check_fail_shares() -> usize {
    let v = load("fail_shares.json");
    let valid = hex::decode(s(&v["valid"])).unwrap();
    assert!(
        Share::from_bytes(&valid).is_ok(),
        "the base vector must decode"
    );
    let cases = v["cases"].as_array().unwrap();
    assert!(cases.len() >= 10);
    for c in cases {
        let bytes = hex::decode(s(&c["hex"])).unwrap();
        assert_eq!(
            Share::from_bytes(&bytes).unwrap_err(),
            Error::MalformedShare,
            "{}",
            c["name"]
        );
    }
    cases.len()
}

// ---------- Recovery ----------

/// The name of an error variant (`WrongPassword`, `WeakPassword`, …).
pub fn variant(e: &Error) -> String {
    let d = format!("{e:?}");
    d.split('(').next().unwrap().to_string()
}

pub fn record(v: &Value) -> ColdRecord {
    serde_json::from_value(v.clone()).unwrap()
}

pub fn same_share(a: &Share, b: &Share) -> bool {
    a.to_bytes().as_slice() == b.to_bytes().as_slice()
}

/// `fail_recovery.json`: the pinned password (production Argon2id) and
/// automatic records open; the negative cases fail with the named error.
/// `include(case)` picks which cases run (each password case that gets past
/// the parameter checks costs one production Argon2id). Returns how many
/// cases ran.
pub fn check_fail_recovery(include: impl Fn(usize, &Value) -> bool) -> usize {
    let v = load("fail_recovery.json");
    let wallet: WalletId = s(&v["wallet"]).parse().unwrap();
    let share = Share::from_bytes(&hex::decode(s(&v["share"])).unwrap()).unwrap();
    let password = s(&v["password"]);
    let key = RecoveryKey::from_base64url(s(&v["recovery_key"])).unwrap();
    // The pinned good records open (with production parameters).
    let good = record(&v["password_record"]);
    assert_eq!(v["password_record"]["params"]["m"], 65536);
    assert!(same_share(
        &open_with_password(&good, password, wallet).unwrap(),
        &share
    ));
    assert!(same_share(
        &open_with_key(&record(&v["automatic_record"]), &key, wallet).unwrap(),
        &share
    ));

    let cases = v["cases"].as_array().unwrap();
    assert!(cases.len() >= 15);
    let mut n = 0;
    for (i, c) in cases.iter().enumerate() {
        if !include(i, c) {
            continue;
        }
        let name = s(&c["name"]);
        // A record the wire type refuses (wrong shape, unknown field, a kdf
        // other than Argon2id) never reaches the opening code: to the signer
        // it is as unusable as a corrupt ciphertext.
        let Ok(rec) = serde_json::from_value::<ColdRecord>(c["record"].clone()) else {
            assert_eq!(
                s(&c["error"]),
                "CorruptCiphertext",
                "{name}: refused by the wire type"
            );
            n += 1;
            continue;
        };
        let w: WalletId = c["wallet"]
            .as_str()
            .map(|s| s.parse().unwrap())
            .unwrap_or(wallet);
        let got = match s(&c["open"]) {
            "password" => open_with_password(&rec, c["password"].as_str().unwrap_or(password), w),
            "automatic" => {
                let k = c["key"]
                    .as_str()
                    .map(|k| RecoveryKey::from_base64url(k).unwrap());
                open_with_key(&rec, k.as_ref().unwrap_or(&key), w)
            }
            o => panic!("{o}"),
        };
        let mut expected = s(&c["error"]);
        // Below-floor parameters are only a downgrade in production builds;
        // with `weak-test-kdf` they are in bounds and simply derive another key.
        if cfg!(feature = "weak-test-kdf") && c["below_floor"].as_bool() == Some(true) {
            expected = "WrongPassword";
        }
        match got {
            Ok(_) => panic!("{name}: opened"),
            Err(e) => assert_eq!(variant(&e), expected, "{name}"),
        }
        n += 1;
    }
    n
}
