//! The operator's policy at hot storage (docs/policy.md, docs/api.md
//! `POST /v2/policy/simulate`, docs/services.md `--policy-file`): the
//! simulator answers every vector of tests/vectors/policy exactly as the
//! native evaluator does; it needs a signed-in user with a DPoP proof; a
//! bad file stops the service naming the rule and field; a reload swaps
//! the policy and a bad reload keeps the old one, by SIGHUP too.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use hot_storage_service::policy_file::PolicyFile;
use hot_storage_service::server::Service;
use keyframe_policy::{Intent, Layers, Policy, Usage, evaluate};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::*;

#[path = "../../../policy/tests/support/mod.rs"]
mod vectors;

const SIMULATE: &str = "/v2/policy/simulate";

fn write(path: &Path, v: &Value) {
    std::fs::write(path, serde_json::to_string_pretty(v).unwrap()).unwrap();
}

/// A server whose `--policy-file` is `path` (reloadable).
async fn server_with_policy_file(path: &Path) -> Srv {
    let policy = PolicyFile::load(Some(path)).unwrap();
    Srv::start(Db::Sqlite, Service::Hot, move |s| {
        s.policy = Arc::new(policy)
    })
    .await
}

#[tokio::test]
async fn the_simulator_agrees_with_the_native_evaluator_on_every_vector() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("policy.json");
    write(&path, &json!({ "version": 1, "default": "ask" }));
    let srv = server_with_policy_file(&path).await;
    let t = token("policy-user");
    let mut n = 0;
    for (file, v) in vectors::files(false) {
        // The file is replaced and reloaded, as an operator would.
        write(&path, &v["policy"]);
        assert!(srv.state.settings.policy.reload().unwrap().is_some());
        let op = Policy::from_value(v["policy"].clone()).unwrap();
        let user = v
            .get("user_policy")
            .map(|u| Policy::from_value(u.clone()).unwrap());
        for case in v["cases"].as_array().unwrap() {
            let name = format!("{file}: {}", case["name"]);
            let mut body = json!({ "intent": case["intent"], "at": case["now"] });
            if let Some(u) = case.get("usage") {
                body["usage"] = u.clone();
            }
            if let Some(u) = v.get("user_policy") {
                body["user_rules"] = u.clone();
            }
            let (st, got) = srv.post(SIMULATE, &t, &body).await;
            assert_eq!(st, StatusCode::OK, "{name}: {got}");
            vectors::check(&got, &case["expect"])
                .unwrap_or_else(|e| panic!("{name}: {e}\n{got:#}"));
            let intent: Intent = serde_json::from_value(case["intent"].clone()).unwrap();
            let usage: Vec<Usage> = case
                .get("usage")
                .map(|u| serde_json::from_value(u.clone()).unwrap())
                .unwrap_or_default();
            let layers = Layers {
                operator: &op,
                user: user.as_ref(),
            };
            let native = evaluate(&layers, &intent, &usage, case["now"].as_u64().unwrap());
            assert_eq!(got, serde_json::to_value(&native).unwrap(), "{name}");
            n += 1;
        }
    }
    assert!(n >= 40);
}

#[tokio::test]
async fn the_simulator_needs_a_user_with_a_proof_and_a_valid_request() {
    let srv = Srv::hot(Db::Sqlite).await;
    let body = json!({ "intent": { "kind": "evm_message", "chain": 1 } });
    // No token: 401.
    let (st, b) = srv
        .send_as(
            reqwest::Method::POST,
            SIMULATE,
            None,
            Some(&body),
            Auth::None,
        )
        .await;
    assert_error(st, &b, 401, "AUTH_REQUIRED");
    // A token without its DPoP proof: 401.
    let resp = srv
        .http
        .post(format!("{}{SIMULATE}", srv.base))
        .header("authorization", format!("DPoP {}", token("u")))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    // With both, the default policy (no file) asks, and `at` defaults to now.
    let t = token("u");
    let (st, b) = srv.post(SIMULATE, &t, &body).await;
    assert_eq!((st, &b["effect"]), (StatusCode::OK, &json!("ask")), "{b}");
    assert!(b.get("deciding_rule").is_none());
    // An intent that is not one, and user rules that are not valid: 400
    // naming the field.
    let (st, b) = srv
        .post(
            SIMULATE,
            &t,
            &json!({ "intent": { "kind": "evm_message", "value": 5 } }),
        )
        .await;
    assert_error(st, &b, 400, "BAD_REQUEST");
    let bad_rules = json!({ "intent": { "kind": "evm_message" },
        "user_rules": { "version": 1, "default": "ask", "rules": [{ "id": "x", "effect": "allow", "when": { "value_at_most": "1.5" } }] } });
    let (st, b) = srv.post(SIMULATE, &t, &bad_rules).await;
    assert_error(st, &b, 400, "BAD_REQUEST");
    let msg = b["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains(r#"user_rules: rules[0] "x": when.value_at_most: not a decimal integer"#),
        "{msg}"
    );
}

