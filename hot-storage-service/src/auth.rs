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
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use anyhow::Context;
use axum::extract::{FromRef, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use prometheus_client::metrics::counter::Counter;
use serde::Deserialize;

use crate::dpop::{DpopError, DpopSettings, Expected};
use crate::error::AppError;
use crate::limits::RateLimits;
use crate::replay::{ReplayLog, Scope};

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
    keys: HashMap<String, Arc<CachedKey>>,
    fetched_at: Option<Instant>,
    attempted_at: Option<Instant>,
}

/// The verifier shared by all requests of one process.
pub struct Verifier {
    settings: JwtSettings,
    http: reqwest::Client,
    cache: RwLock<Cache>,
    fetch_lock: tokio::sync::Mutex<()>,
    fetches: Counter,
    verified: std::sync::Mutex<HashMap<String, (Verified, Instant)>>,
    dpop: DpopSettings,
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
    aud: Audience,
    #[serde(default)]
    cnf: Option<Confirmation>,
}

/// A token's `aud`: one audience, as a string or a list of one. jsonwebtoken
/// accepts a list when any entry matches, so a token naming both services
/// would open both; this service accepts only a token meant for it alone
/// (docs/api.md, "Authentication").
#[derive(Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    List(Vec<String>),
}

impl Audience {
    fn is_single(&self) -> bool {
        match self {
            Audience::One(one) => !one.is_empty(),
            Audience::List(list) => list.len() == 1,
        }
    }
}

/// RFC 9449 §6.1: the thumbprint of the key the token is bound to.
#[derive(Deserialize)]
struct Confirmation {
    jkt: String,
}

/// A verified token: who it is for and the key it is bound to, if any.
#[derive(Debug, Clone)]
pub struct Verified {
    pub identity: Identity,
    pub jkt: Option<String>,
}

/// Verified tokens are remembered for at most this long (and never past
/// their `exp` plus the skew), so a hot path does not verify the same
/// signature thousands of times. Bounded; cleared when full.
const VERIFIED_TTL: Duration = Duration::from_secs(60);
const VERIFIED_MAX: usize = 10_000;

/// Refuses a JWKS URL that an on-path attacker could answer: it must be
/// `https`, or `http` to a loopback host (`127.0.0.0/8`, `::1`,
/// `localhost`), where no network sits between the services and the dApp.
pub fn check_jwks_url(url: &str) -> anyhow::Result<()> {
    let parsed = url::Url::parse(url)
        .map_err(|e| anyhow::anyhow!("the JWKS URL {url:?} is not a URL: {e}"))?;
    let loopback = match parsed.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    };
    match parsed.scheme() {
        "https" if parsed.host().is_some() => Ok(()),
        "http" if loopback => Ok(()),
        _ => Err(anyhow::anyhow!(
            "the JWKS URL {url:?} must be https (plain http only to a loopback host: \
             127.0.0.1, [::1] or localhost)"
        )),
    }
}

impl Verifier {
    /// Refuses (an error at start-up) a JWKS URL [`check_jwks_url`] refuses.
    pub fn new(settings: JwtSettings, dpop: DpopSettings) -> anyhow::Result<Self> {
        url::Url::parse(&dpop.public_url)
            .map_err(|e| anyhow::anyhow!("--public-url {:?}: {e}", dpop.public_url))?;
        check_jwks_url(&settings.jwks_url)?;
        // Redirects are not followed: a redirect could lead the key fetch to
        // plain http or to another host than the one configured.
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .context("building the JWKS HTTP client")?;
        Ok(Verifier {
            settings,
            http,
            cache: RwLock::new(Cache::default()),
            fetch_lock: tokio::sync::Mutex::new(()),
            fetches: Counter::default(),
            verified: std::sync::Mutex::new(HashMap::new()),
            dpop,
        })
    }

    /// How many times the JWKS was fetched (exported as a metric).
    pub fn fetch_count(&self) -> u64 {
        self.fetches.get()
    }

    /// The fetch counter itself, for the metrics registry.
    pub fn fetch_counter(&self) -> Counter {
        self.fetches.clone()
    }

    /// How DPoP is enforced.
    pub fn dpop(&self) -> &DpopSettings {
        &self.dpop
    }

