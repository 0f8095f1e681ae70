//! Shamir shares: any two of three rebuild, one does not, mixed shares are
//! refused, the envelope round-trips, and shares written today (pinned in
//! `tests/vectors/shares_v1.json`) still combine.

// proptest is a native-only dev-dependency; tests/wasm.rs covers wasm32.
#![cfg(not(target_arch = "wasm32"))]
// Tests panic on failure by design.
#![allow(clippy::unwrap_used)]

use chacha20::ChaCha20Rng;
use keyframe_signer::Error;
use keyframe_signer::secret::{OsRng, WalletKind, WalletSecret};
use keyframe_signer::shares::RandomId;
use keyframe_signer::shares::{
    self, DeviceId, Share, SplitId, WalletId, combine, split_pair, split_three,
};
use keyframe_signer::wallet::Addresses;
use proptest::prelude::*;
use rand_core::SeedableRng;

mod common;
use common::{JUNK, load};

fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

/// A wallet secret from proptest inputs: mnemonic entropy of every allowed
/// length, or a raw key.
fn secret_from(kind: u8, bytes: &[u8; 32]) -> WalletSecret {
    match kind % 6 {
        5 => {
            // Any 32 bytes below the order; clear the top bit to stay in range.
            let mut k = *bytes;
            k[0] &= 0x7f;
            k[31] |= 1;
            WalletSecret::from_evm_private_key(&hex::encode(k)).unwrap()
        }
        n => WalletSecret::from_entropy(&bytes[..16 + 4 * usize::from(n)]).unwrap(),
    }
}

