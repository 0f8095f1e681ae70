//! The refresh protocol of docs/api.md: pending beside current, promotion by
//! recover or commit, idempotent repeats, compare-and-swap.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::*;
use crate::dual;

fn refresh_body(
    w: &Wallet,
    version: u64,
    split: &str,
    share: &[u8],
    replace: Option<&str>,
) -> Value {
    json!({ "wallet": w.wallet, "device": w.device, "version": version, "split": split, "share": b64(share), "replacePending": replace })
}

async fn recover(
    srv: &Srv,
    w: &Wallet,
    version: Option<u64>,
    split: Option<&str>,
) -> (StatusCode, Value) {
    let mut b = json!({ "wallet": w.wallet, "device": w.device });
    if let Some(v) = version {
        b["version"] = json!(v);
    }
    if let Some(s) = split {
        b["split"] = json!(s);
    }
    srv.post("/v2/devices/recover", &w.token, &b).await
}

async fn protocol(db: Db) {
    let srv = Srv::hot(db).await;
    let w = create_wallet(&srv, "alice").await;

    // 3. refresh v0 -> pending v1
    let s1 = split();
    let (st, body) = srv
        .post(
            "/v2/devices/refresh",
            &w.token,
            &refresh_body(&w, 0, &s1, b"H1", None),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        json!({ "wallet": w.wallet, "device": w.device, "version": 1, "split": s1 })
    );
    // lost response: the same request again is 200 and changes nothing
    let (st, _) = srv
        .post(
            "/v2/devices/refresh",
            &w.token,
            &refresh_body(&w, 0, &s1, b"H1", None),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    // current is still v0, pending advertised
    let (st, body) = recover(&srv, &w, None, None).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(body["version"], 0);
    assert_eq!(unb64(body["share"].as_str().unwrap()), w.device_share);
    assert_eq!(body["pending"], json!({ "version": 1, "split": s1 }));
    // v0 by version is readable
    let (st, _) = recover(&srv, &w, Some(0), Some(&w.device_split)).await;
    assert_eq!(st, StatusCode::OK);
    // pending version without its split is not readable
    let (st, body) = recover(&srv, &w, Some(1), None).await;
    assert_error(st, &body, 404, "SHARE_UNAVAILABLE");
    let (st, body) = recover(&srv, &w, Some(1), Some(&split())).await;
    assert_error(st, &body, 404, "SHARE_UNAVAILABLE");

    // a competing refresh of v0 without replacePending conflicts
    let (st, body) = srv
        .post(
            "/v2/devices/refresh",
            &w.token,
            &refresh_body(&w, 0, &split(), b"X", None),
        )
        .await;
    assert_error(st, &body, 409, "VERSION_CONFLICT");
    // a refresh of a wrong version conflicts
    let (st, body) = srv
        .post(
            "/v2/devices/refresh",
            &w.token,
            &refresh_body(&w, 5, &split(), b"X", None),
        )
        .await;
    assert_error(st, &body, 409, "VERSION_CONFLICT");
    // replacePending naming the wrong split conflicts
    let (st, body) = srv
        .post(
            "/v2/devices/refresh",
            &w.token,
            &refresh_body(&w, 0, &split(), b"X", Some(&split())),
        )
        .await;
    assert_error(st, &body, 409, "VERSION_CONFLICT");
    // replacePending naming the pending split replaces it
    let s1b = split();
    let (st, body) = srv
        .post(
            "/v2/devices/refresh",
            &w.token,
            &refresh_body(&w, 0, &s1b, b"H1b", Some(&s1)),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{body}");
    let (_, body) = recover(&srv, &w, None, None).await;
    assert_eq!(body["pending"], json!({ "version": 1, "split": s1b }));

    // 4. commit v1 -> current; the old version is dropped
    let commit = json!({ "wallet": w.wallet, "device": w.device, "version": 1, "split": s1b });
    let (st, body) = srv.post("/v2/devices/commit", &w.token, &commit).await;
    assert_eq!(st, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        json!({ "wallet": w.wallet, "device": w.device, "version": 1, "split": s1b })
    );
    let (st, _) = srv.post("/v2/devices/commit", &w.token, &commit).await;
    assert_eq!(st, StatusCode::OK, "commit is idempotent");
    let (st, body) = recover(&srv, &w, None, None).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(body["version"], 1);
    assert_eq!(body["split"], s1b);
    assert_eq!(unb64(body["share"].as_str().unwrap()), b"H1b");
    assert_eq!(body["pending"], Value::Null);
    let (st, body) = recover(&srv, &w, Some(0), None).await;
    assert_error(st, &body, 404, "SHARE_UNAVAILABLE");
    // a repeat of the committed refresh is still 200
    let (st, _) = srv
        .post(
            "/v2/devices/refresh",
            &w.token,
            &refresh_body(&w, 0, &s1b, b"H1b", None),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    // commit of something never pending is 404
    let (st, body) = srv
        .post(
            "/v2/devices/commit",
            &w.token,
            &json!({ "wallet": w.wallet, "device": w.device, "version": 2, "split": split() }),
        )
        .await;
    assert_error(st, &body, 404, "SHARE_UNAVAILABLE");

    // refresh v1 -> pending v2, promoted by recover(v2, s2)
    let s2 = split();
    let (st, _) = srv
        .post(
            "/v2/devices/refresh",
            &w.token,
            &refresh_body(&w, 1, &s2, b"H2", None),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    let (st, body) = recover(&srv, &w, Some(2), Some(&s2)).await;
    assert_eq!(st, StatusCode::OK, "{body}");
    assert_eq!(body["version"], 2);
    assert_eq!(unb64(body["share"].as_str().unwrap()), b"H2");
    assert_eq!(body["pending"], Value::Null);
    // promoted: v1 is gone, commit of v2 is idempotent, a repeat recover too
    let (st, _) = recover(&srv, &w, Some(1), None).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, _) = srv
        .post(
            "/v2/devices/commit",
            &w.token,
            &json!({ "wallet": w.wallet, "device": w.device, "version": 2, "split": s2 }),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    let (st, _) = recover(&srv, &w, Some(2), Some(&s2)).await;
    assert_eq!(st, StatusCode::OK);

    // refresh of an unknown device: 404
    let mut ghost = new_wallet("alice");
    ghost.wallet = w.wallet.clone();
    ghost.token = w.token.clone();
    let (st, body) = srv
        .post(
            "/v2/devices/refresh",
            &w.token,
            &refresh_body(&ghost, 0, &split(), b"X", None),
        )
        .await;
    assert_error(st, &body, 404, "SHARE_UNAVAILABLE");
}
dual!(refresh_protocol, protocol);

async fn concurrent(db: Db) {
    let srv = Srv::hot(db).await;
    let w = create_wallet(&srv, "alice").await;
    for round in 0..5u64 {
        let (sa, sb) = (split(), split());
        let ba = refresh_body(&w, round, &sa, format!("A{round}").as_bytes(), None);
        let bb = refresh_body(&w, round, &sb, format!("B{round}").as_bytes(), None);
        let (ra, rb) = tokio::join!(
            srv.post("/v2/devices/refresh", &w.token, &ba),
            srv.post("/v2/devices/refresh", &w.token, &bb),
        );
        let statuses = [ra.0.as_u16(), rb.0.as_u16()];
        assert!(
            statuses.contains(&200) && statuses.contains(&409),
            "exactly one wins: {statuses:?} {ra:?} {rb:?}"
        );
        let (win_split, win_share) = if ra.0 == StatusCode::OK {
            (sa, format!("A{round}"))
        } else {
            (sb, format!("B{round}"))
        };
        // the current version is still recoverable
        let (st, body) = recover(&srv, &w, Some(round), None).await;
        assert_eq!(st, StatusCode::OK, "{body}");
        assert_eq!(body["pending"]["split"], win_split);
        // the winner's pending version is recoverable (and promoted)
        let (st, body) = recover(&srv, &w, Some(round + 1), Some(&win_split)).await;
        assert_eq!(st, StatusCode::OK, "{body}");
        assert_eq!(unb64(body["share"].as_str().unwrap()), win_share.as_bytes());
    }
    // concurrent identical repeats (lost response + retry) both succeed
    let s = split();
    let b = refresh_body(&w, 5, &s, b"same", None);
    let (ra, rb) = tokio::join!(
        srv.post("/v2/devices/refresh", &w.token, &b),
        srv.post("/v2/devices/refresh", &w.token, &b)
    );
    assert_eq!((ra.0, rb.0), (StatusCode::OK, StatusCode::OK));
    // concurrent commits of the same version both succeed
    let c = json!({ "wallet": w.wallet, "device": w.device, "version": 6, "split": s });
    let (ra, rb) = tokio::join!(
        srv.post("/v2/devices/commit", &w.token, &c),
        srv.post("/v2/devices/commit", &w.token, &c)
    );
    assert_eq!((ra.0, rb.0), (StatusCode::OK, StatusCode::OK));
    let (_, body) = recover(&srv, &w, None, None).await;
    assert_eq!(body["version"], 6);
    assert_eq!(unb64(body["share"].as_str().unwrap()), b"same");
}
dual!(concurrent_refreshes, concurrent);

/// Simulates the browser dying after each step of the protocol: whatever
/// step it stopped after, the device's local share (old D or new D') has a
/// matching hot share it can recover.
async fn crash_points(db: Db) {
    let srv = Srv::hot(db).await;
    let w = create_wallet(&srv, "alice").await;
    let mut v = 0u64;
    let mut cur_split = w.device_split.clone();
    for stop_after in 0..4 {
        let s = split();
        let share = format!("H{}", v + 1);
        if stop_after >= 1 {
            srv.post(
                "/v2/devices/refresh",
                &w.token,
                &refresh_body(&w, v, &s, share.as_bytes(), None),
            )
            .await;
        }
        if stop_after >= 2 {
            srv.post(
                "/v2/devices/commit",
                &w.token,
                &json!({ "wallet": w.wallet, "device": w.device, "version": v + 1, "split": s }),
            )
            .await;
        }
        // restart: the browser holds D (v, cur_split) and maybe D' (v+1, s)
        let (st, body) = recover(&srv, &w, Some(v + 1), Some(&s)).await;
        if st == StatusCode::OK {
            assert!(stop_after >= 1);
            assert_eq!(unb64(body["share"].as_str().unwrap()), share.as_bytes());
            v += 1;
            cur_split = s;
        } else {
            assert_eq!(stop_after, 0);
            let (st, body) = recover(&srv, &w, Some(v), Some(&cur_split)).await;
            assert_eq!(st, StatusCode::OK, "{body}");
        }
    }
}
dual!(crash_after_each_step, crash_points);

/// Two replicas (separate processes' worth of state and pools) on one
/// database: concurrent refreshes through different replicas still have
/// exactly one winner, and either replica serves the result.
async fn replicas(db: Db) {
    let dbdir = tempfile::tempdir().unwrap();
    let url = db_url(db, &dbdir).await;
    let key = hot_storage_service::seal::SealKey::generate("shared")
        .unwrap()
        .to_spec();
    let ring = || {
        hot_storage_service::seal::Keyring::new(vec![
            hot_storage_service::seal::SealKey::parse(&key).unwrap(),
        ])
        .unwrap()
    };
    let a = Srv::start_with(
        db,
        hot_storage_service::server::Service::Hot,
        tempfile::tempdir().unwrap(),
        url.clone(),
        ring(),
        None,
        |_| {},
    )
    .await;
    let b = Srv::start_with(
        db,
        hot_storage_service::server::Service::Hot,
        tempfile::tempdir().unwrap(),
        url,
        ring(),
        Some(a.jwks.clone()),
        |_| {},
    )
    .await;
    let w = create_wallet(&a, "alice").await;
    for round in 0..5u64 {
        let (sa, sb) = (split(), split());
        let (ba, bb) = (
            refresh_body(&w, round, &sa, b"A", None),
            refresh_body(&w, round, &sb, b"B", None),
        );
        let (ra, rb) = tokio::join!(
            a.post("/v2/devices/refresh", &w.token, &ba),
            b.post("/v2/devices/refresh", &w.token, &bb)
        );
        let statuses = [ra.0.as_u16(), rb.0.as_u16()];
        assert!(
            statuses.contains(&200) && statuses.contains(&409),
            "{statuses:?}"
        );
        let win = if ra.0 == StatusCode::OK { sa } else { sb };
        // commit through one replica, read through the other
        let (st, _) = b.post("/v2/devices/commit", &w.token, &json!({ "wallet": w.wallet, "device": w.device, "version": round + 1, "split": win })).await;
        assert_eq!(st, StatusCode::OK);
        let (st, body) = recover(&a, &w, None, None).await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(body["version"], round + 1);
        assert_eq!(body["split"], win);
    }
}
dual!(replicas_share_one_database, replicas);

/// The recovery pair's H₀ rotates with the same protocol as a device
/// (device nil): pending beside current, promoted by commit or by a
/// recover that names the pending split, idempotent, compare-and-swap.
async fn primary_rotation(db: Db) {
    let srv = Srv::hot(db).await;
    let w = create_wallet(&srv, "alice").await;
    let nil = "00000000-0000-0000-0000-000000000000";
    let primary = |version: Option<u64>, split: Option<&str>| {
        let mut b = json!({ "wallet": w.wallet });
        if let Some(v) = version {
            b["version"] = json!(v);
        }
        if let Some(s) = split {
            b["split"] = json!(s);
        }
        b
    };
    let (st, h0) = srv
        .post("/v2/devices/recover", &w.token, &primary(None, None))
        .await;
    assert_eq!(st, StatusCode::OK, "{h0}");
    assert_eq!(
        (h0["version"].clone(), h0["pending"].clone()),
        (json!(0), Value::Null)
    );
    let s0 = h0["split"].as_str().unwrap().to_owned();

    // H₀′ pending (twice: idempotent), another pending refused (409), a
    // wrong current version refused (409).
    let s1 = split();
    let rotate = |version: u64, split: &str, share: &[u8], replace: Option<&str>| json!({ "wallet": w.wallet, "device": nil, "version": version, "split": split, "share": b64(share), "replacePending": replace });
    for _ in 0..2 {
        let (st, body) = srv
            .post(
                "/v2/devices/refresh",
                &w.token,
                &rotate(0, &s1, b"H0'", None),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{body}");
        assert_eq!(body["version"], 1);
    }
    let s2 = split();
    let (st, body) = srv
        .post(
            "/v2/devices/refresh",
            &w.token,
            &rotate(0, &s2, b"H0''", None),
        )
        .await;
    assert_error(st, &body, 409, "VERSION_CONFLICT");
    let (st, body) = srv
        .post(
            "/v2/devices/refresh",
            &w.token,
            &rotate(5, &s2, b"H0''", None),
        )
        .await;
    assert_error(st, &body, 409, "VERSION_CONFLICT");
    // The current H₀ still answers, and says what is pending.
    let (st, body) = srv
        .post("/v2/devices/recover", &w.token, &primary(None, None))
        .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(body["split"], s0);
    assert_eq!(body["pending"], json!({ "version": 1, "split": s1 }));
    // An orphan pending may be replaced when named.
    let (st, _) = srv
        .post(
            "/v2/devices/refresh",
            &w.token,
            &rotate(0, &s2, b"H0''", Some(&s1)),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    // Asking by the pending split promotes it (the signer holds C′).
    let (st, body) = srv
        .post(
            "/v2/devices/recover",
            &w.token,
            &primary(Some(1), Some(&s2)),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{body}");
    assert_eq!(
        (body["version"].clone(), body["split"].clone()),
        (json!(1), json!(s2))
    );
    assert_eq!(body["share"], b64(b"H0''"));
    // The old H₀ is gone; commit of the promoted one is idempotent; an
    // unknown commit is 404.
    let (st, body) = srv
        .post("/v2/devices/recover", &w.token, &primary(None, Some(&s0)))
        .await;
    assert_error(st, &body, 404, "SHARE_UNAVAILABLE");
    let commit = |version: u64, split: &str| json!({ "wallet": w.wallet, "device": nil, "version": version, "split": split });
    let (st, _) = srv
        .post("/v2/devices/commit", &w.token, &commit(1, &s2))
        .await;
    assert_eq!(st, StatusCode::OK);
    let (st, body) = srv
        .post("/v2/devices/commit", &w.token, &commit(2, &split()))
        .await;
    assert_error(st, &body, 404, "SHARE_UNAVAILABLE");
    // A second rotation, committed explicitly.
    let s3 = split();
    let (st, _) = srv
        .post(
            "/v2/devices/refresh",
            &w.token,
            &rotate(1, &s3, b"H0'''", None),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    let (st, _) = srv
        .post("/v2/devices/commit", &w.token, &commit(2, &s3))
        .await;
    assert_eq!(st, StatusCode::OK);
    let (st, body) = srv
        .post("/v2/devices/recover", &w.token, &primary(None, None))
        .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(
        (
            body["version"].clone(),
            body["split"].clone(),
            body["pending"].clone()
        ),
        (json!(2), json!(s3), Value::Null)
    );
}
dual!(primary_rotation_protocol, primary_rotation);
