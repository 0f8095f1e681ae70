//! The hand decoders of src/decode.rs (what the signer's WASM reads
//! policies, intents and usage with) against serde's derive (what hot
//! storage and the CLI read them with), on random JSON: trees whose keys
//! are the types' own field names (and a stranger), whose leaves are the
//! values those fields take (and values of every other JSON type), nested
//! as objects or as arrays. Both must refuse, or both accept the same
//! value (keyframe_json::parity::check). src/decode.rs holds each decoder
//! to every single mutation of a full sample; this finds the combinations.
//! Each text serde reads is also written by hand and by serde
//! (keyframe_json::parity::check_write, src/encode.rs), which must agree.

#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used)]

use keyframe_json::parity::{check, check_write};
use keyframe_policy::{Document, Intent, Usage};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

/// The fields of a rule's conditions, of a rule, of an intent and of a
/// usage entry (which `near_valid` sets), each with a stranger.
const WHEN: &[&str] = &[
    "kinds",
    "chains",
    "origins",
    "to",
    "not_to",
    "to_contracts",
    "selectors",
    "contract_call",
    "value_at_most",
    "value_at_least",
    "token_transfers",
    "token_transfer_count_at_most",
    "approvals",
    "spenders",
    "spenders_not_in",
    "approval_at_most",
    "typed_data",
    "siwe_domains",
    "siwe",
    "programs",
    "lamports_at_most",
    "lamports_at_least",
    "fee_at_most",
    "time_of_day",
    "until",
    "stranger",
];
const RULE: &[&str] = &["id", "effect", "silent", "when", "limits", "stranger"];
const INTENT: &[&str] = &[
    "kind",
    "chain",
    "origin",
    "to",
    "value",
    "selector",
    "token_transfers",
    "approvals",
    "typed_data",
    "siwe_domain",
    "programs",
    "lamports",
    "max_fee",
    "raw_digest",
    "stranger",
];
const USAGE: &[&str] = &[
    "layer", "rule", "at", "value", "lamports", "tokens", "count", "stranger",
];
/// The other types' fields: Document, TokenMatch, TypedMatch, TimeOfDay,
/// Limit, TokenTransfer, Approval, TypedData, TokenAmount.
const OTHER: &[&str] = &[
    "version",
    "default",
    "rules",
    "token",
    "at_most",
    "at_least",
    "names",
    "verifying_contracts",
    "primary_types",
    "from",
    "window",
    "count_at_most",
    "amount_at_most",
    "amount",
    "spender",
    "name",
    "chain_id",
    "verifying_contract",
    "primary_type",
];

/// Every key a random tree's objects draw from.
fn keys() -> Vec<&'static str> {
    [WHEN, RULE, INTENT, USAGE, OTHER].concat()
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        prop_oneof![Just(0u64), Just(1), Just(255), Just(256), Just(u64::MAX)]
            .prop_map(Value::from),
        Just(json!(-1)),
        Just(json!(1.5)),
        prop_oneof![
            Just("ask"),
            Just("deny"),
            Just("allow"),
            Just("approve"),
            Just("evm_message"),
            Just("evm_transaction"),
            Just("solana_message"),
            Just("operator"),
            Just("user"),
            Just("24h"),
            Just("12"),
            Just("0"),
            Just("-3"),
            Just(""),
            Just("0x1"),
        ]
        .prop_map(Value::from),
    ]
}

fn tree() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(keys()), inner), 0..7).prop_map(|kv| {
                let mut m = Map::new();
                for (k, v) in kv {
                    m.insert(k.to_owned(), v);
                }
                Value::Object(m)
            }),
        ]
    })
}

/// A rule's conditions, an intent or a usage entry that decodes, with one
/// of its own fields (or a stranger) set to a random part: most cases then
/// get past the first field, so every later one is exercised.
fn near_valid() -> impl Strategy<Value = Value> {
    let part = || prop_oneof![3 => leaf(), 1 => tree()];
    prop_oneof![
        (prop::sample::select(WHEN), part()).prop_map(|(k, v)| {
            let mut d = json!({"version": 1, "default": "ask", "rules": [
                {"id": "a", "effect": "allow", "when": {"chains": [1]}}]});
            d["rules"][0]["when"][k] = v;
            d
        }),
        (prop::sample::select(RULE), part()).prop_map(|(k, v)| {
            let mut d = json!({"version": 1, "default": "ask", "rules": [
                {"id": "a", "effect": "approve", "silent": true}]});
            d["rules"][0][k] = v;
            d
        }),
        (prop::sample::select(INTENT), part()).prop_map(|(k, v)| {
            let mut i = json!({"kind": "evm_transaction", "chain": 1, "value": "5"});
            i[k] = v;
            i
        }),
        (prop::sample::select(USAGE), part()).prop_map(|(k, v)| {
            let mut u = json!({"layer": "user", "rule": "a", "at": 5});
            u[k] = v;
            u
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn random_trees_decode_the_same_both_ways(v in prop_oneof![tree(), near_valid()]) {
        let text = v.to_string();
        check::<Document>(&text);
        check::<Intent>(&text);
        check::<Usage>(&text);
        // And what serde reads, the hand writer writes as serde does
        // (src/encode.rs).
        check_write::<Document>(&text);
        check_write::<Intent>(&text);
        check_write::<Usage>(&text);
    }
}
