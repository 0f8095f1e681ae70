//! User B can never read, refresh, commit, list, register into or revoke
//! user A's rows, whatever ids B sends: always 404 NO_WALLET.

use reqwest::StatusCode;
use serde_json::json;

use crate::common::*;
use crate::dual;

async fn isolation(db: Db) {
    let srv = Srv::hot(db).await;
    let a = create_wallet(&srv, "alice").await;
    let b_tok = token("bob");
    // same sub, other issuer is another user too: the token would need
    // another trusted iss, so a second wallet for bob is enough here.
    let attempts = [
        ("/v2/devices/recover", json!({ "wallet": a.wallet })),
        (
            "/v2/devices/recover",
            json!({ "wallet": a.wallet, "device": a.device }),
        ),
        (
            "/v2/devices/recover",
            json!({ "wallet": a.wallet, "device": a.device, "version": 0, "split": a.device_split }),
        ),
        (
            "/v2/devices/refresh",
            json!({ "wallet": a.wallet, "device": a.device, "version": 0, "split": split(), "share": b64(b"evil"), "replacePending": null }),
        ),
        (
            "/v2/devices/commit",
            json!({ "wallet": a.wallet, "device": a.device, "version": 0, "split": a.device_split }),
        ),
        ("/v2/devices/list", json!({ "wallet": a.wallet })),
        (
            "/v2/devices/revoke",
            json!({ "wallet": a.wallet, "device": a.device }),
        ),
        (
            "/v2/devices/register",
            json!({ "wallet": a.wallet, "device": uuid(), "split": split(), "share": b64(b"evil"), "ephemeral": false }),
        ),
    ];
    for (path, body) in &attempts {
        let (st, v) = srv.post(path, &b_tok, body).await;
        assert_error(st, &v, 404, "NO_WALLET");
    }
    let (st, v) = srv.get("/v2/wallet", Some(&b_tok)).await;
    assert_error(st, &v, 404, "NO_WALLET");

    // Bob creates his own wallet (even reusing Alice's ids) and still cannot
    // reach hers.
    let mut b = new_wallet("bob");
    b.wallet = a.wallet.clone();
    b.device = a.device.clone();
    let (st, v) = srv
        .post("/v2/devices/create", &b.token, &create_body(&b, false))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let (_, v) = srv
        .post(
            "/v2/devices/recover",
            &b.token,
            &json!({ "wallet": a.wallet, "device": a.device }),
        )
        .await;
    assert_eq!(unb64(v["share"].as_str().unwrap()), b.device_share);
    let (st, _) = srv
        .post(
            "/v2/devices/revoke",
            &b.token,
            &json!({ "wallet": b.wallet, "device": b.device }),
        )
        .await;
    assert_eq!(st, StatusCode::OK);

    // Alice's rows are untouched
    let (st, v) = srv
        .post(
            "/v2/devices/recover",
            &a.token,
            &json!({ "wallet": a.wallet, "device": a.device }),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(unb64(v["share"].as_str().unwrap()), a.device_share);
    assert_eq!(v["version"], 0);
    assert_eq!(v["pending"], serde_json::Value::Null);
    let (_, v) = srv
        .post("/v2/devices/list", &a.token, &json!({ "wallet": a.wallet }))
        .await;
    assert_eq!(v["devices"].as_array().unwrap().len(), 1);
    let (_, v) = srv
        .post(
            "/v2/devices/recover",
            &a.token,
            &json!({ "wallet": a.wallet }),
        )
        .await;
    assert_eq!(unb64(v["share"].as_str().unwrap()), a.primary_share);

    // Alice asking for a wallet id that is not hers: NO_WALLET
    let (st, v) = srv
        .post("/v2/devices/list", &a.token, &json!({ "wallet": uuid() }))
        .await;
    assert_error(st, &v, 404, "NO_WALLET");
}
dual!(users_are_isolated, isolation);

/// Many users' recovers at once, some of them asking for another's
/// wallet: each is answered with its own share or 404 NO_WALLET, never
/// with the share of a request served beside it (a cache or a grouped
/// read keyed on anything less than the user would fail this).
async fn concurrent_recovers_get_their_own_shares(db: Db) {
    let srv = &Srv::hot(db).await;
    let mut wallets = Vec::new();
    for i in 0..6 {
        wallets.push(create_wallet(srv, &format!("user{i}")).await);
    }
    let mut calls = Vec::new();
    for round in 0..8 {
        for (i, w) in wallets.iter().enumerate() {
            // Every third call asks with the next user's token.
            let asker = if (round + i) % 3 == 0 {
                &wallets[(i + 1) % wallets.len()]
            } else {
                w
            };
            let body = json!({ "wallet": w.wallet, "device": w.device });
            calls.push(async move {
                let (st, v) = srv.post("/v2/devices/recover", &asker.token, &body).await;
                (std::ptr::eq(asker, w), w, st, v)
            });
        }
    }
    for (own, w, st, v) in futures_util::future::join_all(calls).await {
        if own {
            assert_eq!(st, StatusCode::OK, "{v}");
            assert_eq!(unb64(v["share"].as_str().unwrap()), w.device_share);
            assert_eq!(v["split"], w.device_split.as_str());
        } else {
            assert_error(st, &v, 404, "NO_WALLET");
        }
    }
}
dual!(
    concurrent_recovers_get_their_own_shares,
    concurrent_recovers_get_their_own_shares
);
