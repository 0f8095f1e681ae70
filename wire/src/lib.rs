//! Keyframe's wire formats, written once.
//!
//! Everything that crosses a trust boundary as JSON is defined here and
//! only here: the ids ([`WalletId`], [`DeviceId`], [`SplitId`]), the wallet
//! kind, the addresses, every request and response body of hot storage
//! ([`hot`]) and Shield ([`shield`]), the chain and token lists the
//! provider serves ([`catalog`]), the wallet-authority header and the
//! bytes it signs ([`authority`]), the services' error codes
//! ([`error`]), the policy simulator's bodies ([`policy`]), and the
//! iFrame's RPC reasons and method names ([`rpc`]), and the base64 every
//! one of them is written in ([`b64`]); with the `webhook`
//! feature, the Standard Webhooks signatures of the approval webhook
//! (`webhook`).
//! The services, the signer's web layer and the generated OpenAPI document
//! use these types; the host SDK's TypeScript types are generated from them
//! (iframe-host/sdk/src/wire.ts, checked by this crate's tests).
//!
//! Validation happens during deserialisation, so a handler or a flow never
//! sees an id that is not a UUID or a share blob over the limit. No I/O and
//! no cryptography live here (the EIP-55 checksum's Keccak-256, the
//! authority message's body hash and the `webhook` feature's HMAC aside).
//! docs/api.md is the prose form of this crate.
#![forbid(unsafe_code)]

mod addresses;
pub mod authority;
pub mod b64;
mod blob;
pub mod catalog;
mod decode;
mod encode;
pub mod error;
pub mod hot;
mod ids;
mod kind;
pub mod policy;
pub mod rpc;
#[cfg(feature = "openapi")]
mod schema;
pub mod shield;
#[cfg(test)]
mod ts;
#[cfg(feature = "webhook")]
pub mod webhook;

pub use addresses::Addresses;
pub use authority::AuthorityKey;
pub use blob::{Ciphertext, ShareBlob};
pub use ids::{DeviceId, IdError, SplitId, WalletId};
pub use kind::WalletKind;

/// Largest share envelope any format may produce, in bytes (the services'
/// limit and the signer's).
pub const SHARE_MAX_BYTES: usize = 512;
/// Largest cold-share ciphertext Shield accepts, in bytes.
pub const COLD_CIPHERTEXT_MAX_BYTES: usize = 4096;
/// Largest integer a JSON number carries exactly: the largest version.
pub const MAX_VERSION: u64 = (1 << 53) - 1;
/// Longest device label, in characters.
pub const LABEL_MAX_CHARS: usize = 64;

/// Checks a device label: at most [`LABEL_MAX_CHARS`] characters, no
/// control characters.
pub fn label_is_valid(label: &str) -> bool {
    label.chars().count() <= LABEL_MAX_CHARS && !label.chars().any(char::is_control)
}
