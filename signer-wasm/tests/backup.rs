//! Backup files (src/backup.rs): a round trip, the pinned v1 file written
//! by this version (tests/vectors/backup_v1.json) that every later version
//! must still open and combine, and one `fail_*` case per error
//! (tests/vectors/fail_backup.json).
//!
//! `KEYFRAME_BLESS=1 cargo test -p keyframe-signer --test backup` rewrites
//! the two vector files; never do that for a released format.

// Tests panic on failure by design.
#![allow(clippy::unwrap_used)]

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chacha20::ChaCha20Rng;
use keyframe_signer::backup::{self, BackupError, Expect};
use keyframe_signer::recovery::KdfParams;
use keyframe_signer::secret::{OsRng, WalletSecret};
use keyframe_signer::shares::{DeviceId, RandomId, Share, SplitId, WalletId, combine, split_pair};
use rand_core::SeedableRng;
use serde_json::{Value, json};

const JUNK: &str = "test test test test test test test test test test test junk";
const PASSWORD: &str = "correct horse battery staple";
const PINNED: &str = include_str!("vectors/backup_v1.json");
const FAILS: &str = include_str!("vectors/fail_backup.json");

fn recovery_pair(seed: u64) -> (WalletSecret, Share, Share) {
    let mut r = ChaCha20Rng::seed_from_u64(seed);
    let secret = WalletSecret::from_mnemonic(JUNK).unwrap();
    let wallet = WalletId::random(&mut r).unwrap();
    let p = split_pair(&secret, wallet, DeviceId::RECOVERY, 0, &mut r).unwrap();
    (secret, p.local, p.hot)
}

fn expect_of(c: &Share) -> Expect {
    Expect {
        wallet: c.wallet(),
        recovery_pair: c.split(),
    }
}

#[test]
fn a_backup_opens_with_its_password_and_combines_with_h0() {
    let (secret, c, h0) = recovery_pair(1);
    let addresses = secret.addresses().unwrap();
    let file = backup::seal(&c, &addresses, PASSWORD, KdfParams::floor(), &mut OsRng).unwrap();
    let text = file.to_json().unwrap();
    assert!(!text.contains(&STANDARD.encode(c.to_bytes())));
    let parsed = backup::parse(&text).unwrap();
    assert_eq!(parsed, file);
    let opened = backup::open(&parsed, PASSWORD, expect_of(&c)).unwrap();
    assert!(combine(&opened, &h0, &addresses).unwrap() == secret);
    assert!(file.file_name().starts_with("keyframe-backup-"));
    // Re-indented and reordered JSON is the same file.
    let mut v: Value = serde_json::from_str(&text).unwrap();
    let obj = v.as_object_mut().unwrap();
    let ct = obj.remove("ciphertext").unwrap();
    let mut reordered = serde_json::Map::new();
    reordered.insert("ciphertext".into(), ct);
    reordered.extend(obj.clone());
    let compact = serde_json::to_string(&reordered).unwrap();
    let again = backup::parse(&compact).unwrap();
    assert!(backup::open(&again, PASSWORD, expect_of(&c)).is_ok());
}

#[test]
fn a_weak_password_or_a_device_share_is_not_sealed() {
    let (secret, c, _) = recovery_pair(2);
    let addresses = secret.addresses().unwrap();
    assert!(backup::seal(&c, &addresses, "short", KdfParams::floor(), &mut OsRng).is_err());
    let mut r = ChaCha20Rng::seed_from_u64(3);
    let device = DeviceId::random(&mut r).unwrap();
    let pair = split_pair(&secret, c.wallet(), device, 0, &mut r).unwrap();
    assert!(
        backup::seal(
            &pair.local,
            &addresses,
            PASSWORD,
            KdfParams::floor(),
            &mut OsRng
        )
        .is_err()
    );
}

