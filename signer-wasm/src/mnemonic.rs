//! BIP-39 with the English word list: entropy ↔ words, and the seed.
//!
//! Written here instead of using the `bip39` crate (issue 15): that crate
//! keeps its list as 2,048 string slices (16 KB of pointers and lengths on
//! top of the words) and hashes with its own SHA-256/SHA-512 (bitcoin_hashes,
//! about 19 KB of code the module already has from `sha2`). This one keeps
//! the list front-coded (`bip39_english.coded`, 8,293 B where the BIP's
//! text file is 13,116 B: 1.6 KB less in the gzip'd iFrame, bench/SIZE.md)
//! and uses `sha2` and `hmac`. The BIP's own file is the test oracle
//! (tests/vectors/bip39_english.txt: `tests/keys.rs` checks its SHA-256
//! against the published file's and every word through the public API; the
//! test below checks that the coded list is that file, coded), and the
//! published vectors (tests/vectors/bip39.json) pin the rest.
//!
//! A word is looked up by scanning the whole list and selecting in
//! constant time, so how long a phrase takes to write or read does not
//! depend on which words it holds.
//!
//! Callers pass phrases already normalised: lower-case ASCII words separated
//! by single spaces (`WalletSecret::from_mnemonic`), so NFKD is the identity.

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256, Sha512};
use subtle::{Choice, ConditionallySelectable, ConstantTimeEq};
use zeroize::{Zeroize, Zeroizing};

/// The English word list of BIP-39, sorted and front-coded: for each word
/// in order, one ASCII digit (how many leading letters it shares with the
/// word before it) and then its remaining letters. `abandon ability able`
/// is `0abandon2ility2le`.
const CODED: &[u8] = include_bytes!("bip39_english.coded");

/// The longest word of the list has 8 letters.
const MAX_LEN: usize = 8;

/// A word of the list: its letters, then zeros, read as one little-endian
/// integer so that a constant-time comparison or selection is one operation.
type Slot = u64;

/// Calls `f(index, word)` for each of the list's 2,048 words, in order.
fn for_each_word(mut f: impl FnMut(u16, Slot)) {
    let mut word = [0u8; MAX_LEN];
    let mut len = 0usize;
    let mut index = 0u16;
    let mut started = false;
    for &b in CODED {
        if b.is_ascii_digit() {
            if started {
                f(index, Slot::from_le_bytes(word));
                index += 1;
            }
            started = true;
            len = usize::from(b - b'0');
            word.iter_mut().skip(len).for_each(|x| *x = 0);
        } else if let Some(letter) = word.get_mut(len) {
            *letter = b;
            len += 1;
        }
    }
    if started {
        f(index, Slot::from_le_bytes(word));
    }
}

/// The words of `indexes` (each 0..2048), each read from a scan of the
/// whole list.
fn words(indexes: &[u16]) -> Zeroizing<Vec<Slot>> {
    let mut out = Zeroizing::new(vec![0; indexes.len()]);
    for_each_word(|i, word| {
        for (slot, wanted) in out.iter_mut().zip(indexes) {
            slot.conditional_assign(&word, i.ct_eq(wanted));
        }
    });
    out
}

