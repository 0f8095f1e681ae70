//! Bounds (docs/services.md, "Limits and errors"): the device cap per
//! wallet, idle device expiry, one cold record per wallet at Shield,
//! `X-Forwarded-For` only from trusted proxies, and a JWKS fetch that never
//! follows a redirect.

use std::sync::Arc;
use std::time::Duration;

use hot_storage_service::server::Service;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::*;
use crate::dual;

fn register_body(w: &Wallet, device: &str) -> Value {
    json!({ "wallet": w.wallet, "device": device, "split": split(), "share": b64(device.as_bytes()), "ephemeral": false })
}

async fn live_devices(srv: &Srv, w: &Wallet) -> usize {
    let (st, v) = srv
        .post("/v2/devices/list", &w.token, &json!({ "wallet": w.wallet }))
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    v["devices"].as_array().unwrap().len()
}

/// 10,000 registrations, 32 at a time, stop exactly at the default cap of
/// 20 devices (the creating device is one; the recovery pair is none).
async fn device_cap(db: Db) {
    let srv = Arc::new(
        Srv::start(db, Service::Hot, |s| {
            s.rate.user_per_second = 0;
            s.rate.ip_per_second = 0;
        })
        .await,
    );
    assert_eq!(srv.state.settings.max_devices_per_wallet, 20);
    let w = Arc::new(create_wallet(&srv, "alice").await);
    let gate = Arc::new(tokio::sync::Semaphore::new(32));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..10_000 {
        let (srv, w, gate) = (srv.clone(), w.clone(), gate.clone());
        tasks.spawn(async move {
            let _permit = gate.acquire_owned().await.unwrap();
            srv.post(
                "/v2/devices/register",
                &w.token,
                &register_body(&w, &uuid()),
            )
            .await
        });
    }
    let (mut created, mut refused) = (0, 0);
    while let Some(r) = tasks.join_next().await {
        let (st, v) = r.unwrap();
        if st == StatusCode::CREATED {
            created += 1;
        } else {
            assert_error(st, &v, 409, "DEVICE_LIMIT");
            refused += 1;
        }
    }
    assert_eq!((created, refused), (19, 10_000 - 19));
    assert_eq!(live_devices(&srv, &w).await, 20);
    let pool = srv.raw_pool().await;
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM hot_devices")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(rows, 20);

    // At the cap, a repeat of an existing registration is still its 200.
    let existing = json!({ "wallet": w.wallet, "device": w.device, "split": w.device_split, "share": b64(&w.device_share), "ephemeral": false, "label": "laptop" });
    let (st, v) = srv.post("/v2/devices/register", &w.token, &existing).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    // Revoking one frees a place for exactly one.
    let (st, _) = srv
        .post(
            "/v2/devices/revoke",
            &w.token,
            &json!({ "wallet": w.wallet, "device": w.device }),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    let (st, v) = srv
        .post(
            "/v2/devices/register",
            &w.token,
            &register_body(&w, &uuid()),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let (st, v) = srv
        .post(
            "/v2/devices/register",
            &w.token,
            &register_body(&w, &uuid()),
        )
        .await;
    assert_error(st, &v, 409, "DEVICE_LIMIT");
    // Another user's wallet has its own cap.
    let other = create_wallet(&srv, "bob").await;
    let (st, _) = srv
        .post(
            "/v2/devices/register",
            &other.token,
            &register_body(&other, &uuid()),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED);
}
dual!(device_registrations_stop_at_the_cap, device_cap);

/// A configured cap; expired devices do not count against it.
async fn configured_cap(db: Db) {
    let srv = Srv::start(db, Service::Hot, |s| s.max_devices_per_wallet = 2).await;
    let w = create_wallet(&srv, "alice").await;
    let second = uuid();
    let (st, _) = srv
        .post(
            "/v2/devices/register",
            &w.token,
            &register_body(&w, &second),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED);
    let (st, v) = srv
        .post(
            "/v2/devices/register",
            &w.token,
            &register_body(&w, &uuid()),
        )
        .await;
    assert_error(st, &v, 409, "DEVICE_LIMIT");
    assert!(
        v["error"]["message"].as_str().unwrap().contains("revoke"),
        "{v}"
    );
    // The second device goes idle past the limit: its place is free.
    age_device(&srv, &second, 91).await;
    let (st, v) = srv
        .post(
            "/v2/devices/register",
            &w.token,
            &register_body(&w, &uuid()),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
}
dual!(a_configured_cap_counts_live_devices, configured_cap);

/// Sets a device's last use `days` ago, straight in the database.
async fn age_device(srv: &Srv, device: &str, days: i64) {
    let pool = srv.raw_pool().await;
    let then = (now() - days * 24 * 3600) * 1000;
    let n = sqlx::query("UPDATE hot_devices SET last_used_at = $1 WHERE device = $2")
        .bind(then)
        .bind(device)
        .execute(&pool)
        .await
        .unwrap()
        .rows_affected();
    assert_eq!(n, 1);
}

/// With the default idle limit (90 days), a device last used 91 days ago
/// can no longer fetch, refresh, commit or revoke, is not listed, and is
/// swept; one used 89 days ago still works.
async fn idle_expiry(db: Db) {
    let srv = Srv::hot(db).await;
    let w = create_wallet(&srv, "alice").await;
    let young = uuid();
    let (st, _) = srv
        .post("/v2/devices/register", &w.token, &register_body(&w, &young))
        .await;
    assert_eq!(st, StatusCode::CREATED);
    let recover = |device: &str| json!({ "wallet": w.wallet, "device": device });
    let (st, _) = srv
        .post("/v2/devices/recover", &w.token, &recover(&w.device))
        .await;
    assert_eq!(st, StatusCode::OK);

    age_device(&srv, &w.device, 91).await;
    age_device(&srv, &young, 89).await;
    let (st, v) = srv
        .post("/v2/devices/recover", &w.token, &recover(&w.device))
        .await;
    assert_error(st, &v, 404, "SHARE_UNAVAILABLE");
    let (st, v) = srv
        .post("/v2/devices/recover", &w.token, &json!({ "wallet": w.wallet, "device": w.device, "version": 0, "split": w.device_split }))
        .await;
    assert_error(st, &v, 404, "SHARE_UNAVAILABLE");
    let (st, v) = srv
        .post("/v2/devices/refresh", &w.token, &json!({ "wallet": w.wallet, "device": w.device, "version": 0, "split": split(), "share": b64(b"x") }))
        .await;
    assert_error(st, &v, 404, "SHARE_UNAVAILABLE");
    let (st, v) = srv
        .post("/v2/devices/commit", &w.token, &json!({ "wallet": w.wallet, "device": w.device, "version": 0, "split": w.device_split }))
        .await;
    assert_error(st, &v, 404, "SHARE_UNAVAILABLE");
    let (st, v) = srv
        .post("/v2/devices/revoke", &w.token, &recover(&w.device))
        .await;
    assert_error(st, &v, 404, "SHARE_UNAVAILABLE");
    let (_, v) = srv
        .post("/v2/devices/list", &w.token, &json!({ "wallet": w.wallet }))
        .await;
    let listed: Vec<&str> = v["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["device"].as_str().unwrap())
        .collect();
    assert_eq!(listed, [young.as_str()]);
    // The 89-day device still works, and its use renews it.
    let (st, v) = srv
        .post("/v2/devices/recover", &w.token, &recover(&young))
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let pool = srv.raw_pool().await;
    let last: i64 = sqlx::query_scalar("SELECT last_used_at FROM hot_devices WHERE device = $1")
        .bind(&young)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(last > (now() - 60) * 1000, "use recorded");
    // The idle row is swept; the recovery pair (not a device) is not.
    let n = hot_storage_service::hot::sweep_expired(&srv.state)
        .await
        .unwrap();
    assert_eq!(n, 1);
    let rows: Vec<String> = sqlx::query_scalar("SELECT device FROM hot_devices")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(rows, [young]);
    let (st, _) = srv
        .post(
            "/v2/devices/recover",
            &w.token,
            &json!({ "wallet": w.wallet }),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
}
dual!(idle_devices_expire, idle_expiry);

/// A tiny configured idle limit, on the real clock. Each use comes at
/// most 900 ms after the last, 600 ms or more inside the limit, so a test
/// machine that stalls for a moment does not expire the device early.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configured_idle_limit() {
    let srv = Srv::start(Db::Sqlite, Service::Hot, |s| {
        s.device_idle = Duration::from_millis(1500)
    })
    .await;
    let w = create_wallet(&srv, "alice").await;
    let recover = json!({ "wallet": w.wallet, "device": w.device });
    tokio::time::sleep(Duration::from_millis(700)).await;
    let (st, _) = srv.post("/v2/devices/recover", &w.token, &recover).await;
    assert_eq!(st, StatusCode::OK, "use within the limit");
    // Together with the wait above, past the limit: only the use renews.
    tokio::time::sleep(Duration::from_millis(900)).await;
    let (st, _) = srv.post("/v2/devices/recover", &w.token, &recover).await;
    assert_eq!(st, StatusCode::OK, "the last use renewed it");
    tokio::time::sleep(Duration::from_millis(1700)).await;
    let (st, v) = srv.post("/v2/devices/recover", &w.token, &recover).await;
    assert_error(st, &v, 404, "SHARE_UNAVAILABLE");
    assert_eq!(
        hot_storage_service::hot::sweep_expired(&srv.state)
            .await
            .unwrap(),
        1
    );
}

/// Concurrent creates of one wallet's cold record leave exactly one.
async fn one_cold_record(db: Db) {
    let srv = Arc::new(Srv::shield(db).await);
    let t = Arc::new(token("alice"));
    let w = uuid();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..20 {
        let (srv, t, w) = (srv.clone(), t.clone(), w.clone());
        tasks.spawn(async move {
            let rec = json!({ "wallet": w, "method": "automatic", "params": {}, "ciphertext": b64(format!("cold {i}").as_bytes()) });
            srv.post("/v1/cold-shares", &t, &rec).await
        });
    }
    let mut created = 0;
    while let Some(r) = tasks.join_next().await {
        let (st, v) = r.unwrap();
        if st == StatusCode::CREATED {
            created += 1;
        } else {
            assert_error(st, &v, 409, "WALLET_EXISTS");
        }
    }
    assert_eq!(created, 1);
    let pool = srv.raw_pool().await;
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM cold_shares")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(rows, 1);
}
dual!(one_cold_record_per_wallet, one_cold_record);

async fn config_with_xff(srv: &Srv, xff: Option<&str>) -> u16 {
    let mut rb = srv.http.get(format!("{}/v2/config", srv.base));
    if let Some(x) = xff {
        rb = rb.header("x-forwarded-for", x);
    }
    rb.send().await.unwrap().status().as_u16()
}

fn one_per_ip(s: &mut hot_storage_service::server::Settings) {
    s.rate.ip_per_second = 1;
    s.rate.ip_burst = 1;
}

/// From a peer that is not a trusted proxy (the default: none is),
/// `X-Forwarded-For` is ignored: changing it does not escape the limit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_for_from_untrusted_peer_is_ignored() {
    let srv = Srv::start(Db::Sqlite, Service::Hot, one_per_ip).await;
    assert!(srv.state.settings.trusted_proxies.is_empty());
    assert_eq!(config_with_xff(&srv, Some("198.51.100.1")).await, 200);
    assert_eq!(config_with_xff(&srv, Some("198.51.100.2")).await, 429);
    assert_eq!(config_with_xff(&srv, None).await, 429);
    // A trusted range that does not hold the peer changes nothing.
    let srv = Srv::start(Db::Sqlite, Service::Hot, |s| {
        one_per_ip(s);
        s.trusted_proxies = vec!["10.0.0.0/8".parse().unwrap()];
    })
    .await;
    assert_eq!(config_with_xff(&srv, Some("198.51.100.1")).await, 200);
    assert_eq!(config_with_xff(&srv, Some("198.51.100.2")).await, 429);
}

/// From a trusted proxy, the right-most untrusted address counts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_for_from_trusted_proxy_counts_per_client() {
    let srv = Srv::start(Db::Sqlite, Service::Hot, |s| {
        one_per_ip(s);
        s.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()];
    })
    .await;
    assert_eq!(config_with_xff(&srv, Some("198.51.100.1")).await, 200);
    assert_eq!(config_with_xff(&srv, Some("198.51.100.2")).await, 200);
    assert_eq!(config_with_xff(&srv, Some("198.51.100.1")).await, 429);
    // A client cannot escape by writing addresses on the left; trusted hops
    // on the right are skipped.
    assert_eq!(
        config_with_xff(&srv, Some("203.0.113.9, 198.51.100.2")).await,
        429
    );
    assert_eq!(
        config_with_xff(&srv, Some("198.51.100.3, 127.0.0.2")).await,
        200
    );
    assert_eq!(config_with_xff(&srv, Some("198.51.100.3")).await, 429);
}

/// A JWKS URL that answers a redirect is not followed (the keys it points
/// to are never used), and a plain-http JWKS URL off loopback refuses to
/// start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jwks_redirects_are_not_followed() {
    let real = Jwks::start().await;
    let target = real.url.clone();
    let app = axum::Router::new().route(
        "/jwks.json",
        axum::routing::get(move || {
            let target = target.clone();
            async move { axum::response::Redirect::temporary(&target) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let redirecting = format!("http://{}/jwks.json", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let srv = Srv::start(Db::Sqlite, Service::Hot, move |s| {
        s.jwt.jwks_url = redirecting
    })
    .await;
    let (st, v) = srv.get("/v2/wallet", Some(&token("alice"))).await;
    assert_error(st, &v, 401, "AUTH_REQUIRED");
    assert_eq!(real.hits(), 0, "the redirect target was fetched");

    let tmp = tempfile::tempdir().unwrap();
    let url = db_url(Db::Sqlite, &tmp).await;
    let s = hot_storage_service::server::Settings::defaults(
        Service::Hot,
        "http://dapp.example/.well-known/jwks.json",
    );
    let err = hot_storage_service::server::AppState::connect(s, &url, test_keyring())
        .await
        .err()
        .expect("plain http JWKS off loopback must refuse to start");
    assert!(format!("{err:#}").contains("must be https"), "{err:#}");
}
