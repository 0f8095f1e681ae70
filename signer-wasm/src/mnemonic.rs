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

/// SHA-512's initial hash value (FIPS 180-4, 5.3.5).
const SHA512_IV: [u64; 8] = [
    0x6a09_e667_f3bc_c908,
    0xbb67_ae85_84ca_a73b,
    0x3c6e_f372_fe94_f82b,
    0xa54f_f53a_5f1d_36f1,
    0x510e_527f_ade6_82d1,
    0x9b05_688c_2b3e_6c1f,
    0x1f83_d9ab_fb41_bd6b,
    0x5be0_cd19_137e_2179,
];

/// The SHA-512 state after one block: the HMAC key padded to 128 bytes,
/// each byte XORed with `pad` (0x36 inner, 0x5c outer).
fn keyed_state(key: &[u8; 128], pad: u8) -> Zeroizing<[u64; 8]> {
    let mut block = Zeroizing::new([0u8; 128]);
    for (b, k) in block.iter_mut().zip(key.iter()) {
        *b = k ^ pad;
    }
    let mut state = Zeroizing::new(SHA512_IV);
    sha2::block_api::compress512(&mut state, core::slice::from_ref(&*block));
    state
}

/// Writes `state` big-endian into the first 64 bytes of `out`.
fn put_state(state: &[u64; 8], out: &mut [u8]) {
    for (chunk, word) in out.chunks_exact_mut(8).zip(state.iter()) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
}

/// The 64-byte seed: PBKDF2-HMAC-SHA512 of the phrase, salt `"mnemonic"` ‖
/// `passphrase`, 2,048 iterations (one output block).
///
/// The seed is rebuilt before every signature, so its 2,047 later rounds
/// are written against SHA-512's compression function: each round's
/// message is one 64-byte U, so with HMAC's two keyed states computed once,
/// a round is exactly two compressions of blocks padded here once, without
/// the generic HMAC's clones, buffering and padding per call (10 % less
/// time in wasm32: bench/SIZE.md, "The signing path's compute"). The
/// generic HMAC computes the first round (its salt has any length) and is
/// the test oracle of the rest. A 24-word phrase (up to 215 bytes) is a key
/// longer than the block, which HMAC hashes first.
pub(crate) fn seed(phrase: &str, passphrase: &str) -> Zeroizing<[u8; 64]> {
    // Cannot fail: HMAC takes keys of any length.
    let Ok(mut first) = <Hmac<Sha512> as KeyInit>::new_from_slice(phrase.as_bytes()) else {
        return Zeroizing::new([0u8; 64]);
    };
    first.update(b"mnemonic");
    first.update(passphrase.as_bytes());
    first.update(&1u32.to_be_bytes());
    // `block` is U, then SHA-512's padding of a 192-byte message (the key
    // block, then U): 0x80, zeros, and the length in bits (1,536) as a
    // 128-bit big-endian integer. The inner hash is padded the same way.
    let mut block = Zeroizing::new([0u8; 128]);
    block[..64].copy_from_slice(&first.finalize().into_bytes());
    block[64] = 0x80;
    block[120..].copy_from_slice(&(192u64 * 8).to_be_bytes());
    let mut out = Zeroizing::new([0u8; 64]);
    out.copy_from_slice(&block[..64]);

    // An HMAC key longer than the block is hashed first (RFC 2104).
    let mut key = Zeroizing::new([0u8; 128]);
    if phrase.len() > key.len() {
        key[..64].copy_from_slice(&Sha512::digest(phrase.as_bytes()));
    } else {
        key[..phrase.len()].copy_from_slice(phrase.as_bytes());
    }
    let inner = keyed_state(&key, 0x36);
    let outer = keyed_state(&key, 0x5c);
    let mut state = Zeroizing::new([0u64; 8]);
    for _ in 1..2048 {
        *state = *inner;
        sha2::block_api::compress512(&mut state, core::slice::from_ref(&*block));
        put_state(&state, &mut block[..64]);
        *state = *outer;
        sha2::block_api::compress512(&mut state, core::slice::from_ref(&*block));
        put_state(&state, &mut block[..64]);
        for (o, x) in out.iter_mut().zip(block.iter()) {
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

    /// PBKDF2-HMAC-SHA512 through the generic HMAC, one round after the
    /// other: the oracle of [`seed`]'s rounds on compression blocks.
    fn generic_seed(phrase: &str, passphrase: &str) -> [u8; 64] {
        let mac = <Hmac<Sha512> as KeyInit>::new_from_slice(phrase.as_bytes()).unwrap();
        let mut first = mac.clone();
        first.update(b"mnemonic");
        first.update(passphrase.as_bytes());
        first.update(&1u32.to_be_bytes());
        let mut u: [u8; 64] = first.finalize().into_bytes().into();
        let mut out = u;
        for _ in 1..2048 {
            let mut m = mac.clone();
            m.update(&u);
            u = m.finalize().into_bytes().into();
            for (o, x) in out.iter_mut().zip(u.iter()) {
                *o ^= x;
            }
        }
        out
    }

    #[test]
    fn the_seed_is_pbkdf2_hmac_sha512_for_keys_and_salts_of_any_length() {
        // Keys around HMAC's 128-byte block (longer ones are hashed first),
        // salts that fill one and two blocks of the first round.
        let long = "abandon ".repeat(40);
        for len in [0, 1, 63, 64, 65, 127, 128, 129, 200, 320] {
            let phrase = &long[..len];
            for passphrase in ["", "TREZOR", &long[..110], &long[..300]] {
                assert_eq!(
                    *seed(phrase, passphrase),
                    generic_seed(phrase, passphrase),
                    "phrase of {len} bytes, passphrase of {} bytes",
                    passphrase.len()
                );
            }
        }
    }

    #[test]
    fn the_initial_state_is_sha512s() {
        // The empty message: one block of padding alone.
        let mut block = [0u8; 128];
        block[0] = 0x80;
        let mut state = SHA512_IV;
        sha2::block_api::compress512(&mut state, &[block]);
        let mut digest = [0u8; 64];
        put_state(&state, &mut digest);
        assert_eq!(digest.as_slice(), Sha512::digest(b"").as_slice());
    }
}