fn ids(r: &mut ChaCha20Rng) -> (WalletId, DeviceId) {
    (WalletId::random(r).unwrap(), DeviceId::random(r).unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    #[test]
    fn any_two_of_three_rebuild(kind in 0u8..6, bytes in any::<[u8; 32]>(), seed in any::<u64>(), version in any::<u64>()) {
        let secret = secret_from(kind, &bytes);
        let addrs = secret.addresses().unwrap();
        let mut r = rng(seed);
        let (wallet, device) = ids(&mut r);
        let three = split_three(&secret, wallet, device, version, &mut r).unwrap();
        for (i, j) in [(0, 1), (0, 2), (1, 2), (1, 0), (2, 0), (2, 1)] {
            let rebuilt = combine(&three[i], &three[j], &addrs).unwrap();
            prop_assert!(rebuilt == secret);
        }
        // One share alone (or twice) never combines.
        for s in &three {
            prop_assert_eq!(combine(s, s, &addrs).unwrap_err(), Error::ShareMismatch);
        }
    }

    #[test]
    fn envelope_round_trips(kind in 0u8..6, bytes in any::<[u8; 32]>(), seed in any::<u64>(), version in any::<u64>()) {
        let secret = secret_from(kind, &bytes);
        let mut r = rng(seed);
        let (wallet, device) = ids(&mut r);
        let pair = split_pair(&secret, wallet, device, version, &mut r).unwrap();
        for s in [&pair.local, &pair.hot] {
            let bytes = s.to_bytes();
            prop_assert_eq!(bytes.len(), 64 + secret_len(&secret));
            let back = Share::from_bytes(&bytes).unwrap();
            let again = back.to_bytes();
            prop_assert_eq!(again.as_slice(), bytes.as_slice());
            prop_assert_eq!((back.wallet(), back.device(), back.version(), back.split(), back.kind(), back.x()),
                (wallet, device, version, s.split(), secret.kind(), s.x()));
        }
        let a = Share::from_bytes(&pair.local.to_bytes()).unwrap();
        let b = Share::from_bytes(&pair.hot.to_bytes()).unwrap();
        prop_assert!(combine(&a, &b, &secret.addresses().unwrap()).unwrap() == secret);
    }

    #[test]
    fn mixed_shares_are_refused(kind in 0u8..6, bytes in any::<[u8; 32]>(), seed in any::<u64>(), version in 0u64..u64::MAX) {
        let secret = secret_from(kind, &bytes);
        let addrs = secret.addresses().unwrap();
        let mut r = rng(seed);
        let (wallet, device) = ids(&mut r);
        let base = split_pair(&secret, wallet, device, version, &mut r).unwrap();
        let other_wallet = split_pair(&secret, WalletId::random(&mut r).unwrap(), device, version, &mut r).unwrap();
        let other_device = split_pair(&secret, wallet, DeviceId::random(&mut r).unwrap(), version, &mut r).unwrap();
        let recovery = split_pair(&secret, wallet, DeviceId::RECOVERY, version, &mut r).unwrap();
        let next_version = split_pair(&secret, wallet, device, version + 1, &mut r).unwrap();
        // A re-split at the same version: same wallet/device/version, new polynomial.
        let resplit = split_pair(&secret, wallet, device, version, &mut r).unwrap();
        prop_assert_ne!(resplit.local.split(), base.local.split());
        for other in [&other_wallet, &other_device, &recovery, &next_version, &resplit] {
            for (a, b) in [(&base.local, &other.hot), (&base.hot, &other.local), (&other.local, &base.hot)] {
                prop_assert_eq!(combine(a, b, &addrs).unwrap_err(), Error::ShareMismatch);
            }
        }
    }
}

fn secret_len(secret: &WalletSecret) -> usize {
    // Mnemonic length from the phrase; raw keys are 32 bytes.
    match secret.mnemonic() {
        Some(m) => m.split(' ').count() * 11 * 32 / 33 / 8,
        None => 32,
    }
}

/// Rewrites envelope bytes (offsets as documented in `shares.rs`).
fn patch(share: &Share, at: usize, with: &[u8]) -> Share {
    let mut b = share.to_bytes().to_vec();
    b[at..at + with.len()].copy_from_slice(with);
    Share::from_bytes(&b).unwrap()
}

#[test]
fn forged_split_id_is_caught_by_the_address_check() {
    // Shares of two polynomials whose envelopes were made to agree: the
    // metadata check passes, the rebuilt secret is garbage, and the address
    // comparison refuses it.
    let secret = WalletSecret::from_mnemonic(JUNK).unwrap();
    let addrs = secret.addresses().unwrap();
    let mut r = rng(1);
    let (wallet, device) = ids(&mut r);
    let a = split_pair(&secret, wallet, device, 3, &mut r).unwrap();
    let b = split_pair(&secret, wallet, device, 3, &mut r).unwrap();
    let forged = patch(&b.hot, 45, a.local.split().as_bytes());
    assert!(forged.pairs_with(&a.local));
    assert_eq!(
        combine(&a.local, &forged, &addrs).unwrap_err(),
        Error::ShareMismatch
    );
    // Same for a raw-key wallet, where garbage may not even be a scalar.
    let raw = WalletSecret::from_evm_private_key(
        "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318",
    )
    .unwrap();
    let raddrs = raw.addresses().unwrap();
    let a = split_pair(&raw, wallet, device, 0, &mut r).unwrap();
    let b = split_pair(&raw, wallet, device, 0, &mut r).unwrap();
    let forged = patch(&b.hot, 45, a.local.split().as_bytes());
    assert_eq!(
        combine(&a.local, &forged, &raddrs).unwrap_err(),
        Error::ShareMismatch
    );
}

#[test]
fn wrong_expected_addresses_are_refused() {
    let secret = WalletSecret::from_mnemonic(JUNK).unwrap();
    let good = secret.addresses().unwrap();
    let mut r = rng(2);
    let (wallet, device) = ids(&mut r);
    let p = split_pair(&secret, wallet, device, 0, &mut r).unwrap();
    assert!(combine(&p.local, &p.hot, &good).is_ok());
    // Checksum case does not matter; the bytes do.
    let lower = Addresses {
        evm: good.evm.to_lowercase(),
        solana: good.solana.clone(),
    };
    assert!(combine(&p.local, &p.hot, &lower).is_ok());
    let wrong = [
        Addresses {
            evm: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8".into(),
            solana: good.solana.clone(),
        },
        Addresses {
            evm: good.evm.clone(),
            solana: Some("AqynRZwvVqUPRwRJXvm6odUb3t93fDjnWe3p6BeuUFxD".into()),
        },
        Addresses {
            evm: good.evm.clone(),
            solana: None,
        },
        Addresses {
            evm: String::new(),
            solana: None,
        },
    ];
    for w in &wrong {
        assert_eq!(
            combine(&p.local, &p.hot, w).unwrap_err(),
            Error::ShareMismatch,
            "{w:?}"
        );
    }
}

#[test]
fn kind_mismatch_is_refused() {
    let secret = WalletSecret::from_entropy(&[0xff; 32]).unwrap();
    let addrs = secret.addresses().unwrap();
    let mut r = rng(3);
    let (wallet, device) = ids(&mut r);
    let p = split_pair(&secret, wallet, device, 0, &mut r).unwrap();
    let relabelled = patch(&p.hot, 61, &[2]);
    assert_eq!(relabelled.kind(), WalletKind::EvmPrivateKey);
    assert_eq!(
        combine(&p.local, &relabelled, &addrs).unwrap_err(),
        Error::ShareMismatch
    );
}

#[test]
fn shares_are_not_the_secret_and_pairs_are_fresh() {
    let secret = WalletSecret::from_entropy(&[0u8; 32]).unwrap();
    let mut r = OsRng;
    let (wallet, device) = (
        WalletId::random(&mut r).unwrap(),
        DeviceId::random(&mut r).unwrap(),
    );
    let a = split_pair(&secret, wallet, device, 0, &mut r).unwrap();
    let b = split_pair(&secret, wallet, device, 0, &mut r).unwrap();
    // A share of an all-zero secret is not all zero, and two splits differ.
    assert_ne!(&a.local.to_bytes()[64..], &[0u8; 32][..]);
    assert_ne!(&a.local.to_bytes()[64..], &b.local.to_bytes()[64..]);
    assert_ne!(a.local.x(), a.hot.x());
}

#[test]
fn debug_redacts_y() {
    let secret = WalletSecret::from_mnemonic(JUNK).unwrap();
    let mut r = rng(4);
    let (wallet, device) = ids(&mut r);
    let p = split_pair(&secret, wallet, device, 0, &mut r).unwrap();
    let d = format!("{p:?}");
    let y = hex::encode(&p.local.to_bytes()[64..68]);
    assert!(d.contains("redacted") && !d.contains(&y), "{d}");
}

#[test]
fn ids_display_parse_and_serde() {
    let w: WalletId = "7f0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b".parse().unwrap();
    assert_eq!(w.to_string(), "7f0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b");
    let upper: WalletId = "7F0C1A2B-3C4D-4E5F-8A9B-0C1D2E3F4A5B".parse().unwrap();
    assert_eq!(upper, w);
    assert_eq!(
        DeviceId::RECOVERY.to_string(),
        "00000000-0000-0000-0000-000000000000"
    );
    assert_eq!(
        "00000000-0000-0000-0000-000000000000"
            .parse::<DeviceId>()
            .unwrap(),
        DeviceId::RECOVERY
    );
    let s: SplitId = "00112233445566778899aabbccddeeff".parse().unwrap();
    assert_eq!(s.to_string(), "00112233445566778899aabbccddeeff");
    assert_eq!(
        serde_json::to_string(&w).unwrap(),
        "\"7f0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b\""
    );
    assert_eq!(
        serde_json::from_str::<SplitId>("\"00112233445566778899aabbccddeeff\"").unwrap(),
        s
    );
    for bad in [
        "",
        "7f0c1a2b3c4d4e5f8a9b0c1d2e3f4a5b",
        "7f0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5",
        "7f0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5bb",
        "7f0c1a2b-3c4d-4e5f-8a9b+0c1d2e3f4a5b",
        "7f0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5g",
        "7f0c1a2b--c4d-4e5f-8a9b-0c1d2e3f4a5b",
        "7f0c1a2-b3c4d-4e5f-8a9b-0c1d2e3f4a5b",
    ] {
        assert!(bad.parse::<WalletId>().is_err(), "{bad}");
    }
    for bad in [
        "",
        "0011",
        "00112233445566778899aabbccddeeffaa",
        "00112233-4455-6677-8899-aabbccddeeff",
        "zz112233445566778899aabbccddeeff",
    ] {
        assert!(bad.parse::<SplitId>().is_err(), "{bad}");
    }
    assert!(serde_json::from_str::<WalletId>("\"nope\"").is_err());
    assert!(serde_json::from_str::<WalletId>("5").is_err());
}

#[test]
fn pinned_v1_shares_still_combine() {
    common::check_shares_v1();
}

#[test]
fn malformed_share_vectors() {
    common::check_fail_shares();
}

#[test]
fn every_truncation_and_extension_is_malformed() {
    let secret = WalletSecret::from_mnemonic(JUNK).unwrap();
    let mut r = rng(5);
    let (wallet, device) = ids(&mut r);
    let p = split_pair(&secret, wallet, device, 0, &mut r).unwrap();
    let b = p.local.to_bytes();
    for n in 0..b.len() {
        assert_eq!(
            Share::from_bytes(&b[..n]).unwrap_err(),
            Error::MalformedShare,
            "truncated to {n}"
        );
    }
    let mut long = b.to_vec();
    long.push(0);
    assert_eq!(Share::from_bytes(&long).unwrap_err(), Error::MalformedShare);
    assert_eq!(
        Share::from_bytes(&vec![0u8; 600]).unwrap_err(),
        Error::MalformedShare
    );
}

/// Regenerates the pinned vectors. Run by hand only:
/// `cargo test -p keyframe-signer --test shares -- --ignored --nocapture generate`
#[test]
#[ignore]
fn generate_share_vectors() {
    let mut r = rng(20261121);
    let mut cases = vec![];
    let inputs: [(&str, WalletSecret); 3] = [
        ("mnemonic", WalletSecret::from_mnemonic(JUNK).unwrap()),
        ("mnemonic", WalletSecret::from_mnemonic("abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about").unwrap()),
        ("evm_private_key", WalletSecret::from_evm_private_key("0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318").unwrap()),
    ];
    for (i, (kind, secret)) in inputs.iter().enumerate() {
        let wallet = WalletId::random(&mut r).unwrap();
        let device = if i == 0 {
            DeviceId::RECOVERY
        } else {
            DeviceId::random(&mut r).unwrap()
        };
        let version = [0u64, 7, 1 << 40][i];
        let p = split_pair(secret, wallet, device, version, &mut r).unwrap();
        cases.push(serde_json::json!({
            "kind": kind,
            "mnemonic": secret.mnemonic().map(|m| m.to_string()),
            "private_key": (secret.kind() == WalletKind::EvmPrivateKey).then(|| secret.evm_private_key_hex(0).unwrap().to_string()),
            "addresses": secret.addresses().unwrap(),
            "wallet": wallet.to_string(),
            "device": device.to_string(),
            "version": version,
            "split": p.local.split().to_string(),
            "local": hex::encode(p.local.to_bytes().as_slice()),
            "hot": hex::encode(p.hot.to_bytes().as_slice()),
        }));
    }
    println!(
        "{}",
        serde_json::to_string_pretty(&serde_json::json!({ "cases": cases })).unwrap()
    );

    // Malformed envelopes, each derived from one valid share.
    let secret = WalletSecret::from_mnemonic(JUNK).unwrap();
    let p = split_pair(
        &secret,
        WalletId::random(&mut r).unwrap(),
        DeviceId::random(&mut r).unwrap(),
        1,
        &mut r,
    )
    .unwrap();
    let valid = p.local.to_bytes().to_vec();
    let with = |f: &dyn Fn(&mut Vec<u8>)| {
        let mut b = valid.clone();
        f(&mut b);
        hex::encode(b)
    };
    let fail = serde_json::json!({
        "valid": hex::encode(&valid),
        "cases": [
            {"name": "empty", "hex": ""},
            {"name": "bad magic", "hex": with(&|b| b[0] = b'X')},
            {"name": "magic of another format (KFSX)", "hex": with(&|b| b[3] = b'X')},
            {"name": "unknown format version 0", "hex": with(&|b| b[4] = 0)},
            {"name": "unknown format version 2", "hex": with(&|b| b[4] = 2)},
            {"name": "truncated to magic only", "hex": with(&|b| b.truncate(4))},
            {"name": "truncated inside the header", "hex": with(&|b| b.truncate(40))},
            {"name": "truncated header (63 bytes)", "hex": with(&|b| b.truncate(63))},
            {"name": "header without y", "hex": with(&|b| b.truncate(64))},
            {"name": "y one byte short", "hex": with(&|b| { b.pop(); })},
            {"name": "trailing byte", "hex": with(&|b| b.push(0))},
            {"name": "trailing share", "hex": with(&|b| { let c = b.clone(); b.extend_from_slice(&c); })},
            {"name": "x = 0", "hex": with(&|b| b[62] = 0)},
            {"name": "kind 0", "hex": with(&|b| b[61] = 0)},
            {"name": "kind 3", "hex": with(&|b| b[61] = 3)},
            {"name": "len says 31, 32 bytes follow", "hex": with(&|b| b[63] = 31)},
            {"name": "len 33 with 33 bytes", "hex": with(&|b| { b[63] = 33; b.push(0); })},
            {"name": "len 17 (not a BIP-39 length) with 17 bytes", "hex": with(&|b| { b[63] = 17; b.truncate(64 + 17); })},
            {"name": "len 0", "hex": with(&|b| { b[63] = 0; b.truncate(64); })},
            {"name": "raw-key kind with 16-byte y", "hex": with(&|b| { b[61] = 2; b[63] = 16; b.truncate(64 + 16); })},
            {"name": "over 512 bytes", "hex": with(&|b| b.resize(600, 0))}
        ]
    });
    println!("{}", serde_json::to_string_pretty(&fail).unwrap());
    let _ = shares::SHARE_FORMAT;
}

#[test]
fn recovery_partner_recomputes_the_cold_share() {
    // Random wallets of every kind: C recomputed from (secret, H₀) is
    // byte-identical to the C that split_pair made.
    let mut r = rng(6);
    for kind in 0u8..6 {
        let mut bytes = [0u8; 32];
        rand_core::Rng::fill_bytes(&mut r, &mut bytes);
        let secret = secret_from(kind, &bytes);
        let (wallet, _) = ids(&mut r);
        let p = split_pair(&secret, wallet, DeviceId::RECOVERY, 0, &mut r).unwrap();
        assert_eq!((p.local.x(), p.hot.x()), (shares::LOCAL_X, shares::HOT_X));
        let c = shares::recovery_partner(&secret, &p.hot).unwrap();
        assert_eq!(c.to_bytes().as_slice(), p.local.to_bytes().as_slice());
        // Giving it the cold share (x = 1) or another wallet's kind is refused.
        assert_eq!(
            shares::recovery_partner(&secret, &p.local).unwrap_err(),
            Error::ShareMismatch
        );
    }
    // And for the pinned vectors.
    let v = load("shares_v1.json");
    for c in v["cases"].as_array().unwrap() {
        let addrs: Addresses = serde_json::from_value(c["addresses"].clone()).unwrap();
        let a = Share::from_bytes(&hex::decode(c["local"].as_str().unwrap()).unwrap()).unwrap();
        let b = Share::from_bytes(&hex::decode(c["hot"].as_str().unwrap()).unwrap()).unwrap();
        let secret = combine(&a, &b, &addrs).unwrap();
        let again = shares::recovery_partner(&secret, &b).unwrap();
        assert_eq!(
            hex::encode(again.to_bytes().as_slice()),
            c["local"].as_str().unwrap()
        );
    }
    // A raw-key share does not fit a mnemonic secret.
    let raw = WalletSecret::from_evm_private_key(
        "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318",
    )
    .unwrap();
    let p = split_pair(
        &raw,
        WalletId::random(&mut r).unwrap(),
        DeviceId::RECOVERY,
        0,
        &mut r,
    )
    .unwrap();
    let m = WalletSecret::from_mnemonic(JUNK).unwrap();
    assert_eq!(
        shares::recovery_partner(&m, &p.hot).unwrap_err(),
        Error::ShareMismatch
    );
}

/// An RNG that always fails, as `crypto.getRandomValues` could.
struct BrokenRng;

impl rand_core::TryRng for BrokenRng {
    type Error = std::io::Error;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        Err(std::io::Error::other("no entropy"))
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        Err(std::io::Error::other("no entropy"))
    }
    fn try_fill_bytes(&mut self, _: &mut [u8]) -> Result<(), Self::Error> {
        Err(std::io::Error::other("no entropy"))
    }
}

