//! What the policy tests share: a server with an operator policy given
//! in code, signed user rules, recover bodies, the activity log, metrics.

use std::sync::Arc;

use ed25519_dalek::{Signer as _, SigningKey};
use hot_storage_service::policy_file::PolicyFile;
use hot_storage_service::server::{Service, Settings};
use keyframe_policy::Policy;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::*;

pub const RECOVER: &str = "/v2/devices/recover";
pub const RULES: &str = "/v2/policy/user-rules";
pub const APPROVALS: &str = "/v2/policy/approvals";
pub const ACTIVITY: &str = "/v2/activity";

/// A hot-storage server whose operator policy is `policy`.
pub async fn with_policy(db: Db, policy: Value, tweak: impl FnOnce(&mut Settings)) -> Srv {
    let p = PolicyFile::with(None, Policy::from_value(policy).unwrap());
    Srv::start(db, Service::Hot, move |s| {
        s.policy = Arc::new(p);
        tweak(s);
    })
    .await
}

/// A `SignedUserRules` body: `rules` as text, signed by `key`.
pub fn signed_rules(wallet: &str, version: u64, rules: &str, key: &SigningKey) -> Value {
    let w = wallet.parse().unwrap();
    let msg = keyframe_wire::policy::user_rules_message(w, version, rules);
    let sig = key.sign(&msg).to_bytes();
    json!({ "wallet": wallet, "version": version, "rules": rules, "signature": b64u(&sig) })
}

/// PUTs user rules with the wallet's authority header (the harness key).
pub async fn put_rules(srv: &Srv, w: &Wallet, body: &Value) -> (StatusCode, Value) {
    srv.send(Method::PUT, RULES, Some(&w.token), Some(body))
        .await
}

/// An EVM transaction intent on `chain` of `value` wei.
pub fn tx(chain: u64, value: &str) -> Value {
    json!({ "kind": "evm_transaction", "chain": chain,
            "to": "0x1111111111111111111111111111111111111111", "value": value })
}

/// A recover body for the wallet's device with `intent` (and `approval`),
/// as the iFrame sends it once the user approved it on the screen
/// (`on_screen: true`; a test of the screen not shown sets it false).
pub fn recover_body(w: &Wallet, intent: &Value, approval: Option<&str>) -> Value {
    let mut b =
        json!({ "wallet": w.wallet, "device": w.device, "intent": intent, "on_screen": true });
    if let Some(a) = approval {
        b["approval"] = json!(a);
    }
    b
}

pub async fn recover(srv: &Srv, w: &Wallet, intent: &Value) -> (StatusCode, Value) {
    srv.post(RECOVER, &w.token, &recover_body(w, intent, None))
        .await
}

/// The wallet's activity log, newest first.
pub async fn activity(srv: &Srv, w: &Wallet) -> Vec<Value> {
    let (st, b) = srv
        .get(&format!("{ACTIVITY}?wallet={}", w.wallet), Some(&w.token))
        .await;
    assert_eq!(st, StatusCode::OK, "{b}");
    b["entries"].as_array().unwrap().clone()
}

/// The value of the series `name` whose labels include `label`
/// (0 when absent).
pub async fn metric(srv: &Srv, name: &str, label: &str) -> f64 {
    let text = srv
        .http
        .get(format!("{}/metrics", srv.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find(|l| l.starts_with(&format!("{name}{{")) && l.contains(label))
        .and_then(|l| l.rsplit(' ').next())
        .map_or(0.0, |v| v.parse().unwrap())
}

/// Rows of `table` (raw SQL).
pub async fn count(srv: &Srv, sql: &str) -> i64 {
    let pool = srv.raw_pool().await;
    let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    n
}

/// Runs one statement (raw SQL), returns rows affected.
pub async fn exec(srv: &Srv, sql: &str) -> u64 {
    let pool = srv.raw_pool().await;
    let n = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
        .execute(&pool)
        .await
        .unwrap()
        .rows_affected();
    pool.close().await;
    n
}

/// The usage `GET /v2/policy` reports for `rule`: the requests counted.
pub async fn counted(srv: &Srv, w: &Wallet, rule: &str) -> u64 {
    let (st, s) = srv
        .get(&format!("/v2/policy?wallet={}", w.wallet), Some(&w.token))
        .await;
    assert_eq!(st, StatusCode::OK, "{s}");
    s["usage"]
        .as_array()
        .map(|usage| {
            usage
                .iter()
                .filter(|u| u["rule"] == rule)
                .map(|u| u["count"].as_u64().unwrap_or(1))
                .sum()
        })
        .unwrap_or(0)
}
