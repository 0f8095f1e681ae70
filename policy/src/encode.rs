//! The policy's JSON types written by hand (keyframe-json's `ToJson`), for
//! the signer's WASM: what their serde derive writes, which the tests below
//! and tests/decode_parity.rs hold them to, without serde_json's serializer
//! and a copy of its map code per field type in the module
//! (bench/SIZE.md, "One JSON writer"). The services and the CLI keep serde.

use keyframe_json::{Object, ToJson, Value, opt};

use crate::document::{Limit, Rule, TimeOfDay, TokenMatch, TypedMatch, When};
use crate::{
    Amount, Approval, Document, Effect, Evaluation, Intent, Kind, Layer, RuleRef, RuleResult,
    TokenAmount, TokenTransfer, TypedData, Usage,
};

impl ToJson for Amount {
    fn to_json(&self) -> Value {
        Value::String(self.to_string())
    }
}

impl ToJson for Effect {
    fn to_json(&self) -> Value {
        self.as_str().to_json()
    }
}

impl ToJson for Kind {
    fn to_json(&self) -> Value {
        self.as_str().to_json()
    }
}

impl ToJson for Layer {
    fn to_json(&self) -> Value {
        match self {
            Layer::Operator => "operator",
            Layer::User => "user",
        }
        .to_json()
    }
}

impl ToJson for Document {
    fn to_json(&self) -> Value {
        Object::new()
            .field("version", self.version.to_json())
            .field("default", self.default.to_json())
            .field("rules", self.rules.to_json())
            .build()
    }
}

impl ToJson for Rule {
    fn to_json(&self) -> Value {
        Object::new()
            .field("id", self.id.to_json())
            .field("effect", self.effect.to_json())
            .some("silent", self.silent.then(|| true.to_json()))
            .field("when", self.when.to_json())
            .some("limits", nonempty(&self.limits))
            .build()
    }
}

impl ToJson for When {
    fn to_json(&self) -> Value {
        Object::new()
            .some("kinds", opt(&self.kinds))
            .some("chains", opt(&self.chains))
            .some("origins", opt(&self.origins))
            .some("to", opt(&self.to))
            .some("not_to", opt(&self.not_to))
            .some("to_contracts", opt(&self.to_contracts))
            .some("selectors", opt(&self.selectors))
            .some("contract_call", opt(&self.contract_call))
            .some("value_at_most", opt(&self.value_at_most))
            .some("value_at_least", opt(&self.value_at_least))
            .some("token_transfers", opt(&self.token_transfers))
            .some(
                "token_transfer_count_at_most",
                opt(&self.token_transfer_count_at_most),
            )
            .some("approvals", opt(&self.approvals))
            .some("spenders", opt(&self.spenders))
            .some("spenders_not_in", opt(&self.spenders_not_in))
            .some("approval_at_most", opt(&self.approval_at_most))
            .some("typed_data", opt(&self.typed_data))
            .some("siwe_domains", opt(&self.siwe_domains))
            .some("siwe", opt(&self.siwe))
            .some("programs", opt(&self.programs))
            .some("lamports_at_most", opt(&self.lamports_at_most))
            .some("lamports_at_least", opt(&self.lamports_at_least))
            .some("fee_at_most", opt(&self.fee_at_most))
            .some("time_of_day", opt(&self.time_of_day))
            .some("until", opt(&self.until))
            .build()
    }
}

impl ToJson for TokenMatch {
    fn to_json(&self) -> Value {
        Object::new()
            .some("token", opt(&self.token))
            .some("to", opt(&self.to))
            .some("at_most", opt(&self.at_most))
            .some("at_least", opt(&self.at_least))
            .build()
    }
}

impl ToJson for TypedMatch {
    fn to_json(&self) -> Value {
        Object::new()
            .some("names", opt(&self.names))
            .some("verifying_contracts", opt(&self.verifying_contracts))
            .some("primary_types", opt(&self.primary_types))
            .build()
    }
}

impl ToJson for TimeOfDay {
    fn to_json(&self) -> Value {
        Object::new()
            .field("from", self.from.to_json())
            .field("to", self.to.to_json())
            .build()
    }
}

impl ToJson for Limit {
    fn to_json(&self) -> Value {
        Object::new()
            .field("window", self.window.to_json())
            .some("value_at_most", opt(&self.value_at_most))
            .some("lamports_at_most", opt(&self.lamports_at_most))
            .some("count_at_most", opt(&self.count_at_most))
            .some("token", opt(&self.token))
            .some("amount_at_most", opt(&self.amount_at_most))
            .build()
    }
}

impl ToJson for TokenTransfer {
    fn to_json(&self) -> Value {
        Object::new()
            .field("token", self.token.to_json())
            .field("to", self.to.to_json())
            .field("amount", self.amount.to_json())
            .build()
    }
}

impl ToJson for Approval {
    fn to_json(&self) -> Value {
        Object::new()
            .field("token", self.token.to_json())
            .field("spender", self.spender.to_json())
            .some("amount", opt(&self.amount))
            .build()
    }
}

