//! Rolling-window limits as hot storage enforces them at recover
//! (docs/policy.md, "Enforced twice"): the usage is kept per user in the
//! database, so a limit holds for sequential and concurrent requests and
//! across two hot-storage replicas on one database; usage and decisions
//! are recorded only when the share is released; a user rule set changed
//! in the database is ignored (and counted), not trusted.

use std::sync::Arc;

use futures_util::future::join_all;
use hot_storage_service::policy_file::PolicyFile;
use hot_storage_service::seal::{Keyring, SealKey};
use hot_storage_service::server::Service;
use keyframe_policy::Policy;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::*;
use crate::dual;
use crate::policy_support::*;

/// Three requests an hour on Base, 1000 wei a day on Optimism, nothing
/// else (the default denies, so a spent limit is a 403).
fn limited() -> Value {
    json!({ "version": 1, "default": "deny", "rules": [
        { "id": "three-an-hour", "effect": "allow", "when": { "chains": [8453] },
          "limits": [{ "window": "1h", "count_at_most": 3 }] },
        { "id": "value-cap", "effect": "ask", "when": { "chains": [10] },
          "limits": [{ "window": "24h", "value_at_most": "1000" }] } ] })
}

fn statuses(results: &[(StatusCode, Value)]) -> (usize, usize) {
    let ok = results.iter().filter(|(s, _)| *s == StatusCode::OK).count();
    for (s, b) in results.iter().filter(|(s, _)| *s != StatusCode::OK) {
        assert_error(*s, b, 403, "POLICY_DENIED");
    }
    (ok, results.len() - ok)
}

