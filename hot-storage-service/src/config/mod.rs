//! Command-line and environment configuration (clap derive; every flag has
//! an environment variable, shown in `--help`).
//!
//! Variables shared by both services (they trust the same dApp) start with
//! `KEYFRAME_`; per-service ones with `HOT_STORAGE_` or `SHIELD_`, so both
//! processes can run from one shell.
//!
//! * [`common`]: the flags both services take and the settings they make;
//! * [`hot`], [`shield`]: each service's own flags and settings;
//! * [`command`]: the subcommands;
//! * [`launch`]: parsed flags to what a binary runs with, and the keyring.

pub mod command;
pub mod common;
pub mod hot;
pub mod launch;
pub mod shield;

/// Re-exported for static_files.rs (CSP) and the Shield provider origin.
pub use crate::checks::origin;
pub use command::Command;
pub use common::CommonArgs;
pub use hot::HotCli;
pub use keyframe_wire::webhook::SecretArg;
pub use launch::{Launch, database_url, load_keyring};
pub use shield::ShieldCli;
