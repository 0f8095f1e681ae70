//! Shield: CRUD, isolation, sealing, CORS.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::common::*;
use crate::dual;

async fn crud(db: Db) {
    let srv = Srv::shield(db).await;
    let t = token("alice");
    let w = uuid();
    let params = json!({ "kdf": "argon2id", "m": 65536, "t": 3, "p": 1, "salt": b64(b"0123456789abcdef"), "verifier": b64(&[7u8; 32]) });
    let rec = json!({ "wallet": w, "method": "password", "params": params, "ciphertext": b64(b"cold ciphertext") });
    let (st, v) = srv.post("/v1/cold-shares", &t, &rec).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let (st, _) = srv.post("/v1/cold-shares", &t, &rec).await;
    assert_eq!(st, StatusCode::OK, "identical repeat");
    let mut other = rec.clone();
    other["ciphertext"] = json!(b64(b"different"));
    let (st, v) = srv.post("/v1/cold-shares", &t, &other).await;
    assert_error(st, &v, 409, "WALLET_EXISTS");

    let path = format!("/v1/cold-shares/{w}");
    let (st, v) = srv.get(&path, Some(&t)).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["wallet"], w);
    assert_eq!(v["method"], "password");
    assert_eq!(v["params"], params);
    assert_eq!(unb64(v["ciphertext"].as_str().unwrap()), b"cold ciphertext");

    // replace (password change)
    let (st, v) = srv
        .send(
            Method::PUT,
            &path,
            Some(&t),
            Some(&json!({ "method": "automatic", "params": {}, "ciphertext": b64(b"new cold") })),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["method"], "automatic");
    let (_, v) = srv.get(&path, Some(&t)).await;
    assert_eq!(unb64(v["ciphertext"].as_str().unwrap()), b"new cold");

    // isolation: bob sees nothing of alice's
    let bt = token("bob");
    let (st, v) = srv.get(&path, Some(&bt)).await;
    assert_error(st, &v, 404, "SHARE_UNAVAILABLE");
    let (st, v) = srv
        .send(
            Method::PUT,
            &path,
            Some(&bt),
            Some(&json!({ "method": "automatic", "params": {}, "ciphertext": b64(b"evil") })),
        )
        .await;
    assert_error(st, &v, 404, "SHARE_UNAVAILABLE");
    let (st, v) = srv.send(Method::DELETE, &path, Some(&bt), None).await;
    assert_error(st, &v, 404, "SHARE_UNAVAILABLE");
    let (_, v) = srv.get(&path, Some(&t)).await;
    assert_eq!(unb64(v["ciphertext"].as_str().unwrap()), b"new cold");

    // bad input
    let (st, v) = srv.get("/v1/cold-shares/not-a-uuid", Some(&t)).await;
    assert_error(st, &v, 400, "BAD_REQUEST");
    for bad in [
        json!({ "wallet": uuid(), "method": "pin", "params": {}, "ciphertext": b64(b"x") }),
        json!({ "wallet": uuid(), "method": "automatic", "params": [], "ciphertext": b64(b"x") }),
        json!({ "wallet": uuid(), "method": "automatic", "params": { "big": "x".repeat(2000) }, "ciphertext": b64(b"x") }),
        json!({ "wallet": uuid(), "method": "automatic", "params": {}, "ciphertext": "!!" }),
        json!({ "wallet": uuid(), "method": "automatic", "params": {}, "ciphertext": b64(b"x"), "extra": true }),
        // The method's parameters are typed: a password record without its
        // verifier, or an automatic one with parameters, is refused.
        json!({ "wallet": uuid(), "method": "password", "params": { "kdf": "argon2id", "m": 65536, "t": 3, "p": 1, "salt": b64(b"0123456789abcdef") }, "ciphertext": b64(b"x") }),
        json!({ "wallet": uuid(), "method": "automatic", "params": { "m": 1 }, "ciphertext": b64(b"x") }),
    ] {
        let (st, v) = srv.post("/v1/cold-shares", &t, &bad).await;
        assert_error(st, &v, 400, "BAD_REQUEST");
    }
    // no token
    let (st, v) = srv.get(&path, None).await;
    assert_error(st, &v, 401, "AUTH_REQUIRED");

    // tampering: copy alice's sealed row into bob's
    let w2 = uuid();
    let (st, _) = srv.post("/v1/cold-shares", &bt, &json!({ "wallet": w2, "method": "automatic", "params": {}, "ciphertext": b64(b"bob") })).await;
    assert_eq!(st, StatusCode::CREATED);
    let pool = srv.raw_pool().await;
    sqlx::query("UPDATE cold_shares SET sealed = (SELECT sealed FROM cold_shares WHERE sub = $1) WHERE sub = $2")
        .bind("alice")
        .bind("bob")
        .execute(&pool)
        .await
        .unwrap();
    let (st, v) = srv.get(&format!("/v1/cold-shares/{w2}"), Some(&bt)).await;
    assert_error(st, &v, 500, "INTERNAL");

    // delete
    let (st, v) = srv.send(Method::DELETE, &path, Some(&t), None).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v, json!({ "ok": true }));
    let (st, v) = srv.get(&path, Some(&t)).await;
    assert_error(st, &v, 404, "SHARE_UNAVAILABLE");
    let (st, v) = srv.send(Method::DELETE, &path, Some(&t), None).await;
    assert_error(st, &v, 404, "SHARE_UNAVAILABLE");

    let (st, _) = srv.get("/healthz", None).await;
    assert_eq!(st, StatusCode::OK);
    let (_, m) = srv.get("/metrics", None).await;
    assert!(
        m.as_str()
            .unwrap()
            .contains("route=\"/v1/cold-shares/{wallet}\"")
    );
    let (st, v) = srv.get("/nope", None).await;
    assert_error(st, &v, 404, "NOT_FOUND");
}
dual!(shield_crud_isolation_sealing, crud);

