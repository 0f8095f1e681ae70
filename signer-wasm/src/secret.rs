//! The wallet secret: what one backup (mnemonic or raw key) holds.
//!
//! This module owns [`WalletSecret`] — the bytes that Shamir sharing splits
//! and that every account key is derived from — its import and export
//! formats, and [`OsRng`], the platform randomness source the rest of the
//! core draws from. Derivation of account keys and addresses lives in
//! [`crate::wallet`]; splitting in [`crate::shares`].
//!
//! A secret is either BIP-39 entropy (16..=32 bytes: 32 for wallets made
//! here, 24 words; fewer for imported 12..21-word mnemonics) or a raw
//! secp256k1 private key (32 bytes, EVM only). The bytes and everything
//! derived from them live in one heap box: moving a [`WalletSecret`] copies
//! a pointer, never the secret (a move leaves its source bytes behind, in a
//! stack frame or a future's state, where no drop can wipe them). The box
//! is wiped on drop. What the computations leave on the stack is wiped by
//! [`scrub_stack`], which the flows call when they finish.

use rand_core::{TryCryptoRng, TryRng};
use subtle::{Choice, ConstantTimeEq};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::error::{Error, Result};

pub use keyframe_wire::WalletKind;

/// Whether `len` bytes is a valid secret length for `kind`.
pub(crate) fn valid_len(kind: WalletKind, len: usize) -> bool {
    match kind {
        // BIP-39 entropy: 128..=256 bits in steps of 32.
        WalletKind::Mnemonic => (16..=32).contains(&len) && len.is_multiple_of(4),
        WalletKind::EvmPrivateKey => len == 32,
    }
}

/// Bytes of secret: entropy or raw key. See the module documentation.
///
/// No `Debug` that prints the bytes, no `Clone` (a copy is one more place to
/// wipe), constant-time equality. Boxed, and wiped on drop (the kind is not
/// secret).
pub struct WalletSecret(Box<Inner>);

#[derive(Zeroize, ZeroizeOnDrop)]
struct Inner {
    #[zeroize(skip)]
    kind: WalletKind,
    len: u8,
    bytes: [u8; 32],
    /// What one operation derives more than once (the seed costs 2048
    /// PBKDF2 rounds), kept no longer than the secret itself: each cell
    /// zeroizes its content when the secret is dropped or wiped.
    pub(crate) derived: Derived,
}

/// Lazily derived material of a [`WalletSecret`].
#[derive(Default)]
pub(crate) struct Derived {
    pub(crate) seed: core::cell::OnceCell<Zeroizing<[u8; 64]>>,
    pub(crate) evm0: core::cell::OnceCell<k256::ecdsa::SigningKey>,
    pub(crate) solana0: core::cell::OnceCell<ed25519_dalek::SigningKey>,
}

// Wiping drops what was derived: the signing keys zeroize on drop and the
// seed is `Zeroizing`.
impl Zeroize for Derived {
    fn zeroize(&mut self) {
        *self = Derived::default();
    }
}

impl Zeroize for WalletSecret {
    fn zeroize(&mut self) {
        self.0.zeroize();
    }
}

// Dropping the box drops `Inner`, which wipes itself in place.
impl ZeroizeOnDrop for WalletSecret {}

impl core::fmt::Debug for WalletSecret {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("WalletSecret")
            .field("kind", &self.0.kind)
            .field("bytes", &"<redacted>")
            .finish()
    }
}

impl ConstantTimeEq for WalletSecret {
    fn ct_eq(&self, other: &Self) -> Choice {
        // Kind and length are not secret; the bytes are compared in full
        // (unused tail bytes are always zero).
        let (a, b) = (&self.0, &other.0);
        let meta = Choice::from(u8::from(a.kind == b.kind && a.len == b.len));
        meta & a.bytes.ct_eq(&b.bytes)
    }
}

impl PartialEq for WalletSecret {
    fn eq(&self, other: &Self) -> bool {
        self.ct_eq(other).into()
    }
}

impl Eq for WalletSecret {}

impl WalletSecret {
    /// An all-zero secret of `kind` and `len` bytes, already in its box, for
    /// the constructors to fill in place.
    fn boxed(kind: WalletKind, len: u8) -> Self {
        WalletSecret(Box::new(Inner {
            kind,
            len,
            bytes: [0u8; 32],
            derived: Derived::default(),
        }))
    }

    /// What one operation derives more than once (see [`Derived`]).
    pub(crate) fn derived(&self) -> &Derived {
        &self.0.derived
    }

