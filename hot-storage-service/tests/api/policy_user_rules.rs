//! `GET /v2/policy` and `PUT /v2/policy/user-rules` (docs/api.md): the
//! state the iFrame evaluates against, for the caller's wallet only; user
//! rules stored only with the wallet's authority header AND a valid
//! embedded signature, as a valid policy, within the size, at a growing
//! version. Every refusal changes nothing.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::*;
use crate::dual;
use crate::policy_support::*;

fn operator() -> Value {
    json!({ "version": 1, "default": "ask", "rules": [
        { "id": "no-mainnet", "effect": "deny", "when": { "chains": [1] } } ] })
}

fn rules_text(id: &str) -> String {
    json!({ "version": 1, "default": "ask", "rules": [
        { "id": id, "effect": "allow", "when": { "chains": [8453] } } ] })
    .to_string()
}

async fn state(srv: &Srv, w: &Wallet) -> Value {
    let (st, b) = srv
        .get(&format!("/v2/policy?wallet={}", w.wallet), Some(&w.token))
        .await;
    assert_eq!(st, StatusCode::OK, "{b}");
    b
}

async fn user_rules_round_trip(db: Db) {
    let srv = with_policy(db, operator(), |_| {}).await;
    let w = create_wallet(&srv, "rules-owner").await;
    let s = state(&srv, &w).await;
    assert_eq!(s["operator"], operator());
    assert!(
        s.get("user_rules").is_none() && s.get("usage").is_none(),
        "{s}"
    );
    assert!((s["now"].as_i64().unwrap() - now()).abs() <= 5);

    let key = test_authority();
    let v1 = signed_rules(&w.wallet, 1, &rules_text("base-v1"), &key);
    let (st, b) = put_rules(&srv, &w, &v1).await;
    assert_eq!((st, &b), (StatusCode::OK, &json!({ "ok": true })));
    assert_eq!(state(&srv, &w).await["user_rules"], v1);

    // The same version again, and an older one: 409, nothing changes.
    for version in [1, 0] {
        let again = signed_rules(&w.wallet, version, &rules_text("rollback"), &key);
        let (st, b) = put_rules(&srv, &w, &again).await;
        assert_error(st, &b, 409, "VERSION_CONFLICT");
    }
    assert_eq!(state(&srv, &w).await["user_rules"], v1);

    // A set of exactly USER_RULES_MAX_BYTES fits (above the general
    // body limit once escaped).
    let max = keyframe_wire::policy::USER_RULES_MAX_BYTES;
    let mut full = rules_text("full");
    full = full.replacen('{', &format!("{{{}", " ".repeat(max - full.len())), 1);
    let v2 = signed_rules(&w.wallet, 2, &full, &key);
    assert!(serde_json::to_vec(&v2).unwrap().len() > 16 * 1024);
    let (st, b) = put_rules(&srv, &w, &v2).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    assert_eq!(state(&srv, &w).await["user_rules"], v2);

    let v3 = signed_rules(&w.wallet, 3, &rules_text("base-v3"), &key);
    let (st, b) = put_rules(&srv, &w, &v3).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    assert_eq!(state(&srv, &w).await["user_rules"], v3);
}
dual!(
    user_rules_are_stored_at_a_growing_version,
    user_rules_round_trip
);