    /// Verifies a compact JWS and returns the caller's identity and the key
    /// the token is bound to.
    #[tracing::instrument(name = "auth.jwt", skip_all)]
    pub async fn verify(&self, token: &str) -> Result<Verified, AppError> {
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

    async fn verify_uncached(&self, token: &str) -> Result<(Verified, u64), AppError> {
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
        let Claims {
            iss,
            sub,
            exp,
            aud,
            cnf,
        } = data.claims;
        if !aud.is_single() {
            tracing::info!("jwt refused: more than one audience");
            return Err(AppError::AuthRequired);
        }
        if sub.is_empty() || sub.len() > 255 || iss.len() > 255 {
            return Err(AppError::AuthRequired);
        }
        let jkt = cnf.map(|c| c.jkt);
        if jkt.as_ref().is_some_and(|j| j.len() != 43) {
            return Err(AppError::AuthRequired);
        }
        Ok((
            Verified {
                identity: Identity { iss, sub },
                jkt,
            },
            exp,
        ))
    }

    fn cached(&self, kid: &str) -> (Option<Arc<CachedKey>>, bool) {
        let cache = self.cache.read().unwrap_or_else(|p| p.into_inner());
        let fresh = cache
            .fetched_at
            .is_some_and(|t| t.elapsed() < self.settings.cache_ttl);
        (cache.keys.get(kid).cloned(), fresh)
    }

    async fn key_for(&self, kid: &str) -> Option<Arc<CachedKey>> {
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

    async fn fetch(&self) -> anyhow::Result<HashMap<String, Arc<CachedKey>>> {
        self.fetches.inc();
        let resp = self
            .http
            .get(&self.settings.jwks_url)
            .send()
            .await
            .context("requesting the JWKS")?;
        if resp.status().is_redirection() {
            anyhow::bail!(
                "the JWKS URL answered a redirect ({}); redirects are not followed: configure the final URL",
                resp.status()
            );
        }
        let resp = resp.error_for_status().context("JWKS status")?;
        let bytes = resp.bytes().await.context("reading the JWKS")?;
        if bytes.len() > 256 * 1024 {
            anyhow::bail!("JWKS larger than 256 KiB");
        }
        let set: KeySet = serde_json::from_slice(&bytes).context("JWKS is not a key set")?;
        let keys = parse_jwks(set);
        tracing::info!(keys = keys.len(), "JWKS fetched");
        Ok(keys)
    }
}

/// A JWKS read key by key: each entry becomes a `jsonwebtoken` [`Jwk`] on
/// its own, so one malformed or unsupported key (during a rotation, say)
/// does not disable the others, as a strict `JwkSet` would.
#[derive(Deserialize)]
struct KeySet {
    keys: Vec<serde_json::Value>,
}

fn parse_jwks(set: KeySet) -> HashMap<String, Arc<CachedKey>> {
    let mut out = HashMap::new();
    for raw in set.keys {
        // The declared `alg` as written ("Ed25519" is accepted beside
        // "EdDSA" for OKP keys, as some issuers write it).
        let declared = raw.get("alg").and_then(|a| a.as_str()).map(str::to_owned);
        let parsed = serde_json::from_value::<Jwk>(raw)
            .context("not a JWK")
            .and_then(|jwk| parse_jwk(&jwk, declared.as_deref()));
        match parsed {
            Ok(Some((kid, key))) => {
                out.insert(kid, Arc::new(key));
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = format!("{e:#}"), "JWKS key skipped"),
        }
    }
    out
}

/// Decodes a base64url coordinate and checks its length in bytes.
fn coordinate_len(b64: &str) -> anyhow::Result<usize> {
    Ok(URL_SAFE_NO_PAD.decode(b64).context("base64url")?.len())
}

fn parse_jwk(jwk: &Jwk, declared: Option<&str>) -> anyhow::Result<Option<(String, CachedKey)>> {
    let Some(kid) = jwk.common.key_id.as_deref() else {
        anyhow::bail!("key without kid");
    };
    if jwk
        .common
        .public_key_use
        .as_ref()
        .is_some_and(|u| *u != PublicKeyUse::Signature)
    {
        return Ok(None);
    }
    // The algorithm is implied by the key type; HMAC (`oct`) keys are never
    // loaded, so `alg: HS256` can never verify.
    let alg = match &jwk.algorithm {
        AlgorithmParameters::OctetKeyPair(p) if p.curve == EllipticCurve::Ed25519 => {
            anyhow::ensure!(coordinate_len(&p.x)? == 32, "Ed25519 x must be 32 bytes");
            Algorithm::EdDSA
        }
        AlgorithmParameters::EllipticCurve(p) if p.curve == EllipticCurve::P256 => {
            anyhow::ensure!(
                coordinate_len(&p.x)? == 32 && coordinate_len(&p.y)? == 32,
                "P-256 coordinates must be 32 bytes"
            );
            Algorithm::ES256
        }
        AlgorithmParameters::RSA(p) => {
            let n_raw = URL_SAFE_NO_PAD.decode(&p.n).context("n")?;
            let bits = n_raw.iter().skip_while(|b| **b == 0).count() * 8;
            anyhow::ensure!(bits >= 2048, "RSA keys under 2048 bits are refused");
            Algorithm::RS256
        }
        other => anyhow::bail!("unsupported key type {}", key_type_name(other)),
    };
    if let Some(declared_alg) = jwk.common.key_algorithm {
        let ok = matches!(
            (declared_alg, alg),
            (KeyAlgorithm::EdDSA, Algorithm::EdDSA)
                | (KeyAlgorithm::ES256, Algorithm::ES256)
                | (KeyAlgorithm::RS256, Algorithm::RS256)
        ) || (alg == Algorithm::EdDSA && declared == Some("Ed25519"));
        anyhow::ensure!(
            ok,
            "JWK alg {} does not match its key type",
            declared.unwrap_or("?")
        );
    }
    let key = DecodingKey::from_jwk(jwk)?;
    Ok(Some((kid.to_string(), CachedKey { key, alg })))
}

fn key_type_name(p: &AlgorithmParameters) -> &'static str {
    match p {
        AlgorithmParameters::EllipticCurve(_) => "EC (curve other than P-256)",
        AlgorithmParameters::RSA(_) => "RSA",
        AlgorithmParameters::OctetKey(_) => "oct (HMAC)",
        AlgorithmParameters::OctetKeyPair(_) => "OKP (curve other than Ed25519)",
        _ => "unknown",
    }
}

/// Extractor: a verified caller, after the per-user rate limit.
///
/// With DPoP required (the default) the request must carry
/// `Authorization: DPoP <token>` with a token bound by `cnf.jkt`, and a
/// `DPoP` proof by that key for this very request (crate::dpop); its `jti`
/// is recorded so no replica accepts it twice. Without it, a plain
/// `Bearer` token is enough, and a `DPoP` token is still checked.
pub struct User(pub Identity);

impl<S> FromRequestParts<S> for User
where
    S: Send + Sync,
    Arc<Verifier>: FromRef<S>,
    Arc<RateLimits>: FromRef<S>,
    Arc<ReplayLog>: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let user = UserRecordingProof::from_request_parts(parts, state).await?;
        Ok(User(user.recorded().await?))
    }
}

