//! Backup files: the cold share C sealed under a password the user types,
//! kept by the user instead of (or besides) Shield (docs/backup-format.md).
//!
//! A file is UTF-8 JSON. Its header is in clear — format name and version,
//! the wallet id, its EVM and Solana addresses, the recovery pair it belongs
//! to, the KDF and its parameters, the nonce — and every header field is
//! bound to the ciphertext as AES-256-GCM associated data, in a fixed binary
//! form (so re-indenting or reordering the JSON does not break a file).
//! Sealing is the password method of `crate::recovery` (Argon2id → key and
//! verifier), so a wrong password is told apart from a damaged file.
//!
//! Opening says exactly what is wrong, each with a stable code
//! ([`BackupError::code`]): not a Keyframe backup, damaged or truncated, a
//! newer format, another wallet's backup, an outdated one (its recovery
//! pair was replaced since), a wrong password. Pure: no I/O.

use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit};
use keyframe_json::{FromJson, decode_struct};
use keyframe_wire::b64;
use rand_core::TryCryptoRng;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::error::Error;
use crate::recovery::{KdfParams, check_password, derive};
use crate::shares::{DeviceId, SHARE_MAX_BYTES, Share, SplitId, WalletId};
use crate::wallet::Addresses;

/// The `format` field of every backup file.
pub const FORMAT: &str = "keyframe-backup";
/// The newest format version this signer writes and reads.
pub const VERSION: u32 = 1;
/// Files larger than this are not backups (a v1 file is about 1 KB).
pub const MAX_FILE_BYTES: usize = 16 * 1024;

const AAD_DOMAIN: &[u8] = b"keyframe/backup/v1\0";
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
const SALT_LEN: usize = 16;

/// Why a backup file cannot be used. The messages are the words the screen
/// shows; [`BackupError::code`] is what code can branch on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BackupError {
    #[error("This file is not a Keyframe backup.")]
    NotABackup,
    #[error("This backup file is damaged or incomplete.")]
    Damaged,
    #[error(
        "This backup was written by a newer version of Keyframe; update the app and try again."
    )]
    NewerFormat,
    #[error("This backup is of another wallet than the one of this account.")]
    OtherWallet,
    #[error(
        "This backup is outdated: the wallet's recovery was changed since. Download a new one."
    )]
    Outdated,
    #[error("That password does not open this backup.")]
    WrongPassword,
}

impl BackupError {
    /// A stable code per error.
    pub fn code(self) -> &'static str {
        match self {
            BackupError::NotABackup => "BACKUP_NOT_A_BACKUP",
            BackupError::Damaged => "BACKUP_DAMAGED",
            BackupError::NewerFormat => "BACKUP_NEWER_FORMAT",
            BackupError::OtherWallet => "BACKUP_OTHER_WALLET",
            BackupError::Outdated => "BACKUP_OUTDATED",
            BackupError::WrongPassword => "WRONG_PASSWORD",
        }
    }
}

/// The KDF of a file: Argon2id, its costs, salt and password verifier.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct FileKdf {
    pub kdf: String,
    pub m: u32,
    pub t: u32,
    pub p: u32,
    pub salt: String,
    pub verifier: String,
}

/// A backup file as it is written (JSON).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BackupFile {
    pub format: String,
    pub version: u32,
    pub wallet: WalletId,
    pub addresses: Addresses,
    /// The split id of the recovery pair (H₀, C) this C belongs to.
    pub recovery_pair: SplitId,
    pub kdf: FileKdf,
    pub nonce: String,
    pub ciphertext: String,
}

/// What the file is checked against when opened: the wallet of the account
/// and the recovery pair hot storage holds now.
#[derive(Debug, Clone, Copy)]
pub struct Expect {
    pub wallet: WalletId,
    pub recovery_pair: SplitId,
}

