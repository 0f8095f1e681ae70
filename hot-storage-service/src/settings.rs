//! Which service a process is and everything configurable at run time.
//!
//! Built by the binaries from flags (`config/`) and by tests directly. This
//! module knows neither service's routes nor schema.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::approval::Approver;
use crate::auth::JwtSettings;
use crate::catalog::Catalog;
use crate::dpop::DpopSettings;
use crate::limits::RateSettings;
use crate::policy_file::PolicyFile;

/// Default idle limit of a device: 90 days.
pub const DEFAULT_DEVICE_IDLE_SECONDS: u64 = 90 * 24 * 3600;

/// Default retention of the activity log: 90 days.
pub const DEFAULT_ACTIVITY_RETENTION_DAYS: u64 = 90;

/// Default cap on live devices per wallet.
pub const DEFAULT_MAX_DEVICES_PER_WALLET: u32 = 20;

/// Which of the two services a process is. Its name is part of every AAD.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    Hot,
    Shield,
}

impl Service {
    pub fn name(self) -> &'static str {
        match self {
            Service::Hot => "hot",
            Service::Shield => "shield",
        }
    }

    /// The `aud` this service requires by default. Each service has its
    /// own, so a token issued for one is refused by the other (and by the
    /// dApp's own endpoints): whoever sees a request at one service cannot
    /// replay its token at another.
    pub fn default_audience(self) -> &'static str {
        match self {
            Service::Hot => "keyframe-hot-storage",
            Service::Shield => "keyframe-shield",
        }
    }

    /// Where browsers reach this service by default (`--public-url`).
    pub fn default_public_url(self) -> &'static str {
        match self {
            Service::Hot => "http://127.0.0.1:8787",
            Service::Shield => "http://127.0.0.1:8788",
        }
    }

    /// The binary's name (for messages that tell the operator what to run).
    pub fn binary(self) -> &'static str {
        match self {
            Service::Hot => "hot-storage-service",
            Service::Shield => "shield-service",
        }
    }
}

/// Everything configurable at run time.
#[derive(Debug, Clone)]
pub struct Settings {
    pub service: Service,
    pub jwt: JwtSettings,
    /// Sender-constrained tokens (crate::dpop).
    pub dpop: DpopSettings,
    /// Database pool size; 0 = automatic (4 for SQLite, 16 for PostgreSQL).
    pub db_max_connections: u32,
    pub body_limit: usize,
    pub request_timeout: Duration,
    pub concurrency_limit: usize,
    pub rate: RateSettings,
    /// Peers whose `X-Forwarded-For` the per-IP limit believes (limits.rs).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Hot storage: dApp origins allowed to embed the iFrame.
    pub allowed_origins: Vec<String>,
    /// Hot storage: the Shield origin the iFrame may connect to.
    pub shield_url: String,
    /// Hot storage: lifetime of an ephemeral device after its last use.
    pub device_ttl: Duration,
    /// Hot storage: any device unused this long expires (docs/services.md).
    pub device_idle: Duration,
    /// Hot storage: most live devices per wallet (the recovery pair is not
    /// a device).
    pub max_devices_per_wallet: u32,
    /// Hot storage: how often expired rows are deleted.
    pub sweep_interval: Duration,
    /// Hot storage: the iFrame's static files.
    pub static_dir: PathBuf,
    /// Hot storage: the chains and tokens it serves (`--chains`,
    /// `--tokens`; catalog.rs).
    pub catalog: Catalog,
    /// Hot storage: the operator's policy (`--policy-file`; reloaded on
    /// SIGHUP, so shared rather than copied).
    pub policy: Arc<PolicyFile>,
    /// Hot storage: the operator's approval webhook (`--approval-url`);
    /// none: a request whose effect is `approve` is refused.
    pub approver: Option<Arc<Approver>>,
    /// Hot storage: how long the activity log keeps an entry
    /// (`--activity-retention-days`).
    pub activity_retention: Duration,
    /// Tests only (feature `test-approver`): answers in place of the
    /// webhook, so the approval paths can be tested without one.
    #[cfg(feature = "test-approver")]
    pub test_approver: Option<TestApprover>,
    /// Shield: the only origin CORS allows.
    pub provider_origin: String,
}

/// A fixed answer in place of the approval webhook (feature
/// `test-approver`, never in a release build).
#[cfg(feature = "test-approver")]
#[derive(Clone)]
#[allow(clippy::type_complexity)]
pub struct TestApprover(
    pub  Arc<
        dyn Fn(&crate::approval::ApprovalCall<'_>) -> crate::approval::ApprovalOutcome
            + Send
            + Sync,
    >,
);

#[cfg(feature = "test-approver")]
impl std::fmt::Debug for TestApprover {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TestApprover")
    }
}

impl Settings {
    /// The documented defaults for `service`, trusting `jwks_url`.
    pub fn defaults(service: Service, jwks_url: &str) -> Self {
        Settings {
            service,
            jwt: JwtSettings {
                jwks_url: jwks_url.to_string(),
                issuer: "http://127.0.0.1:3000".into(),
                audience: service.default_audience().into(),
                cache_ttl: Duration::from_secs(300),
                min_refetch_interval: Duration::from_secs(10),
            },
            dpop: DpopSettings {
                required: true,
                window_secs: 60,
                public_url: service.default_public_url().into(),
            },
            db_max_connections: 0,
            body_limit: 16 * 1024,
            request_timeout: Duration::from_secs(10),
            concurrency_limit: 1024,
            rate: RateSettings {
                ip_per_second: 2000,
                ip_burst: 4000,
                // Sized for a person: a browser flow makes a handful of
                // requests per action (docs/services.md, "Limits and errors").
                user_per_second: 10,
                user_burst: 30,
            },
            trusted_proxies: Vec::new(),
            allowed_origins: vec!["http://127.0.0.1:3000".into()],
            shield_url: "http://127.0.0.1:8788".into(),
            device_ttl: Duration::from_secs(3600),
            device_idle: Duration::from_secs(DEFAULT_DEVICE_IDLE_SECONDS),
            max_devices_per_wallet: DEFAULT_MAX_DEVICES_PER_WALLET,
            sweep_interval: Duration::from_secs(60),
            static_dir: PathBuf::from("iframe-host"),
            catalog: Catalog::embedded(),
            policy: Arc::new(PolicyFile::default()),
            approver: None,
            activity_retention: Duration::from_secs(DEFAULT_ACTIVITY_RETENTION_DAYS * 24 * 3600),
            #[cfg(feature = "test-approver")]
            test_approver: None,
            provider_origin: "http://127.0.0.1:8787".into(),
        }
    }

    /// The pool size for `database_url` (0 = automatic).
    pub fn pool_size(&self, database_url: &str) -> u32 {
        match self.db_max_connections {
            0 if database_url.starts_with("sqlite:") => 4,
            0 => 16,
            n => n,
        }
    }
}