/// Extractor: [`User`] whose DPoP proof is checked but not yet recorded.
///
/// For `recover` (crate::hot::share_routes), whose judged requests commit
/// the proof's record in the policy's batch, with their judgement, instead
/// of in a write of its own (docs/services.md, "Ninth pass"). The handler
/// takes the caller and a [`PendingProof`] ([`UserRecordingProof::defer`])
/// and must record the proof before it writes or releases anything, and
/// before it answers whatever the answer (a refusal included).
pub struct UserRecordingProof {
    id: Identity,
    proof: PendingProof,
}

impl UserRecordingProof {
    /// The caller, once the proof is recorded (`DPOP_INVALID` if any
    /// replica recorded it before).
    pub async fn recorded(self) -> Result<Identity, AppError> {
        let mut proof = self.proof;
        proof.record_now().await?;
        Ok(self.id)
    }

    /// The caller and the proof still to record: the handler may read
    /// before it records, nothing more.
    pub fn defer(self) -> (Identity, PendingProof) {
        (self.id, self.proof)
    }
}

/// A checked DPoP proof not yet recorded (none: DPoP not used, or the
/// record was made, by a write of its own or a policy batch's).
///
/// A proof that verified is spent whatever the answer: recorded before the
/// request is answered, refusals included (a body refused, a 404, a 429),
/// or whoever saw the refused request's headers could send its proof again,
/// within its window, with a body of their choosing (docs/api.md,
/// "Authentication"). A request dropped before its record was made (the
/// timeout's 503, a client gone), mid-write included, records on drop, in
/// a task of its own.
#[must_use = "a proof must be recorded before anything is written or released"]
pub struct PendingProof {
    replay: Arc<ReplayLog>,
    record: Option<ProofRecord>,
}

