//! DPoP (RFC 9449): proof that the caller holds the key its token is bound
//! to, so a token seen by anyone else (a log, a proxy, the other service,
//! the host page) is useless without the iFrame's private key.
//!
//! A request carries `Authorization: DPoP <token>` and one `DPoP: <proof>`
//! header. The proof is a JWS (`typ` `dpop+jwt`, `alg` ES256, the public
//! `jwk` in its header) over `{ jti, htm, htu, iat, ath }`. It holds when:
//!
//! * its signature verifies under the `jwk` it carries (P-256, verified
//!   with `ring`: one verification is on every request's path);
//! * `htm` and `htu` are this request's method and URL (the service's
//!   `--public-url` plus the path; query and fragment ignored, §4.3);
//! * `iat` is within the window around the server's clock;
//! * `ath` is the SHA-256 of the token it came with;
//! * the token's `cnf.jkt` is the RFC 7638 thumbprint of the `jwk`;
//! * its `jti` was never seen before by any replica (crate::replay).
//!
//! [`check`] does everything but the replay record, without I/O; the
//! extractor in crate::auth adds the record. Reasons are logged, never
//! answered: the client gets `DPOP_INVALID`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// The one proof algorithm accepted (401 challenges name it: crate::error).
pub const ALG: &str = "ES256";
/// Largest proof accepted, in bytes.
const MAX_PROOF_LEN: usize = 2048;
/// Largest `jti` accepted, in bytes (the iFrame sends 22).
const MAX_JTI_LEN: usize = 64;

/// How DPoP is enforced (docs/services.md, "DPoP").
#[derive(Debug, Clone)]
pub struct DpopSettings {
    /// `true` (the default): every authenticated request needs a token
    /// bound with `cnf.jkt` and a proof by that key. `false` also accepts
    /// plain bearer tokens: anyone who sees one can use it until it
    /// expires.
    pub required: bool,
    /// How far `iat` may be from the server's clock, in seconds (each way).
    pub window_secs: u64,
    /// The URL browsers reach this service at (scheme, host, port, and a
    /// path prefix if a proxy adds one); `htu` must be it plus the path.
    pub public_url: String,
}

/// Why a proof was refused (logged, never sent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DpopError {
    #[error("no DPoP header, or more than one")]
    Missing,
    #[error("not a compact JWS")]
    Malformed,
    #[error("header: typ must be dpop+jwt, alg ES256, jwk a public P-256 key")]
    Header,
    #[error("signature does not verify under the proof's jwk")]
    Signature,
    #[error("htm is not this request's method")]
    Method,
    #[error("htu is not this request's URL")]
    Url,
    #[error("iat outside the window")]
    Time,
    #[error("ath is not the hash of the token sent")]
    TokenHash,
    #[error("the token is not bound to this key (cnf.jkt)")]
    Binding,
    #[error("jti seen before")]
    Replayed,
}

#[derive(Deserialize)]
struct Header {
    typ: String,
    alg: String,
    jwk: Jwk,
}

#[derive(Deserialize)]
struct Jwk {
    kty: String,
    crv: String,
    x: String,
    y: String,
    /// A private key must never travel in a proof.
    #[serde(default)]
    d: Option<serde::de::IgnoredAny>,
}

#[derive(Deserialize)]
struct Claims {
    jti: String,
    htm: String,
    htu: String,
    iat: u64,
    ath: String,
}

/// A proof that holds for this request; its `jti` still has to be
/// recorded as used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// RFC 7638 thumbprint of the proof's key.
    pub jkt: String,
    pub jti: String,
    pub iat: u64,
}

/// What the proof must match.
pub struct Expected<'a> {
    pub method: &'a str,
    /// The full URL of the request as the browser sent it (no query).
    pub url: &'a str,
    /// The access token sent with the proof.
    pub token: &'a str,
    /// The token's `cnf.jkt`.
    pub jkt: &'a str,
    pub now_secs: u64,
    pub window_secs: u64,
}

/// RFC 7638 thumbprint of a P-256 public key given by its base64url `x`
/// and `y`: SHA-256 of the canonical JSON (members in lexical order, no
/// whitespace), base64url.
pub fn thumbprint(x: &str, y: &str) -> String {
    let canonical = format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#);
    B64.encode(Sha256::digest(canonical.as_bytes()))
}

/// `ath`: base64url SHA-256 of the access token.
pub fn token_hash(token: &str) -> String {
    B64.encode(Sha256::digest(token.as_bytes()))
}

