//! Keyframe hot-storage service and Shield (cold-storage) service.
//!
//! One library, two binaries (`hot-storage-service`, `shield-service`),
//! each a few lines calling [`run::main`] with its [`settings::Service`].
//! The wire contract is `docs/api.md`; the operational notes are
//! `docs/services.md`.
//!
//! Layers (no module imports another in a circle; `tests/module_graph.rs`
//! checks it): `error`, `types`, `db`, `seal`, `extract`, `checks`, `dpop`
//! (RFC 9449 proof checks, no I/O), `statement` (several writes sent as one), `replay` (proofs used once, in the
//! database), `telemetry` (logs, OTLP traces) at the bottom;
//! `auth`, `authority` (over `extract` and `replay`), `limits`, `metrics`,
//! `approval` (the approval webhook client); `settings`; `state` (the shared state and its
//! substates); `server` (common middleware, serve loop); the services `hot`
//! and `shield` (each owns its store and handlers), `openapi`,
//! `static_files`; `policy_file` (the operator's policy, under `settings`);
//! `approval` (the operator's approval webhook, under `settings`);
//! `reseal`, `config`; `run` (the composition root).

#![forbid(unsafe_code)]

pub mod approval;
pub mod auth;
pub mod authority;
pub mod catalog;
pub mod checks;
pub mod config;
pub mod db;
pub mod dpop;
pub mod error;
pub mod extract;
pub mod group_commit;
pub mod hot;
pub mod limits;
pub mod metrics;
pub mod openapi;
pub mod policy_file;
pub mod replay;
pub mod reseal;
pub mod run;
pub mod seal;
pub mod server;
pub mod settings;
pub mod shield;
pub mod state;
pub mod statement;
pub mod static_files;
pub mod telemetry;
pub mod types;
