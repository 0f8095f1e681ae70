//! DPoP (RFC 9449), the pure part: what the iFrame's proofs say and how a
//! token names the key it is bound to. The key itself is a non-extractable
//! WebCrypto key (web/dpop.rs); the services check proofs in
//! hot-storage-service/src/dpop.rs.

use keyframe_json::json;
use keyframe_wire::b64;
use sha2::{Digest, Sha256};

/// The public half of a P-256 key as a JWK's `x` and `y` (base64url).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicJwk {
    pub x: String,
    pub y: String,
}

impl PublicJwk {
    /// RFC 7638 thumbprint: SHA-256 of the members in lexical order, no
    /// whitespace, base64url. A token's `cnf.jkt`.
    pub fn thumbprint(&self) -> String {
        let canonical = format!(
            r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#,
            self.x, self.y
        );
        b64::encode_url(Sha256::digest(canonical.as_bytes()))
    }
}

/// The signing input (`header.claims`, base64url) of a proof for `method`
/// `url` with `token`, issued at `iat` with id `jti`.
pub fn signing_input(
    jwk: &PublicJwk,
    method: &str,
    url: &str,
    token: &str,
    iat: u64,
    jti: &[u8; 16],
) -> String {
    let header = json!({
        "typ": "dpop+jwt", "alg": "ES256",
        "jwk": { "kty": "EC", "crv": "P-256", "x": jwk.x, "y": jwk.y },
    });
    // RFC 9449 §4.2: htu without query or fragment.
    let htu = url.split(['?', '#']).next().unwrap_or(url);
    let claims = json!({
        "jti": b64::encode_url(jti), "htm": method, "htu": htu, "iat": iat,
        "ath": b64::encode_url(Sha256::digest(token.as_bytes())),
    });
    format!(
        "{}.{}",
        b64::encode_url(keyframe_json::to_text(&header)),
        b64::encode_url(keyframe_json::to_text(&claims))
    )
}

/// The proof: the signing input and the raw `r‖s` signature WebCrypto made.
pub fn proof(signing_input: &str, signature: &[u8]) -> String {
    format!("{signing_input}.{}", b64::encode_url(signature))
}

/// The `cnf.jkt` a JWT names, read without verifying it (the services
/// verify): it decides whether the iFrame sends the token under the DPoP
/// scheme with a proof, or as a plain bearer token (a dApp that does not
/// bind its tokens yet).
pub fn bound_key(token: &str) -> Option<String> {
    let payload = token.split('.').nth(1)?;
    // From text, not bytes: the WASM then carries one JSON reader, not two
    // (a JSON text that is not UTF-8 is refused either way).
    let payload = String::from_utf8(b64::decode_url(payload).ok()?).ok()?;
    let claims = keyframe_json::parse(&payload).ok()?;
    claims["cnf"]["jkt"].as_str().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_token_names_its_key_or_none() {
        let claims = b64::encode_url(r#"{"sub":"a","cnf":{"jkt":"abc"}}"#);
        assert_eq!(bound_key(&format!("h.{claims}.s")).as_deref(), Some("abc"));
        let unbound = b64::encode_url(r#"{"sub":"a"}"#);
        assert_eq!(bound_key(&format!("h.{unbound}.s")), None);
        assert_eq!(bound_key("not a jwt"), None);
        assert_eq!(bound_key("h.!!.s"), None);
    }

    #[test]
    fn the_proof_says_what_it_is_for() {
        let jwk = PublicJwk {
            x: "x".into(),
            y: "y".into(),
        };
        let input = signing_input(&jwk, "POST", "http://h/v2/wallet?q=1", "tok", 7, &[1; 16]);
        let (h, c) = input.split_once('.').unwrap();
        let header: serde_json::Value =
            serde_json::from_slice(&b64::decode_url(h).unwrap()).unwrap();
        let claims: serde_json::Value =
            serde_json::from_slice(&b64::decode_url(c).unwrap()).unwrap();
        assert_eq!(header["typ"], "dpop+jwt");
        assert_eq!(header["jwk"]["x"], "x");
        assert_eq!(claims["htu"], "http://h/v2/wallet");
        assert_eq!(claims["htm"], "POST");
        assert_eq!(claims["iat"], 7);
        assert_eq!(
            claims["ath"],
            b64::encode_url(Sha256::digest(b"tok")),
            "ath is the token's SHA-256"
        );
    }
}
