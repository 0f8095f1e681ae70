//! Sealing of shares at rest: AES-256-GCM under a key-encryption key from
//! configuration.
//!
//! A sealed value is stored as `(key_id, nonce || ciphertext || tag)` with a
//! fresh random 96-bit nonce per write. The associated data binds the
//! ciphertext to its row: `(service, iss, sub, wallet, device, version,
//! split)`, each length-prefixed, so a ciphertext copied into another row,
//! another user, or the other service does not open.
//!
//! Keys are given as `kid:base64(32 bytes)`; the first key is current (used
//! for every new write), the others only open older rows until `reseal` has
//! rewritten them.

use std::path::Path;

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use zeroize::Zeroizing;

const NONCE_LEN: usize = 12;
const AAD_DOMAIN: &[u8] = b"keyframe-seal-v1";

/// What a `reseal` run rewrote.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ResealReport {
    pub examined: u64,
    pub resealed: u64,
}

/// One key-encryption key. `Debug` prints the id only.
pub struct SealKey {
    id: String,
    key: Zeroizing<[u8; 32]>,
}

impl std::fmt::Debug for SealKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl SealKey {
    /// Parses `kid:base64(32 bytes)`.
    pub fn parse(spec: &str) -> anyhow::Result<Self> {
        let spec = spec.trim();
        let (id, b64) = spec
            .split_once(':')
            .context("sealing key must be written as KID:BASE64 (32 bytes)")?;
        if id.is_empty()
            || id.len() > 64
            || !id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        {
            bail!("sealing key id must be 1-64 characters of [A-Za-z0-9._-]");
        }
        let raw = Zeroizing::new(
            STANDARD
                .decode(b64.trim())
                .context("sealing key is not valid base64")?,
        );
        let key: [u8; 32] = raw
            .as_slice()
            .try_into()
            .map_err(|_| anyhow::anyhow!("sealing key {id} must be exactly 32 bytes"))?;
        Ok(SealKey {
            id: id.to_string(),
            key: Zeroizing::new(key),
        })
    }

    /// A fresh random key (used by `--dev` and by tests).
    pub fn generate(id: &str) -> anyhow::Result<Self> {
        let mut key = Zeroizing::new([0u8; 32]);
        getrandom::fill(key.as_mut()).map_err(|e| anyhow::anyhow!("getrandom: {e}"))?;
        Ok(SealKey {
            id: id.to_string(),
            key,
        })
    }

    /// `kid:base64` form, for writing a generated dev key to disk.
    pub fn to_spec(&self) -> Zeroizing<String> {
        Zeroizing::new(format!(
            "{}:{}",
            self.id,
            STANDARD.encode(self.key.as_ref())
        ))
    }

    pub fn id(&self) -> &str {
        &self.id
    }
}

/// What a sealed value is bound to.
#[derive(Debug, Clone, Copy)]
pub struct Aad<'a> {
    pub service: &'a str,
    pub iss: &'a str,
    pub sub: &'a str,
    pub wallet: &'a str,
    pub device: &'a str,
    pub version: u64,
    pub split: &'a str,
}

impl Aad<'_> {
    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        out.extend_from_slice(AAD_DOMAIN);
        for part in [self.service, self.iss, self.sub, self.wallet, self.device] {
            out.extend_from_slice(&(part.len() as u32).to_be_bytes());
            out.extend_from_slice(part.as_bytes());
        }
        out.extend_from_slice(&self.version.to_be_bytes());
        out.extend_from_slice(&(self.split.len() as u32).to_be_bytes());
        out.extend_from_slice(self.split.as_bytes());
        out
    }
}

/// A sealed value as stored.
#[derive(Clone, PartialEq, Eq)]
pub struct Sealed {
    pub key_id: String,
    pub blob: Vec<u8>,
}

/// Opening failed: unknown key id, truncated blob, or authentication failure
/// (wrong row, flipped byte, wrong key). Deliberately carries no detail.
#[derive(Debug, thiserror::Error)]
#[error("sealed value did not open (key id {key_id})")]
pub struct OpenError {
    pub key_id: String,
}

/// The configured keys; the first is current.
#[derive(Debug)]
pub struct Keyring {
    keys: Vec<SealKey>,
}

