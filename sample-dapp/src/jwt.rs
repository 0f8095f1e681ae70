//! Short-lived EdDSA (Ed25519) JWTs and the JWKS, signed and checked with
//! the `jsonwebtoken` crate (the same library hot storage and Shield verify
//! them with).
//!
//! Header `{ "alg": "EdDSA", "kid", "typ": "JWT" }`; claims `iss`, `aud`,
//! `sub` (the user's UUID), `iat`, `nbf`, `exp`, `jti`, and `auth_time` (when
//! the user last typed the password, carried across refreshes so a session
//! cannot be extended forever). `exp` never passes `auth_time` plus the
//! session's absolute lifetime, so not even the last token a refresh gives
//! outlives the session. `kid` is the RFC 7638 JWK thumbprint.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD as B64};
use ed25519_dalek::pkcs8::EncodePrivateKey;
use ed25519_dalek::{SigningKey, VerifyingKey};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
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
    /// RFC 9449 §6.1: the key a Keyframe token is bound to (absent from
    /// this server's own session tokens).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cnf: Option<Confirmation>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confirmation {
    pub jkt: String,
}

/// Signs and verifies this server's tokens.
pub struct TokenIssuer {
    encoding: EncodingKey,
    decoding: DecodingKey,
    verifying: VerifyingKey,
    validation: Validation,
    kid: String,
    issuer: String,
    audience: String,
    ttl_secs: u64,
    max_session_secs: u64,
}

impl TokenIssuer {
    /// Tokens live `ttl_secs`, and never past `auth_time +
    /// max_session_secs` (the session's absolute lifetime).
    pub fn new(
        seed: &[u8; 32],
        issuer: String,
        audience: String,
        ttl_secs: u64,
        max_session_secs: u64,
    ) -> Self {
        let key = SigningKey::from_bytes(seed);
        let verifying = key.verifying_key();
        let kid = thumbprint(&verifying);
        // jsonwebtoken reads Ed25519 private keys as PKCS#8 DER (RFC 8410);
        // encoding a valid key cannot fail, and an empty key only makes
        // `issue` fail with an internal error.
        let der = key
            .to_pkcs8_der()
            .map(|d| d.as_bytes().to_vec())
            .unwrap_or_default();
        let encoding = EncodingKey::from_ed_der(&der);
        let decoding = DecodingKey::from_ed_der(verifying.as_bytes());
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.leeway = LEEWAY_SECS;
        validation.validate_nbf = true;
        validation.set_issuer(&[&issuer]);
        validation.set_audience(&[&audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        Self {
            encoding,
            decoding,
            verifying,
            validation,
            kid,
            issuer,
            audience,
            ttl_secs,
            max_session_secs,
        }
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// When the session that began at `auth_time` ends for good.
    pub fn session_deadline(&self, auth_time: u64) -> u64 {
        auth_time.saturating_add(self.max_session_secs)
    }

    /// A fresh token for `sub`, whose password was checked at `auth_time`:
    /// it expires after the token lifetime or at the session's deadline,
    /// whichever comes first. A session already over is
    /// [`AppError::SessionExpired`].
    pub fn issue(&self, sub: &str, auth_time: u64) -> Result<String, AppError> {
        self.issue_for(sub, auth_time, &self.audience, None)
    }

    /// A token for another audience (one of Keyframe's services), bound to
    /// the key whose thumbprint is `jkt`, with the same lifetime rules.
    pub fn issue_for(
        &self,
        sub: &str,
        auth_time: u64,
        audience: &str,
        jkt: Option<&str>,
    ) -> Result<String, AppError> {
        let now = now_secs();
        let deadline = self.session_deadline(auth_time);
        if now >= deadline {
            return Err(AppError::SessionExpired);
        }
        let claims = Claims {
            iss: self.issuer.clone(),
            aud: audience.to_owned(),
            sub: sub.to_owned(),
            iat: now,
            nbf: now,
            exp: now.saturating_add(self.ttl_secs).min(deadline),
            jti: crate::random_uuid()?.to_string(),
            auth_time,
            cnf: jkt.map(|jkt| Confirmation {
                jkt: jkt.to_owned(),
            }),
        };
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, &claims, &self.encoding).map_err(AppError::internal)
    }

    /// Checks signature, `alg`, `kid`, `typ`, `iss`, `aud`, `nbf` and `exp`.
    pub fn verify(&self, token: &str) -> Result<Claims, AppError> {
        const BAD: AppError = AppError::AuthRequired("invalid token");
        if token.len() > MAX_TOKEN_LEN {
            return Err(BAD);
        }
        let header = jsonwebtoken::decode_header(token).map_err(|_| BAD)?;
        if header.alg != Algorithm::EdDSA || header.kid.as_deref() != Some(self.kid.as_str()) {
            return Err(BAD);
        }
        if header
            .typ
            .as_deref()
            .is_some_and(|t| !t.eq_ignore_ascii_case("JWT"))
        {
            return Err(BAD);
        }
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => AppError::AuthExpired,
                ErrorKind::ImmatureSignature => AppError::AuthRequired("token is not valid yet"),
                ErrorKind::InvalidAudience | ErrorKind::InvalidIssuer => {
                    AppError::AuthRequired("token is not addressed to this service")
                }
                _ => BAD,
            })?
            .claims;
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
        TokenIssuer::new(
            &[7u8; 32],
            "http://dapp".into(),
            "keyframe".into(),
            900,
            43_200,
        )
    }

