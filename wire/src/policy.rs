//! The policy simulator's bodies, `POST /v2/policy/simulate` (docs/api.md,
//! docs/policy.md): an intent (with past usage, an instant, and user rules
//! being drafted, all optional) in, the evaluation out. The intent, usage
//! and evaluation types are the `keyframe-policy` crate's, so hot storage,
//! the iFrame and the CLI read and write the same JSON.

use serde::{Deserialize, Serialize};

use crate::hot::RecoverRequest;
use crate::{DeviceId, SplitId, WalletId};

pub use keyframe_policy::{Document, Evaluation, Intent, RuleRef, Usage};

/// The first line of the message a user rule set is signed over.
pub const USER_RULES_DOMAIN: &str = "keyframe-user-rules-v1";
/// Largest user rule document hot storage keeps, in bytes of JSON.
pub const USER_RULES_MAX_BYTES: usize = 16 * 1024;
/// The most parts a recover request carries ([`RecoverWithIntent::parts`]):
/// the most transactions the iFrame signs in one batch
/// (`keyframe_signTransactions`). Hot storage refuses more (400
/// `BAD_REQUEST`).
pub const MAX_INTENT_PARTS: usize = 10;
/// How long an approval by the webhook may wait for its signature, in
/// seconds: an approval older than this is not honoured by `recover`.
pub const APPROVAL_TTL_SECS: u64 = 300;

/// `POST /v2/policy/simulate`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimulateRequest {
    /// The request, as the policy sees it.
    pub intent: Intent,
    /// Past usage of the rules' limits (default none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub usage: Vec<Usage>,
    /// Evaluate as of this instant (Unix seconds) instead of now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<u64>,
    /// User rules to evaluate beside the operator's policy (a rule set
    /// being drafted); checked like any policy document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_rules: Option<Document>,
}

/// `POST /v2/devices/recover` as hot storage reads it: the fields of
/// [`RecoverRequest`] and, when the share is for a signature, the intent
/// of that signature. Hot storage evaluates the operator's policy on it
/// before it releases the share (403 `POLICY_DENIED`). Its own struct
/// rather than a flattened `RecoverRequest`: serde's `flatten` would let
/// unknown fields through.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecoverWithIntent {
    /// As [`RecoverRequest::wallet`].
    pub wallet: WalletId,
    /// As [`RecoverRequest::device`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<DeviceId>,
    /// As [`RecoverRequest::version`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u64>,
    /// As [`RecoverRequest::split`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub split: Option<SplitId>,
    /// The intent of the signature the share is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intent: Option<Intent>,
    /// With `intent`, for a batch (`keyframe_signTransactions`): each of
    /// its transactions' intents, `intent` being the whole. Hot storage
    /// judges the strictest of the whole and the parts, as the iFrame does
    /// (`keyframe_policy::evaluate_with_parts`); usage is counted once, for
    /// the whole. At most [`MAX_INTENT_PARTS`]; absent (older iFrames)
    /// means none: the whole alone is judged.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<Intent>,
    /// When the policy's effect for `intent` is `approve`: the
    /// `evaluation_id` of the webhook's yes (`POST /v2/policy/approvals`),
    /// for the same user, wallet and intent, unused and at most
    /// [`APPROVAL_TTL_SECS`] old. Used once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval: Option<String>,
    /// With `intent`, required: whether the user approved this very
    /// request on the consent screen. Hot storage releases the share for
    /// a decision that needs the user's yes (`ask`, or `approve` without
    /// `silent`) only when it is true; otherwise 409 `POLICY_CHANGED`
    /// (the iFrame judged with older usage and showed no screen), and
    /// nothing is released, counted or logged (docs/policy.md, "Enforced
    /// twice"). Without `intent`: not judged, ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_screen: Option<bool>,
}

impl From<RecoverRequest> for RecoverWithIntent {
    /// The request without an intent; [`RecoverWithIntent::split_off`]
    /// gives it back.
    fn from(r: RecoverRequest) -> Self {
        RecoverWithIntent {
            wallet: r.wallet,
            device: r.device,
            version: r.version,
            split: r.split,
            intent: None,
            parts: Vec::new(),
            approval: None,
            on_screen: None,
        }
    }
}

impl RecoverWithIntent {
    /// The recover request and the intent with its parts, apart.
    pub fn split_off(self) -> (RecoverRequest, Option<Intent>, Vec<Intent>) {
        (
            RecoverRequest {
                wallet: self.wallet,
                device: self.device,
                version: self.version,
                split: self.split,
            },
            self.intent,
            self.parts,
        )
    }
}

/// `GET /v2/policy?wallet=<id>`: everything the iFrame evaluates a request
/// against before it rebuilds the key, the same inputs hot storage uses
/// when the share is asked for (docs/policy.md, "Enforced twice").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyState {
    /// The operator's policy in force.
    pub operator: Document,
    /// The user's rules for this wallet, as stored; the iFrame checks the
    /// signature itself and ignores (and reports) a set that fails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_rules: Option<SignedUserRules>,
    /// The user's usage of every rule's limits inside the longest window
    /// (all of the user's devices and tabs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub usage: Vec<Usage>,
    /// The server's clock, Unix seconds.
    pub now: u64,
}

