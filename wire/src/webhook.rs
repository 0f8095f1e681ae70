//! Standard Webhooks (https://www.standardwebhooks.com, "Signature
//! scheme"), written once for hot storage's approval webhook and the
//! sample dApp's approvals desk (docs/policy.md, "Approval webhook"):
//! `webhook-signature: v1,<base64 HMAC-SHA256(secret, "{id}.{ts}.{body}")>`
//! under a shared secret written `whsec_<base64>`, which is never printed.
//!
//! Behind the `webhook` feature: the signer, which uses this crate without
//! it, links no HMAC.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// Shortest and longest secret the format allows (24 to 64 bytes: the
/// specification asks for at least 24 random bytes).
pub const MIN_SECRET_BYTES: usize = 24;
pub const MAX_SECRET_BYTES: usize = 64;

/// How far a `webhook-timestamp` may be from this clock (either way).
pub const TOLERANCE_SECS: u64 = 300;

/// Why a `whsec_` secret does not parse. The message never repeats the
/// input; callers put the flag's name in front.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretError {
    /// No `whsec_` prefix.
    Prefix,
    /// Not base64 after the prefix.
    Base64,
    /// Fewer than 24 or more than 64 bytes.
    Length,
}

impl core::fmt::Display for SecretError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            SecretError::Prefix => "must be written whsec_<base64>",
            SecretError::Base64 => "is not base64 after whsec_",
            SecretError::Length => "must hold 24 to 64 random bytes",
        })
    }
}

impl std::error::Error for SecretError {}

/// The shared secret's bytes. No `Debug`, no `Display`: it is never
/// logged; zeroized on drop.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct WebhookSecret(Vec<u8>);

impl WebhookSecret {
    /// Parses `whsec_<base64 of 24..=64 bytes>` (surrounding whitespace
    /// ignored).
    pub fn parse(text: &str) -> Result<WebhookSecret, SecretError> {
        let b64 = text
            .trim()
            .strip_prefix("whsec_")
            .ok_or(SecretError::Prefix)?;
        let mut bytes = crate::b64::decode(b64).map_err(|_| SecretError::Base64)?;
        if !(MIN_SECRET_BYTES..=MAX_SECRET_BYTES).contains(&bytes.len()) {
            bytes.zeroize();
            return Err(SecretError::Length);
        }
        Ok(WebhookSecret(bytes))
    }

    fn mac(&self, id: &str, timestamp: u64, body: &[u8]) -> Hmac<Sha256> {
        // HMAC takes keys of any length: this cannot fail.
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac
    }

    /// The `webhook-signature` value of one message.
    pub fn sign(&self, id: &str, timestamp: u64, body: &[u8]) -> String {
        let tag = self.mac(id, timestamp, body).finalize().into_bytes();
        format!("v1,{}", crate::b64::encode(tag))
    }

    /// Whether `header` (a space-separated list of `version,signature`)
    /// holds a `v1` signature of this message under this secret; any one
    /// valid entry will do (secret rotation). Compared in constant time.
    pub fn verify(&self, id: &str, timestamp: u64, body: &[u8], header: &str) -> bool {
        header.split(' ').any(|entry| {
            entry
                .strip_prefix("v1,")
                .and_then(|b64| crate::b64::decode(b64).ok())
                .is_some_and(|tag| self.mac(id, timestamp, body).verify_slice(&tag).is_ok())
        })
    }
}

/// A secret flag's text as given (`--approval-secret`): zeroized on drop
/// and out of `Debug` output. Checked by the settings, not by the argument
/// parser, whose errors repeat the value. `From<String>` lets clap build it.
#[derive(Clone)]
pub struct SecretArg(Zeroizing<String>);

impl SecretArg {
    /// The text as given.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for SecretArg {
    fn from(text: String) -> Self {
        SecretArg(Zeroizing::new(text))
    }
}

impl core::fmt::Debug for SecretArg {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("SecretArg(<redacted>)")
    }
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
    use super::*;

    // The example of the Standard Webhooks reference libraries' tests
    // (recomputed independently with Python's hmac before pinning it).
    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const TS: u64 = 1_614_265_330;
    const BODY: &[u8] = br#"{"test": 2432232314}"#;
    const EXPECTED: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    #[test]
    fn signs_the_published_example() {
        let s = WebhookSecret::parse(SECRET).unwrap();
        assert_eq!(s.sign(ID, TS, BODY), EXPECTED);
        assert!(s.verify(ID, TS, BODY, EXPECTED));
        // Any one valid entry of a list verifies (secret rotation).
        assert!(s.verify(ID, TS, BODY, &format!("v1,bm9wZQ== {EXPECTED}")));
        assert!(s.verify(ID, TS, BODY, &format!("v1,AAAA {EXPECTED}")));
    }

    #[test]
    fn verification_fails_on_any_change() {
        let s = WebhookSecret::parse(SECRET).unwrap();
        assert!(!s.verify(ID, TS + 1, BODY, EXPECTED));
        assert!(!s.verify("msg_other", TS, BODY, EXPECTED));
        assert!(!s.verify(ID, TS, br#"{"test": 2432232315}"#, EXPECTED));
        assert!(!s.verify(ID, TS, b"{}", EXPECTED));
        assert!(!s.verify(ID, TS, BODY, &EXPECTED.replace("v1,", "v1a,")));
        assert!(!s.verify(ID, TS, BODY, ""));
        assert!(!s.verify(ID, TS, BODY, "v1,"));
        assert!(!s.verify(ID, TS, BODY, "v1,AAAA"));
        let other = WebhookSecret::parse("whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").unwrap();
        assert!(!other.verify(ID, TS, BODY, EXPECTED));
    }

    #[test]
    fn secrets_are_whsec_base64_of_24_to_64_bytes() {
        let cases = [
            (
                "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".to_owned(),
                SecretError::Prefix,
            ),
            ("whsec_not base64!".to_owned(), SecretError::Base64),
            ("whsec_!!".to_owned(), SecretError::Base64),
            ("whsec_AAAA".to_owned(), SecretError::Length),
            ("whsec_c2hvcnQ=".to_owned(), SecretError::Length),
            (
                format!("whsec_{}", crate::b64::encode([7u8; 65])),
                SecretError::Length,
            ),
        ];
        for (bad, why) in &cases {
            assert_eq!(WebhookSecret::parse(bad).err(), Some(*why), "{bad}");
            let text = why.to_string();
            assert!(
                !text.contains(bad.as_str()),
                "the error repeats the input: {text}"
            );
        }
        assert!(WebhookSecret::parse(&format!("whsec_{}", crate::b64::encode([7u8; 64]))).is_ok());
        assert!(
            WebhookSecret::parse(&format!(" whsec_{} ", crate::b64::encode([7u8; 24]))).is_ok()
        );
    }

    #[test]
    fn secret_args_never_show_their_text() {
        let arg = SecretArg::from(SECRET.to_owned());
        assert_eq!(arg.expose(), SECRET);
        assert!(!format!("{arg:?}").contains("MfKQ9r8G"));
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
