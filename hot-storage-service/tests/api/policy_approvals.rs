//! The approval webhook's yes as hot storage honours it (docs/api.md,
//! `POST /v2/policy/approvals`, `POST /v2/devices/recover`): asked only
//! for a request whose effect is `approve`; its refusal, silence or an
//! invalid answer is 403 `POLICY_DENIED` with a reason the user can read;
//! its yes releases the share once, for the same user, wallet and intent,
//! within APPROVAL_TTL_SECS, and never without it. (The webhook itself is
//! replaced by a fixed answer: feature `test-approver`.)

use std::sync::{Arc, Mutex};

use hot_storage_service::approval::{ApprovalCall, ApprovalOutcome};
use hot_storage_service::server::Settings;
use hot_storage_service::settings::TestApprover;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::*;
use crate::dual;
use crate::policy_support::*;

fn operator() -> Value {
    json!({ "version": 1, "default": "ask", "rules": [
        { "id": "no-mainnet", "effect": "deny", "when": { "chains": [1] } },
        { "id": "quiet-office", "effect": "approve", "silent": true, "when": { "chains": [10], "value_at_least": "1000" } },
        { "id": "office", "effect": "approve", "when": { "value_at_least": "1000" } } ] })
}

/// What the stand-in webhook was asked: (evaluation id, user, wallet, rule id).
type Calls = Arc<Mutex<Vec<(String, String, String, Option<String>)>>>;

/// The stand-in's answer depends on the value: 1000-1999 yes, 2000 no,
/// 3000 no answer in time, 4000 an invalid answer.
fn answer(call: &ApprovalCall<'_>) -> ApprovalOutcome {
    match call.intent.value.to_string().as_str() {
        "2000" => ApprovalOutcome::Refused("the back office says no".into()),
        "3000" => ApprovalOutcome::TimedOut,
        "4000" => ApprovalOutcome::Invalid("bad webhook-signature".into()),
        _ => ApprovalOutcome::Approved,
    }
}

fn with_approver(calls: Calls) -> impl FnOnce(&mut Settings) {
    move |s: &mut Settings| {
        s.test_approver = Some(TestApprover(Arc::new(move |call: &ApprovalCall<'_>| {
            calls.lock().unwrap().push((
                call.evaluation_id.to_owned(),
                call.user.to_owned(),
                call.wallet.to_string(),
                call.rule.map(|r| r.id.clone()),
            ));
            answer(call)
        })));
    }
}

async fn ask(srv: &Srv, w: &Wallet, intent: &Value) -> (StatusCode, Value) {
    srv.post(
        APPROVALS,
        &w.token,
        &json!({ "wallet": w.wallet, "device": w.device, "intent": intent }),
    )
    .await
}

async fn approved(srv: &Srv, w: &Wallet, intent: &Value) -> String {
    let (st, b) = ask(srv, w, intent).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    assert_eq!(b["approved"], true);
    b["evaluation_id"].as_str().unwrap().to_owned()
}

async fn recover_with(
    srv: &Srv,
    w: &Wallet,
    intent: &Value,
    approval: Option<&str>,
) -> (StatusCode, Value) {
    srv.post(RECOVER, &w.token, &recover_body(w, intent, approval))
        .await
}

fn denied(st: StatusCode, b: &Value, words: &str) {
    assert_error(st, b, 403, "POLICY_DENIED");
    let msg = b["error"]["message"].as_str().unwrap();
    assert!(msg.contains(words), "{msg:?} lacks {words:?}");
    assert!(b.get("share").is_none());
}

