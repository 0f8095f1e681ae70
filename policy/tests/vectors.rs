//! Runs tests/vectors/policy with the native evaluator.
#![allow(clippy::unwrap_used)]

mod support;

use keyframe_policy::{Error, Intent, Layers, Policy, Usage, evaluate};
use serde_json::Value;

#[test]
fn vectors_agree_with_the_evaluator() {
    let mut n = 0;
    for (file, v) in support::files(false) {
        let op = Policy::from_value(v["policy"].clone()).unwrap_or_else(|e| panic!("{file}: {e}"));
        let user = v
            .get("user_policy")
            .map(|u| Policy::from_value(u.clone()).unwrap());
        let layers = Layers {
            operator: &op,
            user: user.as_ref(),
        };
        for case in v["cases"].as_array().unwrap() {
            let name = format!("{file}: {}", case["name"]);
            let intent: Intent = serde_json::from_value(case["intent"].clone())
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            let usage: Vec<Usage> = case
                .get("usage")
                .map(|u| serde_json::from_value(u.clone()).unwrap())
                .unwrap_or_default();
            let now = case["now"].as_u64().unwrap();
            let eval = evaluate(&layers, &intent, &usage, now);
            let json = serde_json::to_value(&eval).unwrap();
            support::check(&json, &case["expect"])
                .unwrap_or_else(|e| panic!("{name}: {e}\n{json:#}"));
            // The record, when there is one, is what this request takes.
            if let Some(r) = &eval.record {
                assert_eq!(r.at, now, "{name}");
                assert_eq!(
                    Some(&r.rule),
                    eval.deciding_rule.as_ref().map(|d| &d.id),
                    "{name}"
                );
            }
            // The evaluation's JSON reads back as itself.
            assert_eq!(
                serde_json::from_value::<keyframe_policy::Evaluation>(json).unwrap(),
                eval
            );
            n += 1;
        }
    }
    assert!(n >= 40, "only {n} cases");
}

#[test]
fn fail_vectors_are_refused_naming_the_field() {
    let mut n = 0;
    for (file, v) in support::files(true) {
        for case in v["cases"].as_array().unwrap() {
            let name = format!("{file}: {}", case["name"]);
            let err = Policy::from_value(case["policy"].clone())
                .err()
                .unwrap_or_else(|| panic!("{name}: accepted"));
            let Error::Invalid { field, message } = &err else {
                panic!("{name}: {err:?}")
            };
            assert_eq!(field, case["field"].as_str().unwrap(), "{name}");
            assert!(
                message.contains(case["message"].as_str().unwrap()),
                "{name}: {message}"
            );
            // The whole error reads "field: message", as the service logs it.
            assert_eq!(err.to_string(), format!("{field}: {message}"));
            assert_eq!(err.code(), "POLICY_INVALID");
            n += 1;
        }
    }
    assert!(n >= 20, "only {n} cases");
}

#[test]
fn the_brief_example_error_reads_as_documented() {
    let text = r#"{"version":1,"default":"ask","rules":[{"id":"a","effect":"ask"},{"id":"b","effect":"ask"},
        {"id":"small-usdc","effect":"allow","when":{"token_transfers":[{"at_most":"1e6"}]}}]}"#;
    let err = Policy::from_json(text).err().unwrap();
    assert_eq!(
        err.to_string(),
        r#"rules[2] "small-usdc": when.token_transfers[0].at_most: not a decimal integer"#
    );
    assert_eq!(
        Policy::from_json("{").err().unwrap().code(),
        "POLICY_SYNTAX"
    );
    assert_eq!(
        Policy::from_json("[]").err().unwrap().code(),
        "POLICY_SYNTAX"
    );
}

#[test]
fn intents_refuse_unknown_fields_and_floats() {
    let bad = [
        r#"{"kind":"evm_transaction","valu":"1"}"#,
        r#"{"kind":"evm_transaction","value":1}"#,
        r#"{"kind":"evm_transaction","value":"1.5"}"#,
        r#"{"kind":"evm_transaction","max_fee":21000}"#,
        r#"{"kind":"evm_transaction","max_fee":"-1"}"#,
        r#"{"kind":"eth_sign"}"#,
    ];
    for b in bad {
        assert!(serde_json::from_str::<Intent>(b).is_err(), "{b}");
    }
    let ok: Intent = serde_json::from_str(r#"{"kind":"evm_message","raw_digest":true}"#).unwrap();
    assert!(ok.raw_digest);
    let v: Value = serde_json::to_value(&ok).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"kind":"evm_message","raw_digest":true})
    );
}