impl rand_core::TryCryptoRng for BrokenRng {}

/// Fails only after `ok` successful fills, to hit the failure inside vsss-rs.
struct FailsLater {
    inner: ChaCha20Rng,
    ok: usize,
}

impl rand_core::TryRng for FailsLater {
    type Error = std::io::Error;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        let mut b = [0u8; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        let mut b = [0u8; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        if self.ok == 0 {
            return Err(std::io::Error::other("no entropy"));
        }
        self.ok -= 1;
        rand_core::Rng::fill_bytes(&mut self.inner, dst);
        Ok(())
    }
}

impl rand_core::TryCryptoRng for FailsLater {}

#[test]
fn rng_failure_is_an_error_not_a_panic() {
    let secret = WalletSecret::from_mnemonic(JUNK).unwrap();
    let (wallet, device) = ids(&mut rng(7));
    assert_eq!(
        WalletSecret::generate(&mut BrokenRng).unwrap_err(),
        Error::Rng
    );
    assert_eq!(WalletId::random(&mut BrokenRng).unwrap_err(), Error::Rng);
    assert_eq!(
        split_pair(&secret, wallet, device, 0, &mut BrokenRng).unwrap_err(),
        Error::Rng
    );
    // The split id is drawn first; later failures happen inside vsss-rs.
    for ok in 1..4 {
        let mut r = FailsLater { inner: rng(8), ok };
        assert_eq!(
            split_pair(&secret, wallet, device, 0, &mut r).unwrap_err(),
            Error::Rng,
            "after {ok}"
        );
    }
    assert!(
        split_pair(
            &secret,
            wallet,
            device,
            0,
            &mut keyframe_signer::secret::OsRng
        )
        .is_ok()
    );
}