/// The index of each of `words` in the list, from one scan of the whole
/// list; `None` if any is not a word of it.
fn indexes(words: &[&str]) -> Option<Zeroizing<Vec<u16>>> {
    let mut wanted = Zeroizing::new(Vec::with_capacity(words.len()));
    for w in words {
        // Only lower-case letters: a padding zero must never match.
        if !w.bytes().all(|b| b.is_ascii_lowercase()) {
            return None;
        }
        let mut letters = [0u8; MAX_LEN];
        letters.get_mut(..w.len())?.copy_from_slice(w.as_bytes());
        wanted.push(Slot::from_le_bytes(letters));
        letters.zeroize();
    }
    let mut found = Zeroizing::new(vec![0u16; words.len()]);
    let mut all = vec![Choice::from(0); words.len()];
    for_each_word(|i, word| {
        for ((want, index), any) in wanted.iter().zip(found.iter_mut()).zip(all.iter_mut()) {
            let same = word.ct_eq(want);
            index.conditional_assign(&i, same);
            *any |= same;
        }
    });
    // An empty word matches nothing: no word of the list is empty.
    all.iter().all(|c| bool::from(*c)).then_some(found)
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
    let count = (entropy.len() * 8 + entropy.len() / 4) / 11;
    let mut indexes = Zeroizing::new(vec![0u16; count]);
    for (w, idx) in indexes.iter_mut().enumerate() {
        for b in w * 11..w * 11 + 11 {
            *idx = (*idx << 1) | u16::from((bits[b / 8] >> (7 - b % 8)) & 1);
        }
    }
    let slots = words(&indexes);
    let mut out = Zeroizing::new(String::with_capacity(count * (MAX_LEN + 1)));
    for (w, slot) in slots.iter().enumerate() {
        if w > 0 {
            out.push(' ');
        }
        for letter in slot.to_le_bytes().into_iter().take_while(|&b| b != 0) {
            out.push(char::from(letter));
        }
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
    let words: Vec<&str> = phrase.split(' ').collect();
    for (w, idx) in indexes(&words)?.iter().enumerate() {
        for k in 0..11 {
            let b = w * 11 + k;
            if (idx >> (10 - k)) & 1 == 1 {
                bits[b / 8] |= 1 << (7 - b % 8);
            }
        }
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// The BIP's own file (tests/keys.rs checks it is the published one).
    const TEXT: &str = include_str!("../tests/vectors/bip39_english.txt");

    /// `bip39_english.coded` is exactly TEXT front-coded: regenerate it with
    /// this function's output if the format ever changes.
    fn front_coded(text: &str) -> Vec<u8> {
        let mut out = Vec::new();
        let mut prev = "";
        for w in text.lines() {
            let shared = w
                .bytes()
                .zip(prev.bytes())
                .take_while(|(a, b)| a == b)
                .count();
            out.push(b'0' + u8::try_from(shared).unwrap());
            out.extend_from_slice(&w.as_bytes()[shared..]);
            prev = w;
        }
        out
    }

    #[test]
    fn the_coded_list_is_the_bip_file_front_coded() {
        assert_eq!(CODED, front_coded(TEXT).as_slice());
    }

    #[test]
    fn every_word_decodes_and_is_found_at_its_index() {
        let text: Vec<&str> = TEXT.lines().collect();
        let mut seen = 0usize;
        for_each_word(|i, word| {
            let bytes = word.to_le_bytes();
            let len = bytes.iter().take_while(|&&b| b != 0).count();
            assert_eq!(&bytes[..len], text[usize::from(i)].as_bytes(), "word {i}");
            seen += 1;
        });
        assert_eq!(seen, 2048);
        let found = indexes(&text).unwrap();
        for (i, w) in text.iter().enumerate() {
            assert_eq!(usize::from(found[i]), i, "{w}");
        }
        let all: Vec<u16> = (0..2048).collect();
        let slots = words(&all);
        for (slot, w) in slots.iter().zip(&text) {
            assert_eq!(&slot.to_le_bytes()[..w.len()], w.as_bytes());
        }
    }

    #[test]
    fn what_is_not_a_word_has_no_index() {
        for w in [
            "",
            "abando",
            "abandonn",
            "zoos",
            "zzzzzzzzz",
            "Abandon",
            "abandon\0",
        ] {
            assert!(indexes(&[w]).is_none(), "{w:?}");
            assert!(indexes(&["zoo", w, "abandon"]).is_none(), "{w:?}");
        }
        assert_eq!(*indexes(&["zoo", "abandon"]).unwrap(), vec![2047, 0]);
    }
}
