//! The operator's approval webhook (`--approval-url`, docs/policy.md,
//! "Approval webhook"): asks it about a request whose policy effect is
//! `approve`.
//!
//! STAND-IN: this file only fixes the interface hot storage calls
//! (crate::hot::policy_routes). The webhook itself (Standard Webhooks
//! signing, timeout, answer checks) is built separately and replaces this
//! file; until then no approver is configured and [`Approver::ask`]
//! answers [`ApprovalOutcome::NotConfigured`].

use keyframe_policy::{Intent, RuleRef};
use keyframe_wire::{DeviceId, WalletId};

/// The webhook's address, secret and timeout.
#[derive(Debug, Default)]
pub struct Approver {
    _private: (),
}

/// What hot storage tells the webhook about one request.
#[derive(Debug)]
pub struct ApprovalCall<'a> {
    /// Names this evaluation; the webhook's yes must repeat it, and
    /// `recover` honours it once (docs/api.md).
    pub evaluation_id: &'a str,
    pub intent: &'a Intent,
    /// The user as hot storage keys users: the token's iss and sub.
    pub user: &'a str,
    pub wallet: WalletId,
    pub device: Option<DeviceId>,
    /// The rule whose effect is `approve` (none: the policy's default).
    pub rule: Option<&'a RuleRef>,
}

/// The webhook's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApprovalOutcome {
    /// A 2xx `{ "approved": true, "evaluationId": … }` in time.
    Approved,
    /// A no, with the reason the user can read.
    Refused(String),
    /// No answer within the timeout.
    TimedOut,
    /// An answer that is not one (bad signature, wrong id, not JSON).
    Invalid(String),
    /// This service has no approval webhook.
    NotConfigured,
}

impl Approver {
    /// Asks the webhook about `call`.
    pub async fn ask(&self, call: &ApprovalCall<'_>) -> ApprovalOutcome {
        let _ = call;
        ApprovalOutcome::NotConfigured
    }
}