impl Keyring {
    pub fn new(keys: Vec<SealKey>) -> anyhow::Result<Self> {
        if keys.is_empty() {
            bail!("no sealing key configured");
        }
        for (i, k) in keys.iter().enumerate() {
            if keys[..i].iter().any(|o| o.id == k.id) {
                bail!("sealing key id {} given twice", k.id);
            }
        }
        Ok(Keyring { keys })
    }

    /// Reads keys from a file: one `kid:base64` per line, `#` comments.
    pub fn read_file(path: &Path) -> anyhow::Result<Vec<SealKey>> {
        let text = Zeroizing::new(
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?,
        );
        text.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(SealKey::parse)
            .collect()
    }

    /// This keyring with `key` placed first (current); a key with the same
    /// id is replaced.
    pub fn with_current(self, key: SealKey) -> anyhow::Result<Self> {
        let id = key.id.clone();
        let mut keys = vec![key];
        keys.extend(self.keys.into_iter().filter(|k| k.id != id));
        Keyring::new(keys)
    }

    pub fn current_id(&self) -> &str {
        &self.keys[0].id
    }

    pub fn ids(&self) -> Vec<String> {
        self.keys.iter().map(|k| k.id.clone()).collect()
    }

    /// Seals under the current key with a fresh nonce.
    #[tracing::instrument(name = "seal.seal", skip_all)]
    pub fn seal(&self, aad: &Aad<'_>, plaintext: &[u8]) -> anyhow::Result<Sealed> {
        let key = &self.keys[0];
        let cipher = Aes256Gcm::new_from_slice(key.key.as_ref())
            .map_err(|_| anyhow::anyhow!("bad key length"))?;
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|e| anyhow::anyhow!("getrandom: {e}"))?;
        let aad = aad.encode();
        let ct = cipher
            .encrypt(
                &aes_gcm::Nonce::from(nonce),
                Payload {
                    msg: plaintext,
                    aad: &aad,
                },
            )
            .map_err(|_| anyhow::anyhow!("seal failed"))?;
        let mut blob = Vec::with_capacity(NONCE_LEN + ct.len());
        blob.extend_from_slice(&nonce);
        blob.extend_from_slice(&ct);
        Ok(Sealed {
            key_id: key.id.clone(),
            blob,
        })
    }

    /// Opens a sealed value with the key it names.
    #[tracing::instrument(name = "seal.open", skip_all)]
    pub fn open(
        &self,
        aad: &Aad<'_>,
        key_id: &str,
        blob: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, OpenError> {
        let err = || OpenError {
            key_id: key_id.to_string(),
        };
        let key = self.keys.iter().find(|k| k.id == key_id).ok_or_else(err)?;
        if blob.len() < NONCE_LEN + 16 {
            return Err(err());
        }
        let (nonce, ct) = blob.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| err())?;
        let cipher = Aes256Gcm::new_from_slice(key.key.as_ref()).map_err(|_| err())?;
        let aad = aad.encode();
        cipher
            .decrypt(&aes_gcm::Nonce::from(nonce), Payload { msg: ct, aad: &aad })
            .map(Zeroizing::new)
            .map_err(|_| err())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn aad(device: &str) -> Aad<'_> {
        Aad {
            service: "hot",
            iss: "i",
            sub: "s",
            wallet: "w",
            device,
            version: 1,
            split: "ab",
        }
    }

    #[test]
    fn round_trip_and_binding() {
        let ring = Keyring::new(vec![SealKey::generate("k1").unwrap()]).unwrap();
        let s = ring.seal(&aad("d"), b"share").unwrap();
        assert_eq!(
            ring.open(&aad("d"), &s.key_id, &s.blob).unwrap().as_slice(),
            b"share"
        );
        assert!(ring.open(&aad("e"), &s.key_id, &s.blob).is_err());
        let mut flipped = s.blob.clone();
        flipped[20] ^= 1;
        assert!(ring.open(&aad("d"), &s.key_id, &flipped).is_err());
        assert!(ring.open(&aad("d"), "other", &s.blob).is_err());
    }

    #[test]
    fn parse_keys() {
        let k = SealKey::generate("a").unwrap();
        let spec = k.to_spec();
        let p = SealKey::parse(&spec).unwrap();
        assert_eq!(p.id(), "a");
        assert!(SealKey::parse("nokey").is_err());
        assert!(SealKey::parse("a:AAAA").is_err());
        assert!(format!("{p:?}").contains("\"a\"") && !format!("{p:?}").contains(&spec[2..]));
    }
}