/// The user's own rules (made on the consent screen, "Always allow this
/// from <origin>"), as the iFrame writes them and hot storage keeps them:
/// a policy document's JSON text signed with the wallet's authority key
/// (ed25519 over [`user_rules_message`], base64url without padding).
/// `PUT /v2/policy/user-rules` stores it (also with a `Keyframe-Authority`
/// header); `version` must grow, so an old set cannot be put back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedUserRules {
    pub wallet: WalletId,
    pub version: u64,
    /// The document, exactly the bytes signed.
    pub rules: String,
    pub signature: String,
}

impl SignedUserRules {
    /// The bytes [`SignedUserRules::signature`] is over.
    pub fn message(&self) -> Vec<u8> {
        user_rules_message(self.wallet, self.version, &self.rules)
    }
}

/// `keyframe-user-rules-v1 \n <wallet> \n <version> \n <rules>`.
pub fn user_rules_message(wallet: WalletId, version: u64, rules: &str) -> Vec<u8> {
    format!("{USER_RULES_DOMAIN}\n{wallet}\n{version}\n{rules}").into_bytes()
}

/// `POST /v2/policy/approvals`: asks the operator's approval webhook about
/// a request whose effect is `approve`, before the screen and before the
/// share is asked for.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApprovalRequest {
    pub wallet: WalletId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<DeviceId>,
    pub intent: Intent,
    /// A batch's transactions, `intent` being the whole: judged as at
    /// `recover` ([`RecoverWithIntent::parts`]), so a part that needs the
    /// webhook's yes gets it. At most [`MAX_INTENT_PARTS`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<Intent>,
}

/// The webhook said yes: `recover` honours `evaluation_id` once.
/// (A refusal, a late answer or a bad signature is 403 `POLICY_DENIED`
/// whose message the user can read.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApprovalResponse {
    pub evaluation_id: String,
    pub approved: bool,
    /// The deciding rule was `silent`: no screen after the yes.
    #[serde(default)]
    pub silent: bool,
}

/// What became of one request (docs/policy.md, "Activity").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// A rule (`allow`) let it through without the screen.
    Allowed,
    /// The user approved it on the consent screen.
    ApprovedOnScreen,
    /// The approval webhook said yes.
    ApprovedByWebhook,
    /// The user rejected it on the screen (reported by the iFrame).
    Rejected,
    /// A rule or the default denied it.
    Denied,
    /// The webhook said no (or answered something that is not a yes).
    RefusedByWebhook,
    /// The webhook did not answer in time.
    WebhookTimedOut,
}

impl Decision {
    /// Every decision, in the order of the enum.
    pub const ALL: [Decision; 7] = [
        Decision::Allowed,
        Decision::ApprovedOnScreen,
        Decision::ApprovedByWebhook,
        Decision::Rejected,
        Decision::Denied,
        Decision::RefusedByWebhook,
        Decision::WebhookTimedOut,
    ];

    /// The wire form, also the metrics label.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allowed => "allowed",
            Decision::ApprovedOnScreen => "approved_on_screen",
            Decision::ApprovedByWebhook => "approved_by_webhook",
            Decision::Rejected => "rejected",
            Decision::Denied => "denied",
            Decision::RefusedByWebhook => "refused_by_webhook",
            Decision::WebhookTimedOut => "webhook_timed_out",
        }
    }
}

/// `POST /v2/activity`: an outcome only the iFrame sees (the user
/// rejected on the screen, or the iFrame's own evaluation denied before
/// asking for the share). Only `rejected` and `denied` are accepted.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivityReport {
    pub wallet: WalletId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<DeviceId>,
    pub intent: Intent,
    pub decision: Decision,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<RuleRef>,
}

/// One entry of the activity log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivityEntry {
    pub id: String,
    /// Unix milliseconds.
    pub at: i64,
    pub decision: Decision,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<RuleRef>,
    /// Why, in words (a denial's or the webhook's reason).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<DeviceId>,
    /// The decoded request (kind, chain, to, value, token movements,
    /// origin, …).
    pub intent: Intent,
}

/// `GET /v2/activity?wallet=<id>&limit=<n>`: newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivityList {
    pub entries: Vec<ActivityEntry>,
}

