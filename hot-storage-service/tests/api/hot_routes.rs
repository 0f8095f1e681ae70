//! Every hot-storage route's success path.

use reqwest::StatusCode;
use serde_json::json;

use crate::common::*;
use crate::dual;

async fn all_routes(db: Db) {
    let srv = Srv::hot(db).await;
    // config (no auth)
    let (st, mut cfg) = srv.get("/v2/config", None).await;
    assert_eq!(st, StatusCode::OK);
    // The chains are catalog.rs's (tests/api/catalog.rs).
    let chains = cfg.as_object_mut().unwrap().remove("chains").unwrap();
    assert_eq!(chains.as_array().unwrap().len(), 6);
    assert_eq!(
        cfg,
        json!({ "allowedOrigins": ["http://127.0.0.1:3000"], "shieldUrl": "http://127.0.0.1:8788", "deviceTtlSeconds": 3600 })
    );

    // no wallet yet
    let t = token("alice");
    let (st, body) = srv.get("/v2/wallet", Some(&t)).await;
    assert_error(st, &body, 404, "NO_WALLET");

    // create (201), identical repeat (200), different wallet (409)
    let w = new_wallet("alice");
    let (st, body) = srv
        .post("/v2/devices/create", &w.token, &create_body(&w, false))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{body}");
    assert_eq!(
        body,
        json!({ "wallet": w.wallet, "device": w.device, "version": 0 })
    );
    let (st, _) = srv
        .post("/v2/devices/create", &w.token, &create_body(&w, false))
        .await;
    assert_eq!(st, StatusCode::OK);
    let mut other = new_wallet("alice");
    other.token = w.token.clone();
    let (st, body) = srv
        .post("/v2/devices/create", &w.token, &create_body(&other, false))
        .await;
    assert_error(st, &body, 409, "WALLET_EXISTS");
    let mut changed = new_wallet("alice");
    changed.wallet = w.wallet.clone();
    changed.primary_split = w.primary_split.clone();
    let (st, body) = srv
        .post(
            "/v2/devices/create",
            &w.token,
            &create_body(&changed, false),
        )
        .await;
    assert_error(st, &body, 409, "WALLET_EXISTS");

    // wallet
    let (st, body) = srv.get("/v2/wallet", Some(&w.token)).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(body["wallet"], w.wallet);
    assert_eq!(body["kind"], "mnemonic");
    assert_eq!(body["addresses"], json!({ "evm": EVM, "solana": SOL }));
    assert!(body["createdAt"].as_str().unwrap().contains('T'));

    // recover primary
    let (st, body) = srv
        .post(
            "/v2/devices/recover",
            &w.token,
            &json!({ "wallet": w.wallet }),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{body}");
    assert_eq!(body["device"], "00000000-0000-0000-0000-000000000000");
    assert_eq!(body["version"], 0);
    assert_eq!(body["split"], w.primary_split);
    assert_eq!(unb64(body["share"].as_str().unwrap()), w.primary_share);
    assert_eq!(body["pending"], serde_json::Value::Null);
    assert_eq!(body["addresses"]["evm"], EVM);

    // recover device
    let (st, body) = srv
        .post(
            "/v2/devices/recover",
            &w.token,
            &json!({ "wallet": w.wallet, "device": w.device }),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{body}");
    assert_eq!(unb64(body["share"].as_str().unwrap()), w.device_share);
    assert_eq!(body["split"], w.device_split);
    assert_eq!(body["kind"], "mnemonic");

    // register a second device (201), repeat (200), other content (409)
    let d2 = uuid();
    let s2 = split();
    let reg = json!({ "wallet": w.wallet, "device": d2, "split": s2, "share": b64(b"d2 share"), "ephemeral": false, "label": "phone" });
    let (st, body) = srv.post("/v2/devices/register", &w.token, &reg).await;
    assert_eq!(st, StatusCode::CREATED, "{body}");
    assert_eq!(
        body,
        json!({ "wallet": w.wallet, "device": d2, "version": 0 })
    );
    let (st, _) = srv.post("/v2/devices/register", &w.token, &reg).await;
    assert_eq!(st, StatusCode::OK);
    let mut reg2 = reg.clone();
    reg2["share"] = json!(b64(b"other"));
    let (st, body) = srv.post("/v2/devices/register", &w.token, &reg2).await;
    assert_error(st, &body, 409, "DEVICE_EXISTS");

    // list
    let (st, body) = srv
        .post("/v2/devices/list", &w.token, &json!({ "wallet": w.wallet }))
        .await;
    assert_eq!(st, StatusCode::OK, "{body}");
    let devices = body["devices"].as_array().unwrap();
    assert_eq!(devices.len(), 2);
    let first = devices.iter().find(|d| d["device"] == w.device).unwrap();
    assert_eq!(first["label"], "laptop");
    assert_eq!(first["ephemeral"], false);
    assert_eq!(first["version"], 0);
    assert_eq!(first["expiresAt"], serde_json::Value::Null);
    assert!(first["lastUsedAt"].is_string() && first["createdAt"].is_string());

    // revoke, then the device is gone
    let (st, body) = srv
        .post(
            "/v2/devices/revoke",
            &w.token,
            &json!({ "wallet": w.wallet, "device": d2 }),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{body}");
    assert_eq!(body, json!({ "ok": true }));
    let (st, body) = srv
        .post(
            "/v2/devices/revoke",
            &w.token,
            &json!({ "wallet": w.wallet, "device": d2 }),
        )
        .await;
    assert_error(st, &body, 404, "SHARE_UNAVAILABLE");
    let (st, body) = srv
        .post(
            "/v2/devices/recover",
            &w.token,
            &json!({ "wallet": w.wallet, "device": d2 }),
        )
        .await;
    assert_error(st, &body, 404, "SHARE_UNAVAILABLE");
    let (_, body) = srv
        .post("/v2/devices/list", &w.token, &json!({ "wallet": w.wallet }))
        .await;
    assert_eq!(body["devices"].as_array().unwrap().len(), 1);

    // create without a device
    let mut solo = new_wallet("bob");
    let mut b = create_body(&solo, false);
    b.as_object_mut().unwrap().remove("device");
    b["addresses"]["solana"] = serde_json::Value::Null;
    b["kind"] = json!("evm_private_key");
    solo.device = String::new();
    let (st, body) = srv.post("/v2/devices/create", &solo.token, &b).await;
    assert_eq!(st, StatusCode::CREATED, "{body}");
    assert_eq!(body["device"], serde_json::Value::Null);
    let (_, body) = srv.get("/v2/wallet", Some(&solo.token)).await;
    assert_eq!(body["kind"], "evm_private_key");
    assert_eq!(body["addresses"]["solana"], serde_json::Value::Null);

    // health, metrics
    let (st, body) = srv.get("/healthz", None).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(body["ok"], true);
    let (st, body) = srv.get("/metrics", None).await;
    assert_eq!(st, StatusCode::OK);
    let text = body.as_str().unwrap();
    assert!(text.contains("keyframe_http_requests_total{service=\"hot\",method=\"POST\",route=\"/v2/devices/create\",status=\"201\"}"), "{text}");
    assert!(text.contains("keyframe_http_request_duration_seconds_bucket"));
    assert!(text.contains(
        "keyframe_share_operations_total{service=\"hot\",op=\"recover\",outcome=\"ok\"}"
    ));
    // metrics never carry ids or shares
    assert!(!text.contains(&w.wallet));
}
dual!(all_routes_success, all_routes);

/// The hot read path reads on connections held outside the pool
/// (crate::db::Db::reader), which the pool's checks never see. When the
/// database closes them (a restart, a proxy's idle cut: here every one of
/// the service's sessions is terminated), no recover is answered with an
/// error: the failed read is made again through the pool, and the dead
/// connection is replaced.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recovers_survive_the_database_closing_held_connections() {
    let srv = Srv::hot(Db::Postgres).await;
    let w = new_wallet("alice");
    let (st, body) = srv
        .post("/v2/devices/create", &w.token, &create_body(&w, false))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{body}");
    let recover = json!({ "wallet": w.wallet, "device": w.device });
    let burst =
        |n: usize| {
            let (srv, w, recover) = (&srv, &w, &recover);
            futures_util::future::join_all((0..n).map(move |_| async move {
                srv.post("/v2/devices/recover", &w.token, recover).await
            }))
        };
    for (st, body) in burst(8).await {
        assert_eq!(st, StatusCode::OK, "{body}");
    }
    let raw = srv.raw_pool().await;
    let killed: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .fetch_all(&raw)
    .await
    .unwrap();
    assert!(killed.len() >= 2, "the service's sessions: {killed:?}");
    for round in 0..3 {
        for (st, body) in burst(8).await {
            assert_eq!(st, StatusCode::OK, "round {round}: {body}");
        }
    }
}