#[tokio::test]
async fn a_bad_reload_keeps_the_policy_in_force() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("policy.json");
    let deny_mainnet = json!({ "version": 1, "default": "ask", "rules": [{ "id": "no-mainnet", "effect": "deny", "when": { "chains": [1] } }] });
    write(&path, &deny_mainnet);
    let srv = server_with_policy_file(&path).await;
    let t = token("reload-user");
    let body = json!({ "intent": { "kind": "evm_transaction", "chain": 1 } });
    let effect = |b: Value| b["effect"].as_str().unwrap().to_owned();
    assert_eq!(effect(srv.post(SIMULATE, &t, &body).await.1), "deny");

    std::fs::write(&path, r#"{"version":1,"default":"allow","rules":[{"id":"a","effect":"allow"},{"id":"a","effect":"ask"}]}"#).unwrap();
    let err = srv.state.settings.policy.reload().unwrap_err().to_string();
    assert!(
        err.contains(r#"rules[1] "a": id: duplicate of rules[0]"#),
        "{err}"
    );
    assert_eq!(
        effect(srv.post(SIMULATE, &t, &body).await.1),
        "deny",
        "the old policy stays"
    );

    std::fs::remove_file(&path).unwrap();
    assert!(srv.state.settings.policy.reload().is_err());
    assert_eq!(effect(srv.post(SIMULATE, &t, &body).await.1), "deny");

    write(&path, &json!({ "version": 1, "default": "approve" }));
    assert_eq!(srv.state.settings.policy.reload().unwrap(), Some(0));
    assert_eq!(effect(srv.post(SIMULATE, &t, &body).await.1), "approve");
}

/// The real binary, its environment cleared (no stray KEYFRAME_* or
/// HOT_STORAGE_* variable), logging JSON lines to stderr.
fn binary(dir: &Path, policy: &Path) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_hot-storage-service"))
        .env_clear()
        .args(["--listen", "127.0.0.1:0", "--dev", "--log-json"])
        .arg("--data-dir")
        .arg(dir)
        .arg("--static-dir")
        .arg(dir)
        .arg("--policy-file")
        .arg(policy)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn a_bad_policy_file_stops_the_service_naming_the_rule_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ops.json");
    write(
        &path,
        &json!({ "version": 1, "default": "ask", "rules": [
        { "id": "a", "effect": "deny", "when": { "chains": [1] } },
        { "id": "b", "effect": "ask" },
        { "id": "small-usdc", "effect": "allow", "when": { "token_transfers": [{ "at_most": "50 USDC" }] } } ] }),
    );
    let out = binary(dir.path(), &path).wait_with_output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            r#"rules[2] "small-usdc": when.token_transfers[0].at_most: not a decimal integer"#
        ),
        "{err}"
    );
    assert!(err.contains("ops.json"), "{err}");
    // It stopped before opening a database.
    assert!(!dir.path().join("hot-storage.db").exists());
}

