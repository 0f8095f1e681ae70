//! Command-line and environment configuration.

pub use keyframe_wire::webhook::SecretArg;
use std::{net::SocketAddr, path::PathBuf};

use clap::Parser;

/// Keyframe sample dApp server.
///
/// Serves the sample dApp page and its API: sign-up and login (Argon2id
/// password hashes in SQLite), short-lived EdDSA (Ed25519) JWTs with a JWKS
/// endpoint for hot storage and Shield, the per-user automatic-recovery key,
/// a dev faucet and a narrow JSON-RPC proxy to the local Ethereum node.
///
/// Every flag can also be set through the environment variable shown.
#[derive(Debug, Clone, Parser)]
#[command(name = "sample-dapp", version, about, long_about)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "SAMPLE_DAPP_LISTEN", default_value = "127.0.0.1:3000")]
    pub listen: SocketAddr,

    /// Folder for the SQLite database and the key files (JWT signing key and
    /// recovery master key, both created on first start with mode 0600).
    /// Keep it private and back it up: losing the recovery master key makes
    /// automatic recovery impossible for every existing wallet.
    #[arg(
        long,
        env = "SAMPLE_DAPP_DATA_DIR",
        default_value = ".data/sample-dapp"
    )]
    pub data_dir: PathBuf,

    /// SQLite database URL [default: sqlite://<data-dir>/sample-dapp.sqlite?mode=rwc].
    #[arg(long, env = "SAMPLE_DAPP_DATABASE_URL")]
    pub database_url: Option<String>,

    /// JWT `iss` claim: the dApp's public origin. Hot storage and Shield
    /// scope every record to (iss, sub), and the recovery key is derived from
    /// it, so changing it orphans existing wallets.
    #[arg(
        long,
        env = "SAMPLE_DAPP_ISSUER",
        default_value = "http://127.0.0.1:3000"
    )]
    pub issuer: String,

    /// `aud` of this server's own session tokens (login, refresh, the
    /// recovery key, the faucet). Keyframe's services refuse them.
    #[arg(long, env = "SAMPLE_DAPP_AUDIENCE", default_value = "sample-dapp")]
    pub audience: String,

    /// `aud` of the tokens this server issues for hot storage.
    #[arg(
        long,
        env = "SAMPLE_DAPP_HOT_STORAGE_AUDIENCE",
        default_value = "keyframe-hot-storage"
    )]
    pub hot_storage_audience: String,

    /// `aud` of the tokens this server issues for Shield.
    #[arg(
        long,
        env = "SAMPLE_DAPP_SHIELD_AUDIENCE",
        default_value = "keyframe-shield"
    )]
    pub shield_audience: String,

    /// Lifetime of an issued token, in seconds (30..=86400).
    #[arg(long, env = "SAMPLE_DAPP_TOKEN_TTL_SECONDS", default_value_t = 900,
          value_parser = clap::value_parser!(u64).range(30..=86_400))]
    pub token_ttl_seconds: u64,

    /// Absolute lifetime of a session, in seconds, counted from the
    /// password login (the token's `auth_time`): no token expires later, and
    /// /api/auth/refresh refuses to extend it (60..=2592000).
    #[arg(long, env = "SAMPLE_DAPP_MAX_SESSION_SECONDS", default_value_t = 43_200,
          value_parser = clap::value_parser!(u64).range(60..=2_592_000))]
    pub max_session_seconds: u64,

    /// Folder with the sample dApp page, served at `/`.
    #[arg(long, env = "SAMPLE_DAPP_WEB_DIR", default_value = "sample-dapp/web")]
    pub web_dir: PathBuf,

    /// Folder with the built host SDK, served at `/sdk/`.
    #[arg(
        long,
        env = "SAMPLE_DAPP_SDK_DIR",
        default_value = "iframe-host/sdk/dist"
    )]
    pub sdk_dir: PathBuf,

    /// Origin of the Keyframe provider (iFrame + hot storage); the page's CSP
    /// allows framing only this origin.
    #[arg(
        long,
        env = "SAMPLE_DAPP_PROVIDER_ORIGIN",
        default_value = "http://127.0.0.1:8787"
    )]
    pub provider_origin: String,

    /// More origins whose pages may call `/api/*` from the browser (CORS):
    /// comma-separated exact origins (`scheme://host[:port]`), e.g. a
    /// developer's own page embedding Keyframe (docs/quickstart.md). None
    /// by default: then no CORS headers at all.
    #[arg(long, env = "SAMPLE_DAPP_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,

    /// EVM chain id the page should use (reported by GET /api/config).
    #[arg(long, env = "SAMPLE_DAPP_CHAIN_ID", default_value_t = 31_337)]
    pub chain_id: u64,

    /// JSON-RPC URL of the local Ethereum dev node (faucet and /api/rpc).
    #[arg(
        long,
        env = "SAMPLE_DAPP_RPC_URL",
        default_value = "http://127.0.0.1:8545"
    )]
    pub rpc_url: String,

    /// Timeout of one call to the Ethereum node, in seconds.
    #[arg(long, env = "SAMPLE_DAPP_RPC_TIMEOUT_SECONDS", default_value_t = 5)]
    pub rpc_timeout_seconds: u64,

    /// Amount the faucet sends to a new wallet, in wei (default 1 ETH).
    #[arg(
        long,
        env = "SAMPLE_DAPP_FAUCET_AMOUNT_WEI",
        default_value_t = 1_000_000_000_000_000_000
    )]
    pub faucet_amount_wei: u128,

    /// Minimum time between two faucet payouts to one user, in seconds.
    #[arg(
        long,
        env = "SAMPLE_DAPP_FAUCET_COOLDOWN_SECONDS",
        default_value_t = 60
    )]
    pub faucet_cooldown_seconds: u64,

    /// Sign-up and login attempts allowed per client IP per minute (each
    /// route separately; IPv6 clients are grouped by /64).
    #[arg(long, env = "SAMPLE_DAPP_AUTH_IP_PER_MINUTE", default_value_t = 30)]
    pub auth_ip_per_minute: u32,

    /// Sign-up and login attempts allowed per username per minute.
    #[arg(
        long,
        env = "SAMPLE_DAPP_AUTH_USERNAME_PER_MINUTE",
        default_value_t = 5
    )]
    pub auth_username_per_minute: u32,

    /// Faucet payouts allowed per client IP per hour, across all its users
    /// (IPv6 clients are grouped by /64).
    #[arg(long, env = "SAMPLE_DAPP_FAUCET_IP_PER_HOUR", default_value_t = 10)]
    pub faucet_ip_per_hour: u32,

    /// Calls to /api/rpc allowed per client IP per minute.
    #[arg(long, env = "SAMPLE_DAPP_RPC_IP_PER_MINUTE", default_value_t = 600)]
    pub rpc_ip_per_minute: u32,

    /// Requests taking longer than this many seconds are answered 503 TIMEOUT.
    #[arg(
        long,
        env = "SAMPLE_DAPP_REQUEST_TIMEOUT_SECONDS",
        default_value_t = 15
    )]
    pub request_timeout_seconds: u64,

    /// The approvals desk (README.md, "Operator policy"): hot storage's
    /// approval webhook shares this secret (`whsec_<base64>`, 24 to 64
    /// random bytes) to sign its requests and this server's answers. With
    /// it, `POST /approvals/webhook` takes requests and `GET /approvals`
    /// shows them to the operator; without it those routes answer 404.
    /// Prefer the environment variable: a flag shows in the process list.
    #[arg(
        long,
        env = "SAMPLE_DAPP_APPROVAL_SECRET",
        hide_env_values = true,
        value_name = "SECRET"
    )]
    pub approval_secret: Option<SecretArg>,
}

impl Config {
    /// The default configuration (flags absent; `SAMPLE_DAPP_*` environment
    /// variables still apply) with the given data folder. For tests and embedding.
    pub fn with_data_dir(data_dir: impl Into<PathBuf>) -> Self {
        let mut config = Self::parse_from(["sample-dapp"]);
        config.data_dir = data_dir.into();
        config
    }
}
