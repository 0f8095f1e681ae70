//! The approvals desk (src/approvals.rs) over real HTTP on port 0: hot
//! storage's signed request waits on the operator's page, the operator's
//! decision reaches the webhook's answer, and the answer's signature is
//! checked with an HMAC-SHA256 computed here from SHA-256 alone (not the
//! server's code or crate).
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use base64::{Engine, engine::general_purpose::STANDARD};
use common::{Server, config, now};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const WRONG: &str = "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

/// RFC 2104 HMAC-SHA256 from the hash alone.
fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut k = [0u8; 64];
    k[..key.len()].copy_from_slice(key);
    let pad = |b: u8| k.iter().map(|x| x ^ b).collect::<Vec<u8>>();
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(msg)
        .finalize();
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .into()
}

fn signature(secret: &str, id: &str, ts: u64, body: &[u8]) -> String {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    let mut msg = format!("{id}.{ts}.").into_bytes();
    msg.extend_from_slice(body);
    format!("v1,{}", STANDARD.encode(hmac_sha256(&key, &msg)))
}

#[test]
fn the_independent_hmac_matches_the_published_example() {
    let body = br#"{"test": 2432232314}"#;
    assert_eq!(
        signature(SECRET, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1_614_265_330, body),
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    );
}

fn request(id: &str, deadline: u64) -> Vec<u8> {
    json!({
        "type": "keyframe.approval.requested",
        "timestamp": "2026-12-02T12:00:00Z",
        "data": {
            "evaluation_id": id, "kind": "evm_transaction", "chain": 31337,
            "to": "0x70997970c51812dc3a010c7d01b50e20d17dc79c",
            "value": "600000000000000000",
            "token_transfers": [{ "token": "0x5fbdb2315678afecb367f032d93f642f64180aa3",
                                   "to": "0x70997970c51812dc3a010c7d01b50e20d17dc79c", "amount": "5" }],
            "origin": "http://127.0.0.1:3000", "user": "alice<b>",
            "wallet": "0123abcd-4567-89ab-cdef-0123456789ab", "device": null,
            "rule": { "layer": "operator", "id": "big-transfer-needs-operator" },
            "deadline": deadline
        }
    })
    .to_string()
    .into_bytes()
}

async fn send(
    server: &Server,
    secret: &str,
    id: &str,
    ts: u64,
    body: Vec<u8>,
) -> reqwest::Response {
    let sig = signature(secret, id, ts, &body);
    reqwest::Client::new()
        .post(server.url("/approvals/webhook"))
        .header("content-type", "application/json")
        .header("webhook-id", id)
        .header("webhook-timestamp", ts.to_string())
        .header("webhook-signature", sig)
        .body(body)
        .send()
        .await
        .unwrap()
}

/// Checks the answer's signature independently and returns its JSON.
async fn signed_answer(resp: reqwest::Response, id: &str) -> Value {
    assert_eq!(resp.status(), 200);
    let h = resp.headers().clone();
    let get = |n: &str| h.get(n).unwrap().to_str().unwrap().to_owned();
    assert_eq!(get("webhook-id"), id);
    let ts: u64 = get("webhook-timestamp").parse().unwrap();
    assert!(ts.abs_diff(now()) <= 5);
    let body = resp.bytes().await.unwrap();
    assert_eq!(get("webhook-signature"), signature(SECRET, id, ts, &body));
    assert_ne!(get("webhook-signature"), signature(WRONG, id, ts, &body));
    serde_json::from_slice(&body).unwrap()
}

async fn start(secret: Option<&str>) -> (Server, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(dir.path());
    c.approval_secret = secret.map(|s| s.to_owned().into());
    (Server::start(c).await, dir)
}

async fn page(server: &Server) -> String {
    let resp = reqwest::get(server.url("/approvals")).await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("script-src 'self'")
    );
    resp.text().await.unwrap()
}

