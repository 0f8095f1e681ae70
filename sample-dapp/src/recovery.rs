//! The per-user automatic-recovery key.
//!
//! `key = HMAC-SHA256(master, "keyframe-recovery-v1" || iss || sub)` where
//! `master` is `recovery-master.key` in the data folder. Nothing per user is
//! stored. The concatenation is unambiguous because `sub` is always a
//! 36-character UUID and `iss` is fixed per deployment.
//!
//! The key decrypts the user's cold share at Shield, so:
//! * rotating or losing the master key makes automatic recovery impossible
//!   for every existing wallet;
//! * changing `--issuer` changes every key (and orphans the wallets anyway,
//!   since hot storage and Shield scope records by `iss`).

use axum::{Json, extract::State};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD as B64};
use hmac::{Hmac, KeyInit, Mac};
use serde::Serialize;
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::{AppState, error::AppError, extract::AuthUser};

pub const DOMAIN: &[u8] = b"keyframe-recovery-v1";

/// Derives the recovery key of (`iss`, `sub`).
pub fn derive(master: &[u8; 32], iss: &str, sub: &str) -> Result<Zeroizing<[u8; 32]>, AppError> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(master).map_err(AppError::internal)?;
    mac.update(DOMAIN);
    mac.update(iss.as_bytes());
    mac.update(sub.as_bytes());
    let mut out = Zeroizing::new([0u8; 32]);
    out.copy_from_slice(&mac.finalize().into_bytes());
    Ok(out)
}

#[derive(Serialize)]
pub struct RecoveryKey {
    key: String,
}

/// `GET /api/recovery-key` (Bearer) → `{ key: base64url-no-pad(32 bytes) }`.
pub async fn recovery_key(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
) -> Result<Json<RecoveryKey>, AppError> {
    state.require_user(&claims.sub).await?;
    let key = derive(state.recovery_master(), &claims.iss, &claims.sub)?;
    tracing::info!(user = %claims.sub, "released the automatic-recovery key");
    Ok(Json(RecoveryKey {
        key: B64.encode(key.as_slice()),
    }))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn known_answer_and_separation() {
        // Cross-checked with: printf 'keyframe-recovery-v1' + iss + sub |
        //   openssl dgst -sha256 -mac HMAC -macopt hexkey:<32 x 01>
        let master = [1u8; 32];
        let a = derive(
            &master,
            "http://127.0.0.1:3000",
            "00000000-0000-4000-8000-000000000001",
        )
        .unwrap();
        let b = derive(
            &master,
            "http://127.0.0.1:3000",
            "00000000-0000-4000-8000-000000000002",
        )
        .unwrap();
        let c = derive(
            &[2u8; 32],
            "http://127.0.0.1:3000",
            "00000000-0000-4000-8000-000000000001",
        )
        .unwrap();
        assert_ne!(*a, *b);
        assert_ne!(*a, *c);
        assert_eq!(hex(&*a), KAT);
    }

    const KAT: &str = "e508bd8ada8710f27e66aa9e1d358879732e655a4a722213809d32b98928686b";

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }
}
