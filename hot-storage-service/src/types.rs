//! The wire types the services share with the signer, from the
//! keyframe-wire crate (wire/), and the few checks that need the service's
//! error type. Each wire type rejects bad input during deserialisation, so
//! a handler never sees it (and the client gets 400 `BAD_REQUEST` naming
//! the field).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::error::AppError;

pub use keyframe_wire::hot::OkBody;
pub use keyframe_wire::{
    Addresses, Ciphertext, DeviceId, MAX_VERSION, ShareBlob, SplitId, WalletId, WalletKind,
};

/// The recovery pair's device id as stored in the `devices` table's key
/// columns (the nil UUID, [`DeviceId::RECOVERY`]).
pub const NIL_DEVICE: &str = "00000000-0000-0000-0000-000000000000";

/// Parses a wallet id from a path segment (400 on failure).
pub fn parse_wallet(s: &str) -> Result<WalletId, AppError> {
    s.parse()
        .map_err(|_| AppError::BadRequest("invalid wallet id".into()))
}

/// Checks the addresses' shapes (400 naming the field).
pub fn check_addresses(addresses: &Addresses) -> Result<(), AppError> {
    addresses
        .check()
        .map_err(|field| AppError::BadRequest(format!("invalid value at `{field}`")))
}

/// Checks a label: at most 64 characters, no control characters.
pub fn validate_label(label: &Option<String>) -> Result<(), AppError> {
    match label {
        Some(l) if !keyframe_wire::label_is_valid(l) => Err(AppError::BadRequest(
            "invalid value at `label` (at most 64 printable characters)".into(),
        )),
        _ => Ok(()),
    }
}

/// Standard base64 with padding.
pub fn b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// A stored id or split that does not parse: the database was altered.
pub fn stored<T: std::str::FromStr>(s: &str) -> Result<T, AppError> {
    s.parse()
        .map_err(|_| AppError::Internal(anyhow::anyhow!("a stored id does not parse")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nil_device_is_the_recovery_id() {
        assert_eq!(DeviceId::RECOVERY.to_string(), NIL_DEVICE);
    }
}