/// `htu` compared as RFC 9449 §4.3 says: scheme and host case-insensitive,
/// default ports dropped, query and fragment ignored.
fn same_url(htu: &str, expected: &str) -> bool {
    let (Ok(mut a), Ok(mut b)) = (url::Url::parse(htu), url::Url::parse(expected)) else {
        return false;
    };
    for u in [&mut a, &mut b] {
        u.set_query(None);
        u.set_fragment(None);
    }
    a == b
}

/// Checks `proof` against `expected`, everything but the replay record.
pub fn check(proof: &str, expected: &Expected<'_>) -> Result<Checked, DpopError> {
    if proof.len() > MAX_PROOF_LEN {
        return Err(DpopError::Malformed);
    }
    let mut parts = proof.split('.');
    let (Some(h64), Some(c64), Some(s64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(DpopError::Malformed);
    };
    let header: Header = B64
        .decode(h64)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or(DpopError::Malformed)?;
    if header.typ != "dpop+jwt"
        || header.alg != ALG
        || header.jwk.kty != "EC"
        || header.jwk.crv != "P-256"
        || header.jwk.d.is_some()
    {
        return Err(DpopError::Header);
    }
    let (x, y) = (
        B64.decode(&header.jwk.x).map_err(|_| DpopError::Header)?,
        B64.decode(&header.jwk.y).map_err(|_| DpopError::Header)?,
    );
    if x.len() != 32 || y.len() != 32 {
        return Err(DpopError::Header);
    }
    let signature = B64.decode(s64).map_err(|_| DpopError::Malformed)?;
    let mut point = Vec::with_capacity(65);
    point.push(0x04);
    point.extend_from_slice(&x);
    point.extend_from_slice(&y);
    // ring refuses points not on the curve and signatures out of range.
    let key =
        ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P256_SHA256_FIXED, point);
    let signed_len = h64.len() + 1 + c64.len();
    key.verify(&proof.as_bytes()[..signed_len], &signature)
        .map_err(|_| DpopError::Signature)?;
    let claims: Claims = B64
        .decode(c64)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or(DpopError::Malformed)?;
    if claims.jti.is_empty() || claims.jti.len() > MAX_JTI_LEN {
        return Err(DpopError::Malformed);
    }
    if claims.htm != expected.method {
        return Err(DpopError::Method);
    }
    if !same_url(&claims.htu, expected.url) {
        return Err(DpopError::Url);
    }
    if claims.iat.abs_diff(expected.now_secs) > expected.window_secs {
        return Err(DpopError::Time);
    }
    if claims.ath != token_hash(expected.token) {
        return Err(DpopError::TokenHash);
    }
    // Canonical x and y: the thumbprint of what the signature verified.
    let jkt = thumbprint(&B64.encode(&x), &B64.encode(&y));
    if jkt != expected.jkt {
        return Err(DpopError::Binding);
    }
    Ok(Checked {
        jkt,
        jti: claims.jti,
        iat: claims.iat,
    })
}

/// The client's side: a P-256 key that makes proofs, for native clients
/// (the signer's flow tests, the API tests, the load benchmark). The
/// iFrame makes its proofs with WebCrypto (signer-wasm/src/web/dpop.rs).
pub struct ProofKey {
    pair: ring::signature::EcdsaKeyPair,
    jwk: String,
    jkt: String,
}