async fn cors(db: Db) {
    let srv = Srv::shield(db).await;
    let url = format!("{}/v1/cold-shares/{}", srv.base, uuid());
    // preflight from the provider origin
    let resp = srv
        .http
        .request(Method::OPTIONS, &url)
        .header("origin", "http://127.0.0.1:8787")
        .header("access-control-request-method", "PUT")
        .header(
            "access-control-request-headers",
            "authorization,content-type",
        )
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{}", resp.status());
    let h = resp.headers();
    assert_eq!(h["access-control-allow-origin"], "http://127.0.0.1:8787");
    let methods = h["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .to_ascii_uppercase();
    assert!(
        methods.contains("PUT") && methods.contains("DELETE"),
        "{methods}"
    );
    let allowed = h["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    assert!(allowed.contains("authorization") && allowed.contains("content-type"));
    assert!(
        allowed.contains("dpop"),
        "the DPoP proof header is allowed: {allowed}"
    );
    assert!(
        allowed.contains("keyframe-authority"),
        "the wallet's signature header is allowed: {allowed}"
    );
    assert!(
        allowed.contains("traceparent"),
        "the iFrame's trace header is allowed: {allowed}"
    );
    // an actual request (even an error) from the provider carries the header
    let resp = srv
        .http
        .get(&url)
        .header("origin", "http://127.0.0.1:8787")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        resp.headers()["access-control-allow-origin"],
        "http://127.0.0.1:8787"
    );
    // another origin gets no CORS headers
    for origin in ["http://127.0.0.1:3000", "http://evil.example", "null"] {
        let resp = srv
            .http
            .request(Method::OPTIONS, &url)
            .header("origin", origin)
            .header("access-control-request-method", "GET")
            .send()
            .await
            .unwrap();
        assert!(
            resp.headers().get("access-control-allow-origin").is_none(),
            "{origin}"
        );
        let resp = dpop(srv.http.get(&url), "GET", &url, &token("alice"))
            .header("origin", origin)
            .send()
            .await
            .unwrap();
        assert!(
            resp.headers().get("access-control-allow-origin").is_none(),
            "{origin}"
        );
    }
}
dual!(shield_cors_only_for_provider, cors);
