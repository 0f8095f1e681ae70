//! The approval webhook client (src/approval.rs) against a real HTTP
//! server on 127.0.0.1:0 that checks what it receives (the Standard
//! Webhooks signature, recomputed here with ring, and the body's fields)
//! and answers as each case needs: approves, refuses, answers late, signs
//! badly, names another evaluation, fails with 500.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use clap::Parser;
use hot_storage_service::approval::{ApprovalCall, ApprovalOutcome, ApprovalSecret, Approver};
use hot_storage_service::config::HotCli;
use keyframe_policy::{Intent, Layer, RuleRef};
use keyframe_wire::{DeviceId, WalletId};
use serde_json::{Value, json};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const OTHER_SECRET: &str = "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
const WALLET: &str = "0123abcd-4567-89ab-cdef-0123456789ab";
const DEVICE: &str = "11111111-2222-4333-8444-555555555555";

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// HMAC-SHA256 over `{id}.{ts}.{body}` with the base64 key after `whsec_`,
/// computed here, not by the module under test.
fn hmac_b64(secret: &str, id: &str, ts: &str, body: &[u8]) -> String {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &key);
    let mut msg = format!("{id}.{ts}.").into_bytes();
    msg.extend_from_slice(body);
    STANDARD.encode(ring::hmac::sign(&key, &msg).as_ref())
}

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Approve,
    Refuse,
    Late,
    BadSignature,
    Unsigned,
    OtherId,
    Fail500,
    Huge,
    Redirect,
}

#[derive(Clone)]
struct Hook {
    mode: Mode,
    seen: Arc<Mutex<Vec<Value>>>,
}

