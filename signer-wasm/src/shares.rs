//! Shamir 2-of-3 shares of a wallet secret, and their envelope.
//!
//! This module owns the identifiers ([`WalletId`], [`DeviceId`],
//! [`SplitId`]), the [`Share`] envelope and its stable binary encoding,
//! splitting a secret into a pair ([`split_pair`]) and rebuilding it from two
//! shares ([`combine`]). Sharing is Shamir over GF(2^8) (`vsss-rs`), one
//! polynomial per secret byte, threshold 2, three points; the third point is
//! discarded so only the two stored shares can ever meet (docs/architecture.md §7).
//!
//! Every share says what it belongs to. Two shares combine only if wallet,
//! device, version, split (polynomial) and kind agree and their `x` differ;
//! and the rebuilt secret must derive the wallet's registered addresses.
//! Anything else is [`Error::ShareMismatch`] — the signer never signs with a
//! key that does not match the wallet.
//!
//! # Binary envelope, format 1
//!
//! All integers big-endian. Total length 64 + `len` bytes (at most 96; the
//! services accept up to 512 so later formats have room).
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 4 | magic `KFSH` (`4b 46 53 48`) |
//! | 4 | 1 | format version, `1` |
//! | 5 | 16 | wallet id |
//! | 21 | 16 | device id (nil for the recovery pair) |
//! | 37 | 8 | version (u64) |
//! | 45 | 16 | split id |
//! | 61 | 1 | kind: `1` mnemonic, `2` evm_private_key |
//! | 62 | 1 | `x`, the Shamir point (nonzero) |
//! | 63 | 1 | `len`, the secret length (16, 20, 24, 28, 32 for a mnemonic; 32 for a key) |
//! | 64 | len | `y`, the share bytes |
//!
//! Decoding refuses anything else — wrong magic or format, a short or long
//! buffer, trailing bytes, an unknown kind, `x = 0`, a length invalid for
//! the kind — with [`Error::MalformedShare`].

use core::fmt;

use rand_core::TryCryptoRng;
use subtle::ConstantTimeEq;
use vsss_rs::{Gf256, IdentifierGf256};
use zeroize::{Zeroize, Zeroizing};

use crate::error::{Error, Result};
use crate::secret::{Checked, WalletKind, WalletSecret};
use crate::wallet::Addresses;

/// Magic bytes that open every share envelope.
pub const SHARE_MAGIC: [u8; 4] = *b"KFSH";
/// The envelope format this code writes.
pub const SHARE_FORMAT: u8 = 1;
/// The largest envelope any format may produce (the services' limit).
pub use keyframe_wire::SHARE_MAX_BYTES;
const HEADER_LEN: usize = 64;

pub use keyframe_wire::{DeviceId, SplitId, WalletId};

/// Fresh random ids. The id types live in the wire crate (keyframe-wire),
/// which has no random number generator; the signer makes them here.
pub trait RandomId: Sized {
    /// A fresh random id ([`Error::Rng`] if the generator fails).
    fn random<R: TryCryptoRng + ?Sized>(rng: &mut R) -> Result<Self>;
}

macro_rules! random_id {
    ($($name:ident),+) => {$(
        impl RandomId for $name {
            fn random<R: TryCryptoRng + ?Sized>(rng: &mut R) -> Result<Self> {
                let mut b = [0u8; 16];
                crate::secret::fill(rng, &mut b)?;
                Ok($name(b))
            }
        }
    )+};
}
random_id!(WalletId, DeviceId, SplitId);

fn kind_byte(kind: WalletKind) -> u8 {
    match kind {
        WalletKind::Mnemonic => 1,
        WalletKind::EvmPrivateKey => 2,
    }
}

fn kind_from_byte(b: u8) -> Option<WalletKind> {
    match b {
        1 => Some(WalletKind::Mnemonic),
        2 => Some(WalletKind::EvmPrivateKey),
        _ => None,
    }
}

/// One Shamir share with the envelope that says what it belongs to.
///
/// `y` is secret (with its partner it rebuilds the wallet): it is wiped on
/// drop and never printed.
#[derive(Clone)]
pub struct Share {
    wallet: WalletId,
    device: DeviceId,
    version: u64,
    split: SplitId,
    kind: WalletKind,
    x: u8,
    y: Zeroizing<Vec<u8>>,
}

impl fmt::Debug for Share {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Share")
            .field("wallet", &self.wallet)
            .field("device", &self.device)
            .field("version", &self.version)
            .field("split", &self.split)
            .field("kind", &self.kind)
            .field("x", &self.x)
            .field("y", &"<redacted>")
            .finish()
    }
}

