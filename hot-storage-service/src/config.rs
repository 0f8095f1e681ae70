//! Command-line and environment configuration (clap derive; every flag has
//! an environment variable, shown in `--help`).
//!
//! Variables shared by both services (they trust the same dApp) start with
//! `KEYFRAME_`; per-service ones with `HOT_STORAGE_` or `SHIELD_`, so both
//! processes can run from one shell.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};

use crate::auth::JwtSettings;
use crate::catalog::Catalog;
/// Re-exported for static_files.rs (CSP) and the Shield provider origin.
pub use crate::checks::origin;
use crate::checks::{parse_allowed_origins, parse_trusted_proxies};
use crate::dpop::DpopSettings;
use crate::limits::RateSettings;
use crate::seal::{Keyring, SealKey};
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

#[derive(Parser, Debug)]
#[command(
    name = "hot-storage-service",
    version,
    about = "Keyframe hot storage: /v2 share API and the iFrame's static files"
)]
pub struct HotCli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Address to listen on.
    #[arg(long, env = "HOT_STORAGE_LISTEN", default_value = "127.0.0.1:8787")]
    pub listen: SocketAddr,
    /// Database URL (default sqlite://DATA_DIR/hot-storage.db?mode=rwc).
    #[arg(long, env = "HOT_STORAGE_DATABASE_URL")]
    pub database_url: Option<String>,
    /// Sealing key(s) `KID:BASE64(32 bytes)`, first = current.
    #[arg(
        long = "sealing-key",
        env = "HOT_STORAGE_SEALING_KEYS",
        value_delimiter = ',',
        hide_env_values = true
    )]
    pub sealing_keys: Vec<String>,
    /// File of sealing keys, one `KID:BASE64` per line.
    #[arg(long, env = "HOT_STORAGE_SEALING_KEY_FILE")]
    pub sealing_key_file: Option<PathBuf>,
    /// dApp origins allowed to embed the iFrame (CSP frame-ancestors and /v2/config).
    #[arg(
        long,
        env = "KEYFRAME_ALLOWED_ORIGINS",
        value_delimiter = ',',
        default_value = "http://127.0.0.1:3000"
    )]
    pub allowed_origins: Vec<String>,
    /// Shield's URL (the iFrame may connect to it).
    #[arg(
        long,
        env = "KEYFRAME_SHIELD_URL",
        default_value = "http://127.0.0.1:8788"
    )]
    pub shield_url: String,
    /// Lifetime of an ephemeral device after its last use.
    #[arg(long, env = "HOT_STORAGE_DEVICE_TTL_SECONDS", default_value_t = 3600)]
    pub device_ttl_seconds: u64,
    /// Any device unused this long expires (default 90 days).
    #[arg(
        long,
        env = "HOT_STORAGE_DEVICE_IDLE_SECONDS",
        default_value_t = crate::settings::DEFAULT_DEVICE_IDLE_SECONDS
    )]
    pub device_idle_seconds: u64,
    /// Most live devices per wallet (the recovery pair is not a device).
    #[arg(
        long,
        env = "HOT_STORAGE_MAX_DEVICES_PER_WALLET",
        default_value_t = crate::settings::DEFAULT_MAX_DEVICES_PER_WALLET
    )]
    pub max_devices_per_wallet: u32,
    /// How often expired devices are deleted.
    #[arg(long, env = "HOT_STORAGE_SWEEP_INTERVAL_SECONDS", default_value_t = 60)]
    pub sweep_interval_seconds: u64,
    /// Folder of the iFrame's static files, served at `/`.
    #[arg(long, env = "HOT_STORAGE_STATIC_DIR", default_value = "iframe-host")]
    pub static_dir: PathBuf,
    /// JSON file of the chains the iFrame serves (`{ "chains": [EIP-3085
    /// objects] }`, the first is the default); default: the built-in list.
    #[arg(long = "chains", env = "HOT_STORAGE_CHAINS_FILE", value_name = "FILE")]
    pub chains_file: Option<PathBuf>,
    /// JSON token list (Uniswap format) served at /v2/tokens and shown on
    /// the approval screen; default: the built-in list.
    #[arg(long = "tokens", env = "HOT_STORAGE_TOKENS_FILE", value_name = "FILE")]
    pub tokens_file: Option<PathBuf>,
    /// The operator's policy (docs/policy.md): what may be signed without
    /// the consent screen, what needs approval, what is never signed.
    /// Checked at start (a bad file stops the service, naming the rule and
    /// the field) and reloaded on SIGHUP (a bad file then keeps the policy
    /// in force and logs why). Default: ask about everything.
    #[arg(
        long = "policy-file",
        env = "HOT_STORAGE_POLICY_FILE",
        value_name = "FILE"
    )]
    pub policy_file: Option<PathBuf>,
    /// How long the activity log (docs/policy.md, "Activity") keeps an
    /// entry; older ones are deleted by the sweeper.
    #[arg(
        long,
        env = "HOT_STORAGE_ACTIVITY_RETENTION_DAYS",
        default_value_t = crate::settings::DEFAULT_ACTIVITY_RETENTION_DAYS
    )]
    pub activity_retention_days: u64,
    /// The approval webhook (docs/policy.md, "Approval webhook"): where hot
    /// storage asks whether a request an `approve` rule decided may go
    /// ahead. https, or http to a loopback host; redirects are not
    /// followed. Needs `--approval-secret`. Default: none (an `approve`
    /// rule then refuses).
    #[arg(long, env = "HOT_STORAGE_APPROVAL_URL", value_name = "URL")]
    pub approval_url: Option<String>,
    /// The webhook's shared secret, `whsec_<base64 of 24 to 64 random
    /// bytes>` (Standard Webhooks). Prefer the environment variable: a flag
    /// shows in the process list. Never logged.
    #[arg(
        long,
        env = "KEYFRAME_APPROVAL_SECRET",
        hide_env_values = true,
        value_name = "SECRET"
    )]
    pub approval_secret: Option<SecretArg>,
    /// How long to wait for the webhook's answer, in milliseconds; no
    /// answer by then refuses the request.
    #[arg(
        long,
        env = "HOT_STORAGE_APPROVAL_TIMEOUT_MS",
        default_value_t = 5000,
        value_parser = clap::value_parser!(u64).range(100..=600_000)
    )]
    pub approval_timeout_ms: u64,
    #[command(flatten)]
    pub common: CommonArgs,
}

