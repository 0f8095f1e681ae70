//! From parsed flags to what a binary runs with ([`Launch`]): its
//! settings, database URL, log and trace options, and the sealing keyring
//! (given keys, a key file, or with `--dev` a generated one).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Parser;

use super::command::Command;
use super::common::CommonArgs;
use super::hot::HotCli;
use super::shield::ShieldCli;
use crate::seal::{Keyring, SealKey};
use crate::settings::{Service, Settings};

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