async fn refusals(db: Db) {
    // The general body limit stays at its default (16 KiB): the route has
    // room for a rule set of the largest size.
    let srv = with_policy(db, operator(), |_| {}).await;
    let w = create_wallet(&srv, "rules-refused").await;
    let other = create_wallet(&srv, "rules-other").await;
    let key = test_authority();
    let v1 = signed_rules(&w.wallet, 1, &rules_text("kept"), &key);
    assert_eq!(put_rules(&srv, &w, &v1).await.0, StatusCode::OK);
    let v2 = |rules: &str| signed_rules(&w.wallet, 2, rules, &key);

    // Unknown field.
    let mut typo = v2(&rules_text("typo"));
    typo["rule"] = json!("x");
    let (st, b) = put_rules(&srv, &w, &typo).await;
    assert_error(st, &b, 400, "BAD_REQUEST");
    // No Keyframe-Authority header; one by another key.
    for auth in [Auth::None, Auth::Key(other_authority())] {
        let (st, b) = srv
            .send_as(
                Method::PUT,
                RULES,
                Some(&w.token),
                Some(&v2(&rules_text("x"))),
                auth,
            )
            .await;
        assert_error(st, &b, 403, "AUTHORITY_REQUIRED");
    }
    // A valid header, but the embedded signature is by another key, or
    // over other rules.
    let by_other = signed_rules(&w.wallet, 2, &rules_text("x"), &other_authority());
    let mut swapped = v2(&rules_text("x"));
    swapped["rules"] = json!(rules_text("y"));
    let mut garbage = v2(&rules_text("x"));
    garbage["signature"] = json!("not-base64!");
    for bad in [by_other, swapped, garbage] {
        let (st, b) = put_rules(&srv, &w, &bad).await;
        assert_error(st, &b, 403, "AUTHORITY_REQUIRED");
        assert!(
            b["error"]["message"]
                .as_str()
                .unwrap()
                .contains("user rules"),
            "{b}"
        );
    }
    // Rules that are not a valid policy: 400 naming the field.
    let invalid = r#"{"version":1,"default":"ask","rules":[{"id":"x","effect":"allow","when":{"value_at_most":"1.5"}}]}"#;
    let (st, b) = put_rules(&srv, &w, &v2(invalid)).await;
    assert_error(st, &b, 400, "BAD_REQUEST");
    let msg = b["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains(r#"rules: rules[0] "x": when.value_at_most: not a decimal integer"#),
        "{msg}"
    );
    let (st, b) = put_rules(&srv, &w, &v2("not json")).await;
    assert_error(st, &b, 400, "BAD_REQUEST");
    // Too big: a valid document just over USER_RULES_MAX_BYTES.
    let max = keyframe_wire::policy::USER_RULES_MAX_BYTES;
    let mut big = rules_text("big");
    let pad = max + 1 - big.len();
    big = big.replacen('{', &format!("{{{}", " ".repeat(pad)), 1);
    assert_eq!(big.len(), max + 1);
    keyframe_policy::Policy::from_json(&big).unwrap();
    let (st, b) = put_rules(&srv, &w, &v2(&big)).await;
    assert_error(st, &b, 413, "PAYLOAD_TOO_LARGE");
    assert!(
        b["error"]["message"]
            .as_str()
            .unwrap()
            .contains("too large")
    );
    // Another user's wallet (signed by that wallet's own key, even):
    // 404, existence does not leak.
    let theirs = signed_rules(&other.wallet, 2, &rules_text("x"), &key);
    let (st, b) = put_rules(&srv, &w, &theirs).await;
    assert_error(st, &b, 404, "NO_WALLET");

    // Nothing changed.
    assert_eq!(state(&srv, &w).await["user_rules"], v1);
    assert!(state(&srv, &other).await.get("user_rules").is_none());
}
dual!(bad_user_rules_are_refused_and_change_nothing, refusals);

async fn state_refusals(db: Db) {
    let srv = with_policy(db, operator(), |_| {}).await;
    let w = create_wallet(&srv, "state-owner").await;
    let other = create_wallet(&srv, "state-other").await;
    let path = format!("/v2/policy?wallet={}", other.wallet);
    let (st, b) = srv.get(&path, Some(&w.token)).await;
    assert_error(st, &b, 404, "NO_WALLET");
    let (st, b) = srv
        .get(&format!("/v2/policy?wallet={}", w.wallet), None)
        .await;
    assert_error(st, &b, 401, "AUTH_REQUIRED");
    for bad in [
        "/v2/policy".to_owned(),
        "/v2/policy?wallet=nope".to_owned(),
        format!("/v2/policy?wallet={}&extra=1", w.wallet),
    ] {
        let (st, b) = srv.get(&bad, Some(&w.token)).await;
        assert_error(st, &b, 400, "BAD_REQUEST");
    }
}
dual!(the_policy_state_is_the_callers_own, state_refusals);