impl ProofKey {
    /// A fresh random key.
    pub fn generate() -> anyhow::Result<Self> {
        use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .map_err(|_| anyhow::anyhow!("generating a P-256 key"))?;
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .map_err(|_| anyhow::anyhow!("reading the P-256 key"))?;
        let point = pair.public_key().as_ref();
        let (x, y) = (B64.encode(&point[1..33]), B64.encode(&point[33..65]));
        let jwk = format!(r#"{{"kty":"EC","crv":"P-256","x":"{x}","y":"{y}"}}"#);
        let jkt = thumbprint(&x, &y);
        Ok(ProofKey { pair, jwk, jkt })
    }

    /// The key's RFC 7638 thumbprint (a token's `cnf.jkt`).
    pub fn jkt(&self) -> &str {
        &self.jkt
    }

    /// A proof for `method` `url` with `token`, issued at `iat` (seconds).
    pub fn proof_at(&self, method: &str, url: &str, token: &str, iat: u64) -> String {
        let mut jti = [0u8; 16];
        let _ = getrandom::fill(&mut jti);
        let header = format!(r#"{{"typ":"dpop+jwt","alg":"ES256","jwk":{}}}"#, self.jwk);
        let claims = serde_json::json!({
            "jti": B64.encode(jti), "htm": method, "htu": url, "iat": iat,
            "ath": token_hash(token),
        });
        let signing_input = format!("{}.{}", B64.encode(header), B64.encode(claims.to_string()));
        let rng = ring::rand::SystemRandom::new();
        let signature = self
            .pair
            .sign(&rng, signing_input.as_bytes())
            .map(|s| B64.encode(s.as_ref()))
            .unwrap_or_default();
        format!("{signing_input}.{signature}")
    }

    /// A proof for `method` `url` with `token`, issued now.
    pub fn proof(&self, method: &str, url: &str, token: &str) -> String {
        self.proof_at(method, url, token, unix_now())
    }
}

/// Microseconds one [`check`] takes on this machine, averaged over `proofs`
/// distinct proofs (made first, not timed): the CPU DPoP adds to every
/// request besides its replay record (`measure-dpop`, run by the bench).
pub fn measure(proofs: u32) -> anyhow::Result<f64> {
    let key = ProofKey::generate()?;
    let (url, token) = ("http://127.0.0.1:8787/v2/devices/recover", "a.b.c");
    let made: Vec<String> = (0..proofs).map(|_| key.proof("POST", url, token)).collect();
    let expected = Expected {
        method: "POST",
        url,
        token,
        jkt: key.jkt(),
        now_secs: unix_now(),
        window_secs: 60,
    };
    let start = std::time::Instant::now();
    for proof in &made {
        check(proof, &expected).map_err(|e| anyhow::anyhow!("a fresh proof was refused: {e}"))?;
    }
    Ok(start.elapsed().as_secs_f64() * 1e6 / f64::from(proofs))
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// RFC 7638 §3.1's example is RSA; this pins our EC canonical form to
    /// the one RFC 9449 §6.1 and every library use (members sorted).
    #[test]
    fn thumbprint_is_sha256_of_the_sorted_members() {
        let x = "l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs";
        let y = "9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA";
        let want = B64.encode(Sha256::digest(
            format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#).as_bytes(),
        ));
        assert_eq!(thumbprint(x, y), want);
        assert_eq!(want.len(), 43);
    }

    #[test]
    fn urls_compare_without_query_and_case() {
        assert!(same_url(
            "HTTP://Example.com:80/v2/wallet?x=1",
            "http://example.com/v2/wallet"
        ));
        assert!(!same_url(
            "http://example.com/v2/wallet",
            "http://example.com/v2/devices/recover"
        ));
        assert!(!same_url(
            "https://example.com/v2/wallet",
            "http://example.com/v2/wallet"
        ));
        assert!(!same_url("not a url", "http://example.com/"));
    }

    fn expected<'a>(url: &'a str, token: &'a str, jkt: &'a str) -> Expected<'a> {
        Expected {
            method: "POST",
            url,
            token,
            jkt,
            now_secs: unix_now(),
            window_secs: 60,
        }
    }

    #[test]
    fn a_proof_holds_for_its_request_only() {
        let key = ProofKey::generate().unwrap();
        let url = "http://127.0.0.1:8787/v2/devices/recover";
        let proof = key.proof("POST", url, "tok");
        let ok = check(&proof, &expected(url, "tok", key.jkt())).unwrap();
        assert_eq!(ok.jkt, key.jkt());
        let other = ProofKey::generate().unwrap();
        let cases: [(Expected<'_>, DpopError); 4] = [
            (
                Expected {
                    method: "GET",
                    ..expected(url, "tok", key.jkt())
                },
                DpopError::Method,
            ),
            (
                expected("http://127.0.0.1:8787/v2/wallet", "tok", key.jkt()),
                DpopError::Url,
            ),
            (expected(url, "another", key.jkt()), DpopError::TokenHash),
            (expected(url, "tok", other.jkt()), DpopError::Binding),
        ];
        for (e, want) in cases {
            assert_eq!(check(&proof, &e), Err(want));
        }
        let old = key.proof_at("POST", url, "tok", unix_now() - 61);
        assert_eq!(
            check(&old, &expected(url, "tok", key.jkt())),
            Err(DpopError::Time)
        );
        // A flipped byte in the claims no longer verifies.
        let mut parts: Vec<String> = proof.split('.').map(str::to_owned).collect();
        let mut claims = B64.decode(&parts[1]).unwrap();
        claims[2] ^= 1;
        parts[1] = B64.encode(claims);
        assert_eq!(
            check(&parts.join("."), &expected(url, "tok", key.jkt())),
            Err(DpopError::Signature)
        );
    }

    #[test]
    fn garbage_is_malformed_not_a_panic() {
        let e = Expected {
            method: "GET",
            url: "http://h/",
            token: "t",
            jkt: "j",
            now_secs: 0,
            window_secs: 60,
        };
        for p in ["", "a", "a.b", "a.b.c.d", "!!.??.**", &"a".repeat(5000)] {
            assert!(check(p, &e).is_err(), "{p}");
        }
    }
}
