//! Standard Webhooks signatures (https://www.standardwebhooks.com,
//! "Signature scheme"): `v1,` and the base64 HMAC-SHA256, under the shared
//! secret, of `{webhook-id}.{webhook-timestamp}.{body}`. The secret is
//! written `whsec_<base64>` and is never printed (docs/policy.md,
//! "Approval webhook").

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ring::hmac;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// Shortest and longest secret the format allows (24 to 64 bytes: the
/// specification asks for at least 24 random bytes).
const MIN_SECRET: usize = 24;
const MAX_SECRET: usize = 64;

/// How far a `webhook-timestamp` may be from this clock (either way).
pub const TOLERANCE_SECS: u64 = 300;

/// The shared secret. No `Debug`, no `Display`: it is never logged.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct ApprovalSecret(Vec<u8>);

impl ApprovalSecret {
    /// Parses `whsec_<base64 of 24..=64 bytes>`. The error never repeats
    /// the input.
    pub fn parse(text: &str) -> Result<ApprovalSecret, String> {
        let Some(b64) = text.trim().strip_prefix("whsec_") else {
            return Err("the approval secret must be written whsec_<base64>".into());
        };
        let mut bytes = STANDARD
            .decode(b64)
            .map_err(|_| "the approval secret after whsec_ is not base64".to_string())?;
        if !(MIN_SECRET..=MAX_SECRET).contains(&bytes.len()) {
            bytes.zeroize();
            return Err(format!(
                "the approval secret must hold {MIN_SECRET} to {MAX_SECRET} random bytes"
            ));
        }
        Ok(ApprovalSecret(bytes))
    }

    fn key(&self) -> hmac::Key {
        hmac::Key::new(hmac::HMAC_SHA256, &self.0)
    }

    /// The `webhook-signature` value for one message.
    pub fn sign(&self, id: &str, timestamp: u64, body: &[u8]) -> String {
        let tag = hmac::sign(&self.key(), &signed_content(id, timestamp, body));
        format!("v1,{}", STANDARD.encode(tag.as_ref()))
    }

    /// Whether `header` (a space-separated list of `version,signature`)
    /// holds a `v1` signature of this message under this secret. The
    /// comparison is constant-time (ring).
    pub fn verify(&self, id: &str, timestamp: u64, body: &[u8], header: &str) -> bool {
        let key = self.key();
        let content = signed_content(id, timestamp, body);
        header.split(' ').any(|entry| {
            entry
                .strip_prefix("v1,")
                .and_then(|b64| STANDARD.decode(b64).ok())
                .is_some_and(|tag| hmac::verify(&key, &content, &tag).is_ok())
        })
    }
}

fn signed_content(id: &str, timestamp: u64, body: &[u8]) -> Vec<u8> {
    let mut content = format!("{id}.{timestamp}.").into_bytes();
    content.extend_from_slice(body);
    content
}

/// Whether a message id can be signed unambiguously: the specification
/// forbids `.` in it, and it travels in a header.
pub fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Whether `timestamp` is within [`TOLERANCE_SECS`] of `now`.
pub fn fresh(timestamp: u64, now: u64) -> bool {
    timestamp.abs_diff(now) <= TOLERANCE_SECS
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use crate::approval::signature::*;

    // The example of the Standard Webhooks reference libraries' tests
    // (recomputed independently with Python's hmac before pinning it).
    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const TS: u64 = 1_614_265_330;
    const BODY: &[u8] = br#"{"test": 2432232314}"#;
    const EXPECTED: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    #[test]
    fn signs_the_published_example() {
        let s = ApprovalSecret::parse(SECRET).unwrap();
        assert_eq!(s.sign(ID, TS, BODY), EXPECTED);
        assert!(s.verify(ID, TS, BODY, EXPECTED));
        // Any one valid entry of a list verifies (secret rotation).
        assert!(s.verify(ID, TS, BODY, &format!("v1,bm9wZQ== {EXPECTED}")));
    }

    #[test]
    fn verification_fails_on_any_change() {
        let s = ApprovalSecret::parse(SECRET).unwrap();
        assert!(!s.verify(ID, TS + 1, BODY, EXPECTED));
        assert!(!s.verify("msg_other", TS, BODY, EXPECTED));
        assert!(!s.verify(ID, TS, br#"{"test": 2432232315}"#, EXPECTED));
        assert!(!s.verify(ID, TS, BODY, &EXPECTED.replace("v1,", "v1a,")));
        assert!(!s.verify(ID, TS, BODY, ""));
        assert!(!s.verify(ID, TS, BODY, "v1,"));
        let other = ApprovalSecret::parse("whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").unwrap();
        assert!(!other.verify(ID, TS, BODY, EXPECTED));
    }

    #[test]
    fn secrets_are_whsec_base64_of_24_to_64_bytes() {
        for bad in [
            "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "whsec_not base64!",
            "whsec_AAAA",
            &format!("whsec_{}", STANDARD.encode([7u8; 65])),
        ] {
            let err = ApprovalSecret::parse(bad).err().unwrap();
            assert!(err.contains("approval secret"), "{err}");
            assert!(!err.contains(bad), "the error repeats the input: {err}");
        }
        assert!(ApprovalSecret::parse(&format!("whsec_{}", STANDARD.encode([7u8; 64]))).is_ok());
    }

    #[test]
    fn ids_and_timestamps() {
        assert!(valid_id(ID) && valid_id("0b6c6a4e-2d3f-4c1e-9a57-0f1e2d3c4b5a"));
        for bad in ["", "a.b", "a b", "é", &"x".repeat(129)] {
            assert!(!valid_id(bad), "{bad}");
        }
        assert!(fresh(1000, 1300) && fresh(1300, 1000));
        assert!(!fresh(1000, 1301) && !fresh(1301, 1000));
    }
}
