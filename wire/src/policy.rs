//! The policy simulator's bodies, `POST /v2/policy/simulate` (docs/api.md,
//! docs/policy.md): an intent (with past usage, an instant, and user rules
//! being drafted, all optional) in, the evaluation out. The intent, usage
//! and evaluation types are the `keyframe-policy` crate's, so hot storage,
//! the iFrame and the CLI read and write the same JSON.

use serde::{Deserialize, Serialize};

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
}