impl ToJson for TypedData {
    fn to_json(&self) -> Value {
        Object::new()
            .some("name", opt(&self.name))
            .some("version", opt(&self.version))
            .some("chain_id", opt(&self.chain_id))
            .some("verifying_contract", opt(&self.verifying_contract))
            .field("primary_type", self.primary_type.to_json())
            .build()
    }
}

impl ToJson for Intent {
    fn to_json(&self) -> Value {
        Object::new()
            .field("kind", self.kind.to_json())
            .some("chain", opt(&self.chain))
            .some("origin", opt(&self.origin))
            .some("to", opt(&self.to))
            .some("value", nonzero(self.value))
            .some("selector", opt(&self.selector))
            .some("token_transfers", nonempty(&self.token_transfers))
            .some("approvals", nonempty(&self.approvals))
            .some("typed_data", opt(&self.typed_data))
            .some("siwe_domain", opt(&self.siwe_domain))
            .some("programs", nonempty(&self.programs))
            .some("lamports", nonzero(self.lamports))
            .some("max_fee", opt(&self.max_fee))
            .some("raw_digest", self.raw_digest.then(|| true.to_json()))
            .build()
    }
}

impl ToJson for TokenAmount {
    fn to_json(&self) -> Value {
        Object::new()
            .field("token", self.token.to_json())
            .field("amount", self.amount.to_json())
            .build()
    }
}

impl ToJson for Usage {
    fn to_json(&self) -> Value {
        Object::new()
            .field("layer", self.layer.to_json())
            .field("rule", self.rule.to_json())
            .field("at", self.at.to_json())
            .some("value", nonzero(self.value))
            .some("lamports", nonzero(self.lamports))
            .some("tokens", nonempty(&self.tokens))
            .some("count", (self.count != 1).then(|| self.count.to_json()))
            .build()
    }
}

impl ToJson for RuleRef {
    fn to_json(&self) -> Value {
        Object::new()
            .field("layer", self.layer.to_json())
            .field("id", self.id.to_json())
            .build()
    }
}

impl ToJson for RuleResult {
    fn to_json(&self) -> Value {
        Object::new()
            .field("layer", self.layer.to_json())
            .field("id", self.id.to_json())
            .field("effect", self.effect.to_json())
            .field("matched", self.matched.to_json())
            .some("first_failed_condition", opt(&self.first_failed_condition))
            .build()
    }
}

impl ToJson for Evaluation {
    fn to_json(&self) -> Value {
        Object::new()
            .field("effect", self.effect.to_json())
            .some("silent", self.silent.then(|| true.to_json()))
            .some("deciding_rule", opt(&self.deciding_rule))
            .field("per_rule", self.per_rule.to_json())
            .field("intent", self.intent.to_json())
            .some("record", opt(&self.record))
            .some(
                "record_bucket_secs",
                (self.record_bucket_secs != 0).then(|| self.record_bucket_secs.to_json()),
            )
            .build()
    }
}

/// A list, unless it is empty (`skip_serializing_if = "Vec::is_empty"`).
fn nonempty<T: ToJson>(list: &[T]) -> Option<Value> {
    (!list.is_empty()).then(|| list.to_json())
}

/// An amount, unless it is zero (`skip_serializing_if = "Amount::is_zero"`).
fn nonzero(amount: Amount) -> Option<Value> {
    (!amount.is_zero()).then(|| amount.to_json())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use keyframe_json::parity::assert_writes_as_serde;

    /// Every vector's policy and intent, and every single mutation of each
    /// that serde reads, written both ways.
    #[test]
    fn the_vectors_write_as_serde_writes() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/vectors/policy");
        let mut checked = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "json") {
                continue;
            }
            let v: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            let cases = v["cases"].as_array().cloned().unwrap_or_default();
            let documents = [&v["policy"], &v["user_policy"]]
                .into_iter()
                .chain(cases.iter().map(|c| &c["policy"]));
            for document in documents {
                if serde_json::from_value::<Document>(document.clone()).is_ok() {
                    checked += assert_writes_as_serde::<Document>(&document.to_string());
                }
            }
            for case in cases.iter().filter(|c| !c["intent"].is_null()) {
                checked += assert_writes_as_serde::<Intent>(&case["intent"].to_string());
            }
        }
        assert!(checked > 1000, "only {checked} values checked");
    }

    #[test]
    fn an_evaluation_and_usage_write_as_serde_writes() {
        let usage = r#"{"layer":"user","rule":"r","at":5,"value":"7","lamports":"9",
            "tokens":[{"token":"0xab","amount":"3"}],"count":2}"#;
        assert!(assert_writes_as_serde::<Usage>(usage) > 10);
        let evaluation = format!(
            r#"{{"effect":"approve","silent":true,"deciding_rule":{{"layer":"operator","id":"a"}},
            "per_rule":[{{"layer":"operator","id":"a","effect":"approve","matched":false,
            "first_failed_condition":"when.chains: 1"}}],
            "intent":{{"kind":"evm_transaction","chain":1,"value":"5","raw_digest":true}},
            "record":{usage},"record_bucket_secs":60}}"#
        );
        assert!(assert_writes_as_serde::<Evaluation>(&evaluation) > 10);
    }
}
