//! The operator policy `npm start` runs with (`sample-dapp/policy.json`,
//! README.md "The sample operator policy") is valid, and each of its rules
//! decides what the README says it does.
#![allow(clippy::unwrap_used)]

use keyframe_policy::{Effect, Intent, Layers, Policy, evaluate};
use serde_json::json;

const NOW: u64 = 1_767_225_600;

fn policy() -> Policy {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../sample-dapp/policy.json");
    Policy::from_json(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// (effect, deciding rule) for an intent given as JSON.
fn decide(intent: serde_json::Value) -> (Effect, Option<String>) {
    let op = policy();
    let intent: Intent = serde_json::from_value(intent).unwrap();
    let layers = Layers {
        operator: &op,
        user: None,
    };
    let e = evaluate(&layers, &intent, &[], NOW);
    (e.effect, e.deciding_rule.map(|r| r.id))
}

fn tx(chain: u64, wei: &str) -> serde_json::Value {
    json!({ "kind": "evm_transaction", "chain": chain,
            "to": "0x70997970c51812dc3a010c7d01b50e20d17dc79c", "value": wei })
}

const HALF_ETH: &str = "500000000000000000";

#[test]
fn the_shipped_policy_is_valid_and_asks_by_default() {
    let p = policy();
    assert_eq!(p.default_effect(), Effect::Ask);
    let ids: Vec<&str> = p.document().rules.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["no-mainnet", "big-transfer-needs-operator"]);
}

#[test]
fn no_mainnet_denies_everything_on_chain_1() {
    let deny = (Effect::Deny, Some("no-mainnet".to_owned()));
    assert_eq!(decide(tx(1, "1")), deny);
    // Deny wins over the approval rule, whatever the amount.
    assert_eq!(decide(tx(1, "2000000000000000000")), deny);
    assert_eq!(decide(json!({ "kind": "evm_message", "chain": 1 })), deny);
    assert_eq!(
        decide(json!({ "kind": "evm_typed_data", "chain": 1,
                       "typed_data": { "primary_type": "Mail" } })),
        deny
    );
}

#[test]
fn half_an_eth_or_more_needs_the_operator() {
    let approve = (
        Effect::Approve,
        Some("big-transfer-needs-operator".to_owned()),
    );
    assert_eq!(decide(tx(31337, HALF_ETH)), approve);
    assert_eq!(decide(tx(31337, "1000000000000000000")), approve);
    assert_eq!(decide(tx(8453, HALF_ETH)), approve);
}

#[test]
fn everything_else_asks() {
    let ask = (Effect::Ask, None);
    assert_eq!(decide(tx(31337, "499999999999999999")), ask);
    assert_eq!(decide(tx(31337, "0")), ask);
    assert_eq!(
        decide(json!({ "kind": "evm_message", "chain": 31337 })),
        ask
    );
    assert_eq!(decide(json!({ "kind": "solana_message" })), ask);
    // A raw digest is never allowed; here it asks like the rest (and the
    // iFrame refuses eth_sign regardless).
    assert_eq!(
        decide(json!({ "kind": "evm_message", "chain": 31337, "raw_digest": true })),
        ask
    );
}
