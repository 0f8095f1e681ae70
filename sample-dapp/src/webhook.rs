//! Standard Webhooks signatures (https://www.standardwebhooks.com):
//! `webhook-signature: v1,<base64 HMAC-SHA256(secret, "{id}.{ts}.{body}")>`
//! under the secret hot storage shares with this server (`whsec_<base64>`,
//! `--approval-secret`). The approvals desk (`approvals.rs`) verifies hot
//! storage's requests with it and signs its answers with it.

use base64::{Engine, engine::general_purpose::STANDARD};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// How far a `webhook-timestamp` may be from this clock, either way.
pub const TOLERANCE_SECS: u64 = 300;

/// The shared secret. No `Debug`: it is never logged.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct WebhookSecret(Vec<u8>);

impl WebhookSecret {
    /// Parses `whsec_<base64 of 24..=64 bytes>`; the error never repeats
    /// the input.
    pub fn parse(text: &str) -> Result<Self, String> {
        let b64 = text
            .trim()
            .strip_prefix("whsec_")
            .ok_or("--approval-secret must be written whsec_<base64>")?;
        let mut bytes = STANDARD
            .decode(b64)
            .map_err(|_| "--approval-secret: not base64 after whsec_".to_string())?;
        if !(24..=64).contains(&bytes.len()) {
            bytes.zeroize();
            return Err("--approval-secret must hold 24 to 64 random bytes".into());
        }
        Ok(Self(bytes))
    }

    fn mac(&self, id: &str, timestamp: u64, body: &[u8]) -> Hmac<Sha256> {
        // Any key length is valid for HMAC: this cannot fail.
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
        format!("v1,{}", STANDARD.encode(tag))
    }

    /// Whether `header` (space-separated `version,signature` entries) holds
    /// a valid `v1` signature; compared in constant time.
    pub fn verify(&self, id: &str, timestamp: u64, body: &[u8], header: &str) -> bool {
        header.split(' ').any(|entry| {
            entry
                .strip_prefix("v1,")
                .and_then(|b64| STANDARD.decode(b64).ok())
                .is_some_and(|tag| self.mac(id, timestamp, body).verify_slice(&tag).is_ok())
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn signs_the_standard_webhooks_example() {
        // The reference libraries' example, recomputed with Python's hmac.
        let s = WebhookSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let (id, ts, body) = (
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            br#"{"test": 2432232314}"#,
        );
        let expected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
        assert_eq!(s.sign(id, ts, body), expected);
        assert!(s.verify(id, ts, body, &format!("v1,AAAA {expected}")));
        assert!(!s.verify(id, ts + 1, body, expected));
        assert!(!s.verify(id, ts, b"{}", expected));
        assert!(!s.verify(id, ts, body, "v1,AAAA"));
    }

    #[test]
    fn secrets_are_whsec_base64() {
        for bad in [
            "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "whsec_!!",
            "whsec_c2hvcnQ=",
        ] {
            let e = WebhookSecret::parse(bad).err().unwrap();
            assert!(e.contains("--approval-secret") && !e.contains(bad), "{e}");
        }
    }
}