    /// Builds a secret from raw bytes of a known kind, checking the length
    /// (and, for a raw key, that it is a valid scalar). Used when shares are
    /// combined.
    pub(crate) fn from_parts(kind: WalletKind, secret: &[u8]) -> Result<Self> {
        if !valid_len(kind, secret.len()) {
            return Err(Error::MalformedShare);
        }
        // valid_len bounds the length to 32.
        let mut out = WalletSecret::boxed(kind, secret.len() as u8);
        out.0.bytes[..secret.len()].copy_from_slice(secret);
        if kind == WalletKind::EvmPrivateKey
            && k256::ecdsa::SigningKey::from_slice(out.as_bytes()).is_err()
        {
            return Err(Error::InvalidPrivateKey);
        }
        Ok(out)
    }

    /// A new 24-word wallet from 32 bytes of `rng` ([`Error::Rng`] if it
    /// fails).
    pub fn generate<R: TryCryptoRng + ?Sized>(rng: &mut R) -> Result<Self> {
        let mut out = WalletSecret::boxed(WalletKind::Mnemonic, 32);
        fill(rng, &mut out.0.bytes)?;
        Ok(out)
    }

    /// A new 24-word wallet from the platform's randomness
    /// (`crypto.getRandomValues` in the browser).
    pub fn generate_os() -> Result<Self> {
        WalletSecret::generate(&mut OsRng)
    }

    /// Imports an English BIP-39 mnemonic of 12, 15, 18, 21 or 24 words.
    ///
    /// Whitespace is collapsed and case folded, as users paste phrases with
    /// stray spaces, newlines and capitals. Anything else that is not a valid
    /// phrase with a correct checksum is [`Error::InvalidMnemonic`].
    pub fn from_mnemonic(phrase: &str) -> Result<Self> {
        // English words are ASCII; refusing anything else also makes the
        // phrase trivially NFKD-normalised, as BIP-39 requires.
        if !phrase.is_ascii() {
            return Err(Error::InvalidMnemonic);
        }
        let mut normalized = Zeroizing::new(String::with_capacity(phrase.len()));
        for word in phrase.split_whitespace() {
            if !normalized.is_empty() {
                normalized.push(' ');
            }
            for c in word.chars() {
                normalized.push(c.to_ascii_lowercase());
            }
        }
        let entropy = crate::mnemonic::entropy(&normalized).ok_or(Error::InvalidMnemonic)?;
        WalletSecret::from_parts(WalletKind::Mnemonic, &entropy).map_err(|_| Error::InvalidMnemonic)
    }

    /// Imports a raw secp256k1 private key: 64 hex digits, with or without
    /// `0x`, a nonzero scalar below the group order.
    pub fn from_evm_private_key(hex_key: &str) -> Result<Self> {
        let s = hex_key.trim();
        let s = s
            .strip_prefix("0x")
            .or_else(|| s.strip_prefix("0X"))
            .unwrap_or(s);
        if s.len() != 64 {
            return Err(Error::InvalidPrivateKey);
        }
        let mut bytes = Zeroizing::new([0u8; 32]);
        hex::decode_to_slice(s, bytes.as_mut_slice()).map_err(|_| Error::InvalidPrivateKey)?;
        WalletSecret::from_parts(WalletKind::EvmPrivateKey, bytes.as_slice())
            .map_err(|_| Error::InvalidPrivateKey)
    }

    /// What this secret is.
    pub fn kind(&self) -> WalletKind {
        self.0.kind
    }

    /// The secret bytes (entropy or raw key). Crate-private: only sharing
    /// and derivation read them.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.0.bytes[..usize::from(self.0.len)]
    }

    /// The mnemonic phrase, for export inside the iFrame; `None` for a raw key.
    pub fn mnemonic(&self) -> Option<Zeroizing<String>> {
        if self.0.kind != WalletKind::Mnemonic {
            return None;
        }
        crate::mnemonic::phrase(self.as_bytes())
    }

    /// The BIP-39 seed (empty passphrase) of a mnemonic wallet.
    pub(crate) fn bip39_seed(&self) -> Result<Zeroizing<[u8; 64]>> {
        if let Some(seed) = self.0.derived.seed.get() {
            return Ok(seed.clone());
        }
        let seed = self.bip39_seed_with_passphrase("")?;
        let _ = self.0.derived.seed.set(seed.clone());
        Ok(seed)
    }

    /// A mnemonic wallet from raw BIP-39 entropy (16..=32 bytes, a multiple
    /// of 4). For known-answer tests and entropy imports.
    #[doc(hidden)]
    pub fn from_entropy(entropy: &[u8]) -> Result<Self> {
        WalletSecret::from_parts(WalletKind::Mnemonic, entropy).map_err(|_| Error::InvalidMnemonic)
    }

    /// The BIP-39 seed with a passphrase. The wallet itself always uses the
    /// empty passphrase; this exists for the published vectors (which use
    /// `"TREZOR"`). ASCII passphrases only, as there is no NFKD here.
    #[doc(hidden)]
    pub fn bip39_seed_with_passphrase(&self, passphrase: &str) -> Result<Zeroizing<[u8; 64]>> {
        if self.0.kind != WalletKind::Mnemonic {
            return Err(Error::Unsupported);
        }
        if !passphrase.is_ascii() {
            return Err(Error::BadRequest("passphrase".into()));
        }
        let phrase = crate::mnemonic::phrase(self.as_bytes()).ok_or(Error::InvalidMnemonic)?;
        Ok(crate::mnemonic::seed(&phrase, passphrase))
    }

    /// The EVM private key of account `index` as `0x`-prefixed hex, for
    /// export inside the iFrame.
    pub fn evm_private_key_hex(&self, index: u32) -> Result<Zeroizing<String>> {
        let key = self.evm_signing_key(index)?;
        let bytes = Zeroizing::new(<[u8; 32]>::from(key.to_bytes()));
        let mut out = Zeroizing::new(String::with_capacity(66));
        out.push_str("0x");
        let mut buf = Zeroizing::new([0u8; 64]);
        // Cannot fail: the buffer is exactly twice the input length.
        hex::encode_to_slice(bytes.as_slice(), buf.as_mut_slice())
            .map_err(|_| Error::InvalidPrivateKey)?;
        for &b in buf.iter() {
            out.push(char::from(b));
        }
        Ok(out)
    }
}

