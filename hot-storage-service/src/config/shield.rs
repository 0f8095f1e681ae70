//! Shield's command line (`SHIELD_*`): listen address, database and
//! sealing keys, the provider origin; and the settings they describe on
//! top of the common ones (`common.rs`).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;

use super::command::Command;
use super::common::CommonArgs;
use crate::checks::origin;
use crate::settings::{Service, Settings};

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

impl ShieldCli {
    pub fn settings(&self) -> anyhow::Result<Settings> {
        let mut s = self.common.settings(Service::Shield)?;
        s.provider_origin =
            origin(&self.provider_origin).unwrap_or_else(|| self.provider_origin.clone());
        Ok(s)
    }
}
