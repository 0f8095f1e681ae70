//! Hot storage's approval webhook client (hot-storage-service/src/approval.rs)
//! against this server's approvals desk, both real, over HTTP on port 0: the
//! operator's Approve is hot storage's `Approved`, Refuse its `Refused` with
//! the reason, and no decision within hot storage's timeout its `TimedOut`.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{Server, config};
use hot_storage_service::approval::{ApprovalCall, ApprovalOutcome, ApprovalSecret, Approver};
use keyframe_policy::{Intent, Layer, RuleRef};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

async fn start() -> (Server, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(dir.path());
    c.approval_secret = Some(SECRET.to_owned().into());
    (Server::start(c).await, dir)
}

async fn listed(server: &Server, id: &str) -> bool {
    let html = reqwest::get(server.url("/approvals"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    html.contains(&format!("action=\"/approvals/{id}\""))
}

async fn decide(server: &Server, id: &str, form: &'static str) {
    for _ in 0..200 {
        if listed(server, id).await {
            let status = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap()
                .post(server.url(&format!("/approvals/{id}")))
                .header("origin", server.base.clone())
                .header("content-type", "application/x-www-form-urlencoded")
                .body(form)
                .send()
                .await
                .unwrap()
                .status();
            assert_eq!(status, 303);
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("{id} never listed");
}

/// Hot storage asks about `id` with `timeout` while `operator` runs.
async fn ask(
    server: &Server,
    id: &'static str,
    timeout: Duration,
    operator: impl std::future::Future<Output = ()>,
) -> ApprovalOutcome {
    let approver = Approver::new(
        &server.url("/approvals/webhook"),
        ApprovalSecret::parse(SECRET).unwrap(),
        timeout,
    )
    .unwrap();
    let intent: Intent = serde_json::from_value(serde_json::json!({
        "kind": "evm_transaction", "chain": 31337,
        "to": "0x70997970c51812dc3a010c7d01b50e20d17dc79c", "value": "500000000000000000"
    }))
    .unwrap();
    let rule = RuleRef {
        layer: Layer::Operator,
        id: "big-transfer-needs-operator".into(),
    };
    // As for a batch: the parts beside the whole, which the desk must read.
    let parts = [intent.clone()];
    let call = ApprovalCall {
        evaluation_id: id,
        intent: &intent,
        parts: &parts,
        user: "carol",
        wallet: "0123abcd-4567-89ab-cdef-0123456789ab".parse().unwrap(),
        device: None,
        rule: Some(&rule),
    };
    let (outcome, ()) = tokio::join!(approver.ask(&call), operator);
    outcome
}

#[tokio::test]
async fn the_operators_decisions_reach_hot_storage() {
    let (server, _dir) = start().await;
    let t = Duration::from_secs(10);
    let yes = ask(
        &server,
        "ev_interop_yes",
        t,
        decide(&server, "ev_interop_yes", "decision=approve"),
    )
    .await;
    assert_eq!(yes, ApprovalOutcome::Approved);
    let no = ask(
        &server,
        "ev_interop_no",
        t,
        decide(
            &server,
            "ev_interop_no",
            "decision=refuse&reason=call+the+desk",
        ),
    )
    .await;
    assert_eq!(no, ApprovalOutcome::Refused("call the desk".into()));
    server.stop().await;
}

#[tokio::test]
async fn no_decision_in_time_is_a_time_out_and_the_request_leaves_the_page() {
    let (server, _dir) = start().await;
    let id = "ev_interop_late";
    let outcome = ask(&server, id, Duration::from_millis(1500), async {}).await;
    assert_eq!(outcome, ApprovalOutcome::TimedOut);
    // The desk stops waiting at the request's deadline (the timeout,
    // rounded up to a second).
    let mut gone = false;
    for _ in 0..80 {
        if !listed(&server, id).await {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(gone, "{id} still pending");
    server.stop().await;
}