impl Share {
    /// The wallet this share belongs to.
    pub fn wallet(&self) -> WalletId {
        self.wallet
    }
    /// The device (nil for the recovery pair).
    pub fn device(&self) -> DeviceId {
        self.device
    }
    /// The refresh version of the device's pair.
    pub fn version(&self) -> u64 {
        self.version
    }
    /// The polynomial this share is a point of.
    pub fn split(&self) -> SplitId {
        self.split
    }
    /// The kind of wallet secret.
    pub fn kind(&self) -> WalletKind {
        self.kind
    }
    /// The Shamir x coordinate (nonzero).
    pub fn x(&self) -> u8 {
        self.x
    }
    /// Whether `other` is the partner of this share: same wallet, device,
    /// version, split and kind, different point.
    pub fn pairs_with(&self, other: &Share) -> bool {
        self.wallet == other.wallet
            && self.device == other.device
            && self.version == other.version
            && self.split == other.split
            && self.kind == other.kind
            && self.x != other.x
            && self.y.len() == other.y.len()
    }

    /// The envelope bytes (format 1, see the module documentation).
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::with_capacity(HEADER_LEN + self.y.len()));
        out.extend_from_slice(&SHARE_MAGIC);
        out.push(SHARE_FORMAT);
        out.extend_from_slice(&self.wallet.0);
        out.extend_from_slice(&self.device.0);
        out.extend_from_slice(&self.version.to_be_bytes());
        out.extend_from_slice(&self.split.0);
        out.push(kind_byte(self.kind));
        out.push(self.x);
        // y length is bounded to 32 by every constructor.
        out.push(self.y.len() as u8);
        out.extend_from_slice(&self.y);
        out
    }

    /// Decodes an envelope; [`Error::MalformedShare`] on anything invalid.
    pub fn from_bytes(bytes: &[u8]) -> Result<Share> {
        let bad = Error::MalformedShare;
        if bytes.len() < HEADER_LEN || bytes.len() > SHARE_MAX_BYTES {
            return Err(bad);
        }
        if bytes[0..4] != SHARE_MAGIC || bytes[4] != SHARE_FORMAT {
            return Err(bad);
        }
        let id = |from: usize| {
            let mut b = [0u8; 16];
            b.copy_from_slice(&bytes[from..from + 16]);
            b
        };
        let wallet = WalletId(id(5));
        let device = DeviceId(id(21));
        let split = SplitId(id(45));
        let mut v = [0u8; 8];
        v.copy_from_slice(&bytes[37..45]);
        let version = u64::from_be_bytes(v);
        let kind = kind_from_byte(bytes[61]).ok_or(Error::MalformedShare)?;
        let x = bytes[62];
        let len = usize::from(bytes[63]);
        if x == 0 || !crate::secret::valid_len(kind, len) || bytes.len() != HEADER_LEN + len {
            return Err(bad);
        }
        Ok(Share {
            wallet,
            device,
            version,
            split,
            kind,
            x,
            y: Zeroizing::new(bytes[HEADER_LEN..].to_vec()),
        })
    }
}

/// The two shares of one split that are kept: `local` goes to the browser
/// (or, for the recovery pair, to Shield as the cold share C), `hot` to hot
/// storage.
#[derive(Clone)]
pub struct SharePair {
    /// The browser's share Dₖ, or the cold share C of the recovery pair.
    pub local: Share,
    /// Hot storage's share Hₖ (H₀ for the recovery pair).
    pub hot: Share,
}

impl fmt::Debug for SharePair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharePair")
            .field("local", &self.local)
            .field("hot", &self.hot)
            .finish()
    }
}

/// Splits `secret` into all three points of one fresh polynomial. Public
/// only so tests can show that any two of three combine; production code
/// calls [`split_pair`], which discards the third.
#[doc(hidden)]
pub fn split_three<R: TryCryptoRng + ?Sized>(
    secret: &WalletSecret,
    wallet: WalletId,
    device: DeviceId,
    version: u64,
    rng: &mut R,
) -> Result<[Share; 3]> {
    let split = SplitId::random(rng)?;
    let mut checked = Checked::new(rng);
    // Points x = 1, 2, 3 explicitly (not vsss-rs's default generator), so
    // the layout cannot change under us: `local` is always x = 1 and `hot`
    // x = 2, which `recovery_partner` relies on.
    let mut raw = Gf256::split_bytes_with_participant_ids_iter(
        2,
        3,
        secret.as_bytes(),
        &mut checked,
        [1u8, 2, 3].map(|x| IdentifierGf256(Gf256(x))),
    )
    .map_err(|_| Error::Rng)?;
    let rng_failed = checked.failed();
    let result = (|| {
        if rng_failed || raw.len() != 3 {
            return Err(Error::Rng);
        }
        let make = |r: &Vec<u8>| -> Result<Share> {
            // vsss-rs puts the x coordinate first, then one byte per secret byte.
            match r.split_first() {
                Some((&x, y)) if x != 0 && y.len() == secret.as_bytes().len() => Ok(Share {
                    wallet,
                    device,
                    version,
                    split,
                    kind: secret.kind(),
                    x,
                    y: Zeroizing::new(y.to_vec()),
                }),
                _ => Err(Error::Rng),
            }
        };
        Ok([make(&raw[0])?, make(&raw[1])?, make(&raw[2])?])
    })();
    for r in raw.iter_mut() {
        r.zeroize();
    }
    raw.zeroize();
    result
}

