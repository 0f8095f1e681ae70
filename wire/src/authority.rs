//! The wallet's own authority (docs/api.md, "Wallet authority"): what a
//! request that cannot be undone must carry besides the bearer token.
//!
//! The iFrame derives an ed25519 key from the wallet secret
//! (signer-wasm/src/authority.rs) and registers its public key
//! ([`AuthorityKey`]) with hot storage and Shield. Revoking or registering
//! a device, storing or committing a share, and replacing or deleting the
//! cold share then need a signature by that key over the exact request,
//! sent in one header:
//!
//! ```text
//! Keyframe-Authority: t=<unix seconds>,n=<nonce>,sig=<signature>
//! ```
//!
//! The signature (base64url, no padding) is over [`signed_message`]; the
//! nonce is 16 random bytes, base64url without padding. This module is the
//! one definition both the signer and the services use: the header's name,
//! its parser and writer, and the bytes signed. Verification (ed25519
//! `verify_strict`, the time window, the nonce's first use) is the
//! services' (hot-storage-service/src/authority.rs).

use core::fmt;
use core::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

/// The header that carries the signature.
pub const HEADER: &str = "Keyframe-Authority";
/// The first line of every signed message: the format's version.
pub const DOMAIN: &str = "keyframe-authority-v1";
/// How far a signature's time may be from the server's clock, in seconds.
pub const MAX_SKEW_SECS: u64 = 300;
/// Length of the nonce, in bytes.
pub const NONCE_BYTES: usize = 16;

/// A header or key that does not parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthorityError(&'static str);

impl AuthorityError {
    /// What was wrong, for an error message.
    pub fn what(self) -> &'static str {
        self.0
    }
}

impl fmt::Display for AuthorityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for AuthorityError {}

/// A wallet's authority public key: 32 bytes of ed25519, base64url without
/// padding in JSON (43 characters).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct AuthorityKey([u8; 32]);

impl AuthorityKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        AuthorityKey(bytes)
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The wire form: base64url without padding.
    pub fn to_base64url(&self) -> String {
        crate::b64::encode_url(self.0)
    }
}

impl FromStr for AuthorityKey {
    type Err = AuthorityError;
    fn from_str(s: &str) -> Result<Self, AuthorityError> {
        let bad = AuthorityError("an authority key is 32 bytes, base64url without padding");
        if s.len() != 43 {
            return Err(bad);
        }
        let bytes = crate::b64::decode_url(s).map_err(|_| bad)?;
        Ok(AuthorityKey(bytes.try_into().map_err(|_| bad)?))
    }
}

impl fmt::Display for AuthorityKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_base64url())
    }
}

// A public key: printing it is harmless.
impl fmt::Debug for AuthorityKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AuthorityKey({})", self.to_base64url())
    }
}

impl Serialize for AuthorityKey {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_base64url())
    }
}

impl<'de> Deserialize<'de> for AuthorityKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Lowercase hex SHA-256 of a request body (of the empty body when there
/// is none).
pub fn body_hash(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

/// The exact bytes signed:
///
/// ```text
/// keyframe-authority-v1\n METHOD \n path?query \n hex(SHA-256(body)) \n t \n nonce
/// ```
///
/// `method` is upper-cased; `path_and_query` is the request target as sent
/// (e.g. `/v1/cold-shares/<wallet>`); `body` the body's bytes as sent.
pub fn signed_message(
    method: &str,
    path_and_query: &str,
    body: &[u8],
    t: u64,
    nonce: &str,
) -> Vec<u8> {
    format!(
        "{DOMAIN}\n{}\n{path_and_query}\n{}\n{t}\n{nonce}",
        method.to_ascii_uppercase(),
        body_hash(body)
    )
    .into_bytes()
}

/// The header's value, parsed: `t=<secs>,n=<nonce>,sig=<signature>`.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthorityHeader {
    /// Unix seconds when the request was signed.
    pub t: u64,
    /// The nonce as sent (16 bytes, base64url without padding).
    pub nonce: String,
    /// The ed25519 signature over [`signed_message`].
    pub sig: [u8; 64],
}

impl fmt::Debug for AuthorityHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthorityHeader")
            .field("t", &self.t)
            .field("nonce", &self.nonce)
            .finish_non_exhaustive()
    }
}

impl AuthorityHeader {
    /// The header for a signature made at `t` with `nonce` (16 bytes).
    pub fn new(t: u64, nonce: &[u8; NONCE_BYTES], sig: [u8; 64]) -> Self {
        AuthorityHeader {
            t,
            nonce: crate::b64::encode_url(nonce),
            sig,
        }
    }

    /// The header's value.
    pub fn to_value(&self) -> String {
        format!(
            "t={},n={},sig={}",
            self.t,
            self.nonce,
            crate::b64::encode_url(self.sig)
        )
    }

