//! Sealing at rest: rows are bound to their place; tampering is detected;
//! reseal moves every row to a new key.

use hot_storage_service::seal::{Keyring, SealKey};
use hot_storage_service::server::Service;
use reqwest::StatusCode;
use serde_json::json;

use crate::common::*;
use crate::dual;

async fn tamper(db: Db) {
    let srv = Srv::hot(db).await;
    let a = create_wallet(&srv, "alice").await;
    let b = create_wallet(&srv, "bob").await;
    let pool = srv.raw_pool().await;
    // stored bytes are not the plaintext
    let blob: Vec<u8> = sqlx::query_scalar("SELECT primary_sealed FROM hot_wallets WHERE sub = $1")
        .bind("alice")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(
        !blob
            .windows(a.primary_share.len())
            .any(|w| w == a.primary_share.as_slice())
    );

    // copy Alice's device ciphertext into her primary row: does not open
    sqlx::query("UPDATE hot_wallets SET primary_sealed = (SELECT sealed FROM hot_devices WHERE sub = $1), primary_key_id = (SELECT key_id FROM hot_devices WHERE sub = $1) WHERE sub = $1")
        .bind("alice")
        .execute(&pool)
        .await
        .unwrap();
    let (st, v) = srv
        .post(
            "/v2/devices/recover",
            &a.token,
            &json!({ "wallet": a.wallet }),
        )
        .await;
    assert_error(st, &v, 500, "INTERNAL");
    assert!(
        !v.to_string().contains("sealed"),
        "no internals in the message: {v}"
    );

    // copy Alice's device ciphertext into Bob's device row: does not open
    sqlx::query("UPDATE hot_devices SET sealed = (SELECT sealed FROM hot_devices WHERE sub = $1) WHERE sub = $2")
        .bind("alice")
        .bind("bob")
        .execute(&pool)
        .await
        .unwrap();
    let (st, v) = srv
        .post(
            "/v2/devices/recover",
            &b.token,
            &json!({ "wallet": b.wallet, "device": b.device }),
        )
        .await;
    assert_error(st, &v, 500, "INTERNAL");

    // flip one byte of Bob's primary: does not open
    let mut blob: Vec<u8> =
        sqlx::query_scalar("SELECT primary_sealed FROM hot_wallets WHERE sub = $1")
            .bind("bob")
            .fetch_one(&pool)
            .await
            .unwrap();
    let last = blob.len() - 1;
    blob[last] ^= 0x01;
    sqlx::query("UPDATE hot_wallets SET primary_sealed = $1 WHERE sub = $2")
        .bind(blob)
        .bind("bob")
        .execute(&pool)
        .await
        .unwrap();
    let (st, v) = srv
        .post(
            "/v2/devices/recover",
            &b.token,
            &json!({ "wallet": b.wallet }),
        )
        .await;
    assert_error(st, &v, 500, "INTERNAL");

    // Alice's untouched device row still opens
    let (st, v) = srv
        .post(
            "/v2/devices/recover",
            &a.token,
            &json!({ "wallet": a.wallet, "device": a.device }),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");

    let (_, m) = srv.get("/metrics", None).await;
    assert!(
        m.as_str()
            .unwrap()
            .contains("keyframe_seal_open_failures_total{service=\"hot\"} 3"),
        "{m}"
    );
}
dual!(tampered_ciphertexts_fail_to_open, tamper);

async fn reseal(db: Db) {
    let dbdir = tempfile::tempdir().unwrap();
    let url = db_url(db, &dbdir).await;
    let tmp = tempfile::tempdir().unwrap();
    let old_spec = SealKey::generate("old").unwrap().to_spec();
    let new_spec = SealKey::generate("new").unwrap().to_spec();
    let ring = |specs: &[&str]| {
        Keyring::new(specs.iter().map(|s| SealKey::parse(s).unwrap()).collect()).unwrap()
    };

    // data under the old key, including a pending share
    let srv = Srv::start_with(
        db,
        Service::Hot,
        tmp,
        url.clone(),
        ring(&[&old_spec]),
        None,
        |_| {},
    )
    .await;
    let a = create_wallet(&srv, "alice").await;
    let s1 = split();
    let (st, _) = srv
        .post("/v2/devices/refresh", &a.token, &json!({ "wallet": a.wallet, "device": a.device, "version": 0, "split": s1, "share": b64(b"pending"), "replacePending": null }))
        .await;
    assert_eq!(st, StatusCode::OK);
    let jwks = srv.jwks.clone();
    let tmp = tempfile::tempdir().unwrap();

    // reseal with the new key current and the old one still present
    let report = hot_storage_service::reseal::reseal(
        Service::Hot,
        &srv.state.db,
        &ring(&[&new_spec, &old_spec]),
    )
    .await
    .unwrap();
    assert_eq!(report.resealed, 3, "{report:?}");
    let again = hot_storage_service::reseal::reseal(
        Service::Hot,
        &srv.state.db,
        &ring(&[&new_spec, &old_spec]),
    )
    .await
    .unwrap();
    assert_eq!(again.resealed, 0);
    drop(srv);

    // now only the new key: everything opens
    let srv = Srv::start_with(
        db,
        Service::Hot,
        tmp,
        url,
        ring(&[&new_spec]),
        Some(jwks),
        |_| {},
    )
    .await;
    let (st, v) = srv
        .post(
            "/v2/devices/recover",
            &a.token,
            &json!({ "wallet": a.wallet }),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(unb64(v["share"].as_str().unwrap()), a.primary_share);
    let (st, v) = srv
        .post(
            "/v2/devices/recover",
            &a.token,
            &json!({ "wallet": a.wallet, "device": a.device }),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(unb64(v["share"].as_str().unwrap()), a.device_share);
    let (st, v) = srv
        .post(
            "/v2/devices/recover",
            &a.token,
            &json!({ "wallet": a.wallet, "device": a.device, "version": 1, "split": s1 }),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(unb64(v["share"].as_str().unwrap()), b"pending");
}
dual!(reseal_moves_every_row_to_the_new_key, reseal);

async fn reseal_shield(db: Db) {
    let dbdir = tempfile::tempdir().unwrap();
    let url = db_url(db, &dbdir).await;
    let tmp = tempfile::tempdir().unwrap();
    let old = SealKey::generate("old").unwrap().to_spec();
    let new = SealKey::generate("new").unwrap().to_spec();
    let ring = |specs: &[&str]| {
        Keyring::new(specs.iter().map(|s| SealKey::parse(s).unwrap()).collect()).unwrap()
    };
    let srv = Srv::start_with(
        db,
        Service::Shield,
        tmp,
        url.clone(),
        ring(&[&old]),
        None,
        |_| {},
    )
    .await;
    let t = token("alice");
    let w = uuid();
    let (st, _) = srv.post("/v1/cold-shares", &t, &json!({ "wallet": w, "method": "automatic", "params": {}, "ciphertext": b64(b"cold") })).await;
    assert_eq!(st, StatusCode::CREATED);
    let rep =
        hot_storage_service::reseal::reseal(Service::Shield, &srv.state.db, &ring(&[&new, &old]))
            .await
            .unwrap();
    assert_eq!(rep.resealed, 1);
    let jwks = srv.jwks.clone();
    drop(srv);
    let srv = Srv::start_with(
        db,
        Service::Shield,
        tempfile::tempdir().unwrap(),
        url,
        ring(&[&new]),
        Some(jwks),
        |_| {},
    )
    .await;
    let (st, v) = srv.get(&format!("/v1/cold-shares/{w}"), Some(&t)).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(unb64(v["ciphertext"].as_str().unwrap()), b"cold");
}
dual!(reseal_shield_rows, reseal_shield);
