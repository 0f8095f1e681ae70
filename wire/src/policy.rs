//! The policy simulator's bodies, `POST /v2/policy/simulate` (docs/api.md,
//! docs/policy.md): an intent (with past usage, an instant, and user rules
//! being drafted, all optional) in, the evaluation out. The intent, usage
//! and evaluation types are the `keyframe-policy` crate's, so hot storage,
//! the iFrame and the CLI read and write the same JSON.

use serde::{Deserialize, Serialize};

use crate::hot::RecoverRequest;
use crate::{DeviceId, SplitId, WalletId};

pub use keyframe_policy::{Document, Evaluation, Intent, Usage};

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
}

impl RecoverWithIntent {
    /// The recover request and the intent, apart.
    pub fn split_off(self) -> (RecoverRequest, Option<Intent>) {
        (
            RecoverRequest {
                wallet: self.wallet,
                device: self.device,
                version: self.version,
                split: self.split,
            },
            self.intent,
        )
    }
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
        for bad in [
            format!(r#"{{"wallet":"{w}","intnet":{{}}}}"#),
            format!(r#"{{"wallet":"{w}","intent":{{"kind":"evm_message","valu":"1"}}}}"#),
        ] {
            assert!(
                serde_json::from_str::<RecoverWithIntent>(&bad).is_err(),
                "{bad}"
            );
        }
    }
}