/// The header bytes bound to the ciphertext.
fn aad(file: &BackupFile, salt: &[u8], verifier: &[u8], nonce: &[u8]) -> Vec<u8> {
    let mut aad = Vec::with_capacity(256);
    aad.extend_from_slice(AAD_DOMAIN);
    aad.extend_from_slice(&file.version.to_be_bytes());
    aad.extend_from_slice(file.wallet.as_bytes());
    let field = |aad: &mut Vec<u8>, bytes: &[u8]| {
        // Addresses are short; a 16-bit length is plenty.
        aad.extend_from_slice(&(bytes.len() as u16).to_be_bytes());
        aad.extend_from_slice(bytes);
    };
    field(&mut aad, file.addresses.evm.as_bytes());
    field(
        &mut aad,
        file.addresses.solana.as_deref().unwrap_or("").as_bytes(),
    );
    aad.extend_from_slice(file.recovery_pair.as_bytes());
    field(&mut aad, file.kdf.kdf.as_bytes());
    aad.extend_from_slice(&file.kdf.m.to_be_bytes());
    aad.extend_from_slice(&file.kdf.t.to_be_bytes());
    aad.extend_from_slice(&file.kdf.p.to_be_bytes());
    aad.extend_from_slice(salt);
    aad.extend_from_slice(verifier);
    aad.extend_from_slice(nonce);
    aad
}

/// Seals the cold share `c` of the wallet with `addresses` into a backup
/// file under `password` (at least 12 characters), with `kdf` costs.
pub fn seal<R: TryCryptoRng + ?Sized>(
    c: &Share,
    addresses: &Addresses,
    password: &str,
    kdf: KdfParams,
    rng: &mut R,
) -> Result<BackupFile, Error> {
    if c.device() != DeviceId::RECOVERY {
        return Err(Error::BadRequest(
            "only the recovery pair's cold share is backed up".into(),
        ));
    }
    check_password(password)?;
    if !kdf.in_bounds() {
        return Err(Error::BadRequest("kdf parameters".into()));
    }
    let mut salt = [0u8; SALT_LEN];
    crate::secret::fill(rng, &mut salt)?;
    let mut nonce = [0u8; NONCE_LEN];
    crate::secret::fill(rng, &mut nonce)?;
    let (key, verifier) = derive(password, kdf, &salt)?;
    let mut file = BackupFile {
        format: FORMAT.to_owned(),
        version: VERSION,
        wallet: c.wallet(),
        addresses: addresses.clone(),
        recovery_pair: c.split(),
        kdf: FileKdf {
            kdf: "argon2id".to_owned(),
            m: kdf.m_kib,
            t: kdf.t,
            p: kdf.p,
            salt: b64::encode(salt),
            verifier: b64::encode(verifier),
        },
        nonce: b64::encode(nonce),
        ciphertext: String::new(),
    };
    let aad = aad(&file, &salt, &verifier, &nonce);
    let plain = Zeroizing::new(c.to_bytes());
    let k: &[u8; 32] = &key;
    let ct = Aes256Gcm::new(k.into())
        .encrypt(
            &nonce.into(),
            Payload {
                msg: &plain,
                aad: &aad,
            },
        )
        .map_err(|_| Error::BadRequest("share too large".into()))?;
    file.ciphertext = b64::encode(ct);
    Ok(file)
}

impl BackupFile {
    /// The file's bytes, as the user downloads them.
    pub fn to_json(&self) -> Result<String, Error> {
        serde_json::to_string_pretty(self).map_err(|_| Error::BadRequest("backup".into()))
    }

    /// A file name that says what it is and whose.
    pub fn file_name(&self) -> String {
        let wallet = self.wallet.to_string();
        format!("keyframe-backup-{}.json", &wallet[..8.min(wallet.len())])
    }
}

/// Reads a file's text: a Keyframe backup of a format this signer knows,
/// shaped right. Nothing is decrypted yet.
pub fn parse(text: &str) -> Result<BackupFile, BackupError> {
    if text.len() > MAX_FILE_BYTES {
        return Err(BackupError::NotABackup);
    }
    // One JSON reader for the whole WASM (keyframe-json); a duplicate key
    // is refused as damage, never resolved by guessing.
    let value = keyframe_json::parse(text).map_err(|e| match e {
        keyframe_json::DecodeError::DuplicateKey => BackupError::Damaged,
        _ => not_json_or_truncated(text),
    })?;
    if value.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
        return Err(BackupError::NotABackup);
    }
    match value.get("version").and_then(|v| v.as_u64()) {
        Some(v) if v == u64::from(VERSION) => {}
        Some(v) if v > u64::from(VERSION) => return Err(BackupError::NewerFormat),
        _ => return Err(BackupError::Damaged),
    }
    BackupFile::from_json(&value).map_err(|_| BackupError::Damaged)
}