async fn sequential(db: Db) {
    let srv = with_policy(db, limited(), |_| {}).await;
    let w = create_wallet(&srv, "limits-seq").await;
    for i in 0..3 {
        let (st, b) = recover(&srv, &w, &tx(8453, "1")).await;
        assert_eq!(st, StatusCode::OK, "request {i}: {b}");
    }
    let (st, b) = recover(&srv, &w, &tx(8453, "1")).await;
    assert_error(st, &b, 403, "POLICY_DENIED");
    assert!(b.get("share").is_none());
    // The value window: 400 + 400 fit, 300 more does not, 200 does.
    for (value, ok) in [("400", true), ("400", true), ("300", false), ("200", true)] {
        let (st, b) = recover(&srv, &w, &tx(10, value)).await;
        assert_eq!(st == StatusCode::OK, ok, "{value}: {b}");
    }
    let (st, b) = recover(&srv, &w, &tx(10, "1")).await;
    assert_error(st, &b, 403, "POLICY_DENIED");
    // The state shows the usage of both rules, as recorded.
    let (_, s) = srv
        .get(&format!("/v2/policy?wallet={}", w.wallet), Some(&w.token))
        .await;
    let usage = s["usage"].as_array().unwrap();
    // Kept per bucket of a 60th of the window (keyframe_policy::bucket_secs):
    // an entry stands for `count` requests (1 when absent) and their sums.
    let sum = |rule: &str, field: &str, absent: u128| -> u128 {
        usage
            .iter()
            .filter(|u| u["rule"] == rule)
            .map(|u| match &u[field] {
                Value::Null => absent,
                Value::String(v) => v.parse().unwrap(),
                v => u128::from(v.as_u64().unwrap()),
            })
            .sum()
    };
    let entries = |rule: &str| {
        usage
            .iter()
            .filter(|u| u["rule"] == rule)
            .map(|u| (u["count"].as_u64().unwrap_or(1), u["value"].clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        (
            sum("three-an-hour", "count", 1),
            sum("value-cap", "count", 1)
        ),
        (3, 3),
        "{s}"
    );
    assert_eq!(sum("value-cap", "value", 0), 1000, "400 + 400 + 200: {s}");
    // Three requests a few milliseconds apart share one bucket (two if
    // they straddle a bucket's edge), whatever their number.
    assert!(entries("three-an-hour").len() <= 2, "{s}");
    assert!(usage.iter().all(|u| u["layer"] == "operator"));
    // A recover that finds no share (wrong version) records nothing.
    let before = count(&srv, "SELECT COUNT(*) FROM policy_usage").await;
    let entries = activity(&srv, &w).await.len();
    let mut missing = recover_body(&w, &tx(10, "0"), None);
    missing["version"] = json!(7);
    let (st, b) = srv.post(RECOVER, &w.token, &missing).await;
    assert_error(st, &b, 404, "SHARE_UNAVAILABLE");
    assert_eq!(
        count(&srv, "SELECT COUNT(*) FROM policy_usage").await,
        before
    );
    assert_eq!(activity(&srv, &w).await.len(), entries);
    // The recovery pair's share (no device) is judged the same way.
    let primary =
        |intent: Value| json!({ "wallet": w.wallet, "intent": intent, "on_screen": true });
    let (st, b) = srv.post(RECOVER, &w.token, &primary(tx(8453, "1"))).await;
    assert_error(st, &b, 403, "POLICY_DENIED");
    let (st, b) = srv.post(RECOVER, &w.token, &primary(tx(10, "0"))).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    assert_eq!(unb64(b["share"].as_str().unwrap()), w.primary_share);
    let log = activity(&srv, &w).await;
    assert_eq!(log.len(), entries + 2);
    assert_eq!(
        (&log[0]["decision"], &log[1]["decision"]),
        (&json!("approved_on_screen"), &json!("denied"))
    );
    assert!(log[0].get("device").is_none());
}
dual!(a_limit_holds_for_sequential_recovers, sequential);

async fn concurrent(db: Db) {
    let srv = with_policy(db, limited(), |_| {}).await;
    let w = create_wallet(&srv, "limits-par").await;
    let base = tx(8453, "1");
    let results = join_all((0..10).map(|_| recover(&srv, &w, &base))).await;
    assert_eq!(statuses(&results), (3, 7));
    let op = tx(10, "300");
    let results = join_all((0..10).map(|_| recover(&srv, &w, &op))).await;
    assert_eq!(statuses(&results), (3, 7));
}
dual!(a_limit_holds_for_concurrent_recovers, concurrent);

/// The usage a busy user leaves is bounded by the window's buckets, not by
/// the number of requests: 40 recovers under a 1 h window are one or two
/// rows (a bucket is 60 s), and the count they carry is exact.
async fn bounded(db: Db) {
    let policy = json!({ "version": 1, "default": "deny", "rules": [
        { "id": "many-an-hour", "effect": "allow", "when": { "chains": [8453] },
          "limits": [{ "window": "1h", "count_at_most": 41 }] } ] });
    let srv = with_policy(db, policy, |_| {}).await;
    let w = create_wallet(&srv, "limits-bounded").await;
    for i in 0..40 {
        let (st, b) = recover(&srv, &w, &tx(8453, "1")).await;
        assert_eq!(st, StatusCode::OK, "request {i}: {b}");
    }
    let rows = count(&srv, "SELECT COUNT(*) FROM policy_usage").await;
    assert!((1..=2).contains(&rows), "{rows} rows for 40 requests");
    assert_eq!(
        count(&srv, "SELECT CAST(SUM(count) AS BIGINT) FROM policy_usage").await,
        40
    );
    // The 41st fits, the 42nd does not.
    let (st, b) = recover(&srv, &w, &tx(8453, "1")).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    let (st, b) = recover(&srv, &w, &tx(8453, "1")).await;
    assert_error(st, &b, 403, "POLICY_DENIED");
}
dual!(usage_rows_are_bounded_by_the_windows_buckets, bounded);

/// Concurrent recovers of several users are judged in shared transactions
/// (crate::hot::policy_batch): each user's limit still holds exactly, each
/// request gets its own answer and its own entry in its own wallet's log,
/// and each user's usage counts only their own requests.
async fn many_users_at_once(db: Db) {
    let srv = with_policy(db, limited(), |_| {}).await;
    let mut wallets = Vec::new();
    for i in 0..5 {
        wallets.push(create_wallet(&srv, &format!("limits-many-{i}")).await);
    }
    let base = tx(8453, "1");
    let requests = wallets
        .iter()
        .flat_map(|w| (0..6).map(move |_| w))
        .map(|w| async { (w.wallet.clone(), recover(&srv, w, &base).await) });
    let results = join_all(requests).await;
    for w in &wallets {
        let mine: Vec<(StatusCode, Value)> = results
            .iter()
            .filter(|(id, _)| *id == w.wallet)
            .map(|(_, r)| r.clone())
            .collect();
        assert_eq!(statuses(&mine), (3, 3), "wallet {}", w.wallet);
        let log = activity(&srv, w).await;
        let decisions = |d: &str| log.iter().filter(|e| e["decision"] == d).count();
        assert_eq!(
            (log.len(), decisions("allowed"), decisions("denied")),
            (6, 3, 3),
            "{log:?}"
        );
        let (_, state) = srv
            .get(&format!("/v2/policy?wallet={}", w.wallet), Some(&w.token))
            .await;
        let used: u64 = state["usage"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["count"].as_u64().unwrap_or(1))
            .sum();
        assert_eq!(used, 3, "{state}");
    }
}
dual!(
    a_batch_of_many_users_keeps_each_users_limit_and_log,
    many_users_at_once
);

/// Two rows of one bucket (left by replicas whose clocks disagreed) both
/// count, and the next judgement that reads them leaves one row with their
/// sum.
async fn duplicate_bucket(db: Db) {
    let srv = with_policy(db, limited(), |_| {}).await;
    let w = create_wallet(&srv, "limits-dup").await;
    let (st, b) = recover(&srv, &w, &tx(8453, "1")).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    // A copy of the row, as a second replica would have written it.
    let copied = exec(
        &srv,
        "INSERT INTO policy_usage (iss, sub, layer, rule, at, value, lamports, tokens, bucket, count) \
         SELECT iss, sub, layer, rule, at, value, lamports, tokens, bucket, count FROM policy_usage",
    )
    .await;
    assert_eq!(copied, 1);
    // 2 counted, so one more fits and the fourth does not.
    let (st, b) = recover(&srv, &w, &tx(8453, "1")).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    let (st, b) = recover(&srv, &w, &tx(8453, "1")).await;
    assert_error(st, &b, 403, "POLICY_DENIED");
    // One row per bucket again (two if the requests crossed a minute).
    let shared = "SELECT COUNT(*) FROM (SELECT bucket FROM policy_usage \
                  GROUP BY bucket HAVING COUNT(*) > 1) AS d";
    assert_eq!(count(&srv, shared).await, 0);
    assert_eq!(
        count(&srv, "SELECT CAST(SUM(count) AS BIGINT) FROM policy_usage").await,
        3
    );
}
dual!(
    two_rows_of_one_bucket_both_count_and_become_one,
    duplicate_bucket
);

/// Two hot-storage replicas (each its own pool and state) on one
/// database, with the same sealing key.
async fn replicas(db: Db) -> (Srv, Srv) {
    let spec = SealKey::generate("t1").unwrap().to_spec();
    let keyring = || Keyring::new(vec![SealKey::parse(&spec).unwrap()]).unwrap();
    let policy = || {
        Arc::new(PolicyFile::with(
            None,
            Policy::from_value(limited()).unwrap(),
        ))
    };
    let tmp = tempfile::tempdir().unwrap();
    let url = db_url(db, &tmp).await;
    let (pa, pb) = (policy(), policy());
    let a = Srv::start_with(db, Service::Hot, tmp, url.clone(), keyring(), None, |s| {
        s.policy = pa
    })
    .await;
    let b = Srv::start_with(
        db,
        Service::Hot,
        tempfile::tempdir().unwrap(),
        url,
        keyring(),
        Some(a.jwks.clone()),
        |s| s.policy = pb,
    )
    .await;
    (a, b)
}

async fn across_replicas(db: Db) {
    let (a, b) = replicas(db).await;
    let w = create_wallet(&a, "limits-replicas").await;
    // Sequential, alternating: the third use is at B, the fourth refused at A.
    for (i, srv) in [&a, &b, &b].into_iter().enumerate() {
        let (st, body) = recover(srv, &w, &tx(8453, "1")).await;
        assert_eq!(st, StatusCode::OK, "request {i}: {body}");
    }
    let (st, body) = recover(&a, &w, &tx(8453, "1")).await;
    assert_error(st, &body, 403, "POLICY_DENIED");
    // Concurrent, half at each replica.
    let op = tx(10, "250");
    let results = join_all((0..12).map(|i| {
        let srv = if i % 2 == 0 { &a } else { &b };
        recover(srv, &w, &op)
    }))
    .await;
    assert_eq!(statuses(&results), (4, 8));
}
dual!(
    a_limit_holds_across_two_replicas_on_one_database,
    across_replicas
);

async fn tampered(db: Db) {
    let srv = with_policy(
        db,
        json!({ "version": 1, "default": "ask", "rules": [
            { "id": "op-small", "effect": "allow", "when": { "value_at_most": "10" } } ] }),
        |_| {},
    )
    .await;
    let w = create_wallet(&srv, "tampered").await;
    // The user's own rule: nothing above 100 wei (stricter than the
    // operator), signed with the wallet's authority key.
    let rules = json!({ "version": 1, "default": "ask", "rules": [
        { "id": "my-cap", "effect": "deny", "when": { "value_at_least": "100" } } ] })
    .to_string();
    let body = signed_rules(&w.wallet, 1, &rules, &test_authority());
    assert_eq!(put_rules(&srv, &w, &body).await.0, StatusCode::OK);
    let (st, b) = recover(&srv, &w, &tx(8453, "500")).await;
    assert_error(st, &b, 403, "POLICY_DENIED");
    assert!(
        b["error"]["message"].as_str().unwrap().contains("my-cap"),
        "{b}"
    );
    let invalid = "keyframe_policy_user_rules_invalid_total";
    assert_eq!(metric(&srv, invalid, "service=").await, 0.0);

    // Someone with the database loosens it: the rules no longer match
    // their signature, so the set is ignored (the screen asks again), and
    // counted.
    let looser = json!({ "version": 1, "default": "ask", "rules": [
        { "id": "my-cap", "effect": "deny", "when": { "value_at_least": "100000" } } ] })
    .to_string();
    let n = exec(
        &srv,
        &format!(
            "UPDATE user_rules SET rules = '{looser}' WHERE wallet = '{}'",
            w.wallet
        ),
    )
    .await;
    assert_eq!(n, 1);
    let (st, b) = recover(&srv, &w, &tx(8453, "500")).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    assert!(metric(&srv, invalid, "service=").await >= 1.0);
    let log = activity(&srv, &w).await;
    assert_eq!(log[0]["decision"], "approved_on_screen", "{log:?}");
    assert!(log[0].get("rule").is_none(), "the default decided: {log:?}");
    assert_eq!(log[1]["decision"], "denied");
    assert_eq!(log[1]["rule"], json!({ "layer": "user", "id": "my-cap" }));

    // A looser user rule is ignored the same way once tampered: signed,
    // it allows up to 50 wei without the screen; changed to 5000, nothing.
    let allow = |max: &str| {
        json!({ "version": 1, "default": "ask", "rules": [
            { "id": "my-allow", "effect": "allow", "when": { "value_at_most": max } } ] })
        .to_string()
    };
    let body = signed_rules(&w.wallet, 2, &allow("50"), &test_authority());
    assert_eq!(put_rules(&srv, &w, &body).await.0, StatusCode::OK);
    assert_eq!(recover(&srv, &w, &tx(8453, "40")).await.0, StatusCode::OK);
    let log = activity(&srv, &w).await;
    assert_eq!(
        (&log[0]["decision"], &log[0]["rule"]),
        (
            &json!("allowed"),
            &json!({ "layer": "user", "id": "my-allow" })
        )
    );
    let n = exec(
        &srv,
        &format!(
            "UPDATE user_rules SET rules = '{}' WHERE wallet = '{}'",
            allow("5000"),
            w.wallet
        ),
    )
    .await;
    assert_eq!(n, 1);
    let before = metric(&srv, invalid, "service=").await;
    assert_eq!(recover(&srv, &w, &tx(8453, "40")).await.0, StatusCode::OK);
    assert_eq!(
        activity(&srv, &w).await[0]["decision"],
        "approved_on_screen"
    );
    assert!(metric(&srv, invalid, "service=").await > before);
}
dual!(a_tampered_user_rule_set_is_ignored_and_counted, tampered);

/// PostgreSQL: a batch's transaction holds the advisory lock of each of
/// its users from the round trip that opens it until it commits
/// (policy_store::locked, begin_locking), so no replica judges the same
/// user beside it. Unlike `across_replicas`, this does not depend on a
/// race being lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_batch_holds_its_users_locks_until_it_commits() {
    use hot_storage_service::auth::Identity;
    use hot_storage_service::hot::policy_store::locked;
    let url = crate::common::pg::fresh_database().await;
    let db = hot_storage_service::db::Db::connect(&url, 2).await.unwrap();
    let watcher = hot_storage_service::db::Db::connect(&url, 1).await.unwrap();
    let held = || async {
        let n: i64 = sqlx::query_scalar(
            // pg_locks is the cluster's: other tests' databases share it.
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted \
             AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
        )
        .fetch_one(&watcher.pool)
        .await
        .unwrap();
        n
    };
    let user = |sub: &str| Identity {
        iss: "https://issuer.example".to_owned(),
        sub: sub.to_owned(),
    };
    let (a, b, c) = (user("a"), user("b"), user("c"));
    assert_eq!(held().await, 0);
    // Three users, one of them twice: three locks, once each.
    let tx = locked(&db, &[&a, &b, &c, &a]).await.unwrap();
    assert_eq!(
        held().await,
        3,
        "the batch's opening did not lock its users"
    );
    tx.write_and_commit(&db, Vec::new()).await.unwrap();
    assert_eq!(held().await, 0, "the commit did not release the locks");
}