impl PendingProof {
    /// Records the proof now, if it is still pending; `DPOP_INVALID` if
    /// any replica recorded it before.
    pub async fn record_now(&mut self) -> Result<(), AppError> {
        let Some(p) = &self.record else {
            return Ok(());
        };
        // Pending until the write answers: a request dropped mid-write (the
        // timeout's 503, a client gone) then records on drop, as its write,
        // if still queued behind another batch, runs only when the next
        // request takes the turn (crate::group_commit).
        let written = record(&self.replay, p).await;
        // A write that failed may not have committed: left pending, it is
        // recorded again on drop (a replay then, if it did commit).
        if matches!(written, Ok(()) | Err(AppError::DpopInvalid)) {
            self.record = None;
        }
        written
    }

    /// The record, for a transaction that commits it with its own writes
    /// and refuses the request if it was seen before
    /// (crate::hot::policy_batch). It stays pending until
    /// [`PendingProof::recorded_by_batch`]: a request dropped before the
    /// transaction answered records it on drop, as the transaction may run
    /// late, or fail with no one left to record it (crate::group_commit).
    pub fn hand_on(&self) -> Option<ProofRecord> {
        self.record.clone()
    }

    /// The transaction [`PendingProof::hand_on`] gave the record to
    /// committed it, or found it recorded before: nothing is pending after.
    pub fn recorded_by_batch(&mut self) {
        self.record = None;
    }
}

impl Drop for PendingProof {
    fn drop(&mut self) {
        // Every path that answers records first; this is the request whose
        // future was dropped before it answered.
        if let Some(p) = self.record.take()
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            let replay = self.replay.clone();
            runtime.spawn(async move {
                if let Err(e) = record(&replay, &p).await
                    && !matches!(e, AppError::DpopInvalid)
                {
                    tracing::warn!(error = %e, "recording a dropped request's DPoP proof failed");
                }
            });
        }
    }
}

/// A checked proof's replay record: its id and how long it is kept.
#[derive(Clone)]
pub struct ProofRecord {
    pub id: String,
    pub until_ms: i64,
}

impl<S> FromRequestParts<S> for UserRecordingProof
where
    S: Send + Sync,
    Arc<Verifier>: FromRef<S>,
    Arc<RateLimits>: FromRef<S>,
    Arc<ReplayLog>: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        // No header, or another scheme than these two: no credentials (the
        // 401's challenge then names no error: crate::error).
        let value = parts
            .headers
            .get(AUTHORIZATION)
            .ok_or(AppError::NoCredentials)?
            .to_str()
            .map_err(|_| AppError::AuthRequired)?;
        let (scheme, token) = value.split_once(' ').unwrap_or((value, ""));
        let bound = if scheme.eq_ignore_ascii_case("dpop") {
            true
        } else if scheme.eq_ignore_ascii_case("bearer") {
            false
        } else {
            return Err(AppError::NoCredentials);
        };
        let token = token.trim();
        if token.is_empty() {
            return Err(AppError::AuthRequired);
        }
        let verifier = Arc::<Verifier>::from_ref(state);
        let verified = verifier.verify(token).await?;
        let dpop = verifier.dpop();
        let mut record = None;
        if bound || dpop.required || verified.jkt.is_some() {
            // RFC 9449 §7.1: a bound token must come with its proof, and
            // under the DPoP scheme, whatever the mode.
            let (true, Some(jkt)) = (bound, verified.jkt.as_deref()) else {
                tracing::info!("token refused: DPoP required, token not bound or sent as Bearer");
                return Err(AppError::AuthRequired);
            };
            record = Some(check_proof(parts, dpop, token, jkt)?);
        }
        let mut proof = PendingProof {
            replay: Arc::<ReplayLog>::from_ref(state),
            record,
        };
        let id = verified.identity;
        if let Err(limited) = Arc::<RateLimits>::from_ref(state).check_user(&id.iss, &id.sub) {
            // Refused after the proof verified: it is spent all the same.
            proof.record_now().await?;
            return Err(limited);
        }
        Ok(UserRecordingProof { id, proof })
    }
}

