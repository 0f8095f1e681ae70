//! Faucet and JSON-RPC proxy against a fake node; static files and config.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use serde_json::json;

const WALLET: &str = "0xAbCdEf0123456789abcdef0123456789ABCDEF01";

#[tokio::test]
async fn faucet_sends_exact_json_rpc_and_is_limited_per_user() {
    let node = FakeNode::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    cfg.rpc_url = node.url.clone();
    let server = Server::start(cfg).await;
    let token = signup(&server, "henry", "password-1").await;
    let url = server.url("/api/faucet");

    let (status, _, body) = post_json(&url, &json!({ "address": WALLET }), Some(&token)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({ "txHash": TX_HASH }));

    let seen = node.requests();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert_eq!(seen[0]["jsonrpc"], "2.0");
    assert_eq!(seen[0]["method"], "eth_accounts");
    assert_eq!(seen[0]["params"], json!([]));
    assert!(seen[0]["id"].is_u64());
    let mut send = seen[1].clone();
    assert!(send["id"].is_u64());
    assert_ne!(send["id"], seen[0]["id"]);
    send.as_object_mut().unwrap().remove("id");
    assert_eq!(
        send,
        json!({
            "jsonrpc": "2.0",
            "method": "eth_sendTransaction",
            "params": [{
                "from": DEV_ACCOUNT,
                "to": WALLET.to_ascii_lowercase(),
                "value": "0xde0b6b3a7640000",
            }],
        })
    );

    // One payout per user per cooldown; another user is not affected.
    let (status, headers, body) =
        post_json(&url, &json!({ "address": WALLET }), Some(&token)).await;
    assert_eq!((status, error_code(&body)), (429, "RATE_LIMITED"));
    assert!(headers.contains_key("retry-after"));
    let other = signup(&server, "irene", "password-1").await;
    let (status, _, _) = post_json(&url, &json!({ "address": WALLET }), Some(&other)).await;
    assert_eq!(status, 200);

    // Validation and auth.
    let third = signup(&server, "jack", "password-1").await;
    for bad in [
        "0x1234",
        "AbCdEf0123456789abcdef0123456789ABCDEF0123",
        "0xZZCdEf0123456789abcdef0123456789ABCDEF01",
    ] {
        let (status, _, body) = post_json(&url, &json!({ "address": bad }), Some(&third)).await;
        assert_eq!((status, error_code(&body)), (400, "BAD_REQUEST"), "{bad}");
    }
    let (status, _, body) = post_json(
        &url,
        &json!({ "address": WALLET, "amount": "1" }),
        Some(&third),
    )
    .await;
    assert_eq!((status, error_code(&body)), (400, "BAD_REQUEST"));
    let (status, _, body) = post_json(&url, &json!({ "address": WALLET }), None).await;
    assert_eq!((status, error_code(&body)), (401, "AUTH_REQUIRED"));
    assert_eq!(
        node.requests().len(),
        4,
        "refused requests never reach the node"
    );
    server.stop().await;
}

/// Many accounts from one address cannot drain the faucet: after
/// `--faucet-ip-per-hour` payouts the IP gets 429 `RATE_LIMITED`, whichever
/// user asks, and the node is not called.
#[tokio::test]
async fn faucet_is_limited_per_ip() {
    let node = FakeNode::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    cfg.rpc_url = node.url.clone();
    cfg.faucet_ip_per_hour = 2;
    let server = Server::start(cfg).await;
    let url = server.url("/api/faucet");
    let mut statuses = Vec::new();
    for name in ["kate", "liam", "mona"] {
        let token = signup(&server, name, "password-1").await;
        let (status, headers, body) =
            post_json(&url, &json!({ "address": WALLET }), Some(&token)).await;
        if status == 429 {
            assert_eq!(error_code(&body), "RATE_LIMITED");
            assert!(headers.contains_key("retry-after"));
        }
        statuses.push(status);
    }
    assert_eq!(statuses, [200, 200, 429]);
    assert_eq!(node.requests().len(), 4, "two payouts of two calls each");
    server.stop().await;
}

