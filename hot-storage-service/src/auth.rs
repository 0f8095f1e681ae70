//! JWT verification against the dApp's JWKS.
//!
//! * Keys are fetched from `--jwks-url`, cached for `--jwks-cache-seconds`,
//!   and refetched when a token names an unknown `kid` — at most once per
//!   `--jwks-min-refetch-seconds`, so a flood of random kids cannot hammer the
//!   JWKS endpoint (one fetch at a time; concurrent callers wait for it).
//! * Allowed algorithms: EdDSA (OKP/Ed25519), ES256 (EC/P-256), RS256 (RSA,
//!   at least 2048-bit). The token's `alg` must be the one its JWK's
//!   `kty`/`crv` implies (and the JWK's own `alg`, if present). `none` and
//!   HMAC never verify: no HMAC key is ever loaded from a JWKS.
//! * `exp`, `iss`, `aud`, `sub` are required, `nbf` is honoured, the clock
//!   skew allowed is 30 s. A token must carry a `kid`.
//! * An expired token is `AUTH_EXPIRED`; every other failure `AUTH_REQUIRED`.

use std::collections::HashMap;
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

use crate::error::AppError;
use crate::server::AppState;

/// Clock skew allowed on `exp` and `nbf`.
pub const LEEWAY_SECONDS: u64 = 30;

#[derive(Debug, Clone)]
pub struct JwtSettings {
    pub jwks_url: String,
    pub issuer: String,
    pub audience: String,
    pub cache_ttl: Duration,
    pub min_refetch_interval: Duration,
}

struct CachedKey {
    key: DecodingKey,
    alg: Algorithm,
}

#[derive(Default)]
struct Cache {
    keys: HashMap<String, std::sync::Arc<CachedKey>>,
    fetched_at: Option<Instant>,
    attempted_at: Option<Instant>,
}

/// The verifier shared by all requests of one process.
pub struct Verifier {
    settings: JwtSettings,
    http: reqwest::Client,
    cache: RwLock<Cache>,
    fetch_lock: tokio::sync::Mutex<()>,
    fetches: AtomicU64,
    verified: std::sync::Mutex<HashMap<String, (Identity, Instant)>>,
}

/// The authenticated caller: every row is scoped to this pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub iss: String,
    pub sub: String,
}

#[derive(Deserialize)]
struct Claims {
    iss: String,
    sub: String,
    exp: u64,
}

/// Verified tokens are remembered for at most this long (and never past
/// their `exp` plus the skew), so a hot path does not verify the same
/// signature thousands of times. Bounded; cleared when full.
const VERIFIED_TTL: Duration = Duration::from_secs(60);
const VERIFIED_MAX: usize = 10_000;

