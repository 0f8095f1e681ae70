//! Recovery envelopes: how the cold share C is sealed for Shield.
//!
//! This module owns the [`ColdRecord`] the signer hands to Shield and the
//! two recovery methods of docs/architecture.md §7. Shield only ever sees ciphertext.
//!
//! * **password** — Argon2id (production floor 64 MiB, 3 passes, 1 lane;
//!   parameters stored in the record so they can rise later) derives 64
//!   bytes: the first 32 are the AES-256-GCM key, the last 32 feed a
//!   *verifier* (`SHA-256(domain || k_v)`) stored in `params`. Opening
//!   compares the verifier in constant time first, so a wrong password is a
//!   clear [`Error::WrongPassword`], while a password that passes the
//!   verifier but fails the GCM tag means the ciphertext was altered
//!   ([`Error::CorruptCiphertext`]). The verifier lets a guesser test a
//!   password no faster than the GCM tag would: the Argon2 cost is the same.
//! * **automatic** — AES-256-GCM under the dApp's per-user 32-byte
//!   [`RecoveryKey`]. A wrong key and a tampered record are indistinguishable
//!   and both [`Error::CorruptCiphertext`].
//!
//! `ciphertext` is `nonce (12) || AES-GCM output (share envelope + 16-byte
//! tag)`. The AAD binds the wallet id, the method and (for password) every
//! parameter, encoded in a fixed binary form rather than as JSON text, so a
//! store that reorders JSON keys (PostgreSQL `jsonb`) does not break it.
//!
//! Parameters are bounded when opening (m ≤ 1 GiB, t ≤ 20, p ≤ 4) so a
//! hostile Shield cannot hang or exhaust the browser, and must be at least
//! the production floor, so a downgraded record is refused as tampered.
//! Building with the `weak-test-kdf` feature lowers that floor to Argon2's minimum
//! for fast tests; production builds must not enable it.
//!
//! Known limits: in-bounds changes to `m`, `t`, `p`, `salt` or `verifier`
//! derive a different verifier and so report as a wrong password — without
//! the password nothing can tell them apart. Passwords are not
//! Unicode-normalised; the same characters typed in NFC and NFD differ.

use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit};
use keyframe_wire::b64;
use rand_core::TryCryptoRng;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::error::{Error, Result};
use crate::shares::{DeviceId, Share, WalletId};

/// Method name of password recovery.
pub const METHOD_PASSWORD: &str = "password";
/// Method name of automatic recovery.
pub const METHOD_AUTOMATIC: &str = "automatic";
/// Minimum recovery password length, in characters.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Longest password accepted, in bytes (refuses absurd input early).
const MAX_PASSWORD_BYTES: usize = 1024;

const AAD_DOMAIN: &[u8] = b"keyframe/cold-share/v1\0";
const VERIFIER_DOMAIN: &[u8] = b"keyframe/cold-share/verifier/v1\0";
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
const SALT_LEN: usize = 16;

use keyframe_wire::Ciphertext;
/// A sealed cold share as Shield stores it: `{ method, params, ciphertext }`
/// (docs/api.md), defined in the wire crate.
pub use keyframe_wire::shield::ColdRecord;
use keyframe_wire::shield::{AutomaticParams, Kdf, PasswordParams, Sealing};

/// Argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KdfParams {
    /// Memory in KiB.
    pub m_kib: u32,
    /// Passes.
    pub t: u32,
    /// Lanes.
    pub p: u32,
}

impl KdfParams {
    /// What new records use: 64 MiB, 3 passes, 1 lane (docs/architecture.md §7).
    pub const PRODUCTION: KdfParams = KdfParams {
        m_kib: 65536,
        t: 3,
        p: 1,
    };
    /// The most a record may ask for (1 GiB, 20 passes, 4 lanes).
    pub const MAX: KdfParams = KdfParams {
        m_kib: 1 << 20,
        t: 20,
        p: 4,
    };