#[cfg(unix)]
#[test]
fn sighup_reloads_the_policy_file_and_a_bad_one_is_refused_and_logged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ops.json");
    write(&path, &json!({ "version": 1, "default": "ask" }));
    let mut child = binary(dir.path(), &path);
    let (tx, rx) = std::sync::mpsc::channel::<Value>();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Ok(v) = serde_json::from_str::<Value>(&line) {
                let _ = tx.send(v);
            }
        }
    });
    let wait_for = |message: &str| -> Value {
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let v = rx
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("no log line {message:?}"));
            if v["message"]
                .as_str()
                .is_some_and(|m| m.starts_with(message))
            {
                return v;
            }
        }
    };
    let hup = |pid: u32| {
        let ok = Command::new("kill")
            .args(["-HUP", &pid.to_string()])
            .status()
            .unwrap();
        assert!(ok.success());
    };
    wait_for("listening");

    write(
        &path,
        &json!({ "version": 1, "default": "deny", "rules": [{ "id": "a", "effect": "allow" }, { "id": "b", "effect": "ask" }] }),
    );
    hup(child.id());
    assert_eq!(wait_for("policy reloaded")["rules"], json!(2));

    std::fs::write(&path, r#"{"version":1,"default":"ask","rules":[{"id":"w","effect":"allow","limits":[{"window":"1y","count_at_most":1}]}]}"#).unwrap();
    hup(child.id());
    let refused = wait_for("policy reload refused");
    let err = refused["error"].as_str().unwrap();
    assert!(
        err.contains(r#"rules[0] "w": limits[0].window: not a duration"#),
        "{refused}"
    );

    // Still serving after both.
    assert!(child.try_wait().unwrap().is_none());
    child.kill().unwrap();
    child.wait().unwrap();
}

// The recover request carrying the intent of the signature: refused with
// 403 POLICY_DENIED and no share when the policy denies it (or needs the
// approval webhook), released otherwise, on both databases.
crate::dual!(
    recover_with_a_denied_intent_releases_no_share,
    recover_policy
);

async fn recover_policy(db: Db) {
    {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("policy.json");
        write(
            &path,
            &json!({ "version": 1, "default": "ask", "rules": [
            { "id": "no-mainnet", "effect": "deny", "when": { "chains": [1] } },
            { "id": "office", "effect": "approve", "when": { "value_at_least": "1000000000000000000" } },
            { "id": "small", "effect": "allow", "when": { "value_at_most": "1000" } } ] }),
        );
        let policy = PolicyFile::load(Some(&path)).unwrap();
        let srv = Srv::start(db, Service::Hot, move |s| s.policy = Arc::new(policy)).await;
        let w = create_wallet(&srv, "recover-policy").await;
        let recover = |intent: Option<Value>| {
            let mut body = json!({ "wallet": w.wallet, "device": w.device });
            if let Some(i) = intent {
                body["intent"] = i;
                body["on_screen"] = json!(true);
            }
            body
        };
        let tx = |chain: u64, value: &str| json!({ "kind": "evm_transaction", "chain": chain, "to": "0x1111111111111111111111111111111111111111", "value": value });

        let (st, b) = srv
            .post("/v2/devices/recover", &w.token, &recover(Some(tx(1, "5"))))
            .await;
        assert_error(st, &b, 403, "POLICY_DENIED");
        assert!(b.get("share").is_none());
        assert!(
            b["error"]["message"]
                .as_str()
                .unwrap()
                .contains("no-mainnet"),
            "{b}"
        );

        let (st, b) = srv
            .post(
                "/v2/devices/recover",
                &w.token,
                &recover(Some(tx(8453, "2000000000000000000"))),
            )
            .await;
        assert_error(st, &b, 403, "POLICY_DENIED");
        assert!(
            b["error"]["message"]
                .as_str()
                .unwrap()
                .contains("approval webhook"),
            "{b}"
        );

        let raw = json!({ "kind": "evm_message", "chain": 8453, "raw_digest": true });
        let (st, b) = srv
            .post("/v2/devices/recover", &w.token, &recover(Some(raw)))
            .await;
        assert_eq!(
            st,
            StatusCode::OK,
            "a raw digest under a default of ask: the screen decides: {b}"
        );

        for ok in [Some(tx(8453, "5")), Some(tx(8453, "5000")), None] {
            let (st, b) = srv
                .post("/v2/devices/recover", &w.token, &recover(ok.clone()))
                .await;
            assert_eq!(st, StatusCode::OK, "{ok:?}: {b}");
            assert_eq!(unb64(b["share"].as_str().unwrap()), w.device_share);
        }
        // An intent that is not one is refused as a bad request.
        let bad = recover(Some(json!({ "kind": "evm_transaction", "value": 5 })));
        let (st, b) = srv.post("/v2/devices/recover", &w.token, &bad).await;
        assert_error(st, &b, 400, "BAD_REQUEST");
        // And so is an unknown field beside it.
        let mut typo = recover(None);
        typo["intnet"] = json!({});
        let (st, b) = srv.post("/v2/devices/recover", &w.token, &typo).await;
        assert_error(st, &b, 400, "BAD_REQUEST");
    }
}

fn refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(r)) = m.get("$ref") {
                out.push(r.clone());
            }
            m.values().for_each(|x| refs(x, out));
        }
        Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
        _ => {}
    }
}

#[tokio::test]
async fn openapi_describes_the_policy_bodies_and_every_reference_resolves() {
    let srv = Srv::hot(Db::Sqlite).await;
    let (_, doc) = srv.get("/openapi.json", None).await;
    let schemas = &doc["components"]["schemas"];
    for name in [
        "SimulateRequest",
        "SimulateResponse",
        "RecoverWithIntent",
        "PolicyState",
        "SignedUserRules",
        "ApprovalRequest",
        "ApprovalResponse",
        "ActivityReport",
        "ActivityList",
    ] {
        assert!(schemas[name].is_object(), "{name} missing");
    }
    assert!(schemas["RecoverWithIntent"]["properties"]["intent"].is_object());
    assert!(schemas["RecoverWithIntent"]["properties"]["approval"].is_object());
    assert!(schemas["RecoverWithIntent"]["properties"]["on_screen"].is_object());
    assert_eq!(
        schemas["RecoverWithIntent"]["properties"]["parts"]["maxItems"],
        json!(keyframe_wire::policy::MAX_INTENT_PARTS)
    );
    assert_eq!(
        schemas["SignedUserRules"]["required"],
        json!(["wallet", "version", "rules", "signature"])
    );
    assert_eq!(schemas["SimulateRequest"]["required"], json!(["intent"]));
    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(!all.is_empty());
    for r in all {
        let name = r
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("{r}"));
        assert!(schemas[name].is_object(), "{r} does not resolve");
    }
    let recover = &doc["paths"]["/v2/devices/recover"]["post"];
    assert!(recover["responses"]["403"].is_object());
    let body = recover["requestBody"]["content"]["application/json"]["schema"]["$ref"].as_str();
    assert_eq!(body, Some("#/components/schemas/RecoverWithIntent"));
}
