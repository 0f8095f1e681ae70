//! Account keys and addresses derived from a [`WalletSecret`].
//!
//! This module owns hierarchical derivation — BIP-32 over secp256k1 for EVM
//! (`m/44'/60'/0'/0/i`) and SLIP-0010 over ed25519 for Solana
//! (`m/44'/501'/i'/0'`, as Phantom and Solflare derive it) — and the address
//! formats: EIP-55 checksummed hex for EVM, base58 for Solana.
//!
//! Derivation is written here over `hmac`, `sha2` and `k256` rather than
//! pulled from the `bip32` crate: it is a few dozen lines, and the iFrame's
//! WASM budget is tight. The low-level [`derive_secp256k1`] and
//! [`derive_ed25519`] are public so the published test vectors can check
//! them at arbitrary paths.

use hmac::{Hmac, KeyInit, Mac};
use k256::elliptic_curve::PrimeField;

use sha2::Sha512;
use sha3::{Digest, Keccak256};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::error::{Error, Result};
use crate::secret::{WalletKind, WalletSecret};

/// Index bit of a hardened child (`'` in a path).
pub const HARDENED: u32 = 0x8000_0000;

pub use keyframe_wire::Addresses;

/// An extended private key: a 32-byte key and its 32-byte chain code.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct ExtendedKey {
    key: [u8; 32],
    chain_code: [u8; 32],
}

impl core::fmt::Debug for ExtendedKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("ExtendedKey(<redacted>)")
    }
}

impl ExtendedKey {
    /// The private key bytes.
    pub fn private_key(&self) -> &[u8; 32] {
        &self.key
    }

    /// The chain code.
    pub fn chain_code(&self) -> &[u8; 32] {
        &self.chain_code
    }

    /// Splits an HMAC-SHA512 output into key (left) and chain code (right).
    fn from_hmac(mut out: [u8; 64]) -> Self {
        let mut k = ExtendedKey {
            key: [0; 32],
            chain_code: [0; 32],
        };
        k.key.copy_from_slice(&out[..32]);
        k.chain_code.copy_from_slice(&out[32..]);
        out.zeroize();
        k
    }
}

/// HMAC-SHA512 of `parts` under `key`, written into a plain array that the
/// caller wipes.
fn hmac_sha512(key: &[u8], parts: &[&[u8]]) -> Result<[u8; 64]> {
    let mut mac = <Hmac<Sha512> as KeyInit>::new_from_slice(key)
        .map_err(|_| Error::BadRequest("hmac key".into()))?;
    for p in parts {
        mac.update(p);
    }
    let mut tag = mac.finalize().into_bytes();
    let mut out = [0u8; 64];
    out.copy_from_slice(&tag);
    tag.as_mut_slice().zeroize();
    Ok(out)
}

/// Parses a path such as `m/44'/60'/0'/0/5` (`'` or `h` marks hardened).
pub fn parse_path(path: &str) -> Result<Vec<u32>> {
    let bad = || Error::BadRequest("derivation path".into());
    let mut parts = path.split('/');
    if parts.next() != Some("m") {
        return Err(bad());
    }
    parts
        .map(|p| {
            let (digits, hardened) = match p.strip_suffix('\'').or_else(|| p.strip_suffix('h')) {
                Some(d) => (d, true),
                None => (p, false),
            };
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            let n: u32 = digits.parse().map_err(|_| bad())?;
            if n >= HARDENED {
                return Err(bad());
            }
            Ok(if hardened { n | HARDENED } else { n })
        })
        .collect()
}

/// A nonzero secp256k1 scalar from 32 big-endian bytes, or `None` if the
/// bytes are zero or not below the group order (BIP-32 calls such a key
/// invalid).
fn scalar(bytes: &[u8; 32]) -> Option<k256::Scalar> {
    let s: Option<k256::Scalar> = k256::Scalar::from_repr((*bytes).into()).into();
    s.filter(|s| !bool::from(s.is_zero()))
}