/// Splits `secret` into a fresh pair for `device` at `version`: a new random
/// polynomial and split id every call, the third point wiped. For the
/// recovery pair pass [`DeviceId::RECOVERY`]; `local` is then the cold share
/// C and `hot` is H₀.
pub fn split_pair<R: TryCryptoRng + ?Sized>(
    secret: &WalletSecret,
    wallet: WalletId,
    device: DeviceId,
    version: u64,
    rng: &mut R,
) -> Result<SharePair> {
    let [local, hot, third] = split_three(secret, wallet, device, version, rng)?;
    // Dropping wipes its y; the point exists nowhere else.
    drop(third);
    Ok(SharePair { local, hot })
}

/// The x coordinate of `local` in every pair [`split_pair`] makes.
pub const LOCAL_X: u8 = 1;
/// The x coordinate of `hot` in every pair [`split_pair`] makes.
pub const HOT_X: u8 = 2;

/// Recomputes the partner of a hot share from the (already verified)
/// secret: for H₀ of the recovery pair this is exactly the cold share C.
///
/// A 2-of-3 polynomial is a line per byte, `f(x) = s + a·x`, fixed by the
/// secret `s = f(0)` and one point; so changing the recovery password
/// re-encrypts the *same* C without a rotation, and H₀ keeps combining with
/// it. The caller must check that `hot` belongs to the wallet (its
/// `wallet()`); this refuses a share whose kind or length does not fit the
/// secret, or whose x is not [`HOT_X`], with [`Error::ShareMismatch`].
pub fn recovery_partner(secret: &WalletSecret, hot: &Share) -> Result<Share> {
    let s = secret.as_bytes();
    if hot.kind != secret.kind() || hot.y.len() != s.len() || hot.x != HOT_X {
        return Err(Error::ShareMismatch);
    }
    // f(x_c) = s + (y_h - s)·(x_c / x_h); in GF(2^8) minus is plus. The
    // ratio is public; find 1/x_h by search rather than a panicking division.
    let xh = Gf256(HOT_X);
    let inv = (1..=255u8)
        .map(Gf256)
        .find(|b| (xh * *b).0 == 1)
        .ok_or(Error::ShareMismatch)?;
    let ratio = Gf256(LOCAL_X) * inv;
    let mut y = Zeroizing::new(vec![0u8; s.len()]);
    for ((out, &si), &yh) in y.iter_mut().zip(s).zip(hot.y.iter()) {
        *out = (Gf256(si) + (Gf256(yh) + Gf256(si)) * ratio).0;
    }
    Ok(Share {
        wallet: hot.wallet,
        device: hot.device,
        version: hot.version,
        split: hot.split,
        kind: hot.kind,
        x: LOCAL_X,
        y,
    })
}

/// Rebuilds the wallet secret from two shares and checks it against the
/// wallet's registered addresses.
///
/// [`Error::ShareMismatch`] unless the shares are partners (same wallet,
/// device, version, split and kind; different x) and the rebuilt secret
/// derives exactly `expected`. The rebuilt secret is wiped on every error
/// path (it is dropped, and [`WalletSecret`] wipes on drop).
pub fn combine(a: &Share, b: &Share, expected: &Addresses) -> Result<WalletSecret> {
    if !a.pairs_with(b) {
        return Err(Error::ShareMismatch);
    }
    let mut points: Vec<Vec<u8>> = Vec::with_capacity(2);
    for s in [a, b] {
        let mut p = Vec::with_capacity(1 + s.y.len());
        p.push(s.x);
        p.extend_from_slice(&s.y);
        points.push(p);
    }
    let combined = Gf256::combine_bytes(&points);
    for p in points.iter_mut() {
        p.zeroize();
    }
    let combined = Zeroizing::new(combined.map_err(|_| Error::ShareMismatch)?);
    // A wrong pair of a raw-key wallet can rebuild a non-scalar: a mismatch,
    // not an invalid import.
    let secret = WalletSecret::from_parts(a.kind, &combined).map_err(|_| Error::ShareMismatch)?;
    let addresses = secret.addresses().map_err(|_| Error::ShareMismatch)?;
    // Addresses are public, but comparing in constant time costs nothing.
    // EVM addresses compare case-insensitively: the checksum is only a
    // presentation of the same 20 bytes.
    let evm_ok = addresses
        .evm
        .to_ascii_lowercase()
        .as_bytes()
        .ct_eq(expected.evm.to_ascii_lowercase().as_bytes());
    let sol_ok = match (&addresses.solana, &expected.solana) {
        (Some(x), Some(y)) => x.as_bytes().ct_eq(y.as_bytes()),
        (None, None) => subtle::Choice::from(1),
        _ => subtle::Choice::from(0),
    };
    if bool::from(evm_ok & sol_ok) {
        Ok(secret)
    } else {
        Err(Error::ShareMismatch)
    }
}
