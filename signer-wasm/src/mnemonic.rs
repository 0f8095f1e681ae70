//! BIP-39 with the English word list: entropy ↔ words, and the seed.
//!
//! Written here instead of using the `bip39` crate (issue 15): that crate
//! keeps its list as 2,048 string slices (16 KB of pointers and lengths on
//! top of the words) and hashes with its own SHA-256/SHA-512 (bitcoin_hashes,
//! about 19 KB of code the module already has from `sha2`). This one keeps
//! the list as the BIP's own text file (`bip39_english.txt`, one word a line;
//! `tests/keys.rs` checks its SHA-256 against the published file's) and uses
//! `sha2` and `hmac`. The published vectors (tests/vectors/bip39.json) pin
//! it.
//!
//! Callers pass phrases already normalised: lower-case ASCII words separated
//! by single spaces (`WalletSecret::from_mnemonic`), so NFKD is the identity.

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256, Sha512};
use zeroize::{Zeroize, Zeroizing};

/// The English word list of BIP-39, sorted, one word a line.
const WORDS: &str = include_str!("bip39_english.txt");

/// The word of index `i` (0..2048).
fn word(i: usize) -> Option<&'static str> {
    WORDS.lines().nth(i)
}

/// The index of `w` in the list.
fn index(w: &str) -> Option<usize> {
    WORDS.lines().position(|x| x == w)
}

/// The checksum bits of `entropy`: the first `len * 8 / 32` bits of its
/// SHA-256, left-aligned in one byte (at most 8 bits for 32 bytes).
fn checksum(entropy: &[u8]) -> u8 {
    Sha256::digest(entropy)[0]
}

fn valid_entropy_len(len: usize) -> bool {
    (16..=32).contains(&len) && len.is_multiple_of(4)
}

/// The phrase of `entropy` (16..=32 bytes, a multiple of 4), words separated
/// by single spaces; `None` for any other length.
pub(crate) fn phrase(entropy: &[u8]) -> Option<Zeroizing<String>> {
    if !valid_entropy_len(entropy.len()) {
        return None;
    }
    // entropy ‖ checksum, read 11 bits at a time.
    let mut bits = Zeroizing::new([0u8; 33]);
    bits[..entropy.len()].copy_from_slice(entropy);
    bits[entropy.len()] = checksum(entropy);
    let words = (entropy.len() * 8 + entropy.len() / 4) / 11;
    let mut out = Zeroizing::new(String::with_capacity(words * 9));
    for w in 0..words {
        let mut idx = 0usize;
        for b in w * 11..w * 11 + 11 {
            idx = (idx << 1) | usize::from((bits[b / 8] >> (7 - b % 8)) & 1);
        }
        if w > 0 {
            out.push(' ');
        }
        out.push_str(word(idx)?);
        idx.zeroize();
    }
    Some(out)
}

/// The entropy of a normalised phrase of 12, 15, 18, 21 or 24 words with a
/// correct checksum; `None` otherwise.
pub(crate) fn entropy(phrase: &str) -> Option<Zeroizing<Vec<u8>>> {
    let count = phrase.split(' ').count();
    if !(12..=24).contains(&count) || !count.is_multiple_of(3) {
        return None;
    }
    let total = count * 11;
    let len = total * 32 / 33 / 8;
    let mut bits = Zeroizing::new([0u8; 33]);
    for (w, word) in phrase.split(' ').enumerate() {
        let mut idx = index(word)?;
        for k in 0..11 {
            let b = w * 11 + k;
            if (idx >> (10 - k)) & 1 == 1 {
                bits[b / 8] |= 1 << (7 - b % 8);
            }
        }
        idx.zeroize();
    }
    let cs_bits = len / 4;
    let mask = 0xffu8 << (8 - cs_bits);
    let ok = checksum(&bits[..len]) & mask == bits[len] & mask;
    ok.then(|| Zeroizing::new(bits[..len].to_vec()))
}

/// The 64-byte seed: PBKDF2-HMAC-SHA512 of the phrase, salt `"mnemonic"` ‖
/// `passphrase`, 2,048 iterations (one output block).
pub(crate) fn seed(phrase: &str, passphrase: &str) -> Zeroizing<[u8; 64]> {
    // Cannot fail: HMAC takes keys of any length.
    let Ok(mac) = <Hmac<Sha512> as KeyInit>::new_from_slice(phrase.as_bytes()) else {
        return Zeroizing::new([0u8; 64]);
    };
    let mut u = Zeroizing::new([0u8; 64]);
    let mut out = Zeroizing::new([0u8; 64]);
    let mut first = mac.clone();
    first.update(b"mnemonic");
    first.update(passphrase.as_bytes());
    first.update(&1u32.to_be_bytes());
    u.copy_from_slice(&first.finalize().into_bytes());
    out.copy_from_slice(u.as_slice());
    for _ in 1..2048 {
        let mut m = mac.clone();
        m.update(u.as_slice());
        u.copy_from_slice(&m.finalize().into_bytes());
        for (o, x) in out.iter_mut().zip(u.iter()) {
            *o ^= x;
        }
    }
    out
}
