//! The flags both services take (`KEYFRAME_*`): the dApp's JWTs and JWKS,
//! DPoP, body and time limits, rate limits, trusted proxies, the database
//! pool, logging and tracing, `--dev` and the data folder; and turning
//! them into the [`Settings`] both services start from.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use crate::auth::JwtSettings;
use crate::checks::parse_trusted_proxies;
use crate::dpop::DpopSettings;
use crate::limits::RateSettings;
use crate::settings::{Service, Settings};

/// Settings common to both services.
#[derive(Args, Debug, Clone)]
pub struct CommonArgs {
    /// The dApp's JWKS URL (keys that sign user JWTs).
    #[arg(
        long,
        env = "KEYFRAME_JWKS_URL",
        default_value = "http://127.0.0.1:3000/.well-known/jwks.json"
    )]
    pub jwks_url: String,
    /// Required JWT `iss`.
    #[arg(
        long,
        env = "KEYFRAME_JWT_ISSUER",
        default_value = "http://127.0.0.1:3000"
    )]
    pub jwt_issuer: String,
    /// Required JWT `aud` (default `keyframe-hot-storage` for hot storage,
    /// `keyframe-shield` for Shield). Give each service its own: a token
    /// one service accepts must not open the other (which is why this flag
    /// has no shared `KEYFRAME_*` variable).
    #[arg(long)]
    pub jwt_audience: Option<String>,
    /// Sender-constrained tokens (RFC 9449). `required` (the default):
    /// every request needs a token bound to the iFrame's key (`cnf.jkt`)
    /// and a fresh proof by that key. `off` also accepts plain bearer
    /// tokens (a bound token still needs its proof), which costs the
    /// protection: whoever sees a token (a log, a proxy, the host page's
    /// script) can use it until it expires.
    #[arg(long, env = "KEYFRAME_DPOP", default_value = "required",
          value_parser = ["required", "off"])]
    pub dpop: String,
    /// How far a DPoP proof's `iat` may be from this server's clock, in
    /// seconds each way.
    #[arg(long, env = "KEYFRAME_DPOP_WINDOW_SECONDS", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(5..=600))]
    pub dpop_window_seconds: u64,
    /// The URL browsers reach this service at; DPoP proofs name it (`htu`).
    /// Default http://127.0.0.1:8787 for hot storage, :8788 for Shield
    /// (a flag only: each service has its own).
    #[arg(long)]
    pub public_url: Option<String>,
    /// How long fetched JWKS keys are trusted before a refetch.
    #[arg(long, env = "KEYFRAME_JWKS_CACHE_SECONDS", default_value_t = 300)]
    pub jwks_cache_seconds: u64,
    /// Minimum time between two JWKS fetches triggered by unknown `kid`s.
    #[arg(long, env = "KEYFRAME_JWKS_MIN_REFETCH_SECONDS", default_value_t = 10)]
    pub jwks_min_refetch_seconds: u64,
    /// Largest request body accepted, in bytes (413 above).
    #[arg(long, env = "KEYFRAME_BODY_LIMIT_BYTES", default_value_t = 16384)]
    pub body_limit_bytes: usize,
    /// Per-request timeout (503 TIMEOUT above).
    #[arg(long, env = "KEYFRAME_REQUEST_TIMEOUT_SECONDS", default_value_t = 10)]
    pub request_timeout_seconds: u64,
    /// Requests processed at once; more are shed with 503 UNAVAILABLE.
    #[arg(long, env = "KEYFRAME_CONCURRENCY_LIMIT", default_value_t = 1024)]
    pub concurrency_limit: usize,
    /// Per-IP sustained request rate (0 disables the per-IP limit).
    #[arg(
        long,
        env = "KEYFRAME_RATE_LIMIT_IP_PER_SECOND",
        default_value_t = 2000
    )]
    pub rate_limit_ip_per_second: u32,
    /// Per-IP burst.
    #[arg(long, env = "KEYFRAME_RATE_LIMIT_IP_BURST", default_value_t = 4000)]
    pub rate_limit_ip_burst: u32,
    /// Per-user (iss, sub) sustained request rate (0 disables).
    #[arg(
        long,
        env = "KEYFRAME_RATE_LIMIT_USER_PER_SECOND",
        default_value_t = 10
    )]
    pub rate_limit_user_per_second: u32,
    /// Per-user burst.
    #[arg(long, env = "KEYFRAME_RATE_LIMIT_USER_BURST", default_value_t = 30)]
    pub rate_limit_user_burst: u32,
    /// Reverse proxies (CIDRs, or single addresses) whose `X-Forwarded-For`
    /// the per-IP limit believes; the header is ignored from anyone else.
    #[arg(long, env = "KEYFRAME_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<String>,
    /// Database pool size (0 = automatic: 4 for SQLite, 16 for PostgreSQL).
    #[arg(long, env = "KEYFRAME_DB_MAX_CONNECTIONS", default_value_t = 0)]
    pub db_max_connections: u32,
    /// Log as JSON lines (for log shippers) instead of text.
    #[arg(long, env = "KEYFRAME_LOG_JSON")]
    pub log_json: bool,
    /// Export traces over OTLP/HTTP (JSON) to this collector (its base URL,
    /// e.g. http://collector:4318; spans go to /v1/traces). Off by default.
    #[arg(long, env = "KEYFRAME_OTLP_ENDPOINT", value_parser = otlp_endpoint)]
    pub otlp_endpoint: Option<String>,
    /// Development mode: if no sealing key is configured, generate one into
    /// the data folder (never done without this flag).
    #[arg(long, env = "KEYFRAME_DEV")]
    pub dev: bool,
    /// Folder for the default SQLite file and a `--dev` sealing key.
    #[arg(long, env = "KEYFRAME_DATA_DIR", default_value = ".data")]
    pub data_dir: PathBuf,
}

