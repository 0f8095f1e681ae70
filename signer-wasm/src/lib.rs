//! Keyframe signer.
//!
//! The core (every module but `web`) is pure Rust with no I/O: it owns wallet
//! secrets, Shamir shares, recovery envelopes and signing. It is tested
//! natively and as wasm32. `web` (wasm32 only) is the thin layer that talks to
//! the host page, IndexedDB and the share services.
#![forbid(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod error;
pub mod evm;
pub mod intent;
pub mod recovery;
pub mod secret;
pub mod shares;
pub mod solana;
pub mod wallet;

#[cfg(target_arch = "wasm32")]
pub mod web;

pub use error::{Error, Result};
