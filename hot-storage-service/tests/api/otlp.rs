//! Traces over OTLP (crate::telemetry): a collector the test runs receives
//! one server span per request, continuing the caller's `traceparent`, with
//! child spans for token, DPoP, database and sealing work; and nothing in
//! any exported span is a token, proof, share, ciphertext or key.

use std::sync::{Arc, Mutex};

use axum::routing::post;
use hot_storage_service::telemetry;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tracing_subscriber::layer::SubscriberExt;

use crate::common::*;

/// The caller's trace (W3C example ids).
const TRACE: &str = "0af7651916cd43dd8448eb211c80319c";
const PARENT: &str = "b7ad6b7169203331";

/// An OTLP/HTTP collector on 127.0.0.1:0 keeping every body it receives.
async fn collector() -> (String, Arc<Mutex<Vec<String>>>) {
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let kept = bodies.clone();
    let app = axum::Router::new().route(
        "/v1/traces",
        post(move |body: String| {
            let kept = kept.clone();
            async move {
                kept.lock().unwrap().push(body);
                axum::Json(json!({}))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, bodies)
}

/// Every span of every export, flattened.
fn spans(bodies: &[String]) -> Vec<Value> {
    let mut out = Vec::new();
    for body in bodies {
        let v: Value = serde_json::from_str(body).unwrap();
        for rs in v["resourceSpans"].as_array().unwrap() {
            let service = rs["resource"]["attributes"]
                .as_array()
                .unwrap()
                .iter()
                .find(|a| a["key"] == "service.name")
                .map(|a| a["value"]["stringValue"].clone());
            assert_eq!(service, Some(json!("hot-storage-test")));
            for ss in rs["scopeSpans"].as_array().unwrap() {
                out.extend(ss["spans"].as_array().unwrap().iter().cloned());
            }
        }
    }
    out
}

fn attr<'a>(span: &'a Value, key: &str) -> Option<&'a Value> {
    span["attributes"]
        .as_array()?
        .iter()
        .find(|a| a["key"] == key)
        .map(|a| &a["value"])
}

/// The names of every span under `parent`, at any depth.
fn descendants<'a>(all: &'a [Value], parent: &Value) -> Vec<&'a str> {
    let mut names = Vec::new();
    for s in all
        .iter()
        .filter(|s| s["parentSpanId"] == parent["spanId"] && s["traceId"] == parent["traceId"])
    {
        names.push(s["name"].as_str().unwrap());
        names.extend(descendants(all, s));
    }
    names.sort();
    names
}