/// Writes the pinned file and the fail cases from a fresh, seeded pair.
fn bless() {
    let (secret, c, h0) = recovery_pair(7);
    let addresses = secret.addresses().unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(8);
    let file = backup::seal(&c, &addresses, PASSWORD, KdfParams::PRODUCTION, &mut rng).unwrap();
    let text = file.to_json().unwrap();
    let pinned = json!({
        "source": "written by keyframe-signer's backup::seal (format v1, Argon2id 64 MiB t=3 p=1) for the BIP-39 test mnemonic \"test ... junk\"; tests/backup.rs",
        "password": PASSWORD,
        "h0": STANDARD.encode(h0.to_bytes()),
        "evm": addresses.evm,
        "file": text,
    });
    let v: Value = serde_json::from_str(&text).unwrap();
    let with = |f: &dyn Fn(&mut Value)| {
        let mut m = v.clone();
        f(&mut m);
        serde_json::to_string_pretty(&m).unwrap()
    };
    let flip_ct = with(&|m| {
        let mut ct = STANDARD.decode(m["ciphertext"].as_str().unwrap()).unwrap();
        ct[3] ^= 1;
        m["ciphertext"] = json!(STANDARD.encode(ct));
    });
    let other_wallet = WalletId::random(&mut ChaCha20Rng::seed_from_u64(9)).unwrap();
    let other_pair = SplitId::random(&mut ChaCha20Rng::seed_from_u64(10)).unwrap();
    let fails = json!({
        "source": "mutations of tests/vectors/backup_v1.json made by tests/backup.rs (bless); each must fail with its code",
        "vectors": [
            { "name": "wrong password", "file": text, "password": "correct horse battery stapler", "error": "WRONG_PASSWORD" },
            { "name": "not JSON", "file": "PK\u{3}\u{4} a zip file", "password": PASSWORD, "error": "BACKUP_NOT_A_BACKUP" },
            { "name": "JSON of something else", "file": "{\"hello\": \"world\"}", "password": PASSWORD, "error": "BACKUP_NOT_A_BACKUP" },
            { "name": "truncated", "file": &text[..text.len() / 2], "password": PASSWORD, "error": "BACKUP_DAMAGED" },
            { "name": "ciphertext altered", "file": flip_ct, "password": PASSWORD, "error": "BACKUP_DAMAGED" },
            { "name": "address altered", "file": with(&|m| m["addresses"]["evm"] = json!("0x70997970C51812dc3A010C7d01b50e0d17dc79C8")), "password": PASSWORD, "error": "BACKUP_DAMAGED" },
            { "name": "nonce missing", "file": with(&|m| { m.as_object_mut().unwrap().remove("nonce"); }), "password": PASSWORD, "error": "BACKUP_DAMAGED" },
            { "name": "newer format", "file": with(&|m| m["version"] = json!(2)), "password": PASSWORD, "error": "BACKUP_NEWER_FORMAT" },
            { "name": "another wallet's backup", "file": text, "password": PASSWORD, "wallet": other_wallet.to_string(), "error": "BACKUP_OTHER_WALLET" },
            { "name": "outdated: the recovery pair was replaced", "file": text, "password": PASSWORD, "recoveryPair": other_pair.to_string(), "error": "BACKUP_OUTDATED" },
        ],
    });
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors");
    std::fs::write(
        dir.join("backup_v1.json"),
        serde_json::to_string_pretty(&pinned).unwrap() + "\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("fail_backup.json"),
        serde_json::to_string_pretty(&fails).unwrap() + "\n",
    )
    .unwrap();
}

fn pinned() -> (Value, backup::BackupFile) {
    let v: Value = serde_json::from_str(PINNED).unwrap();
    let file = backup::parse(v["file"].as_str().unwrap()).unwrap();
    (v, file)
}

#[test]
fn the_pinned_v1_backup_still_opens_and_combines() {
    if std::env::var("KEYFRAME_BLESS").is_ok_and(|v| v == "1") {
        bless();
        return;
    }
    let (v, file) = pinned();
    let h0 = Share::from_bytes(&STANDARD.decode(v["h0"].as_str().unwrap()).unwrap()).unwrap();
    let expect = Expect {
        wallet: h0.wallet(),
        recovery_pair: h0.split(),
    };
    let c = backup::open(&file, v["password"].as_str().unwrap(), expect).unwrap();
    let secret = WalletSecret::from_mnemonic(JUNK).unwrap();
    let addresses = secret.addresses().unwrap();
    assert_eq!(addresses.evm, v["evm"].as_str().unwrap());
    assert!(combine(&c, &h0, &addresses).unwrap() == secret);
}

#[test]
fn every_fail_vector_fails_with_its_code() {
    let (pinned, _) = pinned();
    let h0 = Share::from_bytes(&STANDARD.decode(pinned["h0"].as_str().unwrap()).unwrap()).unwrap();
    let fails: Value = serde_json::from_str(FAILS).unwrap();
    let cases = fails["vectors"].as_array().unwrap();
    let mut codes: Vec<&str> = Vec::new();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let expect = Expect {
            wallet: case["wallet"]
                .as_str()
                .map_or(h0.wallet(), |w| w.parse().unwrap()),
            recovery_pair: case["recoveryPair"]
                .as_str()
                .map_or(h0.split(), |s| s.parse().unwrap()),
        };
        let result = backup::parse(case["file"].as_str().unwrap())
            .and_then(|f| backup::open(&f, case["password"].as_str().unwrap(), expect));
        let err: BackupError = match result {
            Ok(_) => panic!("{name}: opened"),
            Err(e) => e,
        };
        assert_eq!(err.code(), case["error"].as_str().unwrap(), "{name}");
        assert!(!err.to_string().is_empty());
        codes.push(err.code());
    }
    for code in [
        "WRONG_PASSWORD",
        "BACKUP_NOT_A_BACKUP",
        "BACKUP_DAMAGED",
        "BACKUP_NEWER_FORMAT",
        "BACKUP_OTHER_WALLET",
        "BACKUP_OUTDATED",
    ] {
        assert!(codes.contains(&code), "no fail vector for {code}");
    }
}

/// The file is read by hand (keyframe-json) as serde's derive reads it:
/// the pinned file and every mutation of it, each fail vector's text, and
/// a duplicate key (which serde would refuse too, as a duplicate field).
#[test]
fn files_are_read_by_hand_as_serde_reads_them() {
    let (v, _) = pinned();
    let text = v["file"].as_str().unwrap();
    assert!(keyframe_json::parity::assert_parity::<backup::BackupFile>(text) > 200);
    let fails: Value = serde_json::from_str(FAILS).unwrap();
    for case in fails["vectors"].as_array().unwrap() {
        let text = case["file"].as_str().unwrap();
        if serde_json::from_str::<Value>(text).is_ok() {
            keyframe_json::parity::check::<backup::BackupFile>(text);
        }
    }
    let doubled = text.replacen("\"nonce\"", "\"nonce\": \"AAAA\", \"nonce\"", 1);
    assert!(matches!(backup::parse(&doubled), Err(BackupError::Damaged)));
}
