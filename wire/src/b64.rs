//! Base64 as the wire and the signer write it: RFC 4648's standard
//! alphabet with padding (share envelopes, ciphertexts, salts, Standard
//! Webhooks) and its URL-safe alphabet without padding (JWTs, DPoP,
//! signatures in headers). Decoding is strict: padding exactly where the
//! variant puts it, no whitespace, no stray bits in the last character, so
//! every byte string has exactly one text that decodes to it.
//!
//! Backed by `base64ct`, which reads and writes without lookup tables or
//! branches on the data: what passes through here is often a share, a
//! sealed key or a recovery code. It is the RustCrypto crate Argon2
//! already links, so the signer's module carries one base64 codec, not two
//! (bench/SIZE.md, "One base64 codec"). The `base64` crate stays as the
//! test oracle (tests below).

use base64ct::{Base64, Base64Url, Base64UrlUnpadded, Encoding};
use zeroize::Zeroize;

/// A text that is not base64 of the expected variant. Coarse on purpose:
/// the decoded text may be a secret, so the error says nothing about
/// where it failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("invalid base64")]
pub struct InvalidBase64;

/// Standard alphabet, padded.
pub fn encode(bytes: impl AsRef<[u8]>) -> String {
    Base64::encode_string(bytes.as_ref())
}

/// Reads standard base64 with canonical padding.
pub fn decode(text: &str) -> Result<Vec<u8>, InvalidBase64> {
    decode_wiping::<Base64>(text)
}

/// URL-safe alphabet, unpadded (RFC 7515's base64url).
pub fn encode_url(bytes: impl AsRef<[u8]>) -> String {
    Base64UrlUnpadded::encode_string(bytes.as_ref())
}

/// Reads URL-safe base64 without padding.
pub fn decode_url(text: &str) -> Result<Vec<u8>, InvalidBase64> {
    decode_wiping::<Base64UrlUnpadded>(text)
}

/// Reads URL-safe base64 with canonical padding (a recovery code pasted
/// from a tool that pads).
pub fn decode_url_padded(text: &str) -> Result<Vec<u8>, InvalidBase64> {
    decode_wiping::<Base64Url>(text)
}

/// `base64ct`'s `decode_vec`, but a refused text leaves nothing behind.
fn decode_wiping<E: Encoding>(text: &str) -> Result<Vec<u8>, InvalidBase64> {
    // The most a text of this length can hold, as base64ct counts it.
    let mut out = vec![0u8; text.len() / 4 * 3 + text.len() % 4 * 3 / 4];
    let len = decode_into::<E>(text, &mut out)?;
    out.truncate(len);
    Ok(out)
}

/// Decodes `text` into `out`, or wipes `out`: base64ct decodes every block
/// before it judges the text (so its time does not depend on where a text
/// goes wrong), and a refused text, say a share with one bad character,
/// has by then been written out.
fn decode_into<E: Encoding>(text: &str, out: &mut [u8]) -> Result<usize, InvalidBase64> {
    match E::decode(text, out) {
        Ok(decoded) => Ok(decoded.len()),
        Err(_) => {
            out.zeroize();
            Err(InvalidBase64)
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};
    use proptest::prelude::*;

    /// Texts near the edge of validity: the characters of both alphabets,
    /// padding, whitespace and a few others, in any order and length.
    fn near_base64() -> impl Strategy<Value = String> {
        let chars: Vec<char> = "AQgw/+_-=Z9a \n.\u{e9}".chars().collect();
        prop::collection::vec(prop::sample::select(chars), 0..14)
            .prop_map(|v| v.into_iter().collect())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Every byte string encodes as the oracle does and reads back.
        #[test]
        fn encodes_as_the_base64_crate_does(bytes in prop::collection::vec(any::<u8>(), 0..70)) {
            prop_assert_eq!(encode(&bytes), STANDARD.encode(&bytes));
            prop_assert_eq!(encode_url(&bytes), URL_SAFE_NO_PAD.encode(&bytes));
            prop_assert_eq!(decode(&encode(&bytes)).unwrap(), bytes.clone());
            prop_assert_eq!(decode_url(&encode_url(&bytes)).unwrap(), bytes.clone());
            prop_assert_eq!(decode_url_padded(&URL_SAFE.encode(&bytes)).unwrap(), bytes);
        }

        /// Every text, valid or not, is accepted or refused as the oracle
        /// does, with the same bytes.
        #[test]
        fn decodes_exactly_what_the_base64_crate_decodes(text in near_base64()) {
            prop_assert_eq!(decode(&text).ok(), STANDARD.decode(&text).ok(), "standard {:?}", text);
            prop_assert_eq!(decode_url(&text).ok(), URL_SAFE_NO_PAD.decode(&text).ok(), "url {:?}", text);
            prop_assert_eq!(decode_url_padded(&text).ok(), URL_SAFE.decode(&text).ok(), "url padded {:?}", text);
        }

        /// The valid texts of every length, mutated in one character.
        #[test]
        fn a_mutated_encoding_is_judged_as_the_oracle_judges_it(
            bytes in prop::collection::vec(any::<u8>(), 1..40),
            at in any::<prop::sample::Index>(),
            with in prop::sample::select("A/+_-=Z \u{0}".chars().collect::<Vec<_>>()),
        ) {
            for (text, ours, oracle) in [
                (encode(&bytes), decode as fn(&str) -> _, &STANDARD),
                (encode_url(&bytes), decode_url, &URL_SAFE_NO_PAD),
            ] {
                let mut chars: Vec<char> = text.chars().collect();
                let i = at.index(chars.len());
                chars[i] = with;
                let mutated: String = chars.into_iter().collect();
                prop_assert_eq!(ours(&mutated).ok(), oracle.decode(&mutated).ok(), "{:?}", mutated);
            }
        }
    }

    /// A refused text leaves no decoded byte in the buffer: the blocks
    /// before the bad character were decoded (to 0xff) before the refusal.
    #[test]
    fn fail_a_refused_text_is_wiped_from_the_buffer() {
        for text in ["////////!///", "////////A", "//////-/", "////////=///"] {
            let mut out = [0u8; 9];
            assert_eq!(
                decode_into::<Base64>(text, &mut out),
                Err(InvalidBase64),
                "{text:?}"
            );
            assert_eq!(out, [0u8; 9], "{text:?}");
        }
        let mut out = [0u8; 9];
        assert_eq!(
            decode_into::<Base64UrlUnpadded>("////////A", &mut out),
            Err(InvalidBase64)
        );
        assert_eq!(out, [0u8; 9]);
    }

    /// Refusals that must hold whatever the oracle does.
    #[test]
    fn fail_texts_that_are_not_canonical() {
        for bad in [
            "AAE", "AAF=", "AA==A", "AAE=\n", " AAE=", "AA=E", "A", "AAE-", "AAE_",
        ] {
            assert_eq!(decode(bad), Err(InvalidBase64), "{bad:?}");
        }
        for bad in ["AAE=", "AAF", "A", "AA+/", "AA E"] {
            assert_eq!(decode_url(bad), Err(InvalidBase64), "{bad:?}");
        }
        assert_eq!(decode("AAE=").unwrap(), [0, 1]);
        assert_eq!(decode_url("AAE").unwrap(), [0, 1]);
        assert_eq!(decode("").unwrap(), b"");
    }
}