/// Checks the request (refusing a bad one with 401, which the client
/// reads as `Invalid`) and answers per `mode`.
async fn hook(State(h): State<Hook>, headers: HeaderMap, body: Bytes) -> Response {
    let get = |n: &str| headers.get(n).unwrap().to_str().unwrap().to_owned();
    let (id, ts, sig) = (
        get("webhook-id"),
        get("webhook-timestamp"),
        get("webhook-signature"),
    );
    if sig != format!("v1,{}", hmac_b64(SECRET, &id, &ts, &body))
        || ts.parse::<u64>().unwrap().abs_diff(now()) > 5
        || get("content-type") != "application/json"
    {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let request: Value = serde_json::from_slice(&body).unwrap();
    h.seen.lock().unwrap().push(request.clone());
    let eval_id = request["data"]["evaluation_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(eval_id, id);
    let answer = match h.mode {
        Mode::Refuse => {
            json!({ "approved": false, "evaluationId": id, "reason": "over the desk's limit" })
        }
        Mode::OtherId => json!({ "approved": true, "evaluationId": "someone-else" }),
        _ => json!({ "approved": true, "evaluationId": id }),
    };
    let mut body = serde_json::to_vec(&answer).unwrap();
    match h.mode {
        Mode::Late => tokio::time::sleep(Duration::from_millis(1500)).await,
        Mode::Fail500 => return (StatusCode::INTERNAL_SERVER_ERROR, "boom").into_response(),
        Mode::Huge => body = format!("{{\"pad\":\"{}\"}}", "x".repeat(70_000)).into_bytes(),
        Mode::Redirect => {
            return (
                StatusCode::TEMPORARY_REDIRECT,
                [("location", "http://127.0.0.1:9/elsewhere")],
            )
                .into_response();
        }
        _ => {}
    }
    let ts = now().to_string();
    let secret = if h.mode == Mode::BadSignature {
        OTHER_SECRET
    } else {
        SECRET
    };
    let sig = format!("v1,{}", hmac_b64(secret, &id, &ts, &body));
    let mut response = (StatusCode::OK, body).into_response();
    if h.mode != Mode::Unsigned {
        let hd = response.headers_mut();
        hd.insert("webhook-id", id.parse().unwrap());
        hd.insert("webhook-timestamp", ts.parse().unwrap());
        hd.insert("webhook-signature", sig.parse().unwrap());
    }
    response
}

async fn server(mode: Mode) -> (String, Arc<Mutex<Vec<Value>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let app = Router::new().route("/hook", post(hook)).with_state(Hook {
        mode,
        seen: seen.clone(),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/hook"), seen)
}

fn intent() -> Intent {
    serde_json::from_value(json!({
        "kind": "evm_transaction", "chain": 31337, "origin": "http://127.0.0.1:3000",
        "to": "0x00000000000000000000000000000000000000aa",
        "value": "600000000000000000",
        "token_transfers": [{ "token": "0x833589fcd6edb6e08f4c7c32d4f71b54bda02913",
                              "to": "0x00000000000000000000000000000000000000bb", "amount": "5" }]
    }))
    .unwrap()
}

async fn ask(mode: Mode, secret: &str, timeout_ms: u64) -> (ApprovalOutcome, Vec<Value>) {
    let (url, seen) = server(mode).await;
    let approver = Approver::new(
        &url,
        ApprovalSecret::parse(secret).unwrap(),
        Duration::from_millis(timeout_ms),
    )
    .unwrap();
    let intent = intent();
    let rule = RuleRef {
        layer: Layer::Operator,
        id: "big-needs-office".into(),
    };
    // A batch of one part, so the webhook shows its parts too.
    let parts = [intent.clone()];
    let call = ApprovalCall {
        evaluation_id: "ev_0b6c6a4e-2d3f",
        intent: &intent,
        parts: &parts,
        user: "alice",
        wallet: WALLET.parse::<WalletId>().unwrap(),
        device: Some(DEVICE.parse::<DeviceId>().unwrap()),
        rule: Some(&rule),
    };
    let outcome = approver.ask(&call).await;
    let seen = seen.lock().unwrap().clone();
    (outcome, seen)
}

fn invalid_because(outcome: &ApprovalOutcome, why: &str) {
    match outcome {
        ApprovalOutcome::Invalid(r) => assert!(r.contains(why), "{why}: {r}"),
        other => panic!("{why}: {other:?}"),
    }
}

#[tokio::test]
async fn approves_with_the_decoded_request() {
    let (outcome, seen) = ask(Mode::Approve, SECRET, 3000).await;
    assert_eq!(outcome, ApprovalOutcome::Approved);
    assert_eq!(seen.len(), 1, "the server verified the request's signature");
    let r = &seen[0];
    assert_eq!(r["type"], "keyframe.approval.requested");
    let ts = time::OffsetDateTime::parse(
        r["timestamp"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert!((ts.unix_timestamp() as u64).abs_diff(now()) <= 5);
    let d = &r["data"];
    assert_eq!(d["evaluation_id"], "ev_0b6c6a4e-2d3f");
    assert_eq!(d["kind"], "evm_transaction");
    assert_eq!(d["parts"][0]["kind"], "evm_transaction", "{d}");
    assert_eq!(d["parts"][0]["to"], d["to"]);
    assert_eq!(d["chain"], 31337);
    assert_eq!(d["to"], "0x00000000000000000000000000000000000000aa");
    assert_eq!(d["value"], "600000000000000000");
    assert_eq!(d["token_transfers"][0]["amount"], "5");
    assert_eq!(d["origin"], "http://127.0.0.1:3000");
    assert_eq!(d["user"], "alice");
    assert_eq!(d["wallet"], WALLET);
    assert_eq!(d["device"], DEVICE);
    assert_eq!(
        d["rule"],
        json!({ "layer": "operator", "id": "big-needs-office" })
    );
    // The deadline is the request's time plus the timeout (3 s).
    let deadline = d["deadline"].as_u64().unwrap();
    assert!(
        (3..=4).contains(&(deadline - ts.unix_timestamp() as u64)),
        "{deadline}"
    );
}

#[tokio::test]
async fn refuses_with_the_reason() {
    let (outcome, _) = ask(Mode::Refuse, SECRET, 3000).await;
    assert_eq!(
        outcome,
        ApprovalOutcome::Refused("over the desk's limit".into())
    );
    assert!(outcome.message().contains("over the desk's limit"));
}

#[tokio::test]
async fn a_late_answer_times_out() {
    let started = std::time::Instant::now();
    let (outcome, seen) = ask(Mode::Late, SECRET, 400).await;
    assert_eq!(outcome, ApprovalOutcome::TimedOut);
    assert_eq!(seen.len(), 1);
    let waited = started.elapsed();
    assert!(waited < Duration::from_millis(1400), "{waited:?}");
}

#[tokio::test]
async fn a_badly_signed_answer_is_invalid() {
    let (outcome, _) = ask(Mode::BadSignature, SECRET, 3000).await;
    invalid_because(&outcome, "does not verify");
    let (outcome, _) = ask(Mode::Unsigned, SECRET, 3000).await;
    invalid_because(&outcome, "not signed");
}

#[tokio::test]
async fn a_request_signed_with_another_secret_is_refused_by_the_server() {
    // The test server refuses (401) what it cannot verify: hot storage
    // reads that as Invalid, and the server recorded nothing.
    let (outcome, seen) = ask(Mode::Approve, OTHER_SECRET, 3000).await;
    invalid_because(&outcome, "HTTP 401");
    assert!(seen.is_empty());
}

#[tokio::test]
async fn another_evaluation_id_is_invalid() {
    let (outcome, _) = ask(Mode::OtherId, SECRET, 3000).await;
    invalid_because(&outcome, "another evaluation");
}

#[tokio::test]
async fn errors_oversized_answers_and_redirects_are_invalid() {
    let (outcome, _) = ask(Mode::Fail500, SECRET, 3000).await;
    invalid_because(&outcome, "HTTP 500");
    let (outcome, _) = ask(Mode::Huge, SECRET, 3000).await;
    invalid_because(&outcome, "larger than 64 KiB");
    // Not followed: the 307 itself is the answer.
    let (outcome, _) = ask(Mode::Redirect, SECRET, 3000).await;
    invalid_because(&outcome, "HTTP 307");
}

#[tokio::test]
async fn an_unreachable_webhook_is_invalid() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let approver = Approver::new(
        &format!("http://{addr}/hook"),
        ApprovalSecret::parse(SECRET).unwrap(),
        Duration::from_secs(2),
    )
    .unwrap();
    let intent = intent();
    let call = ApprovalCall {
        evaluation_id: "ev1",
        intent: &intent,
        parts: &[],
        user: "alice",
        wallet: WALLET.parse().unwrap(),
        device: None,
        rule: None,
    };
    invalid_because(&approver.ask(&call).await, "could not be reached");
    // Without a webhook configured nothing is sent and nothing approves.
    let none = hot_storage_service::approval::ask(None, &call).await;
    assert_eq!(none, ApprovalOutcome::NotConfigured);
    assert!(none.message().contains("no approval service is configured"));
    // An id the format cannot carry is never sent.
    let call = ApprovalCall {
        evaluation_id: "ev.1",
        ..call
    };
    invalid_because(&approver.ask(&call).await, "cannot be signed");
}

fn hot(args: &[&str]) -> anyhow::Result<hot_storage_service::settings::Settings> {
    let mut argv = vec!["hot-storage-service"];
    argv.extend_from_slice(args);
    HotCli::try_parse_from(argv).unwrap().settings()
}

#[test]
fn approval_webhook_flags() {
    assert!(hot(&[]).unwrap().approver.is_none());
    let s = hot(&[
        "--approval-url",
        "http://127.0.0.1:3000/approvals/webhook",
        "--approval-secret",
        SECRET,
    ])
    .unwrap();
    let a = s.approver.unwrap();
    assert_eq!(a.url(), "http://127.0.0.1:3000/approvals/webhook");
    assert_eq!(a.timeout(), Duration::from_millis(5000));
    let s = hot(&[
        "--approval-url",
        "https://office.example/hook",
        "--approval-secret",
        SECRET,
        "--approval-timeout-ms",
        "60000",
        "--request-timeout-seconds",
        "75",
    ])
    .unwrap();
    assert_eq!(s.approver.unwrap().timeout(), Duration::from_secs(60));
    // ...and it refuses a webhook timeout the request's own timeout would cut.
    let e = hot(&[
        "--approval-url",
        "https://office.example/hook",
        "--approval-secret",
        SECRET,
        "--approval-timeout-ms",
        "10000",
        "--request-timeout-seconds",
        "10",
    ])
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("must be shorter than --request-timeout-seconds"),
        "{e}"
    );

    let err = |args: &[&str]| hot(args).unwrap_err().to_string();
    let e = err(&["--approval-url", "https://office.example/hook"]);
    assert!(e.contains("shared secret"), "{e}");
    let e = err(&["--approval-secret", SECRET]);
    assert!(e.contains("no --approval-url"), "{e}");
    let e = err(&[
        "--approval-url",
        "http://office.example/hook",
        "--approval-secret",
        SECRET,
    ]);
    assert!(e.contains("must be https"), "{e}");
    let bad = "whsec_c2hvcnQ=";
    let e = err(&[
        "--approval-url",
        "https://office.example/hook",
        "--approval-secret",
        bad,
    ]);
    assert!(e.contains("24 to 64") && !e.contains(bad), "{e}");
    let e = HotCli::try_parse_from(["hot-storage-service", "--approval-timeout-ms", "5"])
        .unwrap_err()
        .to_string();
    assert!(e.contains("approval-timeout-ms"), "{e}");
    // The parsed flags never show the secret.
    let cli = HotCli::try_parse_from(["hot-storage-service", "--approval-secret", SECRET]).unwrap();
    assert!(!format!("{cli:?}").contains("MfKQ9r8G"));
}
