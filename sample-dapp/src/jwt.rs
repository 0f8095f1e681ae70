//! Short-lived EdDSA (Ed25519) JWTs as compact JWS, and the JWKS.
//!
//! Header `{ "alg": "EdDSA", "kid", "typ": "JWT" }`; claims `iss`, `aud`,
//! `sub` (the user's UUID), `iat`, `nbf`, `exp`, `jti`, and `auth_time` (when
//! the user last typed the password, carried across refreshes so a session
//! cannot be extended forever). `kid` is the RFC 7638 JWK thumbprint.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD as B64};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::error::AppError;

/// Clock skew tolerated on `exp` and `nbf`, in seconds.
pub const LEEWAY_SECS: u64 = 30;
/// Longest token accepted, in bytes.
const MAX_TOKEN_LEN: usize = 4096;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    pub iat: u64,
    pub nbf: u64,
    pub exp: u64,
    pub jti: String,
    pub auth_time: u64,
}

#[derive(Serialize, Deserialize)]
struct Header {
    alg: String,
    kid: String,
    typ: Option<String>,
}

/// Signs and verifies this server's tokens.
pub struct TokenIssuer {
    key: SigningKey,
    verifying: VerifyingKey,
    kid: String,
    issuer: String,
    audience: String,
    ttl_secs: u64,
}

impl TokenIssuer {
    pub fn new(seed: &[u8; 32], issuer: String, audience: String, ttl_secs: u64) -> Self {
        let key = SigningKey::from_bytes(seed);
        let verifying = key.verifying_key();
        let kid = thumbprint(&verifying);
        Self {
            key,
            verifying,
            kid,
            issuer,
            audience,
            ttl_secs,
        }
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// A fresh token for `sub`, whose password was checked at `auth_time`.
    pub fn issue(&self, sub: &str, auth_time: u64) -> Result<String, AppError> {
        let now = now_secs();
        let claims = Claims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: sub.to_owned(),
            iat: now,
            nbf: now,
            exp: now + self.ttl_secs,
            jti: crate::random_uuid()?.to_string(),
            auth_time,
        };
        let header = Header {
            alg: "EdDSA".into(),
            kid: self.kid.clone(),
            typ: Some("JWT".into()),
        };
        let header = serde_json::to_vec(&header).map_err(AppError::internal)?;
        let claims = serde_json::to_vec(&claims).map_err(AppError::internal)?;
        let signing_input = format!("{}.{}", B64.encode(header), B64.encode(claims));
        let signature: Signature = self.key.sign(signing_input.as_bytes());
        Ok(format!(
            "{signing_input}.{}",
            B64.encode(signature.to_bytes())
        ))
    }

    /// Checks signature, `alg`, `kid`, `iss`, `aud`, `nbf` and `exp`.
    pub fn verify(&self, token: &str) -> Result<Claims, AppError> {
        const BAD: AppError = AppError::AuthRequired("invalid token");
        if token.len() > MAX_TOKEN_LEN {
            return Err(BAD);
        }
        let mut parts = token.split('.');
        let (Some(h), Some(c), Some(s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(BAD);
        };
        let header: Header = B64
            .decode(h)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or(BAD)?;
        if header.alg != "EdDSA" || header.kid != self.kid {
            return Err(BAD);
        }
        if header
            .typ
            .as_deref()
            .is_some_and(|t| !t.eq_ignore_ascii_case("JWT"))
        {
            return Err(BAD);
        }
        let signature: [u8; 64] = B64
            .decode(s)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or(BAD)?;
        let signing_input = &token[..h.len() + 1 + c.len()];
        self.verifying
            .verify_strict(signing_input.as_bytes(), &Signature::from_bytes(&signature))
            .map_err(|_| BAD)?;
        let claims: Claims = B64
            .decode(c)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or(BAD)?;
        if claims.iss != self.issuer || claims.aud != self.audience {
            return Err(AppError::AuthRequired(
                "token is not addressed to this service",
            ));
        }
        let now = now_secs();
        if claims.nbf > now + LEEWAY_SECS {
            return Err(AppError::AuthRequired("token is not valid yet"));
        }
        if claims.exp + LEEWAY_SECS <= now {
            return Err(AppError::AuthExpired);
        }
        if uuid::Uuid::try_parse(&claims.sub).is_err() {
            return Err(BAD);
        }
        Ok(claims)
    }

    /// The public key set: `{ keys: [ { kty, crv, x, kid, alg, use } ] }`.
    pub fn jwks(&self) -> Value {
        json!({
            "keys": [{
                "kty": "OKP",
                "crv": "Ed25519",
                "x": B64.encode(self.verifying.to_bytes()),
                "kid": self.kid,
                "alg": "EdDSA",
                "use": "sig",
            }]
        })
    }
}

/// RFC 7638 thumbprint of the OKP JWK (members in lexicographic order).
fn thumbprint(key: &VerifyingKey) -> String {
    let canonical = format!(
        r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#,
        B64.encode(key.to_bytes())
    );
    B64.encode(Sha256::digest(canonical.as_bytes()))
}

pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn issuer() -> TokenIssuer {
        TokenIssuer::new(&[7u8; 32], "http://dapp".into(), "keyframe".into(), 900)
    }

    #[test]
    fn round_trip_and_tamper() {
        let t = issuer();
        let sub = "0b6d3c3e-5c43-4a0b-9b5e-3f0f1d2c3b4a";
        let token = t.issue(sub, 5).unwrap();
        let claims = t.verify(&token).unwrap();
        assert_eq!(claims.sub, sub);
        assert_eq!(claims.auth_time, 5);
        assert_eq!(claims.exp - claims.iat, 900);

        let mut forged = token.clone();
        forged.pop();
        forged.push(if token.ends_with('A') { 'B' } else { 'A' });
        assert!(t.verify(&forged).is_err());
        assert!(t.verify("a.b").is_err());
        assert!(t.verify("").is_err());

        let other = TokenIssuer::new(&[8u8; 32], "http://dapp".into(), "keyframe".into(), 900);
        assert!(other.verify(&token).is_err());
        let other_aud = TokenIssuer::new(&[7u8; 32], "http://dapp".into(), "other".into(), 900);
        assert!(other_aud.verify(&token).is_err());
    }
}