/// The evaluation: decision, deciding rule, every rule's first failed
/// condition, the intent, and the usage to record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SimulateResponse(pub Evaluation);

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn simulate_bodies_round_trip_and_refuse_unknown_fields() {
        let req: SimulateRequest = serde_json::from_str(
            r#"{"intent":{"kind":"evm_transaction","chain":1,"value":"5"},"at":7,
                "user_rules":{"version":1,"default":"ask","rules":[{"id":"a","effect":"allow"}]}}"#,
        )
        .unwrap();
        assert_eq!(req.at, Some(7));
        assert_eq!(req.intent.value.to_string(), "5");
        let back: SimulateRequest =
            serde_json::from_str(&serde_json::to_string(&req).unwrap()).unwrap();
        assert_eq!(back, req);
        assert!(
            serde_json::from_str::<SimulateRequest>(r#"{"intent":{"kind":"evm_message"},"now":1}"#)
                .is_err()
        );
    }

    #[test]
    fn a_recover_request_carries_an_optional_intent_and_nothing_else() {
        let w = "0b6f2a8e-5f3c-4d2b-9a1e-2c3d4e5f6a7b";
        let plain: RecoverWithIntent =
            serde_json::from_str(&format!(r#"{{"wallet":"{w}","version":3}}"#)).unwrap();
        assert_eq!((plain.version, plain.intent.is_none()), (Some(3), true));
        let with: RecoverWithIntent = serde_json::from_str(&format!(
            r#"{{"wallet":"{w}","intent":{{"kind":"evm_transaction","chain":1}}}}"#
        ))
        .unwrap();
        assert_eq!(with.intent.unwrap().chain, Some(1));
        assert_eq!(with.on_screen, None);
        let shown: RecoverWithIntent = serde_json::from_str(&format!(
            r#"{{"wallet":"{w}","intent":{{"kind":"evm_message"}},"on_screen":true}}"#
        ))
        .unwrap();
        assert_eq!(shown.on_screen, Some(true));
        assert!(
            serde_json::to_string(&shown)
                .unwrap()
                .contains(r#""on_screen":true"#)
        );
        for bad in [
            format!(r#"{{"wallet":"{w}","intnet":{{}}}}"#),
            format!(r#"{{"wallet":"{w}","intent":{{"kind":"evm_message","valu":"1"}}}}"#),
            format!(r#"{{"wallet":"{w}","onScreen":true}}"#),
            format!(r#"{{"wallet":"{w}","on_screen":"yes"}}"#),
            format!(r#"{{"wallet":"{w}","parts":{{"kind":"evm_message"}}}}"#),
            format!(r#"{{"wallet":"{w}","parts":[{{"kind":"evm_message","valu":"1"}}]}}"#),
            format!(r#"{{"wallet":"{w}","part":[]}}"#),
        ] {
            assert!(
                serde_json::from_str::<RecoverWithIntent>(&bad).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_recover_request_without_an_intent_is_sent_as_it_was_and_split_off_gives_it_back() {
        let plain: RecoverRequest = serde_json::from_str(
            r#"{"wallet":"0b6f2a8e-5f3c-4d2b-9a1e-2c3d4e5f6a7b","device":"1c6f2a8e-5f3c-4d2b-9a1e-2c3d4e5f6a7b","version":3,"split":"00112233445566778899aabbccddeeff"}"#,
        )
        .unwrap();
        let json = serde_json::to_string(&plain).unwrap();
        let with: RecoverWithIntent = plain.into();
        assert_eq!(serde_json::to_string(&with).unwrap(), json);
        let (back, intent, parts) = with.split_off();
        assert_eq!(serde_json::to_string(&back).unwrap(), json);
        assert!(intent.is_none() && parts.is_empty());
    }

    #[test]
    fn a_batchs_recover_request_carries_its_parts_and_older_ones_none() {
        let w = "0b6f2a8e-5f3c-4d2b-9a1e-2c3d4e5f6a7b";
        // An older iFrame sends no `parts`: none, and the whole alone is
        // judged.
        let older: RecoverWithIntent = serde_json::from_str(&format!(
            r#"{{"wallet":"{w}","intent":{{"kind":"evm_transaction","chain":1}},"on_screen":false}}"#
        ))
        .unwrap();
        assert!(older.parts.is_empty());
        assert!(
            !serde_json::to_string(&older).unwrap().contains("parts"),
            "no parts: the field is left out"
        );
        let batch: RecoverWithIntent = serde_json::from_str(&format!(
            r#"{{"wallet":"{w}","intent":{{"kind":"evm_transaction","chain":1}},"on_screen":false,
                "parts":[{{"kind":"evm_transaction","chain":1,"to":"0x1111111111111111111111111111111111111111"}},
                         {{"kind":"evm_transaction","chain":1,"selector":"0xa9059cbb"}}]}}"#
        ))
        .unwrap();
        assert_eq!(batch.parts.len(), 2);
        assert_eq!(batch.parts[1].selector.as_deref(), Some("0xa9059cbb"));
        let back: RecoverWithIntent =
            serde_json::from_str(&serde_json::to_string(&batch).unwrap()).unwrap();
        assert_eq!(back.parts, batch.parts);
        let (_, intent, parts) = back.split_off();
        assert_eq!((intent.is_some(), parts.len()), (true, 2));
    }
}