async fn honoured_once(db: Db) {
    let calls: Calls = Arc::default();
    let srv = with_policy(db, operator(), with_approver(calls.clone())).await;
    let w = create_wallet(&srv, "approvals").await;
    let big = tx(8453, "1500");

    // Without an approval, and with one that does not exist: refused.
    let (st, b) = recover_with(&srv, &w, &big, None).await;
    denied(st, &b, "needs the approval webhook's yes");
    let (st, b) = recover_with(&srv, &w, &big, Some("0123456789abcdef")).await;
    denied(st, &b, "office");

    // The webhook's yes: the share once, then never again.
    let id = approved(&srv, &w, &big).await;
    {
        let c = calls.lock().unwrap();
        let last = c.last().unwrap();
        assert_eq!(last.0, id);
        assert_eq!(last.1, format!("{ISS} approvals"));
        assert_eq!(
            (last.2.as_str(), last.3.as_deref()),
            (w.wallet.as_str(), Some("office"))
        );
    }
    let (st, b) = recover_with(&srv, &w, &big, Some(&id)).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    assert_eq!(unb64(b["share"].as_str().unwrap()), w.device_share);
    let (st, b) = recover_with(&srv, &w, &big, Some(&id)).await;
    denied(st, &b, "office");

    // A yes for one intent does not release another (even a smaller
    // one), and a refused attempt does not use it up.
    let id = approved(&srv, &w, &big).await;
    let (st, b) = recover_with(&srv, &w, &tx(8453, "1001"), Some(&id)).await;
    denied(st, &b, "office");
    let mut other_to = big.clone();
    other_to["to"] = json!("0x2222222222222222222222222222222222222222");
    let (st, b) = recover_with(&srv, &w, &other_to, Some(&id)).await;
    denied(st, &b, "office");
    assert_eq!(
        recover_with(&srv, &w, &big, Some(&id)).await.0,
        StatusCode::OK
    );

    // A request that says no screen was shown, for a rule that is not
    // silent: 409 before the yes is looked at, so it is not used up.
    let id = approved(&srv, &w, &big).await;
    let mut unseen = recover_body(&w, &big, Some(&id));
    unseen["on_screen"] = json!(false);
    let (st, b) = srv.post(RECOVER, &w.token, &unseen).await;
    assert_error(st, &b, 409, "POLICY_CHANGED");
    assert_eq!(
        recover_with(&srv, &w, &big, Some(&id)).await.0,
        StatusCode::OK
    );

    // Another user's wallet cannot use this user's yes; the yes stays good.
    let id = approved(&srv, &w, &big).await;
    let thief = create_wallet(&srv, "approvals-thief").await;
    let (st, b) = recover_with(&srv, &thief, &big, Some(&id)).await;
    denied(st, &b, "office");
    assert_eq!(
        recover_with(&srv, &w, &big, Some(&id)).await.0,
        StatusCode::OK
    );

    // Older than APPROVAL_TTL_SECS: refused.
    let id = approved(&srv, &w, &big).await;
    let ttl_ms = keyframe_wire::policy::APPROVAL_TTL_SECS as i64 * 1000;
    let n = exec(
        &srv,
        &format!(
            "UPDATE activity SET at = at - {} WHERE id = '{id}'",
            ttl_ms + 2000
        ),
    )
    .await;
    assert_eq!(n, 1);
    let (st, b) = recover_with(&srv, &w, &big, Some(&id)).await;
    denied(st, &b, "office");

    // A silent rule says so.
    let (st, b) = ask(&srv, &w, &tx(10, "1000")).await;
    assert_eq!((st, &b["silent"]), (StatusCode::OK, &json!(true)), "{b}");
}
dual!(
    an_approval_is_honoured_once_for_its_own_request,
    honoured_once
);