/// Waits until the page lists `id`.
async fn listed(server: &Server, id: &str) -> String {
    for _ in 0..100 {
        let html = page(server).await;
        if html.contains(&format!("action=\"/approvals/{id}\"")) {
            return html;
        }
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    panic!("{id} never listed");
}

async fn decide(server: &Server, id: &str, form: &str, origin: &str) -> reqwest::StatusCode {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(server.url(&format!("/approvals/{id}")))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("origin", origin)
        .body(form.to_owned())
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn a_wrong_or_stale_signature_is_refused() {
    let (server, _dir) = start(Some(SECRET)).await;
    let id = "ev_wrong";
    let resp = send(&server, WRONG, id, now(), request(id, now() + 30)).await;
    assert_eq!(resp.status(), 401);
    let resp = send(&server, SECRET, id, now() - 400, request(id, now() + 30)).await;
    assert_eq!(resp.status(), 401);
    // A signature over other bytes than those sent.
    let sig = signature(SECRET, id, now(), &request(id, now() + 30));
    let resp = reqwest::Client::new()
        .post(server.url("/approvals/webhook"))
        .header("webhook-id", id)
        .header("webhook-timestamp", now().to_string())
        .header("webhook-signature", sig)
        .body(request(id, now() + 31))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    assert!(!page(&server).await.contains("ev_wrong"));
    server.stop().await;
}

#[tokio::test]
async fn the_operator_approves_and_the_answer_is_signed() {
    let (server, _dir) = start(Some(SECRET)).await;
    let base = server.base.clone();
    let id = "ev_approve_1";
    let body = request(id, now() + 30);
    let pending = {
        let url = server.url("/approvals/webhook");
        let sig = signature(SECRET, id, now(), &body);
        let ts = now();
        tokio::spawn(async move {
            reqwest::Client::new()
                .post(url)
                .header("webhook-id", id)
                .header("webhook-timestamp", ts.to_string())
                .header("webhook-signature", sig)
                .body(body)
                .send()
                .await
                .unwrap()
        })
    };
    let html = listed(&server, id).await;
    // What the operator sees, escaped.
    assert!(html.contains("0.6 ETH") && html.contains("31337"));
    assert!(html.contains("alice&lt;b&gt;") && !html.contains("alice<b>"));
    assert!(html.contains("big-transfer-needs-operator"));
    assert!(html.contains("transfer 5 of token 0x5fbdb2315678afecb367f032d93f642f64180aa3"));
    // A page that rebound its own name to this server sees nothing and
    // decides nothing.
    let rebound = reqwest::Client::new()
        .get(server.url("/approvals"))
        .header("host", "evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(rebound.status(), 404);
    let rebound = reqwest::Client::new()
        .post(server.url(&format!("/approvals/{id}")))
        .header("host", "evil.example")
        .header("origin", "http://evil.example")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("decision=approve")
        .send()
        .await
        .unwrap();
    assert_eq!(rebound.status(), 404);
    // A cross-site form post is refused and decides nothing.
    assert_eq!(
        decide(&server, id, "decision=approve", "http://evil.example").await,
        400
    );
    assert!(!pending.is_finished());
    assert_eq!(decide(&server, id, "decision=approve", &base).await, 303);
    let answer = signed_answer(pending.await.unwrap(), id).await;
    assert_eq!(answer, json!({ "approved": true, "evaluationId": id }));
    // Decided: no longer listed, and a second decision finds nothing.
    assert!(!page(&server).await.contains(id));
    assert_eq!(decide(&server, id, "decision=refuse", &base).await, 404);
    server.stop().await;
}

#[tokio::test]
async fn the_operator_refuses_with_a_reason() {
    let (server, _dir) = start(Some(SECRET)).await;
    let base = server.base.clone();
    let id = "ev_refuse_1";
    let body = request(id, now() + 30);
    let ts = now();
    let pending = {
        let url = server.url("/approvals/webhook");
        let sig = signature(SECRET, id, ts, &body);
        tokio::spawn(async move {
            reqwest::Client::new()
                .post(url)
                .header("webhook-id", id)
                .header("webhook-timestamp", ts.to_string())
                .header("webhook-signature", sig)
                .body(body)
                .send()
                .await
                .unwrap()
        })
    };
    listed(&server, id).await;
    assert_eq!(
        decide(&server, id, "decision=refuse&reason=not+today%0A", &base).await,
        303
    );
    let answer = signed_answer(pending.await.unwrap(), id).await;
    assert_eq!(
        answer,
        json!({ "approved": false, "evaluationId": id, "reason": "not today" })
    );
    server.stop().await;
}

#[tokio::test]
async fn no_decision_before_the_deadline_is_a_refusal() {
    let (server, _dir) = start(Some(SECRET)).await;
    let id = "ev_deadline";
    let started = std::time::Instant::now();
    let resp = send(&server, SECRET, id, now(), request(id, now() + 1)).await;
    let answer = signed_answer(resp, id).await;
    assert_eq!(answer["approved"], false);
    assert!(answer["reason"].as_str().unwrap().contains("deadline"));
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(!page(&server).await.contains(id));
    server.stop().await;
}

#[tokio::test]
async fn without_a_secret_there_is_no_desk() {
    let (server, _dir) = start(None).await;
    let resp = reqwest::get(server.url("/approvals")).await.unwrap();
    assert_eq!(resp.status(), 404);
    let resp = send(&server, SECRET, "ev1", now(), request("ev1", now() + 5)).await;
    assert_eq!(resp.status(), 404);
    server.stop().await;
}