/// BIP-32 private derivation over secp256k1 from a seed along `path`.
///
/// The spec says to skip to the next index when an intermediate key is
/// invalid (probability below 2^-127); we report an error instead, which
/// no real seed will ever hit.
pub fn derive_secp256k1(seed: &[u8], path: &[u32]) -> Result<ExtendedKey> {
    let invalid = || Error::BadRequest("derived key out of range".into());
    let mut node = ExtendedKey::from_hmac(hmac_sha512(b"Bitcoin seed", &[seed])?);
    scalar(&node.key).ok_or_else(invalid)?;
    for &index in path {
        let mut parent = scalar(&node.key).ok_or_else(invalid)?;
        let mut out = if index & HARDENED != 0 {
            hmac_sha512(&node.chain_code, &[&[0u8], &node.key, &index.to_be_bytes()])?
        } else {
            let public = k256::ProjectivePoint::mul_by_generator(&parent).to_affine();
            let point = k256::ecdsa::VerifyingKey::from_affine(public)
                .map_err(|_| invalid())?
                .to_sec1_point(true);
            hmac_sha512(&node.chain_code, &[point.as_bytes(), &index.to_be_bytes()])?
        };
        let child = ExtendedKey::from_hmac(out);
        out.zeroize();
        // k_i = parse256(I_L) + k_par (mod n); invalid if I_L >= n or k_i = 0.
        let mut sum = scalar(&child.key).map(|t| t + parent);
        parent.zeroize();
        let mut key = match sum.take() {
            Some(k) if !bool::from(k.is_zero()) => k,
            _ => return Err(invalid()),
        };
        let mut repr = key.to_repr();
        key.zeroize();
        node.key.copy_from_slice(&repr);
        repr.zeroize();
        node.chain_code.copy_from_slice(&child.chain_code);
    }
    Ok(node)
}

/// SLIP-0010 private derivation over ed25519 from a seed along `path`.
/// Ed25519 allows hardened children only.
pub fn derive_ed25519(seed: &[u8], path: &[u32]) -> Result<ExtendedKey> {
    let mut node = ExtendedKey::from_hmac(hmac_sha512(b"ed25519 seed", &[seed])?);
    for &index in path {
        if index & HARDENED == 0 {
            return Err(Error::BadRequest(
                "ed25519 derivation is hardened only".into(),
            ));
        }
        let mut out = hmac_sha512(&node.chain_code, &[&[0u8], &node.key, &index.to_be_bytes()])?;
        node = ExtendedKey::from_hmac(out);
        out.zeroize();
    }
    Ok(node)
}

/// EIP-55 checksummed address of a secp256k1 public key.
pub fn evm_address(key: &k256::ecdsa::VerifyingKey) -> String {
    let point = key.to_sec1_point(false);
    // Uncompressed SEC1 is 0x04 || X || Y; the address hashes X || Y.
    let hash = Keccak256::digest(&point.as_bytes()[1..]);
    let mut address = [0u8; 20];
    address.copy_from_slice(&hash[12..]);
    crate::evm::checksum_address(&address)
}

/// Base58 Solana address of an ed25519 public key.
pub fn solana_address(key: &ed25519_dalek::VerifyingKey) -> String {
    bs58::encode(key.as_bytes()).into_string()
}

impl WalletSecret {
    /// The secp256k1 key of EVM account `index`: BIP-32
    /// `m/44'/60'/0'/0/index` from the BIP-39 seed, or the raw key itself
    /// (only index 0) for an imported private key.
    pub fn evm_signing_key(&self, index: u32) -> Result<k256::ecdsa::SigningKey> {
        // Account 0 is what every operation uses, and the address check on
        // combine derives it too: derive it once per secret.
        if index == 0 {
            if let Some(key) = self.derived().evm0.get() {
                return Ok(key.clone());
            }
            let key = self.derive_evm_signing_key(0)?;
            let _ = self.derived().evm0.set(key.clone());
            return Ok(key);
        }
        self.derive_evm_signing_key(index)
    }