async fn webhook_outcomes(db: Db) {
    let calls: Calls = Arc::default();
    let srv = with_policy(db, operator(), with_approver(calls.clone())).await;
    let w = create_wallet(&srv, "outcomes").await;
    let other = create_wallet(&srv, "outcomes-other").await;

    let (st, b) = ask(&srv, &w, &tx(8453, "2000")).await;
    denied(st, &b, "the back office says no");
    let (st, b) = ask(&srv, &w, &tx(8453, "3000")).await;
    denied(st, &b, "did not answer in time");
    let (st, b) = ask(&srv, &w, &tx(8453, "4000")).await;
    denied(st, &b, "bad webhook-signature");
    // Denied by the policy: the webhook is not asked.
    let asked = calls.lock().unwrap().len();
    let (st, b) = ask(&srv, &w, &tx(1, "5000")).await;
    denied(st, &b, "no-mainnet");
    // allow / ask need no approval: 400.
    let (st, b) = ask(&srv, &w, &tx(8453, "5")).await;
    assert_error(st, &b, 400, "BAD_REQUEST");
    assert!(
        b["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no approval needed"),
        "{b}"
    );
    // Another user's wallet: 404; an unknown field: 400.
    let (st, b) = srv
        .post(
            APPROVALS,
            &w.token,
            &json!({ "wallet": other.wallet, "intent": tx(8453, "1000") }),
        )
        .await;
    assert_error(st, &b, 404, "NO_WALLET");
    let (st, b) = srv
        .post(
            APPROVALS,
            &w.token,
            &json!({ "wallet": w.wallet, "intent": tx(8453, "1000"), "extra": 1 }),
        )
        .await;
    assert_error(st, &b, 400, "BAD_REQUEST");
    assert_eq!(
        calls.lock().unwrap().len(),
        asked,
        "the webhook was not asked"
    );

    // Each outcome is in the log, with its reason; the refusals are no
    // approval recover could use.
    let log = activity(&srv, &w).await;
    let got: Vec<(&str, Option<&str>)> = log
        .iter()
        .map(|e| (e["decision"].as_str().unwrap(), e["reason"].as_str()))
        .collect();
    assert_eq!(got.len(), 4, "{log:?}");
    assert_eq!(got[0].0, "denied");
    assert!(got[0].1.unwrap().contains("no-mainnet"));
    assert_eq!(got[1].0, "refused_by_webhook");
    assert!(got[1].1.unwrap().contains("bad webhook-signature"));
    assert_eq!(got[2].0, "webhook_timed_out");
    assert_eq!(got[3].0, "refused_by_webhook");
    assert!(got[3].1.unwrap().contains("the back office says no"));
    for e in &log[1..] {
        assert_eq!(e["rule"], json!({ "layer": "operator", "id": "office" }));
        let id = e["id"].as_str().unwrap();
        let value = e["intent"]["value"].as_str().unwrap();
        let (st, b) = recover_with(&srv, &w, &tx(8453, value), Some(id)).await;
        denied(st, &b, "office");
    }
    assert_eq!(log[3]["device"], json!(w.device));
}
dual!(
    the_webhooks_no_silence_and_bad_answers_are_denials,
    webhook_outcomes
);

async fn no_webhook(db: Db) {
    let srv = with_policy(db, operator(), |_| {}).await;
    let w = create_wallet(&srv, "no-webhook").await;
    let (st, b) = ask(&srv, &w, &tx(8453, "1000")).await;
    denied(st, &b, "this service has no approval webhook");
    let (st, b) = recover_with(&srv, &w, &tx(8453, "1000"), None).await;
    denied(st, &b, "needs the approval webhook's yes");
}
dual!(without_a_webhook_approve_is_a_denial, no_webhook);

/// A batch whose whole needs no approval but one part does (the office's
/// rule matches the part's value): the webhook is asked about the batch,
/// shown its parts, and its yes releases the batch's share; without the
/// parts the same whole needs no approval, and more parts than a batch
/// holds are refused before the webhook is asked.
async fn batch_parts(db: Db) {
    let calls: Calls = Arc::default();
    let srv = with_policy(db, operator(), with_approver(calls.clone())).await;
    let w = create_wallet(&srv, "approval-parts").await;
    let whole = tx(8453, "500");
    let parts = [tx(8453, "1500"), tx(8453, "10")];
    let body = |parts: &[Value]| json!({ "wallet": w.wallet, "device": w.device, "intent": whole, "parts": parts });

    let (st, b) = srv.post(APPROVALS, &w.token, &body(&[])).await;
    assert_error(st, &b, 400, "BAD_REQUEST");
    assert!(
        b["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no approval needed"),
        "{b}"
    );
    let too_many = vec![tx(8453, "1500"); 11];
    let (st, b) = srv.post(APPROVALS, &w.token, &body(&too_many)).await;
    assert_error(st, &b, 400, "BAD_REQUEST");
    assert!(
        calls.lock().unwrap().is_empty(),
        "the webhook was asked about a refused body"
    );

    let (st, b) = srv.post(APPROVALS, &w.token, &body(&parts)).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    assert_eq!(b["approved"], true);
    let id = b["evaluation_id"].as_str().unwrap().to_owned();
    assert_eq!(
        calls.lock().unwrap().last().unwrap().3.as_deref(),
        Some("office")
    );

    let mut recover = recover_body(&w, &whole, Some(&id));
    recover["parts"] = json!(parts);
    let (st, b) = srv.post(RECOVER, &w.token, &recover).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    assert_eq!(unb64(b["share"].as_str().unwrap()), w.device_share);
}
dual!(
    a_batch_part_that_needs_the_webhook_gets_its_yes,
    batch_parts
);
