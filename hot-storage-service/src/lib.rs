//! Keyframe hot-storage service and Shield (cold-storage) service.
//!
//! One library, two binaries (`hot-storage-service`, `shield-service`). Each
//! binary parses its configuration ([`config`]) and calls [`server::serve`]
//! with the router built by [`hot::app`] or [`shield::app`]. The wire contract
//! is `docs/api.md`; the operational notes are `docs/services.md`.

pub mod auth;
pub mod config;
pub mod db;
pub mod error;
pub mod extract;
pub mod hot;
pub mod limits;
pub mod metrics;
pub mod openapi;
pub mod reseal;
pub mod run;
pub mod seal;
pub mod server;
pub mod shield;
pub mod static_files;
pub mod types;