/// A flag's value that is a secret: kept as given, zeroized on drop, and
/// out of `Debug` output. Checked by the settings, not by clap, whose
/// errors repeat the value.
#[derive(Clone)]
pub struct SecretArg(zeroize::Zeroizing<String>);

impl From<String> for SecretArg {
    fn from(text: String) -> Self {
        SecretArg(zeroize::Zeroizing::new(text))
    }
}

impl std::fmt::Debug for SecretArg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretArg(<redacted>)")
    }
}

#[derive(Parser, Debug)]
#[command(
    name = "shield-service",
    version,
    about = "Keyframe Shield: cold-share storage (/v1/cold-shares)"
)]
pub struct ShieldCli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Address to listen on.
    #[arg(long, env = "SHIELD_LISTEN", default_value = "127.0.0.1:8788")]
    pub listen: SocketAddr,
    /// Database URL (default sqlite://DATA_DIR/shield.db?mode=rwc).
    #[arg(long, env = "SHIELD_DATABASE_URL")]
    pub database_url: Option<String>,
    /// Sealing key(s) `KID:BASE64(32 bytes)`, first = current.
    #[arg(
        long = "sealing-key",
        env = "SHIELD_SEALING_KEYS",
        value_delimiter = ',',
        hide_env_values = true
    )]
    pub sealing_keys: Vec<String>,
    /// File of sealing keys, one `KID:BASE64` per line.
    #[arg(long, env = "SHIELD_SEALING_KEY_FILE")]
    pub sealing_key_file: Option<PathBuf>,
    /// The provider origin (iFrame), the only origin CORS allows.
    #[arg(
        long,
        env = "KEYFRAME_PROVIDER_ORIGIN",
        default_value = "http://127.0.0.1:8787"
    )]
    pub provider_origin: String,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Subcommand, Debug, Clone)]