    /// The least a record may ask for: production, or Argon2's minimum in
    /// builds with the `weak-test-kdf` feature (tests only).
    pub const fn floor() -> KdfParams {
        if cfg!(feature = "weak-test-kdf") {
            KdfParams {
                m_kib: 8,
                t: 1,
                p: 1,
            }
        } else {
            KdfParams::PRODUCTION
        }
    }

    pub(crate) fn in_bounds(&self) -> bool {
        let lo = KdfParams::floor();
        let hi = KdfParams::MAX;
        (lo.m_kib..=hi.m_kib).contains(&self.m_kib)
            && (lo.t..=hi.t).contains(&self.t)
            && (lo.p..=hi.p).contains(&self.p)
            // Argon2 needs 8 KiB per lane.
            && self.m_kib >= 8 * self.p
    }
}

/// Parsed, checked password parameters.
struct OpenParams {
    kdf: KdfParams,
    salt: [u8; SALT_LEN],
    verifier: [u8; 32],
}

impl OpenParams {
    fn parse(p: &PasswordParams) -> Result<OpenParams> {
        let bad = Error::CorruptCiphertext;
        let Kdf::Argon2id = p.kdf;
        let kdf = KdfParams {
            m_kib: p.m,
            t: p.t,
            p: p.p,
        };
        if !kdf.in_bounds() {
            return Err(bad);
        }
        let mut salt = [0u8; SALT_LEN];
        let mut verifier = [0u8; 32];
        decode_exact(&p.salt, &mut salt)?;
        decode_exact(&p.verifier, &mut verifier)?;
        Ok(OpenParams {
            kdf,
            salt,
            verifier,
        })
    }

    fn to_params(&self) -> PasswordParams {
        PasswordParams {
            kdf: Kdf::Argon2id,
            m: self.kdf.m_kib,
            t: self.kdf.t,
            p: self.kdf.p,
            salt: b64::encode(self.salt),
            verifier: b64::encode(self.verifier),
        }
    }

    fn aad(&self, wallet: WalletId) -> Vec<u8> {
        let mut aad = aad_prefix(wallet, METHOD_PASSWORD);
        aad.extend_from_slice(b"argon2id");
        aad.extend_from_slice(&self.kdf.m_kib.to_be_bytes());
        aad.extend_from_slice(&self.kdf.t.to_be_bytes());
        aad.extend_from_slice(&self.kdf.p.to_be_bytes());
        aad.extend_from_slice(&self.salt);
        aad.extend_from_slice(&self.verifier);
        aad
    }
}

fn decode_exact(s: &str, out: &mut [u8]) -> Result<()> {
    let v = b64::decode(s).map_err(|_| Error::CorruptCiphertext)?;
    if v.len() != out.len() {
        return Err(Error::CorruptCiphertext);
    }
    out.copy_from_slice(&v);
    Ok(())
}

fn aad_prefix(wallet: WalletId, method: &str) -> Vec<u8> {
    let mut aad = Vec::with_capacity(128);
    aad.extend_from_slice(AAD_DOMAIN);
    aad.extend_from_slice(wallet.as_bytes());
    // Method names are short constants.
    aad.push(method.len() as u8);
    aad.extend_from_slice(method.as_bytes());
    aad
}

/// Argon2id → (AES key, verifier).
pub(crate) fn derive(
    password: &str,
    kdf: KdfParams,
    salt: &[u8],
) -> Result<(Zeroizing<[u8; 32]>, [u8; 32])> {
    let params = argon2::Params::new(kdf.m_kib, kdf.t, kdf.p, Some(64))
        .map_err(|_| Error::CorruptCiphertext)?;
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut out = Zeroizing::new([0u8; 64]);
    argon
        .hash_password_into(password.as_bytes(), salt, out.as_mut_slice())
        .map_err(|_| Error::CorruptCiphertext)?;
    let mut key = Zeroizing::new([0u8; 32]);
    key.copy_from_slice(&out[..32]);
    let mut h = Sha256::new();
    h.update(VERIFIER_DOMAIN);
    h.update(&out[32..]);
    let mut verifier = [0u8; 32];
    verifier.copy_from_slice(&h.finalize());
    Ok((key, verifier))
}

