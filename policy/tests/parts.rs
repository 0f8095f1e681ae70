//! `evaluate_with_parts`, a batch judged as its whole and each of its
//! parts: the strictest effect counts, a deny in any part denies, the
//! deciding part's rule and failed conditions are reported, and the usage
//! recorded is the whole's (docs/policy.md, "Batches").
#![allow(clippy::unwrap_used)]

use keyframe_policy::{
    Amount, Effect, Intent, Kind, Layer, Layers, Policy, evaluate, evaluate_with_parts,
};

const NOW: u64 = 1_767_225_600;
const ALICE: &str = "0x70997970c51812dc3a010c7d01b50e20d17dc79c";
const TOKEN: &str = "0x833589fcd6edb6e08f4c7c32d4f71b54bda02913";
const BLOCKED: &str = "0x3333333333333333333333333333333333333333";

fn send(to: &str, value: u64) -> Intent {
    let mut i = Intent::new(Kind::EvmTransaction);
    i.chain = Some(1);
    i.to = Some(to.to_owned());
    i.value = Amount::from(value);
    i
}

fn call(to: &str) -> Intent {
    let mut i = send(to, 0);
    i.selector = Some("0xa9059cbb".to_owned());
    i
}

/// The whole of `parts` as the iFrame makes it: values added up, `to` and
/// `selector` only when every part shares them.
fn whole(parts: &[Intent]) -> Intent {
    let mut w = Intent::new(Kind::EvmTransaction);
    w.chain = Some(1);
    let total: u64 = parts
        .iter()
        .map(|p| p.value.to_string().parse::<u64>().unwrap())
        .sum();
    w.value = Amount::from(total);
    let shared = |f: fn(&Intent) -> &Option<String>| {
        let first = f(&parts[0]).clone();
        parts
            .iter()
            .all(|p| *f(p) == first)
            .then_some(first)
            .flatten()
    };
    w.to = shared(|p| &p.to);
    w.selector = shared(|p| &p.selector);
    w
}

fn policy(rules: &str) -> Policy {
    Policy::from_json(&format!(
        r#"{{"version":1,"default":"ask","rules":[{rules}]}}"#
    ))
    .unwrap()
}

fn layers(p: &Policy) -> Layers<'_> {
    Layers {
        operator: p,
        user: None,
    }
}

#[test]
fn the_strictest_of_the_whole_and_its_parts_decides() {
    let p = policy(
        r#"{"id":"plain","effect":"allow","when":{"kinds":["evm_transaction"],"contract_call":false}}"#,
    );
    let parts = [send(ALICE, 1), call(TOKEN)];
    let w = whole(&parts);
    // The whole alone: no shared selector, so no call: allowed.
    assert_eq!(evaluate(&layers(&p), &w, &[], NOW).effect, Effect::Allow);

    let e = evaluate_with_parts(&layers(&p), &w, &parts, &[], NOW);
    assert_eq!(e.effect, Effect::Ask, "the call part is not a plain send");
    assert_eq!(e.deciding_rule, None, "the default decided, for the call");
    let plain = e.per_rule.iter().find(|r| r.id == "plain").unwrap();
    assert!(!plain.matched);
    assert!(
        plain
            .first_failed_condition
            .as_deref()
            .unwrap()
            .starts_with("when.contract_call"),
        "the part that decided says why: {:?}",
        plain.first_failed_condition
    );
    assert_eq!(e.intent, w, "the evaluation names the whole");

    // Two plain sends: every part agrees, the whole's evaluation stands.
    let sends = [send(ALICE, 1), send(TOKEN, 2)];
    let ws = whole(&sends);
    assert_eq!(
        evaluate_with_parts(&layers(&p), &ws, &sends, &[], NOW),
        evaluate(&layers(&p), &ws, &[], NOW)
    );
}

#[test]
fn no_parts_is_the_whole_alone() {
    let p = policy(
        r#"{"id":"a","effect":"approve","when":{"to":["0x70997970c51812dc3a010c7d01b50e20d17dc79c"]}}"#,
    );
    for i in [send(ALICE, 1), call(TOKEN)] {
        assert_eq!(
            evaluate_with_parts(&layers(&p), &i, &[], &[], NOW),
            evaluate(&layers(&p), &i, &[], NOW)
        );
    }
}

#[test]
fn a_deny_in_any_part_denies_the_batch() {
    let p = policy(&format!(
        r#"{{"id":"blocked","effect":"deny","when":{{"to":["{BLOCKED}"]}}}},
           {{"id":"all","effect":"allow"}}"#
    ));
    for at in 0..3 {
        let mut parts = vec![send(ALICE, 1), send(TOKEN, 1)];
        parts.insert(at, send(BLOCKED, 1));
        let w = whole(&parts);
        assert_eq!(w.to, None, "the whole names no recipient");
        assert_eq!(evaluate(&layers(&p), &w, &[], NOW).effect, Effect::Allow);
        let e = evaluate_with_parts(&layers(&p), &w, &parts, &[], NOW);
        assert_eq!(e.effect, Effect::Deny, "denied part at {at}");
        let rule = e.deciding_rule.unwrap();
        assert_eq!((rule.layer, rule.id.as_str()), (Layer::Operator, "blocked"));
        assert_eq!(e.record, None);
    }
}

#[test]
fn the_usage_recorded_is_the_wholes() {
    // A limited allow for any transaction up to 10 wei, and a stricter
    // rule the last part meets: the batch counts once, as the whole.
    let p = policy(&format!(
        r#"{{"id":"small","effect":"allow","when":{{"value_at_most":"10"}},
            "limits":[{{"window":"24h","count_at_most":5}},{{"window":"24h","value_at_most":"100"}}]}},
           {{"id":"approve-alice","effect":"approve","when":{{"to":["{ALICE}"]}}}}"#
    ));
    let parts = [send(TOKEN, 2), send(TOKEN, 3), send(ALICE, 20)];
    let mut w = whole(&parts);
    w.value = Amount::from(5u64);
    let alone = evaluate(&layers(&p), &w, &[], NOW);
    assert_eq!(alone.effect, Effect::Allow);
    let record = alone.record.clone().unwrap();
    assert_eq!(record.value, Amount::from(5u64));

    let e = evaluate_with_parts(&layers(&p), &w, &parts, &[], NOW);
    assert_eq!(
        e.effect,
        Effect::Approve,
        "the part to Alice needs the webhook"
    );
    assert_eq!(e.deciding_rule.unwrap().id, "approve-alice");
    assert_eq!(e.record, Some(record), "the whole's usage, once");
    assert_eq!(e.record_bucket_secs, alone.record_bucket_secs);
    assert_eq!(e.intent, w);
}