    #[test]
    fn round_trip_and_tamper() {
        let t = issuer();
        let sub = "0b6d3c3e-5c43-4a0b-9b5e-3f0f1d2c3b4a";
        let login = now_secs();
        let token = t.issue(sub, login).unwrap();
        let claims = t.verify(&token).unwrap();
        assert_eq!(claims.sub, sub);
        assert_eq!(claims.auth_time, login);
        assert_eq!(claims.exp - claims.iat, 900);

        let mut forged = token.clone();
        forged.pop();
        forged.push(if token.ends_with('A') { 'B' } else { 'A' });
        assert!(t.verify(&forged).is_err());
        assert!(t.verify("a.b").is_err());
        assert!(t.verify("").is_err());

        let other = TokenIssuer::new(
            &[8u8; 32],
            "http://dapp".into(),
            "keyframe".into(),
            900,
            43_200,
        );
        assert!(other.verify(&token).is_err());
        let other_aud = TokenIssuer::new(
            &[7u8; 32],
            "http://dapp".into(),
            "other".into(),
            900,
            43_200,
        );
        assert!(other_aud.verify(&token).is_err());
    }

    /// No token outlives its session: `exp` stops at `auth_time` plus the
    /// absolute lifetime, and a session already over gets no token at all.
    #[test]
    fn tokens_stop_at_the_session_deadline() {
        let t = TokenIssuer::new(
            &[7u8; 32],
            "http://dapp".into(),
            "keyframe".into(),
            900,
            100,
        );
        let sub = "0b6d3c3e-5c43-4a0b-9b5e-3f0f1d2c3b4a";
        let login = now_secs() - 40;
        let claims = t.verify(&t.issue(sub, login).unwrap()).unwrap();
        assert_eq!(claims.exp, login + 100);
        assert!(matches!(
            t.issue(sub, now_secs() - 100),
            Err(AppError::SessionExpired)
        ));
    }

    /// Tokens from before the switch to `jsonwebtoken` (hand-made compact
    /// JWS: same header, claims and Ed25519 signature) still verify, and an
    /// `alg: none` token or a foreign `kid` never does.
    #[test]
    fn independent_jws_verifies_and_downgrades_do_not() {
        use ed25519_dalek::Signer as _;
        let t = issuer();
        let key = SigningKey::from_bytes(&[7u8; 32]);
        let now = now_secs();
        let claims = json!({ "iss": "http://dapp", "aud": "keyframe",
            "sub": "0b6d3c3e-5c43-4a0b-9b5e-3f0f1d2c3b4a", "iat": now, "nbf": now,
            "exp": now + 60, "jti": "j", "auth_time": now });
        let jws = |header: Value| {
            let input = format!(
                "{}.{}",
                B64.encode(header.to_string()),
                B64.encode(claims.to_string())
            );
            let sig = key.sign(input.as_bytes());
            format!("{input}.{}", B64.encode(sig.to_bytes()))
        };
        let good = jws(json!({ "alg": "EdDSA", "kid": t.kid(), "typ": "JWT" }));
        assert_eq!(t.verify(&good).unwrap().sub, claims["sub"]);
        for bad in [
            jws(json!({ "alg": "none", "kid": t.kid() })),
            jws(json!({ "alg": "EdDSA", "kid": "other" })),
            jws(json!({ "alg": "EdDSA", "kid": t.kid(), "typ": "at+jwt" })),
            jws(json!({ "alg": "HS256", "kid": t.kid() })),
        ] {
            assert!(t.verify(&bad).is_err(), "{bad}");
        }
        let expired = TokenIssuer::new(&[7u8; 32], "http://dapp".into(), "keyframe".into(), 0, 60);
        let old = expired
            .issue("0b6d3c3e-5c43-4a0b-9b5e-3f0f1d2c3b4a", now)
            .unwrap();
        // Within the leeway an expiry of "now" still verifies.
        assert!(t.verify(&old).is_ok());
    }
}