pub enum Command {
    /// Serve the API (the default).
    Serve,
    /// Re-seal every stored share under the current key, then exit.
    /// `--new-key KID:BASE64` makes that key current for this run (the
    /// configured keys still open old rows); afterwards configure it first
    /// and drop the old key.
    Reseal {
        #[arg(long)]
        new_key: Option<String>,
    },
    /// Print a fresh random sealing key `KID:BASE64` and exit.
    GenerateKey {
        #[arg(long, default_value = "k1")]
        id: String,
    },
    /// Measure what checking one DPoP proof costs on this machine (the
    /// signature and claims, without the replay record) and print it as
    /// JSON: `{ "proofs", "microsPerProof" }`.
    MeasureDpop {
        #[arg(long, default_value_t = 2000)]
        proofs: u32,
    },
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

impl HotCli {
    pub fn settings(&self) -> anyhow::Result<Settings> {
        let mut s = self.common.settings(Service::Hot)?;
        s.allowed_origins = parse_allowed_origins(&self.allowed_origins)?;
        s.shield_url = self.shield_url.clone();
        s.device_ttl = Duration::from_secs(self.device_ttl_seconds.max(1));
        s.device_idle = Duration::from_secs(self.device_idle_seconds.max(1));
        s.max_devices_per_wallet = self.max_devices_per_wallet.max(1);
        s.sweep_interval = Duration::from_secs(self.sweep_interval_seconds.max(1));
        s.static_dir = self.static_dir.clone();
        s.catalog = Catalog::load(self.chains_file.as_deref(), self.tokens_file.as_deref())?;
        s.policy = std::sync::Arc::new(crate::policy_file::PolicyFile::load(
            self.policy_file.as_deref(),
        )?);
        s.activity_retention = Duration::from_secs(
            self.activity_retention_days
                .max(1)
                .saturating_mul(24 * 3600),
        );
        s.approver = crate::approval::configure(
            self.approval_url.as_deref(),
            self.approval_secret.as_ref().map(|s| s.0.as_str()),
            Duration::from_millis(self.approval_timeout_ms),
        )?;
        if let Some(a) = &s.approver
            && a.timeout() >= s.request_timeout
        {
            bail!(
                "--approval-timeout-ms {} must be shorter than --request-timeout-seconds {}: \
                 a request for a share waits for the webhook within its own time",
                self.approval_timeout_ms,
                s.request_timeout.as_secs()
            );
        }
        Ok(s)
    }
}

impl ShieldCli {
    pub fn settings(&self) -> anyhow::Result<Settings> {
        let mut s = self.common.settings(Service::Shield)?;
        s.provider_origin =
            origin(&self.provider_origin).unwrap_or_else(|| self.provider_origin.clone());
        Ok(s)
    }
}

/// What a binary needs after parsing its flags.
pub struct Launch {
    pub service: Service,
    pub command: Option<Command>,
    pub settings: Settings,
    pub database_url: String,
    pub listen: SocketAddr,
    pub log_json: bool,
    /// Where traces go (`--otlp-endpoint`), if anywhere.
    pub otlp_endpoint: Option<String>,
    sealing_keys: Vec<String>,
    sealing_key_file: Option<PathBuf>,
    dev: bool,
    data_dir: PathBuf,
}

impl Launch {
    /// Parses the command line (and environment) of `service`'s binary; an
    /// error for settings the service refuses to start with.
    pub fn parse(service: Service) -> anyhow::Result<Launch> {
        Ok(match service {
            Service::Hot => {
                let cli = HotCli::parse();
                let settings = cli.settings()?;
                Launch::new(
                    service,
                    cli.command,
                    settings,
                    cli.database_url,
                    cli.listen,
                    cli.common,
                    cli.sealing_keys,
                    cli.sealing_key_file,
                    "hot-storage.db",
                )
            }
            Service::Shield => {
                let cli = ShieldCli::parse();
                let settings = cli.settings()?;
                Launch::new(
                    service,
                    cli.command,
                    settings,
                    cli.database_url,
                    cli.listen,
                    cli.common,
                    cli.sealing_keys,
                    cli.sealing_key_file,
                    "shield.db",
                )
            }
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn new(
        service: Service,
        command: Option<Command>,
        settings: Settings,
        given_url: Option<String>,
        listen: SocketAddr,
        common: CommonArgs,
        sealing_keys: Vec<String>,
        sealing_key_file: Option<PathBuf>,
        db_file: &str,
    ) -> Launch {
        Launch {
            service,
            command,
            settings,
            database_url: database_url(&given_url, &common.data_dir, db_file),
            listen,
            log_json: common.log_json,
            otlp_endpoint: common.otlp_endpoint,
            sealing_keys,
            sealing_key_file,
            dev: common.dev,
            data_dir: common.data_dir,
        }
    }

    /// The keyring the flags describe (see [`load_keyring`]).
    pub fn load_keyring(&self) -> anyhow::Result<Keyring> {
        load_keyring(
            &self.sealing_keys,
            &self.sealing_key_file,
            self.dev,
            &self.data_dir,
            self.service,
        )
    }
}

/// The database URL, defaulting to a SQLite file in the data folder.
pub fn database_url(given: &Option<String>, data_dir: &Path, file: &str) -> String {
    given
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}?mode=rwc", data_dir.join(file).display()))
}

/// Loads the keyring: `--sealing-key`s, then the key file; with `--dev` and
/// no key, a generated key kept in `DATA_DIR/<service>.sealing-key`.
pub fn load_keyring(
    keys: &[String],
    key_file: &Option<PathBuf>,
    dev: bool,
    data_dir: &Path,
    service: Service,
) -> anyhow::Result<Keyring> {
    let mut out: Vec<SealKey> = keys
        .iter()
        .filter(|k| !k.trim().is_empty())
        .map(|k| SealKey::parse(k))
        .collect::<anyhow::Result<_>>()?;
    if let Some(f) = key_file {
        out.extend(Keyring::read_file(f)?);
    }
    if out.is_empty() {
        if !dev {
            bail!(
                "no sealing key configured: pass --sealing-key KID:BASE64 (or a key file); \
                 `{} generate-key` prints one. Only --dev generates a key by itself.",
                service.binary()
            );
        }
        let path = data_dir.join(format!("{}.sealing-key", service.name()));
        if !path.exists() {
            std::fs::create_dir_all(data_dir)
                .with_context(|| format!("creating {}", data_dir.display()))?;
            let key = SealKey::generate("dev1")?;
            write_private(&path, key.to_spec().as_bytes())?;
            tracing::warn!(path = %path.display(), "--dev: generated a sealing key; never use --dev in production");
        }
        out = Keyring::read_file(&path)?;
    }
    Keyring::new(out)
}

fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    f.write_all(bytes)?;
    f.write_all(b"\n")?;
    Ok(())
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
    use super::*;

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

    #[test]
    fn origins_are_scheme_host_port_only() {
        assert_eq!(
            origin("https://a.example/path?q=1").as_deref(),
            Some("https://a.example")
        );
        assert_eq!(
            origin(" http://127.0.0.1:3000/ ").as_deref(),
            Some("http://127.0.0.1:3000")
        );
        // The default port is dropped, as browsers write origins.
        assert_eq!(
            origin("https://a.example:443").as_deref(),
            Some("https://a.example")
        );
        assert_eq!(origin("bad; script-src *"), None);
        assert_eq!(origin("javascript:alert(1)"), None);
        assert_eq!(origin(""), None);
    }

    fn hot(args: &[&str]) -> anyhow::Result<Settings> {
        let mut argv = vec!["hot-storage-service"];
        argv.extend_from_slice(args);
        HotCli::try_parse_from(argv).unwrap().settings()
    }

    #[test]
    fn allowed_origins_must_be_exact_origins() {
        // Start-up refuses (it used to warn and drop the entry), naming every
        // bad entry in one message.
        let err = hot(&[
            "--allowed-origins",
            "http://127.0.0.1:3000,*,https://a.example/x",
        ])
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("must be a comma-separated list of exact origins"),
            "{err}"
        );
        assert!(
            err.contains("\"*\"") && err.contains("\"https://a.example/x\""),
            "{err}"
        );
        let s = hot(&[
            "--allowed-origins",
            " http://127.0.0.1:3000 ,,http://127.0.0.1:3000,https://a.example",
        ])
        .unwrap();
        assert_eq!(
            s.allowed_origins,
            ["http://127.0.0.1:3000", "https://a.example"]
        );
    }

