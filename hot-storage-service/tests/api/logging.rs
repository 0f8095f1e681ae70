//! Logs never contain share bytes, tokens or ciphertexts, even at debug
//! level and when a sealed value fails to open.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use reqwest::StatusCode;
use serde_json::json;

use crate::common::*;

#[derive(Clone, Default)]
struct Buf(Arc<Mutex<Vec<u8>>>);

impl Write for Buf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn captured() -> &'static Buf {
    static BUF: OnceLock<Buf> = OnceLock::new();
    BUF.get_or_init(|| {
        let buf = Buf::default();
        let w = buf.clone();
        let _ = tracing_subscriber::fmt()
            .json()
            .with_max_level(tracing::Level::DEBUG)
            .with_writer(move || w.clone())
            .try_init();
        buf
    })
}

#[tokio::test]
async fn logs_never_contain_secrets() {
    let buf = captured();
    let srv = Srv::hot(Db::Sqlite).await;
    let mut w = new_wallet("log-user");
    w.primary_share = b"PRIMARY-SECRET-BYTES-0123456789".to_vec();
    w.device_share = b"DEVICE-SECRET-BYTES-0123456789".to_vec();
    let (st, _) = srv
        .post("/v2/devices/create", &w.token, &create_body(&w, false))
        .await;
    assert_eq!(st, StatusCode::CREATED);
    let s1 = split();
    let refresh = json!({ "wallet": w.wallet, "device": w.device, "version": 0, "split": s1, "share": b64(b"REFRESH-SECRET-BYTES-012345"), "replacePending": null });
    srv.post("/v2/devices/refresh", &w.token, &refresh).await;
    srv.post(
        "/v2/devices/recover",
        &w.token,
        &json!({ "wallet": w.wallet, "device": w.device, "version": 1, "split": s1 }),
    )
    .await;
    // a bad request echoing a share-like value, a forged token, a seal failure
    let mut bad = create_body(&w, false);
    bad["kind"] = json!(b64(b"PRIMARY-SECRET-BYTES-0123456789"));
    srv.post("/v2/devices/create", &w.token, &bad).await;
    srv.get(
        "/v2/wallet",
        Some(&Signer::ed("ed3", "ed1").sign(&claims("log-user"))),
    )
    .await;
    let pool = srv.raw_pool().await;
    let sealed: Vec<u8> =
        sqlx::query_scalar("SELECT primary_sealed FROM hot_wallets WHERE sub = $1")
            .bind("log-user")
            .fetch_one(&pool)
            .await
            .unwrap();
    sqlx::query("UPDATE hot_wallets SET primary_sealed = (SELECT sealed FROM hot_devices WHERE sub = $1) WHERE sub = $1").bind("log-user").execute(&pool).await.unwrap();
    let (st, _) = srv
        .post(
            "/v2/devices/recover",
            &w.token,
            &json!({ "wallet": w.wallet }),
        )
        .await;
    assert_eq!(st, StatusCode::INTERNAL_SERVER_ERROR);

    let text = String::from_utf8_lossy(&buf.0.lock().unwrap()).to_string();
    assert!(
        text.contains("failed to open"),
        "the seal failure is logged"
    );
    for secret in [
        b64(b"PRIMARY-SECRET-BYTES-0123456789"),
        b64(b"DEVICE-SECRET-BYTES-0123456789"),
        b64(b"REFRESH-SECRET-BYTES-012345"),
        "PRIMARY-SECRET".to_string(),
        "DEVICE-SECRET".to_string(),
        w.token.clone(),
        w.token.split('.').nth(2).unwrap().to_string(),
        b64(&sealed),
    ] {
        assert!(!text.contains(&secret), "log contains a secret: {secret}");
    }
}