    /// Parses a header value: exactly the three fields, in this order,
    /// each well-formed.
    pub fn parse(value: &str) -> Result<Self, AuthorityError> {
        let bad = AuthorityError("expected t=<seconds>,n=<nonce>,sig=<signature>");
        if value.len() > 200 {
            return Err(bad);
        }
        let mut parts = value.split(',');
        let mut field = |name: &str| {
            parts
                .next()
                .and_then(|p| p.trim().strip_prefix(name))
                .and_then(|p| p.strip_prefix('='))
                .ok_or(bad)
        };
        let (t, nonce, sig) = (field("t")?, field("n")?, field("sig")?);
        if parts.next().is_some() {
            return Err(bad);
        }
        if t.is_empty() || t.len() > 12 || !t.bytes().all(|b| b.is_ascii_digit()) {
            return Err(AuthorityError("t must be unix seconds"));
        }
        let t = t
            .parse()
            .map_err(|_| AuthorityError("t must be unix seconds"))?;
        let nonce_ok = crate::b64::decode_url(nonce).is_ok_and(|n| n.len() == NONCE_BYTES);
        if !nonce_ok {
            return Err(AuthorityError(
                "n must be 16 bytes, base64url without padding",
            ));
        }
        let sig: [u8; 64] = crate::b64::decode_url(sig)
            .ok()
            .and_then(|s| s.try_into().ok())
            .ok_or(AuthorityError(
                "sig must be 64 bytes, base64url without padding",
            ))?;
        Ok(AuthorityHeader {
            t,
            nonce: nonce.to_owned(),
            sig,
        })
    }

    /// The bytes this header's signature must be over, for a request with
    /// this method, target and body.
    pub fn message(&self, method: &str, path_and_query: &str, body: &[u8]) -> Vec<u8> {
        signed_message(method, path_and_query, body, self.t, &self.nonce)
    }

    /// Is `t` within [`MAX_SKEW_SECS`] of `now` (unix seconds)?
    pub fn is_fresh(&self, now: u64) -> bool {
        self.t.abs_diff(now) <= MAX_SKEW_SECS
    }
}

/// `POST /v2/wallet/authority` (hot storage) and
/// `PUT /v1/cold-shares/{wallet}/authority` (Shield, without `wallet`):
/// registers the authority key of a wallet that has none yet.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegisterAuthority {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wallet: Option<crate::WalletId>,
    pub authority: AuthorityKey,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_is_pinned() {
        let m = signed_message("post", "/v2/devices/revoke", b"{}", 1_700_000_000, "AAAA");
        assert_eq!(
            String::from_utf8(m).expect("utf-8"),
            "keyframe-authority-v1\nPOST\n/v2/devices/revoke\n\
             44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a\n1700000000\nAAAA"
        );
        // The empty body's hash.
        assert_eq!(
            body_hash(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn header_round_trips_and_refuses_what_is_not_it() {
        let h = AuthorityHeader::new(1_700_000_000, &[7; 16], [9; 64]);
        let value = h.to_value();
        assert_eq!(AuthorityHeader::parse(&value), Ok(h.clone()));
        assert!(value.starts_with("t=1700000000,n=BwcHBwcHBwcHBwcHBwcHBw,sig="));
        let sig = crate::b64::encode_url([9u8; 64]);
        for bad in [
            String::new(),
            format!("n=BwcHBwcHBwcHBwcHBwcHBw,t=1,sig={sig}"),
            format!("t=-1,n=BwcHBwcHBwcHBwcHBwcHBw,sig={sig}"),
            format!("t=1,n=BwcHBwcHBwcHBwcHBwcH,sig={sig}"),
            format!("t=1,n=BwcHBwcHBwcHBwcHBwcHBw==,sig={sig}"),
            "t=1,n=BwcHBwcHBwcHBwcHBwcHBw,sig=AAAA".to_string(),
            format!("t=1,n=BwcHBwcHBwcHBwcHBwcHBw,sig={sig},x=1"),
            format!("t=99999999999999,n=BwcHBwcHBwcHBwcHBwcHBw,sig={sig}"),
        ] {
            assert!(AuthorityHeader::parse(&bad).is_err(), "{bad}");
        }
        assert!(h.is_fresh(1_700_000_300) && h.is_fresh(1_699_999_700));
        assert!(!h.is_fresh(1_700_000_301) && !h.is_fresh(1_699_999_699));
    }

    #[test]
    fn keys_are_43_characters_of_base64url() {
        let k = AuthorityKey::from_bytes([0xfb; 32]);
        let s = serde_json::to_value(k).expect("serialise");
        assert_eq!(s, serde_json::json!(k.to_base64url()));
        assert_eq!(serde_json::from_value::<AuthorityKey>(s).expect("parse"), k);
        for bad in ["", "AAAA", &format!("{}=", k.to_base64url())] {
            assert!(bad.parse::<AuthorityKey>().is_err(), "{bad}");
        }
    }
}
