//! Recovers with an intent (hot::share_routes::recover, judged by
//! hot::policy_batch) beside other users' and for a pending share: many
//! users' requests judged in the same batches are each answered alone
//! (their own share, 403, or 404), a share that is not there is 404 and
//! recorded nowhere, and a request for the pending share promotes it and
//! is judged once. A decision that needs the user's yes on the screen
//! (`ask`, `approve` without `silent`) for a request whose screen was not
//! shown (`on_screen: false`) is 409 `POLICY_CHANGED`: nothing released,
//! counted or logged, its DPoP proof used up.

use futures_util::future::join_all;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::*;
use crate::dual;
use crate::policy_support::*;

fn operator() -> Value {
    json!({ "version": 1, "default": "ask",
            "rules": [ { "id": "no-mainnet", "effect": "deny", "when": { "chains": [1] } } ] })
}

async fn pending_share(db: Db) {
    let srv = with_policy(db, operator(), |_| {}).await;
    let w = create_wallet(&srv, "pending").await;
    let s1 = split();
    let refresh = json!({ "wallet": w.wallet, "device": w.device, "version": 0, "split": s1,
                          "share": b64(b"H1"), "replacePending": null });
    let (st, b) = srv.post("/v2/devices/refresh", &w.token, &refresh).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    let judged = |version: u64, split: &str, chain: u64| {
        let mut body = recover_body(&w, &tx(chain, "1"), None);
        body["version"] = json!(version);
        body["split"] = json!(split);
        body
    };
    // Denied: the pending share is promoted (the request named it), but
    // not released, and the denial is logged once.
    let (st, b) = srv.post(RECOVER, &w.token, &judged(1, &s1, 1)).await;
    assert_error(st, &b, 403, "POLICY_DENIED");
    assert_eq!(activity(&srv, &w).await.len(), 1);
    // The pending share, asked for by version and split: promoted and
    // released, judged once.
    let (st, b) = srv.post(RECOVER, &w.token, &judged(1, &s1, 8453)).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    assert_eq!(unb64(b["share"].as_str().unwrap()), b"H1");
    assert_eq!((&b["version"], &b["pending"]), (&json!(1), &Value::Null));
    let log = activity(&srv, &w).await;
    assert_eq!(log.len(), 2);
    assert_eq!(log[0]["decision"], "approved_on_screen");
    // The old share is gone: 404, and nothing is logged or counted.
    let (st, b) = srv
        .post(RECOVER, &w.token, &judged(0, &w.device_split, 8453))
        .await;
    assert_error(st, &b, 404, "SHARE_UNAVAILABLE");
    assert_eq!(activity(&srv, &w).await.len(), 2);
    // The current share again: judged and logged.
    let (st, b) = srv.post(RECOVER, &w.token, &judged(1, &s1, 8453)).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    assert_eq!(activity(&srv, &w).await.len(), 3);
}
dual!(
    a_judged_recover_of_the_pending_share_promotes_it,
    pending_share
);

/// What one call in [`concurrent`] asks and must get.
enum Want {
    Share,
    Denied,
    NoWallet,
    Unavailable,
}

async fn concurrent(db: Db) {
    let srv = &with_policy(db, operator(), |_| {}).await;
    let mut wallets = Vec::new();
    for i in 0..5 {
        wallets.push(create_wallet(srv, &format!("judged{i}")).await);
    }
    let mut calls = Vec::new();
    let mut logged = vec![0usize; wallets.len()];
    for round in 0..6 {
        for (i, w) in wallets.iter().enumerate() {
            let next = &wallets[(i + 1) % wallets.len()];
            let (token, body, want) = match (round + i) % 5 {
                0 => (&w.token, recover_body(w, &tx(8453, "1"), None), Want::Share),
                1 => (&w.token, recover_body(w, &tx(1, "1"), None), Want::Denied),
                2 => (
                    &next.token,
                    recover_body(w, &tx(8453, "1"), None),
                    Want::NoWallet,
                ),
                3 => {
                    let mut b = recover_body(w, &tx(8453, "1"), None);
                    b["device"] = json!(uuid());
                    (&w.token, b, Want::Unavailable)
                }
                _ => {
                    let mut b = recover_body(w, &tx(8453, "1"), None);
                    b["version"] = json!(3);
                    (&w.token, b, Want::Unavailable)
                }
            };
            if matches!(want, Want::Share | Want::Denied) {
                logged[i] += 1;
            }
            calls.push(async move {
                let (st, v) = srv.post(RECOVER, token, &body).await;
                (w, want, st, v)
            });
        }
    }
    for (w, want, st, v) in join_all(calls).await {
        match want {
            Want::Share => {
                assert_eq!(st, StatusCode::OK, "{v}");
                assert_eq!(unb64(v["share"].as_str().unwrap()), w.device_share);
                assert_eq!(v["wallet"], w.wallet.as_str());
            }
            Want::Denied => assert_error(st, &v, 403, "POLICY_DENIED"),
            Want::NoWallet => assert_error(st, &v, 404, "NO_WALLET"),
            Want::Unavailable => assert_error(st, &v, 404, "SHARE_UNAVAILABLE"),
        }
    }
    // Each wallet's log holds its own judged requests and nothing else.
    for (w, n) in wallets.iter().zip(logged) {
        assert_eq!(activity(srv, w).await.len(), n, "wallet {}", w.wallet);
    }
}
dual!(concurrent_judged_recovers_are_answered_alone, concurrent);

