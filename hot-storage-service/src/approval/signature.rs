//! The approval webhook's Standard Webhooks signatures
//! (https://www.standardwebhooks.com, "Signature scheme"): the one
//! implementation in `keyframe_wire::webhook`, which the sample dApp's
//! approvals desk uses too. The secret is written `whsec_<base64>` and is
//! never printed (docs/policy.md, "Approval webhook").

pub use keyframe_wire::webhook::{
    TOLERANCE_SECS, WebhookSecret as ApprovalSecret, fresh, valid_id,
};

/// Parses the approval secret (`whsec_<base64 of 24..=64 bytes>`); the
/// error names it and never repeats the input.
pub fn parse_secret(text: &str) -> Result<ApprovalSecret, String> {
    ApprovalSecret::parse(text).map_err(|e| format!("the approval secret {e}"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use crate::approval::signature::*;
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;

    #[test]
    fn secrets_are_whsec_base64_of_24_to_64_bytes() {
        for bad in [
            "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "whsec_not base64!",
            "whsec_AAAA",
            &format!("whsec_{}", STANDARD.encode([7u8; 65])),
        ] {
            let err = parse_secret(bad).err().unwrap();
            assert!(err.contains("approval secret"), "{err}");
            assert!(!err.contains(bad), "the error repeats the input: {err}");
        }
        assert!(parse_secret(&format!("whsec_{}", STANDARD.encode([7u8; 64]))).is_ok());
    }
}