    fn derive_evm_signing_key(&self, index: u32) -> Result<k256::ecdsa::SigningKey> {
        match self.kind() {
            WalletKind::EvmPrivateKey => {
                if index != 0 {
                    return Err(Error::Unsupported);
                }
                k256::ecdsa::SigningKey::from_slice(self.as_bytes())
                    .map_err(|_| Error::InvalidPrivateKey)
            }
            WalletKind::Mnemonic => {
                if index >= HARDENED {
                    return Err(Error::BadRequest("account index".into()));
                }
                let seed = self.bip39_seed()?;
                let node = derive_secp256k1(
                    seed.as_slice(),
                    &[44 | HARDENED, 60 | HARDENED, HARDENED, 0, index],
                )?;
                k256::ecdsa::SigningKey::from_slice(node.private_key())
                    .map_err(|_| Error::InvalidPrivateKey)
            }
        }
    }

    /// The ed25519 key of Solana account `index`: SLIP-0010
    /// `m/44'/501'/index'/0'`. [`Error::Unsupported`] for a raw EVM key.
    pub fn solana_signing_key(&self, index: u32) -> Result<ed25519_dalek::SigningKey> {
        if index == 0 {
            if let Some(key) = self.derived().solana0.get() {
                return Ok(key.clone());
            }
            let key = self.derive_solana_signing_key(0)?;
            let _ = self.derived().solana0.set(key.clone());
            return Ok(key);
        }
        self.derive_solana_signing_key(index)
    }

    fn derive_solana_signing_key(&self, index: u32) -> Result<ed25519_dalek::SigningKey> {
        if self.kind() != WalletKind::Mnemonic {
            return Err(Error::Unsupported);
        }
        if index >= HARDENED {
            return Err(Error::BadRequest("account index".into()));
        }
        let seed = self.bip39_seed()?;
        let node = derive_ed25519(
            seed.as_slice(),
            &[44 | HARDENED, 501 | HARDENED, index | HARDENED, HARDENED],
        )?;
        let key = Zeroizing::new(*node.private_key());
        Ok(ed25519_dalek::SigningKey::from_bytes(&key))
    }

    /// The addresses of account 0.
    pub fn addresses(&self) -> Result<Addresses> {
        let evm = evm_address(self.evm_signing_key(0)?.verifying_key());
        let solana = match self.kind() {
            WalletKind::Mnemonic => {
                Some(solana_address(&self.solana_signing_key(0)?.verifying_key()))
            }
            WalletKind::EvmPrivateKey => None,
        };
        Ok(Addresses { evm, solana })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zeroize::Zeroize;

    const JUNK: &str = "test test test test test test test test test test test junk";

    #[test]
    fn cached_keys_equal_fresh_derivations_and_are_wiped_with_the_secret() {
        let mut secret = WalletSecret::from_mnemonic(JUNK).expect("mnemonic");
        let first = secret.evm_signing_key(0).expect("evm");
        let again = secret.evm_signing_key(0).expect("evm");
        let fresh = secret.derive_evm_signing_key(0).expect("evm");
        assert_eq!(first.to_bytes(), again.to_bytes());
        assert_eq!(first.to_bytes(), fresh.to_bytes());
        let sol = secret.solana_signing_key(0).expect("solana");
        assert_eq!(
            sol.to_bytes(),
            secret
                .derive_solana_signing_key(0)
                .expect("solana")
                .to_bytes()
        );
        assert_eq!(
            secret.addresses().expect("addresses").evm,
            "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
        );
        assert!(secret.derived().seed.get().is_some());

        secret.zeroize();
        assert!(secret.derived().seed.get().is_none());
        assert!(secret.derived().evm0.get().is_none());
        assert!(secret.derived().solana0.get().is_none());
    }
}