    #[test]
    fn jwks_url_must_be_https_except_on_loopback() {
        for good in [
            "https://dapp.example/.well-known/jwks.json",
            "http://127.0.0.1:3000/.well-known/jwks.json",
            "http://127.0.0.2/jwks.json",
            "http://[::1]:3000/jwks.json",
            "http://localhost:3000/jwks.json",
        ] {
            assert!(crate::auth::check_jwks_url(good).is_ok(), "{good}");
            assert!(hot(&["--jwks-url", good]).is_ok(), "{good}");
        }
        for bad in [
            "http://dapp.example/.well-known/jwks.json",
            "http://10.0.0.1/jwks.json",
            "http://127.0.0.1.evil.example/jwks.json",
            "ftp://dapp.example/jwks.json",
            "not a url",
        ] {
            assert!(crate::auth::check_jwks_url(bad).is_err(), "{bad}");
            let err = hot(&["--jwks-url", bad]).unwrap_err().to_string();
            assert!(err.contains("JWKS URL"), "{bad}: {err}");
            let shield = ShieldCli::try_parse_from(["shield-service", "--jwks-url", bad])
                .unwrap()
                .settings();
            assert!(shield.is_err(), "{bad}");
        }
    }

    #[test]
    fn trusted_proxies_are_cidrs_or_addresses() {
        let s = hot(&["--trusted-proxies", "10.0.0.0/8, 192.0.2.1,fd00::/8"]).unwrap();
        let nets: Vec<String> = s.trusted_proxies.iter().map(|n| n.to_string()).collect();
        assert_eq!(nets, ["10.0.0.0/8", "192.0.2.1/32", "fd00::/8"]);
        assert!(hot(&[]).unwrap().trusted_proxies.is_empty());
        let err = hot(&["--trusted-proxies", "10.0.0.0/33"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("--trusted-proxies"), "{err}");
    }

    #[test]
    fn defaults_are_sized_for_a_person() {
        let s = hot(&[]).unwrap();
        assert_eq!((s.rate.user_per_second, s.rate.user_burst), (10, 30));
        assert_eq!(s.max_devices_per_wallet, 20);
        assert_eq!(s.device_idle, Duration::from_secs(90 * 24 * 3600));
        let d = Settings::defaults(Service::Hot, "http://127.0.0.1:3000/jwks.json");
        assert_eq!((d.rate.user_per_second, d.rate.user_burst), (10, 30));
        assert_eq!(d.max_devices_per_wallet, 20);
        assert_eq!(d.device_idle, s.device_idle);
    }
}