/// Default `ask`, one `allow` a day on Base; `approve` for big values,
/// silent on Optimism.
fn one_a_day() -> Value {
    json!({ "version": 1, "default": "ask", "rules": [
        { "id": "office", "effect": "approve", "when": { "chains": [8453], "value_at_least": "1000" } },
        { "id": "office-silent", "effect": "approve", "silent": true,
          "when": { "chains": [10], "value_at_least": "1000" } },
        { "id": "one-a-day", "effect": "allow", "when": { "chains": [8453] },
          "limits": [{ "window": "24h", "count_at_most": 1 }] } ] })
}

async fn not_on_screen(db: Db) {
    let srv = &with_policy(db, one_a_day(), |_| {}).await;
    let w = &create_wallet(srv, "unseen").await;
    let url = &format!("{}{RECOVER}", srv.base);
    let send = |proof: String, body: Value| async move {
        srv.post_with_proof(url, &w.token, proof, &body).await
    };
    let fresh = || DPOP.proof("POST", url, &w.token);
    let body = |intent: Value, on_screen: bool| {
        let mut b = recover_body(w, &intent, None);
        b["on_screen"] = json!(on_screen);
        b
    };
    // Both judged `allow` by the iFrame on the same usage (two at once):
    // the first is within the limit.
    let (st, b) = send(fresh(), body(tx(8453, "1"), false)).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    assert_eq!(unb64(b["share"].as_str().unwrap()), w.device_share);
    assert_eq!(counted(srv, w, "one-a-day").await, 1);
    let usage_rows = count(srv, "SELECT COUNT(*) FROM policy_usage").await;
    // The second: the limit is spent, the default asks, and no screen was
    // shown: refused, nothing released, counted or logged.
    let proof = fresh();
    let (st, b) = send(proof.clone(), body(tx(8453, "1"), false)).await;
    assert_error(st, &b, 409, "POLICY_CHANGED");
    assert!(b.get("share").is_none(), "{b}");
    assert_eq!(counted(srv, w, "one-a-day").await, 1);
    assert_eq!(
        count(srv, "SELECT COUNT(*) FROM policy_usage").await,
        usage_rows
    );
    let log = activity(srv, w).await;
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0]["decision"], "allowed");
    // Its proof was used all the same: sent again, it is a replay.
    let (st, b) = send(proof, body(tx(8453, "1"), true)).await;
    assert_error(st, &b, 401, "DPOP_INVALID");
    // The same request once the user said yes on the screen.
    let (st, b) = send(fresh(), body(tx(8453, "1"), true)).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    assert_eq!(unb64(b["share"].as_str().unwrap()), w.device_share);
    let log = activity(srv, w).await;
    assert_eq!(log.len(), 2);
    assert_eq!(log[0]["decision"], "approved_on_screen");
    assert_eq!(counted(srv, w, "one-a-day").await, 1);

    // `approve` without `silent` needs the screen too: refused before
    // the approval is looked at (it would be used up otherwise).
    let (st, b) = send(fresh(), body(tx(8453, "5000"), false)).await;
    assert_error(st, &b, 409, "POLICY_CHANGED");
    // A silent `approve` needs no screen, only the webhook's yes.
    let (st, b) = send(fresh(), body(tx(10, "5000"), false)).await;
    assert_error(st, &b, 403, "POLICY_DENIED");
    // With the intent, `on_screen` must be said.
    let mut unsaid = body(tx(8453, "1"), true);
    unsaid.as_object_mut().unwrap().remove("on_screen");
    let (st, b) = send(fresh(), unsaid).await;
    assert_error(st, &b, 400, "BAD_REQUEST");
    assert!(
        b["error"]["message"]
            .as_str()
            .unwrap()
            .contains("on_screen"),
        "{b}"
    );
    assert_eq!(
        activity(srv, w).await.len(),
        2,
        "no refusal was logged as approved"
    );
}
dual!(
    a_decision_that_needs_the_screen_is_refused_when_none_was_shown,
    not_on_screen
);
