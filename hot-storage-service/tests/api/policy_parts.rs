//! A batch's recover (`keyframe_signTransactions`): hot storage judges the
//! whole and each of its `parts` (keyframe_policy's `evaluate_with_parts`),
//! as the iFrame does, so a modified or stale iFrame that skips the screen
//! a part needs is refused (409 `POLICY_CHANGED`), a part a deny rule
//! names denies the batch (403 `POLICY_DENIED`) though the whole alone
//! would be allowed, usage is counted once, for the whole, and more parts
//! than a batch holds are refused (400 `BAD_REQUEST`) with nothing
//! recorded.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::*;
use crate::dual;
use crate::policy_support::*;

const ALICE: &str = "0x70997970c51812dc3a010c7d01b50e20d17dc79c";
const TOKEN: &str = "0x833589fcd6edb6e08f4c7c32d4f71b54bda02913";
const BLOCKED: &str = "0x3333333333333333333333333333333333333333";

/// Plain sends are allowed (five a day), a recipient is denied, anything
/// else asks.
fn operator() -> Value {
    json!({ "version": 1, "default": "ask", "rules": [
        { "id": "blocked", "effect": "deny", "when": { "to": [BLOCKED] } },
        { "id": "plain", "effect": "allow",
          "when": { "kinds": ["evm_transaction"], "contract_call": false },
          "limits": [{ "window": "24h", "count_at_most": 5 }] } ] })
}

fn send(to: &str, value: &str) -> Value {
    json!({ "kind": "evm_transaction", "chain": 8453, "to": to, "value": value })
}

fn call(to: &str) -> Value {
    json!({ "kind": "evm_transaction", "chain": 8453, "to": to, "selector": "0xa9059cbb" })
}

/// The whole of a batch whose parts differ in `to` and function: values
/// added up, no `to`, no selector (so, as a whole, no contract call).
fn whole(value: &str) -> Value {
    json!({ "kind": "evm_transaction", "chain": 8453, "value": value })
}

fn batch_body(w: &Wallet, whole: &Value, parts: &[Value], on_screen: bool) -> Value {
    let mut b = recover_body(w, whole, None);
    b["parts"] = json!(parts);
    b["on_screen"] = json!(on_screen);
    b
}

async fn batch(db: Db) {
    let srv = &with_policy(db, operator(), |_| {}).await;
    let w = &create_wallet(srv, "batch").await;
    // The whole alone is a plain send: allowed.
    let (st, b) = srv
        .post(
            "/v2/policy/simulate",
            &w.token,
            &json!({ "intent": whole("3") }),
        )
        .await;
    assert_eq!((st, &b["effect"]), (StatusCode::OK, &json!("allow")), "{b}");

    // [a plain send, a contract call] without the screen: the call part
    // asks, so nothing is released, counted or logged.
    let mixed = [send(ALICE, "1"), call(TOKEN)];
    let (st, b) = srv
        .post(
            RECOVER,
            &w.token,
            &batch_body(w, &whole("1"), &mixed, false),
        )
        .await;
    assert_error(st, &b, 409, "POLICY_CHANGED");
    assert!(b.get("share").is_none(), "{b}");
    assert_eq!(counted(srv, w, "plain").await, 0);
    assert!(activity(srv, w).await.is_empty());
    // The same, approved on the screen: released, logged once.
    let (st, b) = srv
        .post(RECOVER, &w.token, &batch_body(w, &whole("1"), &mixed, true))
        .await;
    assert_eq!(st, StatusCode::OK, "{b}");
    assert_eq!(unb64(b["share"].as_str().unwrap()), w.device_share);
    let log = activity(srv, w).await;
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0]["decision"], "approved_on_screen");
    // The whole's usage, once: the whole is what `plain` allowed (the
    // call part decided `ask`, under the default, which counts nothing).
    let after_mixed = counted(srv, w, "plain").await;
    assert_eq!(after_mixed, 1);

    // A part to a denied recipient denies the batch, though the whole
    // (no `to`) would be allowed; the denial names the part's rule.
    let denied = [send(ALICE, "1"), send(BLOCKED, "1")];
    let (st, b) = srv
        .post(
            RECOVER,
            &w.token,
            &batch_body(w, &whole("2"), &denied, true),
        )
        .await;
    assert_error(st, &b, 403, "POLICY_DENIED");
    assert!(
        b["error"]["message"].as_str().unwrap().contains("blocked"),
        "{b}"
    );
    let log = activity(srv, w).await;
    assert_eq!(log.len(), 2);
    assert_eq!(log[0]["decision"], "denied");
    assert_eq!(counted(srv, w, "plain").await, after_mixed);

    // Three plain sends, no screen needed: released, counted once.
    let sends = [send(ALICE, "1"), send(TOKEN, "1"), send(ALICE, "2")];
    let (st, b) = srv
        .post(
            RECOVER,
            &w.token,
            &batch_body(w, &whole("4"), &sends, false),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{b}");
    assert_eq!(activity(srv, w).await[0]["decision"], "allowed");
    assert_eq!(
        counted(srv, w, "plain").await,
        after_mixed + 1,
        "once, for the whole"
    );
}
dual!(a_batch_is_judged_as_its_whole_and_each_part, batch);

async fn too_many(db: Db) {
    let srv = &with_policy(db, operator(), |_| {}).await;
    let w = &create_wallet(srv, "too-many").await;
    let max = keyframe_wire::policy::MAX_INTENT_PARTS;
    let parts: Vec<Value> = (0..=max).map(|_| send(ALICE, "1")).collect();
    let (st, b) = srv
        .post(
            RECOVER,
            &w.token,
            &batch_body(w, &whole("11"), &parts, true),
        )
        .await;
    assert_error(st, &b, 400, "BAD_REQUEST");
    assert!(
        b["error"]["message"].as_str().unwrap().contains("parts"),
        "{b}"
    );
    // Parts without the whole they belong to.
    let mut headless = batch_body(w, &whole("1"), &parts[..1], true);
    headless.as_object_mut().unwrap().remove("intent");
    let (st, b) = srv.post(RECOVER, &w.token, &headless).await;
    assert_error(st, &b, 400, "BAD_REQUEST");
    // Nothing released, logged or counted.
    assert!(activity(srv, w).await.is_empty());
    assert_eq!(counted(srv, w, "plain").await, 0);
    assert_eq!(count(srv, "SELECT COUNT(*) FROM policy_usage").await, 0);
    // As many as a batch holds: judged and released.
    let (st, b) = srv
        .post(
            RECOVER,
            &w.token,
            &batch_body(w, &whole("10"), &parts[..max], false),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{b}");
    assert_eq!(counted(srv, w, "plain").await, 1);
}
dual!(more_parts_than_a_batch_holds_are_refused, too_many);
