//! The activity log (docs/policy.md, "Activity"; docs/api.md
//! `POST /v2/activity`, `GET /v2/activity`): every decision hot storage
//! makes is listed, newest first, with its rule and reason; the iFrame
//! reports only `rejected` and `denied`; each user sees only their own
//! wallet's; the decisions metric counts them; retention sweeps old
//! entries and usage outside every window.

use std::sync::Arc;
use std::time::Duration;

use hot_storage_service::approval::ApprovalOutcome;
use hot_storage_service::settings::TestApprover;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::*;
use crate::dual;
use crate::policy_support::*;

fn operator() -> Value {
    json!({ "version": 1, "default": "ask", "rules": [
        { "id": "no-mainnet", "effect": "deny", "when": { "chains": [1] } },
        { "id": "office", "effect": "approve", "when": { "value_at_least": "1000" } },
        { "id": "tiny", "effect": "allow", "when": { "value_at_most": "10" },
          "limits": [{ "window": "1d", "count_at_most": 100 }] } ] })
}

async fn report(srv: &Srv, w: &Wallet, body: &Value) -> (StatusCode, Value) {
    let _ = w;
    srv.post(ACTIVITY, &w.token, body).await
}

async fn every_decision(db: Db) {
    let srv = with_policy(db, operator(), |s| {
        s.test_approver = Some(TestApprover(Arc::new(|c| {
            if c.intent.value.to_string() == "1000" {
                ApprovalOutcome::Approved
            } else {
                ApprovalOutcome::TimedOut
            }
        })));
    })
    .await;
    let w = create_wallet(&srv, "activity").await;
    let other = create_wallet(&srv, "activity-other").await;
    let label = |d: &str| format!("decision=\"{d}\"");
    let m = "keyframe_policy_decisions_total";
    assert_eq!(metric(&srv, m, &label("denied")).await, 0.0);

    // allowed, approved on the screen, denied (by hot storage) …
    assert_eq!(recover(&srv, &w, &tx(8453, "5")).await.0, StatusCode::OK);
    assert_eq!(recover(&srv, &w, &tx(8453, "500")).await.0, StatusCode::OK);
    assert_eq!(
        recover(&srv, &w, &tx(1, "5")).await.0,
        StatusCode::FORBIDDEN
    );
    // … approved and timed out at the webhook …
    let (st, b) = srv
        .post(
            APPROVALS,
            &w.token,
            &json!({ "wallet": w.wallet, "intent": tx(8453, "1000") }),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{b}");
    let approval = b["evaluation_id"].as_str().unwrap().to_owned();
    let (st, _) = srv
        .post(
            APPROVALS,
            &w.token,
            &json!({ "wallet": w.wallet, "intent": tx(8453, "3000") }),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    // … and what the iFrame reports: rejected on the screen, denied by
    // its own evaluation.
    let rule = json!({ "layer": "user", "id": "mine" });
    for (decision, rule) in [("rejected", None), ("denied", Some(&rule))] {
        let mut body = json!({ "wallet": w.wallet, "device": w.device, "intent": tx(8453, "7"), "decision": decision });
        if let Some(r) = rule {
            body["rule"] = r.clone();
        }
        let (st, b) = report(&srv, &w, &body).await;
        assert_eq!((st, &b), (StatusCode::OK, &json!({ "ok": true })));
    }

    let log = activity(&srv, &w).await;
    let got: Vec<(&str, Value, Option<&str>)> = log
        .iter()
        .map(|e| {
            (
                e["decision"].as_str().unwrap(),
                e["rule"].clone(),
                e["reason"].as_str(),
            )
        })
        .collect();
    let op = |id: &str| json!({ "layer": "operator", "id": id });
    assert_eq!(got.len(), 7, "{log:#?}");
    assert_eq!((got[0].0, &got[0].1), ("denied", &rule));
    assert_eq!((got[1].0, &got[1].1), ("rejected", &Value::Null));
    assert_eq!((got[2].0, &got[2].1), ("webhook_timed_out", &op("office")));
    assert!(got[2].2.unwrap().contains("did not answer in time"));
    assert_eq!(
        (got[3].0, &got[3].1),
        ("approved_by_webhook", &op("office"))
    );
    assert_eq!(log[3]["id"], json!(approval));
    assert_eq!((got[4].0, &got[4].1), ("denied", &op("no-mainnet")));
    assert!(got[4].2.unwrap().contains("no-mainnet"));
    assert_eq!((got[5].0, &got[5].1), ("approved_on_screen", &Value::Null));
    assert_eq!((got[6].0, &got[6].1), ("allowed", &op("tiny")));
    assert_eq!(log[6]["intent"], tx(8453, "5"));
    assert_eq!(log[6]["device"], json!(w.device));
    let mut times: Vec<i64> = log.iter().map(|e| e["at"].as_i64().unwrap()).collect();
    assert!(times.windows(2).all(|p| p[0] >= p[1]), "newest first");
    times.dedup();
    assert!((times[0] / 1000 - now()).abs() <= 5);

    // The metric counts each decision.
    for (d, n) in [
        ("allowed", 1.0),
        ("approved_on_screen", 1.0),
        ("denied", 2.0),
        ("approved_by_webhook", 1.0),
        ("webhook_timed_out", 1.0),
        ("rejected", 1.0),
    ] {
        assert_eq!(metric(&srv, m, &label(d)).await, n, "{d}");
    }

    // limit: newest n; bounds 1..=200.
    let (st, b) = srv
        .get(
            &format!("{ACTIVITY}?wallet={}&limit=2", w.wallet),
            Some(&w.token),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(b["entries"].as_array().unwrap().as_slice(), &log[..2]);
    for bad in ["limit=0", "limit=201", "limit=x", "lmit=2"] {
        let (st, b) = srv
            .get(
                &format!("{ACTIVITY}?wallet={}&{bad}", w.wallet),
                Some(&w.token),
            )
            .await;
        assert_error(st, &b, 400, "BAD_REQUEST");
    }
    // Another user's log: 404; theirs is empty.
    let (st, b) = srv
        .get(
            &format!("{ACTIVITY}?wallet={}", w.wallet),
            Some(&other.token),
        )
        .await;
    assert_error(st, &b, 404, "NO_WALLET");
    assert!(activity(&srv, &other).await.is_empty());

    // Reports: only rejected and denied; the caller's wallet; no unknown
    // field. None of them changes the log.
    let base = json!({ "wallet": w.wallet, "intent": tx(8453, "7"), "decision": "rejected" });
    let mut bads = Vec::new();
    for d in [
        "allowed",
        "approved_on_screen",
        "approved_by_webhook",
        "refused_by_webhook",
        "webhook_timed_out",
        "nonsense",
    ] {
        let mut b = base.clone();
        b["decision"] = json!(d);
        bads.push(b);
    }
    let mut typo = base.clone();
    typo["reason"] = json!("made up");
    bads.push(typo);
    for b in &bads {
        let (st, body) = report(&srv, &w, b).await;
        assert_error(st, &body, 400, "BAD_REQUEST");
    }
    let (st, body) = srv.post(ACTIVITY, &other.token, &base).await;
    assert_error(st, &body, 404, "NO_WALLET");
    assert_eq!(activity(&srv, &w).await, log);
    assert!(activity(&srv, &other).await.is_empty());
}
dual!(every_decision_is_logged_and_counted, every_decision);

async fn retention(db: Db) {
    let srv = with_policy(db, operator(), |s| {
        s.activity_retention = Duration::from_secs(24 * 3600);
    })
    .await;
    let w = create_wallet(&srv, "retention").await;
    for _ in 0..3 {
        assert_eq!(recover(&srv, &w, &tx(8453, "5")).await.0, StatusCode::OK);
    }
    assert_eq!(activity(&srv, &w).await.len(), 3);
    // Moved into the log (the sweep covers both tables: below).
    assert_eq!(
        hot_storage_service::hot::move_recent_activity(&srv.state.db)
            .await
            .unwrap(),
        3
    );
    // Usage is kept per bucket (docs/policy.md): the three requests are
    // one row, or two if they straddle a bucket's edge.
    let rows = count(&srv, "SELECT COUNT(*) FROM policy_usage").await;
    assert!((1..=2).contains(&rows), "{rows}");
    assert_eq!(
        count(&srv, "SELECT CAST(SUM(count) AS BIGINT) FROM policy_usage").await,
        3
    );
    // One entry a day and a minute old, one just under a day; one usage
    // row just outside the longest window, one just inside.
    let log = activity(&srv, &w).await;
    let (old, young) = (
        log[0]["id"].as_str().unwrap(),
        log[1]["id"].as_str().unwrap(),
    );
    let day_ms = 24 * 3600 * 1000;
    exec(
        &srv,
        &format!(
            "UPDATE activity SET at = at - {} WHERE id = '{old}'",
            day_ms + 60_000
        ),
    )
    .await;
    exec(
        &srv,
        &format!(
            "UPDATE activity SET at = at - {} WHERE id = '{young}'",
            day_ms - 60_000
        ),
    )
    .await;
    let window = keyframe_policy::MAX_WINDOW_SECS as i64;
    // Rows from before buckets (-1) and bucketed ones, each just outside
    // and just inside the longest window; the young bucketed row's bucket
    // starts before the cut (the sweep finds rows by bucket).
    let (old_at, young_at) = (now() - window - 60, now() - window + 60);
    for (at, bucket) in [
        (old_at, -1),
        (young_at, -1),
        (old_at, old_at - 3600),
        (young_at, young_at - 3600),
    ] {
        exec(
            &srv,
            &format!(
                "INSERT INTO policy_usage (iss, sub, layer, rule, at, value, lamports, tokens, bucket) \
                 VALUES ('{ISS}', 'retention', 'operator', 'tiny', {at}, '0', '0', '[]', {bucket})"
            ),
        )
        .await;
    }
    assert_eq!(
        count(&srv, "SELECT COUNT(*) FROM policy_usage").await,
        rows + 4
    );
    // An entry not moved yet (a mover that failed), past the retention.
    assert_eq!(recover(&srv, &w, &tx(8453, "5")).await.0, StatusCode::OK);
    exec(
        &srv,
        &format!("UPDATE activity_recent SET at = at - {}", day_ms + 60_000),
    )
    .await;
    assert_eq!(activity(&srv, &w).await.len(), 4);

    hot_storage_service::hot::sweep_expired(&srv.state)
        .await
        .unwrap();
    let left: Vec<Value> = activity(&srv, &w).await;
    assert_eq!(left.len(), 2);
    assert_eq!(count(&srv, "SELECT COUNT(*) FROM activity_recent").await, 0);
    assert!(left.iter().all(|e| e["id"] != old));
    assert!(left.iter().any(|e| e["id"] == young));
    assert_eq!(
        count(&srv, "SELECT COUNT(*) FROM policy_usage").await,
        rows + 2
    );
    assert_eq!(
        count(
            &srv,
            &format!("SELECT COUNT(*) FROM policy_usage WHERE at = {young_at}")
        )
        .await,
        2,
        "the young rows are kept"
    );
}
dual!(retention_sweeps_old_activity_and_usage, retention);

/// `recover`'s entries are written to `activity_recent` (no index: a
/// batch's entries share its last page) and listed from there at once;
/// moved into `activity`, they are listed the same, once, in the same
/// order, and a list limited to n takes the newest n across both tables.
async fn recent_then_moved(db: Db) {
    let srv = with_policy(db, operator(), |_| {}).await;
    let w = create_wallet(&srv, "recent").await;
    let other = create_wallet(&srv, "recent-other").await;
    for v in ["1", "2", "3"] {
        assert_eq!(recover(&srv, &w, &tx(8453, v)).await.0, StatusCode::OK);
    }
    assert_eq!(
        recover(&srv, &other, &tx(8453, "4")).await.0,
        StatusCode::OK
    );
    assert_eq!(count(&srv, "SELECT COUNT(*) FROM activity_recent").await, 4);
    assert_eq!(count(&srv, "SELECT COUNT(*) FROM activity").await, 0);
    let before = activity(&srv, &w).await;
    let values = |log: &[Value]| -> Vec<String> {
        log.iter()
            .map(|e| e["intent"]["value"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(values(&before), ["3", "2", "1"]);

    let db = &srv.state.db;
    assert_eq!(
        hot_storage_service::hot::move_recent_activity(db)
            .await
            .unwrap(),
        4
    );
    assert_eq!(
        hot_storage_service::hot::move_recent_activity(db)
            .await
            .unwrap(),
        0
    );
    assert_eq!(count(&srv, "SELECT COUNT(*) FROM activity_recent").await, 0);
    assert_eq!(count(&srv, "SELECT COUNT(*) FROM activity").await, 4);
    assert_eq!(activity(&srv, &w).await, before);
    assert_eq!(values(&activity(&srv, &other).await), ["4"]);

    // Two in the log, two not yet moved: the newest two are the recent.
    for v in ["5", "6"] {
        assert_eq!(recover(&srv, &w, &tx(8453, v)).await.0, StatusCode::OK);
    }
    assert_eq!(values(&activity(&srv, &w).await), ["6", "5", "3", "2", "1"]);
    let (st, b) = srv
        .get(
            &format!("{ACTIVITY}?wallet={}&limit=2", w.wallet),
            Some(&w.token),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{b}");
    assert_eq!(values(b["entries"].as_array().unwrap()), ["6", "5"]);
    let (_, b) = srv
        .get(
            &format!("{ACTIVITY}?wallet={}&limit=4", w.wallet),
            Some(&w.token),
        )
        .await;
    assert_eq!(
        values(b["entries"].as_array().unwrap()),
        ["6", "5", "3", "2"]
    );
}
dual!(
    recovers_entries_are_listed_before_and_after_they_move,
    recent_then_moved
);

/// Entries written while movers run (two at once, as two replicas' would)
/// are each moved once: none lost, none twice.
async fn moving_while_written(db: Db) {
    let srv = Arc::new(with_policy(db, operator(), |_| {}).await);
    let w = Arc::new(create_wallet(&srv, "moving").await);
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let movers: Vec<_> = (0..2)
        .map(|_| {
            let (srv, stop) = (srv.clone(), stop.clone());
            tokio::spawn(async move {
                let mut moved = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    moved += hot_storage_service::hot::move_recent_activity(&srv.state.db)
                        .await
                        .unwrap();
                    tokio::time::sleep(Duration::from_millis(3)).await;
                }
                moved
            })
        })
        .collect();
    let writers: Vec<_> = (0..4)
        .map(|_| {
            let (srv, w) = (srv.clone(), w.clone());
            tokio::spawn(async move {
                for _ in 0..10 {
                    assert_eq!(recover(&srv, &w, &tx(8453, "5")).await.0, StatusCode::OK);
                }
            })
        })
        .collect();
    for t in writers {
        t.await.unwrap();
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut moved = 0;
    for m in movers {
        moved += m.await.unwrap();
    }
    moved += hot_storage_service::hot::move_recent_activity(&srv.state.db)
        .await
        .unwrap();
    assert_eq!(moved, 40);
    assert_eq!(count(&srv, "SELECT COUNT(*) FROM activity").await, 40);
    assert_eq!(
        count(&srv, "SELECT COUNT(DISTINCT id) FROM activity").await,
        40
    );
    assert_eq!(count(&srv, "SELECT COUNT(*) FROM activity_recent").await, 0);
    assert_eq!(activity(&srv, &w).await.len(), 40);
}
dual!(
    entries_written_while_moving_are_moved_once,
    moving_while_written
);