/// Records a checked proof's `jti`; `DPOP_INVALID` if it was seen before.
#[tracing::instrument(name = "auth.dpop_record", skip_all)]
async fn record(replay: &ReplayLog, p: &ProofRecord) -> Result<(), AppError> {
    if !replay.first_use(Scope::Dpop, &p.id, p.until_ms).await? {
        return Err(refused_replay());
    }
    Ok(())
}

/// The answer to a proof recorded before (by any replica).
pub fn refused_replay() -> AppError {
    refuse(DpopError::Replayed)
}

/// Checks the request's one `DPoP` header; what to record of it.
#[tracing::instrument(name = "auth.dpop", skip_all)]
fn check_proof(
    parts: &Parts,
    settings: &DpopSettings,
    token: &str,
    jkt: &str,
) -> Result<ProofRecord, AppError> {
    let mut headers = parts.headers.get_all("dpop").iter();
    let proof = match (headers.next(), headers.next()) {
        (Some(v), None) => v.to_str().map_err(|_| refuse(DpopError::Malformed))?,
        _ => return Err(refuse(DpopError::Missing)),
    };
    // The path as the client sent it (`OriginalUri` survives nesting, as
    // in crate::authority).
    let path = parts
        .extensions
        .get::<axum::extract::OriginalUri>()
        .map_or(parts.uri.path(), |o| o.0.path());
    let url = format!("{}{path}", settings.public_url.trim_end_matches('/'));
    let now_secs = jsonwebtoken::get_current_timestamp();
    let checked = crate::dpop::check(
        proof,
        &Expected {
            method: parts.method.as_str(),
            url: &url,
            token,
            jkt,
            now_secs,
            window_secs: settings.window_secs,
        },
    )
    .map_err(refuse)?;
    // Kept until the proof's iat leaves the window (after that the time
    // check refuses it anyway), and a margin for replicas' clocks.
    let until_ms = crate::replay::keep_until_ms(checked.iat.saturating_add(settings.window_secs));
    Ok(ProofRecord {
        id: format!("{}:{}", checked.jkt, checked.jti),
        until_ms,
    })
}

