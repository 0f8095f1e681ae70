//! Rate limits (per user, per IP) and ephemeral-device expiry.

use std::time::Duration;

use hot_storage_service::server::Service;
use reqwest::StatusCode;
use serde_json::json;

use crate::common::*;
use crate::dual;

async fn user_limit(db: Db) {
    let srv = Srv::start(db, Service::Hot, |s| {
        s.rate.user_per_second = 1;
        s.rate.user_burst = 3;
    })
    .await;
    let t = token("alice");
    let mut limited = None;
    for _ in 0..6 {
        let url = format!("{}/v2/wallet", srv.base);
        let resp = dpop(srv.http.get(&url), "GET", &url, &t)
            .send()
            .await
            .unwrap();
        if resp.status() == StatusCode::TOO_MANY_REQUESTS {
            let retry: u64 = resp.headers()["retry-after"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            assert!(retry >= 1);
            limited = Some(resp.json::<serde_json::Value>().await.unwrap());
            break;
        }
    }
    let v = limited.expect("the per-user limit never triggered");
    assert_eq!(v["error"]["code"], "RATE_LIMITED");
    // another user is not limited
    let (st, _) = srv.get("/v2/wallet", Some(&token("bob"))).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
}
dual!(per_user_rate_limit, user_limit);

async fn ip_limit(db: Db) {
    let srv = Srv::start(db, Service::Hot, |s| {
        s.rate.ip_per_second = 1;
        s.rate.ip_burst = 2;
    })
    .await;
    let mut codes = Vec::new();
    for _ in 0..5 {
        let (st, v) = srv.get("/v2/config", None).await;
        codes.push((st.as_u16(), v["error"]["code"].clone()));
    }
    assert!(
        codes.iter().any(|(s, c)| *s == 429 && c == "RATE_LIMITED"),
        "{codes:?}"
    );
    // health stays reachable
    let (st, _) = srv.get("/healthz", None).await;
    assert_eq!(st, StatusCode::OK);
}
dual!(per_ip_rate_limit, ip_limit);

async fn expiry(db: Db) {
    // Uses come 1.4 s apart, 1.1 s inside the TTL (so a test machine that
    // stalls for a moment does not expire the device early), and 2.8 s in
    // all, past it (so only the renewal by use keeps it).
    let srv = Srv::start(db, Service::Hot, |s| {
        s.device_ttl = Duration::from_millis(2500)
    })
    .await;
    let w = new_wallet("alice");
    let (st, _) = srv
        .post("/v2/devices/create", &w.token, &create_body(&w, true))
        .await;
    assert_eq!(st, StatusCode::CREATED);
    let (st, v) = srv
        .post("/v2/devices/list", &w.token, &json!({ "wallet": w.wallet }))
        .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(v["devices"][0]["ephemeral"], true);
    assert!(v["devices"][0]["expiresAt"].is_string());
    // use keeps it alive
    tokio::time::sleep(Duration::from_millis(1400)).await;
    let (st, _) = srv
        .post(
            "/v2/devices/recover",
            &w.token,
            &json!({ "wallet": w.wallet, "device": w.device }),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(1400)).await;
    let (st, _) = srv
        .post(
            "/v2/devices/recover",
            &w.token,
            &json!({ "wallet": w.wallet, "device": w.device }),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "last use extends the expiry");
    // idle past the TTL: invisible at once
    tokio::time::sleep(Duration::from_millis(2700)).await;
    let (st, v) = srv
        .post(
            "/v2/devices/recover",
            &w.token,
            &json!({ "wallet": w.wallet, "device": w.device }),
        )
        .await;
    assert_error(st, &v, 404, "SHARE_UNAVAILABLE");
    let (_, v) = srv
        .post("/v2/devices/list", &w.token, &json!({ "wallet": w.wallet }))
        .await;
    assert_eq!(v["devices"].as_array().unwrap().len(), 0);
    let (st, v) = srv
        .post("/v2/devices/refresh", &w.token, &json!({ "wallet": w.wallet, "device": w.device, "version": 0, "split": split(), "share": b64(b"x") }))
        .await;
    assert_error(st, &v, 404, "SHARE_UNAVAILABLE");
    // the row is still there until the sweep deletes it
    let pool = srv.raw_pool().await;
    let count = || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM hot_devices")
            .fetch_one(&pool)
            .await
            .unwrap()
    };
    assert_eq!(count().await, 1);
    let n = hot_storage_service::hot::sweep_expired(&srv.state)
        .await
        .unwrap();
    assert_eq!(n, 1);
    assert_eq!(count().await, 0);
    // the primary share is not a device and never expires
    let (st, _) = srv
        .post(
            "/v2/devices/recover",
            &w.token,
            &json!({ "wallet": w.wallet }),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    // the device id can be registered again
    let (st, _) = srv
        .post("/v2/devices/register", &w.token, &json!({ "wallet": w.wallet, "device": w.device, "split": split(), "share": b64(b"again"), "ephemeral": true }))
        .await;
    assert_eq!(st, StatusCode::CREATED);
}
dual!(ephemeral_devices_expire, expiry);

#[tokio::test]
async fn periodic_sweeper_runs() {
    let srv = Srv::start(Db::Sqlite, Service::Hot, |s| {
        s.device_ttl = Duration::from_millis(200);
        s.sweep_interval = Duration::from_millis(100);
    })
    .await;
    let w = new_wallet("alice");
    srv.post("/v2/devices/create", &w.token, &create_body(&w, true))
        .await;
    let handle = hot_storage_service::hot::spawn_sweeper(srv.state.clone());
    tokio::time::sleep(Duration::from_millis(700)).await;
    handle.abort();
    let pool = srv.raw_pool().await;
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM hot_devices")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(n, 0);
}

/// A JWKS that accepts connections and never answers holds requests open:
/// the request timeout answers 503 TIMEOUT, and with the concurrency limit
/// reached further requests are shed with 503 UNAVAILABLE.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeout_and_load_shedding() {
    let blackhole = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/jwks.json", blackhole.local_addr().unwrap());
    let srv = Srv::start(Db::Sqlite, Service::Hot, move |s| {
        s.jwt.jwks_url = url;
        s.request_timeout = Duration::from_millis(1000);
        s.concurrency_limit = 1;
    })
    .await;
    let t = token("alice");
    let started = std::time::Instant::now();
    let slow = srv.get("/v2/wallet", Some(&t));
    // Sent 300 ms after the slow request took the one slot, which it holds
    // until its timeout at 1 s: wide margins on both sides for a test
    // machine that stalls for a moment.
    let shed = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        srv.get("/v2/config", None).await
    };
    let ((st1, v1), (st2, v2)) = tokio::join!(slow, shed);
    assert_error(st1, &v1, 503, "TIMEOUT");
    assert_error(st2, &v2, 503, "UNAVAILABLE");
    assert!(started.elapsed() < Duration::from_secs(3));
    drop(blackhole);
}