impl Verifier {
    pub fn new(settings: JwtSettings) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::limited(3))
            .build()
            .context("building the JWKS HTTP client")?;
        Ok(Verifier {
            settings,
            http,
            cache: RwLock::new(Cache::default()),
            fetch_lock: tokio::sync::Mutex::new(()),
            fetches: AtomicU64::new(0),
            verified: std::sync::Mutex::new(HashMap::new()),
        })
    }

    /// How many times the JWKS was fetched (exported as a metric).
    pub fn fetch_count(&self) -> u64 {
        self.fetches.load(Ordering::Relaxed)
    }

    /// Verifies a compact JWS and returns the caller's identity.
    pub async fn verify(&self, token: &str) -> Result<Identity, AppError> {
        if token.len() > 8192 {
            return Err(AppError::AuthRequired);
        }
        {
            let cache = self.verified.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((id, until)) = cache.get(token)
                && Instant::now() < *until
            {
                return Ok(id.clone());
            }
        }
        let (id, exp) = self.verify_uncached(token).await?;
        let now_s = jsonwebtoken::get_current_timestamp();
        let left =
            Duration::from_secs((exp + LEEWAY_SECONDS).saturating_sub(now_s)).min(VERIFIED_TTL);
        let mut cache = self.verified.lock().unwrap_or_else(|p| p.into_inner());
        if cache.len() >= VERIFIED_MAX {
            cache.clear();
        }
        cache.insert(token.to_string(), (id.clone(), Instant::now() + left));
        Ok(id)
    }

    async fn verify_uncached(&self, token: &str) -> Result<(Identity, u64), AppError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| AppError::AuthRequired)?;
        if !matches!(
            header.alg,
            Algorithm::EdDSA | Algorithm::ES256 | Algorithm::RS256
        ) {
            tracing::info!(alg = ?header.alg, "jwt refused: algorithm not allowed");
            return Err(AppError::AuthRequired);
        }
        let kid = header.kid.ok_or(AppError::AuthRequired)?;
        let Some(key) = self.key_for(&kid).await else {
            tracing::info!("jwt refused: unknown kid");
            return Err(AppError::AuthRequired);
        };
        if key.alg != header.alg {
            tracing::info!(alg = ?header.alg, "jwt refused: alg does not match the key type");
            return Err(AppError::AuthRequired);
        }
        let mut v = Validation::new(key.alg);
        v.leeway = LEEWAY_SECONDS;
        v.validate_exp = true;
        v.validate_nbf = true;
        v.validate_aud = true;
        v.set_issuer(&[&self.settings.issuer]);
        v.set_audience(&[&self.settings.audience]);
        v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        let data =
            jsonwebtoken::decode::<Claims>(token, &key.key, &v).map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => AppError::AuthExpired,
                kind => {
                    tracing::info!(reason = ?kind, "jwt refused");
                    AppError::AuthRequired
                }
            })?;
        let Claims { iss, sub, exp } = data.claims;
        if sub.is_empty() || sub.len() > 255 || iss.len() > 255 {
            return Err(AppError::AuthRequired);
        }
        Ok((Identity { iss, sub }, exp))
    }

    fn cached(&self, kid: &str) -> (Option<std::sync::Arc<CachedKey>>, bool) {
        let cache = self.cache.read().unwrap_or_else(|p| p.into_inner());
        let fresh = cache
            .fetched_at
            .is_some_and(|t| t.elapsed() < self.settings.cache_ttl);
        (cache.keys.get(kid).cloned(), fresh)
    }

    async fn key_for(&self, kid: &str) -> Option<std::sync::Arc<CachedKey>> {
        let (key, fresh) = self.cached(kid);
        if fresh && key.is_some() {
            return key;
        }
        // Unknown kid or stale cache: refetch, one at a time, rate-limited.
        let _guard = self.fetch_lock.lock().await;
        let (key2, fresh2) = self.cached(kid);
        if fresh2 && key2.is_some() {
            return key2;
        }
        let may_fetch = {
            let cache = self.cache.read().unwrap_or_else(|p| p.into_inner());
            // Until a first fetch succeeded (the dApp may start after us),
            // retry after at most one second.
            let interval = if cache.fetched_at.is_none() {
                self.settings
                    .min_refetch_interval
                    .min(Duration::from_secs(1))
            } else {
                self.settings.min_refetch_interval
            };
            cache.attempted_at.is_none_or(|t| t.elapsed() >= interval)
        };
        if !may_fetch {
            return key2;
        }
        {
            let mut cache = self.cache.write().unwrap_or_else(|p| p.into_inner());
            cache.attempted_at = Some(Instant::now());
        }
        match self.fetch().await {
            Ok(keys) => {
                let mut cache = self.cache.write().unwrap_or_else(|p| p.into_inner());
                cache.keys = keys;
                cache.fetched_at = Some(Instant::now());
                cache.keys.get(kid).cloned()
            }
            Err(e) => {
                tracing::warn!(
                    error = format!("{e:#}"),
                    "JWKS fetch failed; keeping cached keys"
                );
                key2
            }
        }
    }

    async fn fetch(&self) -> anyhow::Result<HashMap<String, std::sync::Arc<CachedKey>>> {
        self.fetches.fetch_add(1, Ordering::Relaxed);
        let resp = self
            .http
            .get(&self.settings.jwks_url)
            .send()
            .await
            .context("requesting the JWKS")?
            .error_for_status()
            .context("JWKS status")?;
        let bytes = resp.bytes().await.context("reading the JWKS")?;
        if bytes.len() > 256 * 1024 {
            anyhow::bail!("JWKS larger than 256 KiB");
        }
        let set: serde_json::Value = serde_json::from_slice(&bytes).context("JWKS is not JSON")?;
        let keys = parse_jwks(&set);
        tracing::info!(keys = keys.len(), "JWKS fetched");
        Ok(keys)
    }
}