impl CommonArgs {
    /// The settings these flags describe; an error for a bad JWKS URL or
    /// trusted-proxy entry (the service refuses to start).
    pub fn settings(&self, service: Service) -> anyhow::Result<Settings> {
        crate::auth::check_jwks_url(&self.jwks_url)?;
        let mut s = Settings::defaults(service, &self.jwks_url);
        s.jwt = JwtSettings {
            jwks_url: self.jwks_url.clone(),
            issuer: self.jwt_issuer.clone(),
            audience: self
                .jwt_audience
                .clone()
                .unwrap_or_else(|| service.default_audience().to_owned()),
            cache_ttl: Duration::from_secs(self.jwks_cache_seconds),
            min_refetch_interval: Duration::from_secs(self.jwks_min_refetch_seconds),
        };
        s.dpop = DpopSettings {
            required: self.dpop == "required",
            window_secs: self.dpop_window_seconds,
            public_url: self
                .public_url
                .clone()
                .unwrap_or_else(|| service.default_public_url().to_owned()),
        };
        s.db_max_connections = self.db_max_connections;
        s.body_limit = self.body_limit_bytes;
        s.request_timeout = Duration::from_secs(self.request_timeout_seconds.max(1));
        s.concurrency_limit = self.concurrency_limit.max(1);
        s.rate = RateSettings {
            ip_per_second: self.rate_limit_ip_per_second,
            ip_burst: self.rate_limit_ip_burst,
            user_per_second: self.rate_limit_user_per_second,
            user_burst: self.rate_limit_user_burst,
        };
        s.trusted_proxies = parse_trusted_proxies(&self.trusted_proxies)?;
        Ok(s)
    }
}

/// `--otlp-endpoint`: an http(s) base URL without query or fragment.
fn otlp_endpoint(text: &str) -> Result<String, String> {
    let url = url::Url::parse(text).map_err(|e| format!("not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err("must be an http(s) URL of the collector, e.g. http://collector:4318".into());
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("no query or fragment: spans are sent to <endpoint>/v1/traces".into());
    }
    Ok(text.trim_end_matches('/').to_owned())
}
#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    // Not `super::*`: tests/module_graph.rs reads that as an import of
    // `config`, the parent.
    use crate::config::common::*;

    #[test]
    fn otlp_endpoints_are_http_base_urls() {
        assert_eq!(
            otlp_endpoint("http://127.0.0.1:4318/").as_deref(),
            Ok("http://127.0.0.1:4318")
        );
        assert!(otlp_endpoint("https://collector.internal").is_ok());
        for bad in ["collector:4318", "ftp://c", "http://c/?x=1", "not a url"] {
            assert!(otlp_endpoint(bad).is_err(), "{bad}");
        }
    }
}