// Read by hand (keyframe-json), as serde's derive would read it: the
// tests hold the two to the same answers.
decode_struct!(
    FileKdf,
    strict {
        kdf: req("kdf"),
        m: req("m"),
        t: req("t"),
        p: req("p"),
        salt: req("salt"),
        verifier: req("verifier"),
    }
);

decode_struct!(
    BackupFile,
    strict {
        format: req("format"),
        version: req("version"),
        wallet: req("wallet"),
        addresses: req("addresses"),
        recovery_pair: req("recoveryPair"),
        kdf: req("kdf"),
        nonce: req("nonce"),
        ciphertext: req("ciphertext"),
    }
);

/// A file that is not JSON: cut short if it starts like one of ours.
fn not_json_or_truncated(text: &str) -> BackupError {
    let start = text.trim_start();
    if start.starts_with('{') && start.contains(FORMAT) {
        BackupError::Damaged
    } else {
        BackupError::NotABackup
    }
}

fn decode<const N: usize>(s: &str) -> Result<[u8; N], BackupError> {
    let v = b64::decode(s).map_err(|_| BackupError::Damaged)?;
    <[u8; N]>::try_from(v.as_slice()).map_err(|_| BackupError::Damaged)
}

/// Opens `file` with `password`, for the wallet and recovery pair of
/// `expect`: the cold share C, or what is wrong, checked in this order:
/// another wallet, outdated, damaged parameters, wrong password, damaged
/// ciphertext.
pub fn open(file: &BackupFile, password: &str, expect: Expect) -> Result<Share, BackupError> {
    if file.wallet != expect.wallet {
        return Err(BackupError::OtherWallet);
    }
    if file.recovery_pair != expect.recovery_pair {
        return Err(BackupError::Outdated);
    }
    if file.kdf.kdf != "argon2id" || file.addresses.check().is_err() {
        return Err(BackupError::Damaged);
    }
    let kdf = KdfParams {
        m_kib: file.kdf.m,
        t: file.kdf.t,
        p: file.kdf.p,
    };
    if !kdf.in_bounds() {
        return Err(BackupError::Damaged);
    }
    let salt: [u8; SALT_LEN] = decode(&file.kdf.salt)?;
    let verifier: [u8; 32] = decode(&file.kdf.verifier)?;
    let nonce: [u8; NONCE_LEN] = decode(&file.nonce)?;
    let ct = b64::decode(&file.ciphertext).map_err(|_| BackupError::Damaged)?;
    if ct.len() < TAG_LEN + 1 || ct.len() > TAG_LEN + SHARE_MAX_BYTES {
        return Err(BackupError::Damaged);
    }
    let (key, derived) = derive(password, kdf, &salt).map_err(|_| BackupError::Damaged)?;
    if !bool::from(derived.ct_eq(&verifier)) {
        return Err(BackupError::WrongPassword);
    }
    let aad = aad(file, &salt, &verifier, &nonce);
    let k: &[u8; 32] = &key;
    let plain = Zeroizing::new(
        Aes256Gcm::new(k.into())
            .decrypt(
                &nonce.into(),
                Payload {
                    msg: &ct,
                    aad: &aad,
                },
            )
            .map_err(|_| BackupError::Damaged)?,
    );
    let share = Share::from_bytes(&plain).map_err(|_| BackupError::Damaged)?;
    if share.wallet() != expect.wallet
        || share.device() != DeviceId::RECOVERY
        || share.split() != expect.recovery_pair
    {
        return Err(BackupError::Damaged);
    }
    Ok(share)
}
