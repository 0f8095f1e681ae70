//! Standard Webhooks signatures (https://www.standardwebhooks.com):
//! `webhook-signature: v1,<base64 HMAC-SHA256(secret, "{id}.{ts}.{body}")>`
//! under the secret hot storage shares with this server (`whsec_<base64>`,
//! `--approval-secret`). The approvals desk (`approvals.rs`) verifies hot
//! storage's requests with it and signs its answers with it. The
//! implementation is the one hot storage uses (`keyframe_wire::webhook`);
//! this server's tests check it against their own HMAC (tests/approvals.rs).

pub use keyframe_wire::webhook::{TOLERANCE_SECS, WebhookSecret};

/// Parses `--approval-secret` (`whsec_<base64 of 24..=64 bytes>`); the
/// error names the flag and never repeats the input.
pub fn parse_secret(text: &str) -> Result<WebhookSecret, String> {
    WebhookSecret::parse(text).map_err(|e| format!("--approval-secret {e}"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn secrets_are_whsec_base64() {
        for bad in [
            "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "whsec_!!",
            "whsec_c2hvcnQ=",
        ] {
            let e = parse_secret(bad).err().unwrap();
            assert!(e.contains("--approval-secret") && !e.contains(bad), "{e}");
        }
        assert!(parse_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").is_ok());
    }
}
