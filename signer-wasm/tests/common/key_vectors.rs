//! Key vectors: BIP-39, BIP-32, SLIP-0010, wallets.

use super::*;

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