/// Platform randomness (`crypto.getRandomValues` in the browser, the OS
/// elsewhere) as a [`TryCryptoRng`]: `split_pair(&secret, …, &mut OsRng)`.
///
/// It is fallible on purpose: every function of the core that takes an RNG
/// accepts any [`TryCryptoRng`] (every `CryptoRng` is one) and reports a
/// failure as [`Error::Rng`] instead of panicking.
#[derive(Debug, Clone, Copy, Default)]
pub struct OsRng;

impl TryRng for OsRng {
    type Error = getrandom::Error;

    fn try_next_u32(&mut self) -> core::result::Result<u32, Self::Error> {
        let mut b = [0u8; 4];
        getrandom::fill(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    fn try_next_u64(&mut self) -> core::result::Result<u64, Self::Error> {
        let mut b = [0u8; 8];
        getrandom::fill(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> core::result::Result<(), Self::Error> {
        getrandom::fill(dst)
    }
}

impl TryCryptoRng for OsRng {}

/// Fills `buf` from `rng`, mapping failure to [`Error::Rng`].
pub(crate) fn fill<R: TryCryptoRng + ?Sized>(rng: &mut R, buf: &mut [u8]) -> Result<()> {
    rng.try_fill_bytes(buf).map_err(|_| Error::Rng)
}

/// Adapts a fallible RNG to the infallible `CryptoRng` that `vsss-rs` takes.
/// A failure fills zeros and is remembered; the caller must check
/// [`Checked::failed`], discard (and wipe) the output and report
/// [`Error::Rng`].
pub(crate) struct Checked<'a, R: ?Sized> {
    rng: &'a mut R,
    failed: bool,
}

impl<'a, R: TryCryptoRng + ?Sized> Checked<'a, R> {
    pub(crate) fn new(rng: &'a mut R) -> Self {
        Checked { rng, failed: false }
    }

    pub(crate) fn failed(&self) -> bool {
        self.failed
    }
}

impl<R: TryCryptoRng + ?Sized> TryRng for Checked<'_, R> {
    type Error = core::convert::Infallible;

    fn try_next_u32(&mut self) -> core::result::Result<u32, Self::Error> {
        let mut b = [0u8; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    fn try_next_u64(&mut self) -> core::result::Result<u64, Self::Error> {
        let mut b = [0u8; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> core::result::Result<(), Self::Error> {
        if self.rng.try_fill_bytes(dst).is_err() {
            dst.fill(0);
            self.failed = true;
        }
        Ok(())
    }
}

impl<R: TryCryptoRng + ?Sized> TryCryptoRng for Checked<'_, R> {}

/// How much stack [`scrub_stack`] overwrites below its caller's frame. The
/// deepest frames a flow's computation reaches (Argon2id, PBKDF2, signing,
/// in a debug build) stay well within it; signer-wasm/tests/wipe.rs fails
/// if they do not.
pub const SCRUB_STACK_BYTES: usize = 256 * 1024;

/// Overwrites [`SCRUB_STACK_BYTES`] of stack below the caller's frame with
/// zeros. The stack is part of memory (wasm32 keeps it in the module's
/// linear memory): the frames that derived a seed, hashed a password or
/// signed leave their locals there after they return, and every move of a
/// value leaves its old bytes in the frame it left. Calling this once those
/// frames are gone (when a flow returns) wipes them; it cannot reach frames
/// still live above its caller, which is why the flows call it from their
/// outermost frame.
#[inline(never)]
pub fn scrub_stack() {
    let mut area = [0u64; SCRUB_STACK_BYTES / 8];
    // Volatile writes: not elided although `area` is never read.
    area.zeroize();
    core::hint::black_box(&area);
}
