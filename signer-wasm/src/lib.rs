//! Keyframe signer.
//!
//! The core (every module but `web`) is pure Rust: it owns wallet secrets,
//! Shamir shares, recovery envelopes and signing, and `flows` runs the share
//! protocols (create, recover, sign-then-refresh, set-recovery, revoke,
//! export) over small traits for the services and the device store. It is
//! tested natively (the flows against the real services) and as wasm32.
//! `web` (wasm32 only) is the thin layer that implements those traits with
//! the browser's APIs and dispatches the host page's requests.
#![forbid(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod authority;
pub mod backup;
pub mod chains;
pub mod consent;
pub mod dpop;
pub mod error;
pub mod evm;
pub mod flows;
pub mod handover;
pub mod intent;
mod mnemonic;
pub mod params;
pub mod recovery;
pub mod secret;
pub mod shares;
pub mod signing;
pub mod solana;
pub mod wallet;

#[cfg(target_arch = "wasm32")]
pub mod web;

pub use error::{Error, Reason, Result};