#[tokio::test]
async fn rpc_proxy_forwards_only_allowed_methods() {
    let node = FakeNode::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    cfg.rpc_url = node.url.clone();
    let server = Server::start(cfg).await;
    let url = server.url("/api/rpc");

    let (status, _, body) = post_json(
        &url,
        &json!({ "jsonrpc": "2.0", "id": 7, "method": "eth_gasPrice" }),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({ "jsonrpc": "2.0", "id": 7, "result": "0x77359400" })
    );
    assert_eq!(
        node.requests(),
        vec![json!({ "jsonrpc": "2.0", "id": 7, "method": "eth_gasPrice", "params": [] })]
    );

    // Params are forwarded verbatim; JSON-RPC errors are relayed as is.
    let raw = json!({ "jsonrpc": "2.0", "id": "a", "method": "eth_sendRawTransaction", "params": ["0x02f86b"] });
    let (status, _, body) = post_json(&url, &raw, None).await;
    assert_eq!(status, 200);
    assert_eq!(body["error"]["message"], "nonce too low");
    assert_eq!(node.requests()[1], raw);

    // Batches.
    let batch = json!([
        { "jsonrpc": "2.0", "id": 1, "method": "eth_getTransactionCount", "params": [WALLET, "pending"] },
        { "jsonrpc": "2.0", "id": 2, "method": "eth_getBalance", "params": [WALLET, "latest"] },
    ]);
    let (status, _, body) = post_json(&url, &batch, None).await;
    assert_eq!(status, 200);
    assert_eq!(body[0]["result"], "0x5");
    assert_eq!(node.requests()[2], batch);

    // Refused, and never forwarded: signing and node-admin methods, and
    // reads the page and the SDK do not send through the proxy.
    for method in [
        "eth_chainId",
        "eth_blockNumber",
        "eth_call",
        "eth_getCode",
        "eth_getLogs",
        "eth_feeHistory",
        "net_version",
        "eth_sendTransaction",
        "eth_accounts",
        "eth_sign",
        "personal_unlockAccount",
        "anvil_setBalance",
        "debug_traceTransaction",
    ] {
        let (status, _, body) = post_json(
            &url,
            &json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": [] }),
            None,
        )
        .await;
        assert_eq!(
            (status, error_code(&body)),
            (400, "METHOD_NOT_ALLOWED"),
            "{method}"
        );
    }
    let sneaky = json!([
        { "jsonrpc": "2.0", "id": 1, "method": "eth_gasPrice" },
        { "jsonrpc": "2.0", "id": 2, "method": "eth_sendTransaction", "params": [{}] },
    ]);
    let (status, _, body) = post_json(&url, &sneaky, None).await;
    assert_eq!((status, error_code(&body)), (400, "METHOD_NOT_ALLOWED"));
    for bad in [
        json!({ "jsonrpc": "2.0", "method": "eth_gasPrice" }),
        json!({ "jsonrpc": "2.0", "id": 1, "method": "eth_gasPrice", "params": {} }),
        json!({ "jsonrpc": "2.0", "id": 1, "method": "eth_gasPrice", "extra": 1 }),
        json!([]),
        json!("eth_gasPrice"),
    ] {
        let (status, _, body) = post_json(&url, &bad, None).await;
        assert_eq!((status, error_code(&body)), (400, "BAD_REQUEST"), "{bad}");
    }
    assert_eq!(node.requests().len(), 3);
    server.stop().await;
}

#[tokio::test]
async fn unreachable_node_is_503() {
    let dir = tempfile::tempdir().unwrap();
    // A port that was just free: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut cfg = config(dir.path());
    cfg.rpc_url = format!("http://127.0.0.1:{port}");
    let server = Server::start(cfg).await;
    let token = signup(&server, "kate", "password-1").await;
    let (status, _, body) = post_json(
        &server.url("/api/faucet"),
        &json!({ "address": WALLET }),
        Some(&token),
    )
    .await;
    assert_eq!((status, error_code(&body)), (503, "RPC_UNAVAILABLE"));
    let (status, _, body) = post_json(
        &server.url("/api/rpc"),
        &json!({ "jsonrpc": "2.0", "id": 1, "method": "eth_gasPrice" }),
        None,
    )
    .await;
    assert_eq!((status, error_code(&body)), (503, "RPC_UNAVAILABLE"));
    server.stop().await;
}

#[tokio::test]
async fn static_files_config_health_and_headers() {
    let dir = tempfile::tempdir().unwrap();
    let web = tempfile::tempdir().unwrap();
    let sdk = tempfile::tempdir().unwrap();
    std::fs::write(
        web.path().join("index.html"),
        "<!doctype html><title>dApp</title>",
    )
    .unwrap();
    std::fs::write(web.path().join("app.js"), "console.log(1)").unwrap();
    std::fs::write(sdk.path().join("keyframe.js"), "export {}").unwrap();
    let mut cfg = config(dir.path());
    cfg.web_dir = web.path().into();
    cfg.sdk_dir = sdk.path().into();
    cfg.provider_origin = "http://127.0.0.1:8787".into();
    let server = Server::start(cfg).await;

    let resp = client().get(server.url("/")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let csp = resp.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("frame-src http://127.0.0.1:8787;"), "{csp}");
    assert!(csp.contains("connect-src 'self'"), "{csp}");
    assert!(csp.contains("script-src 'self';"), "{csp}");
    assert_eq!(resp.headers()["x-content-type-options"], "nosniff");
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(resp.text().await.unwrap().contains("dApp"));

    let resp = client().get(server.url("/app.js")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("javascript")
    );
    let resp = client()
        .get(server.url("/sdk/keyframe.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text().await.unwrap(), "export {}");
    let (status, _, body) = get_json(&server.url("/missing.html"), None).await;
    assert_eq!((status, error_code(&body)), (404, "NOT_FOUND"));
    let (status, _, body) = get_json(&server.url("/../Cargo.toml"), None).await;
    assert_eq!(status, 404, "{body}");

    let (status, headers, body) = get_json(&server.url("/api/config"), None).await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({ "providerOrigin": "http://127.0.0.1:8787", "chainId": 31337 })
    );
    assert!(headers.contains_key("content-security-policy"));
    let (status, _, body) = get_json(&server.url("/healthz"), None).await;
    assert_eq!((status, body), (200, json!({ "status": "ok" })));
    server.stop().await;
}

#[tokio::test]
async fn slow_requests_get_a_json_503_timeout() {
    // A "node" that accepts connections and never answers.
    let hang = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = hang.local_addr().unwrap().port();
    let _hold = tokio::spawn(async move {
        let mut conns = Vec::new();
        while let Ok((conn, _)) = hang.accept().await {
            conns.push(conn);
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    cfg.rpc_url = format!("http://127.0.0.1:{port}");
    cfg.rpc_timeout_seconds = 30;
    cfg.request_timeout_seconds = 1;
    let server = Server::start(cfg).await;
    let started = std::time::Instant::now();
    let (status, headers, body) = post_json(
        &server.url("/api/rpc"),
        &json!({ "jsonrpc": "2.0", "id": 1, "method": "eth_gasPrice" }),
        None,
    )
    .await;
    assert_eq!((status, error_code(&body)), (503, "TIMEOUT"));
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    server.stop().await;
}
