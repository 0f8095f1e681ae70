//! `--cors-origins`: pages on the listed origins (a developer's own page,
//! docs/quickstart.md) may call `/api/*`; no other origin gets CORS headers,
//! and none at all by default. Bad entries stop the server at start.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use sample_dapp::AppState;
use serde_json::json;

const DEV_PAGE: &str = "http://127.0.0.1:5173";

async fn preflight(server: &Server, path: &str, origin: &str) -> reqwest::Response {
    client()
        .request(reqwest::Method::OPTIONS, server.url(path))
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "content-type,authorization",
        )
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn listed_origins_may_call_the_api_and_others_may_not() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(dir.path());
    config.cors_origins = vec![DEV_PAGE.into(), " https://dapp.example ".into()];
    let server = Server::start(config).await;

    let resp = preflight(&server, "/api/auth/signup", DEV_PAGE).await;
    assert!(resp.status().is_success(), "{}", resp.status());
    let h = resp.headers();
    assert_eq!(h["access-control-allow-origin"], DEV_PAGE);
    let allowed = h["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    assert!(
        allowed.contains("content-type") && allowed.contains("authorization"),
        "{allowed}"
    );
    assert!(h.get("access-control-allow-credentials").is_none());

    // The real request carries the header too.
    let resp = client()
        .post(server.url("/api/auth/signup"))
        .header("origin", DEV_PAGE)
        .json(&json!({ "username": "corsuser", "password": "a long password" }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["access-control-allow-origin"], DEV_PAGE);

    for other in ["http://127.0.0.1:5174", "https://evil.example", "null"] {
        let resp = preflight(&server, "/api/auth/login", other).await;
        assert!(
            resp.headers().get("access-control-allow-origin").is_none(),
            "{other} must not be allowed"
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn no_cors_headers_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(config(dir.path())).await;
    let resp = preflight(&server, "/api/auth/signup", DEV_PAGE).await;
    assert!(resp.headers().get("access-control-allow-origin").is_none());
    server.stop().await;
}

#[tokio::test]
async fn bad_cors_origins_stop_the_server() {
    for bad in [
        "*",
        "http://127.0.0.1:5173/",
        "http://127.0.0.1:5173/app",
        "127.0.0.1:5173",
        "ftp://files.example",
        "null",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let mut config = config(dir.path());
        config.cors_origins = vec![bad.into()];
        let Err(err) = AppState::open(config).await else {
            panic!("{bad:?} was accepted");
        };
        assert!(err.0.contains("--cors-origins"), "{}", err.0);
    }
}