fn refuse(reason: DpopError) -> AppError {
    tracing::info!(%reason, "DPoP proof refused");
    AppError::DpopInvalid
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use serde_json::{Value, json};

    use super::*;

    fn key(name: &str, kid: &str, extra: Value) -> Value {
        let all: Value =
            serde_json::from_str(include_str!("../tests/data/public_jwks.json")).unwrap();
        let mut k = all[name].clone();
        k["kid"] = json!(kid);
        for (f, v) in extra.as_object().unwrap() {
            k[f] = v.clone();
        }
        k
    }

    fn parse(keys: Vec<Value>) -> HashMap<String, Arc<CachedKey>> {
        parse_jwks(serde_json::from_value(json!({ "keys": keys })).unwrap())
    }

    #[test]
    fn allowed_key_types_imply_their_algorithm() {
        let got = parse(vec![
            key("ed1", "ed", json!({})),
            key("p256", "ec", json!({ "alg": "ES256", "use": "sig" })),
            key("rsa", "rsa", json!({ "alg": "RS256" })),
            key("ed2", "ed-alt", json!({ "alg": "Ed25519" })),
        ]);
        assert_eq!(got["ed"].alg, Algorithm::EdDSA);
        assert_eq!(got["ec"].alg, Algorithm::ES256);
        assert_eq!(got["rsa"].alg, Algorithm::RS256);
        assert_eq!(got["ed-alt"].alg, Algorithm::EdDSA);
    }

    #[test]
    fn refused_keys_are_skipped_one_by_one() {
        let got = parse(vec![
            // HMAC keys are never loaded, whatever they claim.
            json!({ "kty": "oct", "kid": "hmac", "k": "c2VjcmV0", "alg": "HS256" }),
            // A declared alg that contradicts the key type.
            key("ed1", "liar", json!({ "alg": "RS256" })),
            // Encryption keys are not signature keys.
            key("p256", "enc", json!({ "use": "enc" })),
            // RSA under 2048 bits.
            json!({ "kty": "RSA", "kid": "small", "n": "AQAB", "e": "AQAB" }),
            // No kid; a curve this service does not allow; garbage.
            key("ed1", "x", json!({ "kid": null })),
            json!({ "kty": "EC", "crv": "P-384", "kid": "p384", "x": "AA", "y": "AA" }),
            json!("not a key"),
            // ... and the good key beside them still loads.
            key("ed3", "good", json!({})),
        ]);
        assert_eq!(got.keys().collect::<Vec<_>>(), vec!["good"]);
    }

    /// The `seen_once` rows of `id`, waiting up to 2 s for a record a task
    /// of its own makes.
    async fn rows_once_written(db: &crate::db::Db, id: &str) -> i64 {
        let mut rows = 0;
        for _ in 0..200 {
            rows = sqlx::query_scalar::<_, i64>("SELECT count(*) FROM seen_once WHERE id = ?")
                .bind(id)
                .fetch_one(&db.pool)
                .await
                .unwrap();
            if rows > 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        rows
    }

    /// A request dropped before it answered (the timeout's 503, a client
    /// gone) still spends its proof: the record is made on drop.
    #[tokio::test]
    async fn a_pending_proof_dropped_is_recorded() {
        use crate::db::{Db, now_ms};
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("r.db").display());
        let db = Db::connect(&url, 2).await.unwrap();
        db.migrate(crate::replay::MIGRATIONS_TABLE, crate::replay::MIGRATIONS)
            .await
            .unwrap();
        let replay = Arc::new(ReplayLog::new(db.clone()));
        let until_ms = now_ms() + 60_000;
        drop(PendingProof {
            replay: replay.clone(),
            record: Some(ProofRecord {
                id: "jkt:dropped".into(),
                until_ms,
            }),
        });
        // Made by a task of its own.
        assert_eq!(
            rows_once_written(&db, "jkt:dropped").await,
            1,
            "the dropped proof was not recorded"
        );
        let again = replay
            .first_use(Scope::Dpop, "jkt:dropped", until_ms)
            .await
            .unwrap();
        assert!(!again, "the dropped proof could be used again");
    }

    /// A request dropped while its record is being written still spends
    /// its proof: the record stays pending until the write answers, and
    /// is made on drop.
    #[tokio::test]
    async fn a_pending_proof_dropped_mid_write_is_recorded() {
        use crate::db::{Db, now_ms};
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("r.db").display());
        let db = Db::connect(&url, 4).await.unwrap();
        db.migrate(crate::replay::MIGRATIONS_TABLE, crate::replay::MIGRATIONS)
            .await
            .unwrap();
        let replay = Arc::new(ReplayLog::new(db.clone()));
        let until_ms = now_ms() + 60_000;
        // The writer's turn held (crate::db::Db::write_connection): the
        // replay log's batch in flight stalls, holding the log's turn, so
        // the proof's write waits behind it (crate::group_commit).
        let writer = db.write_connection().await.unwrap();
        let stalled = tokio::time::timeout(
            Duration::from_millis(50),
            replay.first_use(Scope::Dpop, "jkt:ahead", until_ms),
        )
        .await;
        assert!(stalled.is_err(), "the write ahead did not stall");
        let mut proof = PendingProof {
            replay: replay.clone(),
            record: Some(ProofRecord {
                id: "jkt:mid-write".into(),
                until_ms,
            }),
        };
        // The request's timeout answers mid-write.
        let cut = tokio::time::timeout(Duration::from_millis(100), proof.record_now()).await;
        assert!(cut.is_err(), "the proof's write did not stall");
        drop(proof);
        drop(writer);
        // Made by a task of its own.
        assert_eq!(
            rows_once_written(&db, "jkt:mid-write").await,
            1,
            "the proof dropped mid-write was not recorded"
        );
        let again = replay
            .first_use(Scope::Dpop, "jkt:mid-write", until_ms)
            .await
            .unwrap();
        assert!(!again, "the proof dropped mid-write could be used again");
    }
}
