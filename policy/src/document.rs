//! The policy document as written (JSON, `version: 1`): what each field
//! is called and holds. Strings stay strings here; [`crate::Policy`]
//! checks and compiles them, so an error can name the rule and the field.
//! docs/policy.md is the prose form of this module and
//! docs/policy.schema.json its JSON Schema.

use crate::Kind;
use serde::{Deserialize, Serialize};

/// What a rule (or the default) decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    /// Sign without the consent screen.
    Allow,
    /// Show the consent screen.
    Ask,
    /// The approval webhook must say yes, then the screen (unless `silent`).
    Approve,
    /// Refuse (`POLICY_DENIED`); nothing is signed.
    Deny,
}

impl Effect {
    /// Strictness: allow < ask < approve < deny.
    pub fn rank(self) -> u8 {
        match self {
            Effect::Allow => 0,
            Effect::Ask => 1,
            Effect::Approve => 2,
            Effect::Deny => 3,
        }
    }

    /// The name used in policies.
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::Allow => "allow",
            Effect::Ask => "ask",
            Effect::Approve => "approve",
            Effect::Deny => "deny",
        }
    }
}

/// A whole policy document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Document {
    /// The format version; this build reads 1.
    pub version: u32,
    /// What happens when no rule matches.
    pub default: Effect,
    /// The rules, in order.
    #[serde(default)]
    pub rules: Vec<Rule>,
}

/// One rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Unique within the document; named by evaluations and errors.
    pub id: String,
    /// What the rule decides when it matches.
    pub effect: Effect,
    /// `approve` only: the webhook's yes is enough, no screen after it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub silent: bool,
    /// The conditions, all of which must hold; absent matches every
    /// request.
    #[serde(default)]
    pub when: When,
    /// Rolling-window limits; the rule stops matching once a request
    /// would take it over one of them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub limits: Vec<Limit>,
}

/// The conditions of a rule. Every present field must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct When {
    /// The request kind is one of these.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kinds: Option<Vec<Kind>>,
    /// The EVM chain id is one of these.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chains: Option<Vec<u64>>,
    /// The embedding origin is one of these (exact, e.g.
    /// `https://app.example`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origins: Option<Vec<String>>,
    /// The intent's `to` is one of these.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Vec<String>>,
    /// The intent has a `to` and it is none of these.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_to: Option<Vec<String>>,
    /// The request calls a contract (it has a selector) and its `to` is
    /// one of these.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_contracts: Option<Vec<String>>,
    /// The call's selector is one of these (`0xa9059cbb`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selectors: Option<Vec<String>>,
    /// `true`: the request calls a contract function (it has a selector);
    /// `false`: it calls none (a plain transfer of value, or no EVM call
    /// at all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contract_call: Option<bool>,
    /// Native value at most this (wei, decimal string).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_at_most: Option<String>,
    /// Native value at least this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_at_least: Option<String>,
    /// The request moves tokens, and every movement matches one of these.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_transfers: Option<Vec<TokenMatch>>,
    /// The request makes at most this many token movements (entries of
    /// the intent's `token_transfers`; none holds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_transfer_count_at_most: Option<u64>,
    /// `true`: the request grants at least one approval; `false`: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approvals: Option<bool>,
    /// The request grants approvals and every spender is one of these.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spenders: Option<Vec<String>>,
    /// The request grants an approval to a spender that is none of these.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spenders_not_in: Option<Vec<String>>,
    /// Every approval's amount is at most this (an approval of every
    /// token of a collection never is).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval_at_most: Option<String>,
    /// Typed data whose domain and primary type match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub typed_data: Option<TypedMatch>,
    /// A SIWE message whose domain is one of these (case-insensitive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub siwe_domains: Option<Vec<String>>,
    /// `true`: a sign-in (EIP-4361) message; `false`: anything else.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub siwe: Option<bool>,
    /// A Solana transaction whose every program id is one of these.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub programs: Option<Vec<String>>,
    /// Lamports moved at most this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lamports_at_most: Option<String>,
    /// Lamports moved at least this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lamports_at_least: Option<String>,
    /// The most the request can pay in fees (the intent's `max_fee`, wei
    /// or lamports) is at most this; an unknown fee never is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fee_at_most: Option<String>,
    /// The time of day (UTC) is inside this range.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_of_day: Option<TimeOfDay>,
    /// The rule holds until this instant (Unix seconds), exclusive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<u64>,
}

/// What one token movement must look like.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenMatch {
    /// The token contract or mint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// The recipient is one of these.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Vec<String>>,
    /// At most this many base units.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_most: Option<String>,
    /// At least this many base units.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_least: Option<String>,
}

/// What a typed-data request's domain and primary type must be.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TypedMatch {
    /// `domain.name` is one of these (exact).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub names: Option<Vec<String>>,
    /// `domain.verifyingContract` is one of these.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verifying_contracts: Option<Vec<String>>,
    /// `primaryType` is one of these (exact).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_types: Option<Vec<String>>,
}

/// A UTC time-of-day range, `from` inclusive, `to` exclusive; it wraps
/// past midnight when `to` is earlier than `from` ("22:00" to "06:00").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeOfDay {
    /// "HH:MM".
    pub from: String,
    /// "HH:MM".
    pub to: String,
}

/// A rolling-window limit: exactly one measure per limit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limit {
    /// The window: "30m", "24h", "7d", "1w" (at most 366 days).
    pub window: String,
    /// Total native value (wei) over the window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_at_most: Option<String>,
    /// Total lamports over the window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lamports_at_most: Option<String>,
    /// Number of requests over the window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count_at_most: Option<u64>,
    /// The token whose total `amount_at_most` bounds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// Total base units of `token` over the window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount_at_most: Option<String>,
}
