//! Bad input: always a 4xx JSON error, and nothing stored.

use reqwest::StatusCode;
use serde_json::json;

use crate::common::*;
use crate::dual;

async fn bad(db: Db) {
    let srv = Srv::hot(db).await;
    let w = new_wallet("alice");
    let good = create_body(&w, false);
    let t = &w.token;

    let mut cases: Vec<(&str, Vec<u8>, &str, u16, &str)> = vec![
        (
            "malformed JSON",
            b"{\"wallet\": ".to_vec(),
            "application/json",
            400,
            "BAD_REQUEST",
        ),
        (
            "not JSON at all",
            b"hello".to_vec(),
            "application/json",
            400,
            "BAD_REQUEST",
        ),
        (
            "wrong content type",
            good.to_string().into_bytes(),
            "text/plain",
            415,
            "BAD_REQUEST",
        ),
        (
            "oversized body",
            {
                let mut b = good.clone();
                b["device"]["label"] = json!("x".repeat(20_000));
                b.to_string().into_bytes()
            },
            "application/json",
            413,
            "PAYLOAD_TOO_LARGE",
        ),
    ];
    let mut push = |name: &'static str, f: &dyn Fn(&mut serde_json::Value)| {
        let mut b = good.clone();
        f(&mut b);
        cases.push((
            name,
            b.to_string().into_bytes(),
            "application/json",
            400,
            "BAD_REQUEST",
        ));
    };
    push("unknown top-level field", &|b| b["extra"] = json!(1));
    push("unknown nested field", &|b| {
        b["primary"]["extra"] = json!(1)
    });
    push("wrong type: wallet number", &|b| b["wallet"] = json!(42));
    push("wrong type: ephemeral string", &|b| {
        b["device"]["ephemeral"] = json!("yes")
    });
    push("bad uuid", &|b| b["wallet"] = json!("not-a-uuid"));
    push("uuid without hyphens", &|b| {
        b["wallet"] = json!(uuid::Uuid::new_v4().simple().to_string())
    });
    push("nil wallet", &|b| {
        b["wallet"] = json!("00000000-0000-0000-0000-000000000000")
    });
    push("nil device", &|b| {
        b["device"]["device"] = json!("00000000-0000-0000-0000-000000000000")
    });
    push("bad base64", &|b| {
        b["primary"]["share"] = json!("***not base64***")
    });
    push("unpadded base64", &|b| {
        b["primary"]["share"] = json!("YWJj ZA")
    });
    push("empty share", &|b| b["primary"]["share"] = json!(""));
    push("share over 512 bytes", &|b| {
        b["primary"]["share"] = json!(b64(&[7u8; 513]))
    });
    push("bad split", &|b| b["primary"]["split"] = json!("XYZ"));
    push("uppercase split", &|b| {
        b["primary"]["split"] = json!("ABCDEF0123456789ABCDEF0123456789")
    });
    push("bad kind", &|b| b["kind"] = json!("seed"));
    push("bad evm address", &|b| {
        b["addresses"]["evm"] = json!("0x1234")
    });
    push("missing field", &|b| {
        b.as_object_mut().unwrap().remove("primary");
    });
    push("array body", &|b| *b = json!([1, 2, 3]));

    for (name, body, ct, status, code) in &cases {
        let (st, v) = srv
            .post_raw("/v2/devices/create", t, ct, body.clone())
            .await;
        assert_eq!(st.as_u16(), *status, "{name}: {v}");
        assert_eq!(v["error"]["code"], *code, "{name}: {v}");
        // the message never echoes submitted values
        assert!(!v.to_string().contains("not base64"), "{name}: {v}");
    }
    let (st, v) = srv.get("/v2/wallet", Some(t)).await;
    assert_error(st, &v, 404, "NO_WALLET");

    // other routes
    let (st, _) = srv.post("/v2/devices/create", t, &good).await;
    assert_eq!(st, StatusCode::CREATED);
    let bad_bodies = [
        (
            "/v2/devices/recover",
            json!({ "wallet": w.wallet, "version": -1 }),
        ),
        (
            "/v2/devices/recover",
            json!({ "wallet": w.wallet, "version": "1" }),
        ),
        (
            "/v2/devices/recover",
            json!({ "wallet": w.wallet, "device": "x" }),
        ),
        (
            "/v2/devices/refresh",
            json!({ "wallet": w.wallet, "device": w.device, "version": 0, "split": split(), "share": "%%%" }),
        ),
        (
            "/v2/devices/refresh",
            json!({ "wallet": w.wallet, "device": w.device, "version": 0, "split": split(), "share": b64(b"x"), "replacePending": "zz" }),
        ),
        (
            "/v2/devices/refresh",
            json!({ "wallet": w.wallet, "device": w.device, "version": 9007199254740993u64, "split": split(), "share": b64(b"x") }),
        ),
        (
            "/v2/devices/commit",
            json!({ "wallet": w.wallet, "device": w.device, "version": 1 }),
        ),
        ("/v2/devices/list", json!({ "wallet": w.wallet, "x": 1 })),
        (
            "/v2/devices/revoke",
            json!({ "wallet": w.wallet, "device": "00000000-0000-0000-0000-000000000000" }),
        ),
        (
            "/v2/devices/register",
            json!({ "wallet": w.wallet, "device": uuid(), "split": split(), "share": b64(b"x"), "ephemeral": false, "label": "a".repeat(100) }),
        ),
    ];
    for (path, body) in &bad_bodies {
        let (st, v) = srv.post(path, t, body).await;
        assert_error(st, &v, 400, "BAD_REQUEST");
    }
    // state unchanged
    let (_, v) = srv
        .post(
            "/v2/devices/recover",
            t,
            &json!({ "wallet": w.wallet, "device": w.device }),
        )
        .await;
    assert_eq!(v["version"], 0);
    assert_eq!(v["pending"], serde_json::Value::Null);
    let (_, v) = srv
        .post("/v2/devices/list", t, &json!({ "wallet": w.wallet }))
        .await;
    assert_eq!(v["devices"].as_array().unwrap().len(), 1);

    // unknown route, wrong method: JSON errors
    let (st, v) = srv.get("/v2/nope", Some(t)).await;
    assert_error(st, &v, 404, "NOT_FOUND");
    let (st, v) = srv.get("/v2/devices/create", Some(t)).await;
    assert_error(st, &v, 405, "BAD_REQUEST");
}
dual!(bad_input_is_refused, bad);