#[tokio::test]
async fn requests_are_traced_without_secrets() {
    let (endpoint, bodies) = collector().await;
    let provider = telemetry::tracer_provider(&endpoint, "hot-storage-test").unwrap();
    // This thread's subscriber only: the test's runtime (one thread) runs
    // the service, so its spans are all here and no other test's are.
    let subscriber =
        tracing_subscriber::registry().with(telemetry::otel_layer(&provider, "hot-storage-test"));
    let _guard = tracing::subscriber::set_default(subscriber);

    let srv = Srv::hot(Db::Sqlite).await;
    let w = new_wallet("otlp-user");
    // Creation with the caller's traceparent, as the iFrame sends it.
    let url = format!("{}/v2/devices/create", srv.base);
    let mut body = create_body(&w, false);
    body["authority"] = json!(authority_key(&test_authority()));
    let request = dpop(srv.http.post(&url), "POST", &url, &w.token)
        .header("traceparent", format!("00-{TRACE}-{PARENT}-01"))
        .json(&body)
        .build()
        .unwrap();
    let proof = request.headers()["dpop"].to_str().unwrap().to_owned();
    let res = srv.http.execute(request).await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    // A recovery (opens a sealed share) and a refused request, untraced by the caller.
    let (st, answer) = srv
        .post(
            "/v2/devices/recover",
            &w.token,
            &json!({ "wallet": w.wallet }),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{answer}");
    let (st, _) = srv.get("/v2/wallet", Some("not.a.token")).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);

    let pool = srv.raw_pool().await;
    let sealed: Vec<u8> =
        sqlx::query_scalar("SELECT primary_sealed FROM hot_wallets WHERE sub = $1")
            .bind("otlp-user")
            .fetch_one(&pool)
            .await
            .unwrap();
    // The server stops, closing its connections: every request's span has
    // ended then.
    drop(srv);
    // A request's span ends when the server has finished with it, which
    // may be just after the client read the answer: flush until all three
    // server spans have arrived.
    let wanted = [
        "POST /v2/devices/create",
        "POST /v2/devices/recover",
        "GET /v2/wallet",
    ];
    let mut waited = 0;
    let (bodies, all) = loop {
        let flushing = provider.clone();
        tokio::task::spawn_blocking(move || flushing.force_flush())
            .await
            .unwrap()
            .unwrap();
        let bodies = bodies.lock().unwrap().clone();
        let all = spans(&bodies);
        if wanted.iter().all(|w| all.iter().any(|s| s["name"] == *w)) || waited >= 100 {
            break (bodies, all);
        }
        waited += 1;
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };

    let server = |name: &str| {
        all.iter().find(|s| s["name"] == name).unwrap_or_else(|| {
            let names: Vec<&Value> = all.iter().map(|s| &s["name"]).collect();
            panic!("no span {name} among {names:?} ({} exports)", bodies.len())
        })
    };
    let create = server("POST /v2/devices/create");
    assert_eq!(create["traceId"], TRACE, "continues the caller's trace");
    assert_eq!(create["parentSpanId"], PARENT);
    assert_eq!(create["kind"], 2, "a server span");
    assert_eq!(
        attr(create, "http.route"),
        Some(&json!({ "stringValue": "/v2/devices/create" }))
    );
    assert_eq!(
        attr(create, "http.response.status_code"),
        Some(&json!({ "intValue": "201" }))
    );
    let created = descendants(&all, create);
    for child in [
        "auth.dpop",
        "auth.jwt",
        "db.insert_wallet",
        "db.seen_once",
        "seal.seal",
    ] {
        assert!(
            created.contains(&child),
            "{child} under create: {created:?}"
        );
    }

    let recover = server("POST /v2/devices/recover");
    assert_ne!(
        recover["traceId"], TRACE,
        "a request without traceparent starts its own trace"
    );
    assert_eq!(recover["parentSpanId"], "", "a root span");
    let recovered = descendants(&all, recover);
    for child in [
        "auth.dpop",
        "auth.dpop_record",
        "auth.jwt",
        "db.seen_once",
        "seal.open",
    ] {
        assert!(
            recovered.contains(&child),
            "{child} under recover: {recovered:?}"
        );
    }
    assert!(
        recovered.iter().any(|n| n.starts_with("db.")),
        "{recovered:?}"
    );
    let refused = server("GET /v2/wallet");
    assert_eq!(
        attr(refused, "http.response.status_code"),
        Some(&json!({ "intValue": "401" }))
    );

    // Nothing secret in any span: no token (or its signature), proof,
    // share (as sent or as returned), ciphertext or sealing key.
    let text = bodies.join("\n");
    let mut secrets = vec![
        w.token.clone(),
        w.token.split('.').nth(2).unwrap().to_owned(),
        proof.clone(),
        proof.split('.').nth(2).unwrap().to_owned(),
        b64(&w.primary_share),
        b64(&w.device_share),
        String::from_utf8(w.primary_share.clone()).unwrap(),
        b64(&sealed),
        "not.a.token".to_owned(),
    ];
    // The share as hot storage returned it.
    secrets.push(answer["share"].as_str().unwrap().to_owned());
    for secret in &secrets {
        assert!(
            !text.contains(secret.as_str()),
            "a span holds a secret: {secret}"
        );
    }
}
