//! Hot storage's command line (`HOT_STORAGE_*`): listen address, database
//! and sealing keys, allowed origins, devices, static files and catalog,
//! the operator's policy and its approval webhook; and the settings they
//! describe on top of the common ones (`common.rs`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::bail;
use clap::Parser;

use super::command::Command;
use super::common::CommonArgs;
use crate::catalog::Catalog;
use crate::checks::parse_allowed_origins;
use crate::settings::{Service, Settings};
use keyframe_wire::webhook::SecretArg;

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
            self.approval_secret.as_ref().map(|s| s.expose()),
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
#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    // Not `super::*` (tests/module_graph.rs reads that as `config`).
    use crate::checks::origin;
    use crate::config::hot::*;
    use crate::config::shield::ShieldCli;

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