fn encrypt<R: TryCryptoRng + ?Sized>(
    key: &[u8; 32],
    aad: &[u8],
    plaintext: &[u8],
    rng: &mut R,
) -> Result<Vec<u8>> {
    let cipher = Aes256Gcm::new(key.into());
    let mut nonce = [0u8; NONCE_LEN];
    crate::secret::fill(rng, &mut nonce)?;
    let ct = cipher
        .encrypt(
            &nonce.into(),
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .map_err(|_| Error::BadRequest("share too large".into()))?;
    let mut out = Vec::with_capacity(NONCE_LEN + ct.len());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ct);
    Ok(out)
}

/// The sealed bytes in their wire form (bounded well above any sealed
/// share, so this only fails on a bug).
fn wire_ciphertext(bytes: Vec<u8>) -> Result<Ciphertext> {
    Ciphertext::new(Zeroizing::new(bytes)).map_err(|_| Error::BadRequest("share too large".into()))
}

/// Decrypts and checks the share inside. Any failure of the tag is
/// [`Error::CorruptCiphertext`].
fn decrypt(key: &[u8; 32], aad: &[u8], ciphertext: &[u8], wallet: WalletId) -> Result<Share> {
    if ciphertext.len() < NONCE_LEN + TAG_LEN + 1
        || ciphertext.len() > NONCE_LEN + TAG_LEN + crate::shares::SHARE_MAX_BYTES
    {
        return Err(Error::CorruptCiphertext);
    }
    let (nonce, body) = ciphertext.split_at(NONCE_LEN);
    let mut n = [0u8; NONCE_LEN];
    n.copy_from_slice(nonce);
    let cipher = Aes256Gcm::new(key.into());
    let plain = Zeroizing::new(
        cipher
            .decrypt(&n.into(), Payload { msg: body, aad })
            .map_err(|_| Error::CorruptCiphertext)?,
    );
    let share = Share::from_bytes(&plain).map_err(|_| Error::CorruptCiphertext)?;
    // The AAD already binds the wallet; a share of another wallet or a
    // device share inside means the sealer was wrong or hostile.
    if share.wallet() != wallet || share.device() != DeviceId::RECOVERY {
        return Err(Error::ShareMismatch);
    }
    Ok(share)
}

fn check_sealable(share: &Share) -> Result<()> {
    if share.device() != DeviceId::RECOVERY {
        return Err(Error::BadRequest(
            "only the recovery pair's cold share is sealed".into(),
        ));
    }
    Ok(())
}

pub(crate) fn check_password(password: &str) -> Result<()> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(Error::WeakPassword(MIN_PASSWORD_CHARS));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(Error::BadRequest("password too long".into()));
    }
    Ok(())
}

/// Seals the cold share C under a password with the production parameters.
/// Passwords shorter than 12 characters are [`Error::WeakPassword`].
pub fn seal_with_password<R: TryCryptoRng + ?Sized>(
    share: &Share,
    password: &str,
    rng: &mut R,
) -> Result<ColdRecord> {
    seal_with_password_params(share, password, KdfParams::PRODUCTION, rng)
}

/// [`seal_with_password`] with explicit Argon2id parameters, which must lie
/// between [`KdfParams::floor`] and [`KdfParams::MAX`] (otherwise
/// [`Error::BadRequest`]). Raising the cost later needs no format change;
/// lowering it below production is only possible in `weak-test-kdf` builds.
pub fn seal_with_password_params<R: TryCryptoRng + ?Sized>(
    share: &Share,
    password: &str,
    kdf: KdfParams,
    rng: &mut R,
) -> Result<ColdRecord> {
    check_sealable(share)?;
    check_password(password)?;
    if !kdf.in_bounds() {
        return Err(Error::BadRequest("kdf parameters".into()));
    }
    let mut salt = [0u8; SALT_LEN];
    crate::secret::fill(rng, &mut salt)?;
    let (key, verifier) = derive(password, kdf, &salt)?;
    let params = OpenParams {
        kdf,
        salt,
        verifier,
    };
    let ciphertext = encrypt(&key, &params.aad(share.wallet()), &share.to_bytes(), rng)?;
    Ok(ColdRecord {
        sealing: Sealing::Password(params.to_params()),
        ciphertext: wire_ciphertext(ciphertext)?,
    })
}

