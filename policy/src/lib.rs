//! Keyframe's policy language: what may be signed without a person, what
//! needs the approval webhook, what is never signed.
//!
//! This crate owns the policy document ([`Document`], version 1), its
//! checking ([`Policy`]: errors name the rule and the field), the
//! canonical intent a policy judges ([`Intent`]: the policy's view of one
//! decoded request), the evaluator ([`evaluate`]: layers, precedence,
//! rolling-window limits over usage the caller passes in;
//! [`evaluate_with_parts`]: a batch, as its whole and its parts) and its answer
//! ([`Evaluation`]). It has no I/O and no clock, so the same code runs in
//! the iFrame (wasm32) and at hot storage; `src/bin/keyframe-policy.rs`
//! is the operator's CLI. docs/policy.md is the reference.
#![forbid(unsafe_code)]

mod amount;
mod compile;
mod conditions;
mod decode;
pub mod document;
mod encode;
mod eval;
mod intent;
mod syntax;
mod window;

pub use amount::Amount;
pub use compile::{MAX_ID_CHARS, MAX_LIMITS, MAX_LIST, MAX_RULES, Policy};
pub use document::{Document, Effect};
pub use eval::{Evaluation, Layers, RuleRef, RuleResult, evaluate, evaluate_with_parts};
pub use intent::{Approval, Intent, Kind, TokenTransfer, TypedData};
pub use syntax::MAX_WINDOW_SECS;
pub use window::{Layer, TokenAmount, Usage, bucket_secs};

/// Why a policy or a request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The document is not JSON, or not an object.
    #[error("policy: {0}")]
    Syntax(String),
    /// A field of the document is wrong; `field` names the rule and the
    /// field (`rules[2] "small-usdc": when.token_transfers[0].at_most`).
    #[error("{field}: {message}")]
    Invalid {
        /// Where.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// A request (intent and usage) that is not one.
    #[error("request: {0}")]
    Request(String),
}

impl Error {
    /// A stable code: `POLICY_SYNTAX`, `POLICY_INVALID`, `BAD_REQUEST`.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Syntax(_) => "POLICY_SYNTAX",
            Error::Invalid { .. } => "POLICY_INVALID",
            Error::Request(_) => "BAD_REQUEST",
        }
    }
}
