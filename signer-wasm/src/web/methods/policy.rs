//! The policy's methods: `keyframe_simulate` (what the policy would
//! decide, reading the signing request through `crate::signing` exactly as
//! its signing handler does) and the activity log.

use keyframe_json::{ToJson, json};
use serde_json::Value;

use super::plain;
use crate::flows::{HotStorage as _, RpcError};
use crate::params::{object_param, str_field};
use crate::signing::SigningRequest;
use keyframe_wire::rpc::Method;

// What the policy would decide, without signing or showing anything: the
// decision, the deciding rule, every rule's first failed condition, the
// intent, and whether the user's rules were verified and used.
handler!(simulate(s, p) {
    let params = object_param(p)?;
    let method = str_field(params, "method")?;
    let inner = params.get("params").unwrap_or(&Value::Null);
    let request = Method::from_wire(method)
        .and_then(|m| SigningRequest::read(m, inner))
        .ok_or_else(|| RpcError::bad_params("method must be a signing method"))??;
    let (intent, parts) = request.policy_intent(&s.intent_context())?;
    let (token, wallet) = s.session()?;
    let judgement = s.flows.evaluate_policy(&token, &wallet, &intent, &parts).await?;
    let mut answer = judgement.evaluation.to_json();
    answer["user_rules"] = json!(judgement.user_rules.as_str());
    plain(answer)
});

handler!(activity(s, p) {
    let limit = match p {
        Value::Null => 50,
        v => object_param(v)?
            .get("limit")
            .map(|l| l.as_u64().filter(|n| (1..=200).contains(n)).ok_or_else(|| RpcError::bad_params("limit must be 1 to 200")))
            .transpose()?
            .unwrap_or(50),
    };
    let (token, wallet) = s.session()?;
    let list = s.flows.hot.activity(&token, wallet.wallet, limit as u32).await?;
    plain(list.entries.to_json())
});