/// Opens a password record of `wallet`.
///
/// [`Error::WrongPassword`] if the password does not match;
/// [`Error::CorruptCiphertext`] if the record is malformed, out of bounds,
/// of another method or wallet, or altered.
pub fn open_with_password(record: &ColdRecord, password: &str, wallet: WalletId) -> Result<Share> {
    let Sealing::Password(params) = &record.sealing else {
        return Err(Error::CorruptCiphertext);
    };
    let params = OpenParams::parse(params)?;
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(Error::WrongPassword);
    }
    let (key, verifier) = derive(password, params.kdf, &params.salt)?;
    if !bool::from(verifier.ct_eq(&params.verifier)) {
        return Err(Error::WrongPassword);
    }
    decrypt(
        &key,
        &params.aad(wallet),
        record.ciphertext.as_bytes(),
        wallet,
    )
}

/// The dApp's per-user automatic-recovery key (32 bytes), boxed so a move
/// copies a pointer and not the key, and wiped on drop.
pub struct RecoveryKey(Box<[u8; 32]>);

impl Zeroize for RecoveryKey {
    fn zeroize(&mut self) {
        self.0.zeroize();
    }
}

impl Drop for RecoveryKey {
    fn drop(&mut self) {
        self.zeroize();
    }
}

impl ZeroizeOnDrop for RecoveryKey {}

impl core::fmt::Debug for RecoveryKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("RecoveryKey(<redacted>)")
    }
}

impl RecoveryKey {
    /// A key from its 32 bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        RecoveryKey(Box::new(bytes))
    }

    /// A random key (what the dApp's backend makes per user).
    pub fn generate<R: TryCryptoRng + ?Sized>(rng: &mut R) -> Result<Self> {
        let mut k = RecoveryKey(Box::new([0u8; 32]));
        crate::secret::fill(rng, &mut k.0[..])?;
        Ok(k)
    }

    /// Parses the dApp's `{ key }` (base64url of 32 bytes, padded or not).
    pub fn from_base64url(s: &str) -> Result<Self> {
        let s = s.trim();
        let v = Zeroizing::new(
            b64::decode_url(s)
                .or_else(|_| b64::decode_url_padded(s))
                .map_err(|_| Error::BadRequest("recovery key".into()))?,
        );
        if v.len() != 32 {
            return Err(Error::BadRequest("recovery key".into()));
        }
        let mut k = RecoveryKey(Box::new([0u8; 32]));
        k.0.copy_from_slice(&v);
        Ok(k)
    }

    /// The key as unpadded base64url (what the dApp serves).
    pub fn to_base64url(&self) -> Zeroizing<String> {
        Zeroizing::new(b64::encode_url(self.0.as_slice()))
    }
}

/// Seals the cold share C under the automatic-recovery key.
pub fn seal_with_key<R: TryCryptoRng + ?Sized>(
    share: &Share,
    key: &RecoveryKey,
    rng: &mut R,
) -> Result<ColdRecord> {
    check_sealable(share)?;
    let aad = aad_prefix(share.wallet(), METHOD_AUTOMATIC);
    let ciphertext = encrypt(&key.0, &aad, &share.to_bytes(), rng)?;
    Ok(ColdRecord {
        sealing: Sealing::Automatic(AutomaticParams {}),
        ciphertext: wire_ciphertext(ciphertext)?,
    })
}

/// Opens an automatic record of `wallet`. A wrong key, another wallet's
/// record or any alteration is [`Error::CorruptCiphertext`].
pub fn open_with_key(record: &ColdRecord, key: &RecoveryKey, wallet: WalletId) -> Result<Share> {
    let Sealing::Automatic(AutomaticParams {}) = &record.sealing else {
        return Err(Error::CorruptCiphertext);
    };
    decrypt(
        &key.0,
        &aad_prefix(wallet, METHOD_AUTOMATIC),
        record.ciphertext.as_bytes(),
        wallet,
    )
}