fn parse_jwks(set: &serde_json::Value) -> HashMap<String, std::sync::Arc<CachedKey>> {
    let mut out = HashMap::new();
    let Some(keys) = set.get("keys").and_then(|k| k.as_array()) else {
        return out;
    };
    for jwk in keys {
        match parse_jwk(jwk) {
            Ok(Some((kid, key))) => {
                out.insert(kid, std::sync::Arc::new(key));
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = format!("{e:#}"), "JWKS key skipped"),
        }
    }
    out
}

fn parse_jwk(jwk: &serde_json::Value) -> anyhow::Result<Option<(String, CachedKey)>> {
    let s = |name: &str| jwk.get(name).and_then(|v| v.as_str());
    let Some(kid) = s("kid") else {
        anyhow::bail!("key without kid");
    };
    if s("use").is_some_and(|u| u != "sig") {
        return Ok(None);
    }
    let (alg, key) = match (s("kty"), s("crv")) {
        (Some("OKP"), Some("Ed25519")) => {
            let x = s("x").context("OKP key without x")?;
            let raw = URL_SAFE_NO_PAD.decode(x).context("x")?;
            anyhow::ensure!(raw.len() == 32, "Ed25519 x must be 32 bytes");
            (Algorithm::EdDSA, DecodingKey::from_ed_components(x)?)
        }
        (Some("EC"), Some("P-256")) => {
            let (x, y) = (s("x").context("x")?, s("y").context("y")?);
            anyhow::ensure!(
                URL_SAFE_NO_PAD.decode(x)?.len() == 32 && URL_SAFE_NO_PAD.decode(y)?.len() == 32,
                "P-256 coordinates must be 32 bytes"
            );
            (Algorithm::ES256, DecodingKey::from_ec_components(x, y)?)
        }
        (Some("RSA"), _) => {
            let (n, e) = (s("n").context("n")?, s("e").context("e")?);
            let n_raw = URL_SAFE_NO_PAD.decode(n).context("n")?;
            let bits = n_raw.iter().skip_while(|b| **b == 0).count() * 8;
            anyhow::ensure!(bits >= 2048, "RSA keys under 2048 bits are refused");
            (Algorithm::RS256, DecodingKey::from_rsa_components(n, e)?)
        }
        (kty, crv) => anyhow::bail!("unsupported key type {kty:?}/{crv:?}"),
    };
    if let Some(declared) = s("alg") {
        let ok = matches!(
            (declared, alg),
            ("EdDSA" | "Ed25519", Algorithm::EdDSA)
                | ("ES256", Algorithm::ES256)
                | ("RS256", Algorithm::RS256)
        );
        anyhow::ensure!(ok, "JWK alg {declared} does not match its key type");
    }
    Ok(Some((kid.to_string(), CachedKey { key, alg })))
}

/// Extractor: a verified caller, after the per-user rate limit.
pub struct User(pub Identity);

impl FromRequestParts<AppState> for User {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let token = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                let (scheme, rest) = v.split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
            })
            .filter(|t| !t.is_empty())
            .ok_or(AppError::AuthRequired)?;
        let id = state.verifier.verify(token).await?;
        state.limits.check_user(&id)?;
        Ok(User(id))
    }
}
