//! JWT attacks: each is 401 and changes nothing; the allowed algorithms work;
//! key rotation is picked up; unknown kids cannot hammer the JWKS.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::*;
use crate::dual;

fn none_token(claims: &Value) -> String {
    let header = json!({ "alg": "none", "typ": "JWT", "kid": "ed1" });
    format!(
        "{}.{}.",
        b64u(header.to_string().as_bytes()),
        b64u(claims.to_string().as_bytes())
    )
}

fn hs256_with_public_key(claims: &Value) -> String {
    // The classic confusion attack: HMAC keyed with the public key's bytes.
    let all: Value = serde_json::from_slice(
        &std::fs::read(format!(
            "{}/tests/data/public_jwks.json",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap(),
    )
    .unwrap();
    let x = all["ed1"]["x"].as_str().unwrap();
    let mut h = Header::new(Algorithm::HS256);
    h.kid = Some("ed1".into());
    jsonwebtoken::encode(&h, claims, &EncodingKey::from_secret(x.as_bytes())).unwrap()
}

fn hs256_with_raw_public_key(claims: &Value) -> String {
    let all: Value = serde_json::from_slice(
        &std::fs::read(format!(
            "{}/tests/data/public_jwks.json",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap(),
    )
    .unwrap();
    let raw = {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(all["ed1"]["x"].as_str().unwrap())
            .unwrap()
    };
    let mut h = Header::new(Algorithm::HS256);
    h.kid = Some("ed1".into());
    jsonwebtoken::encode(&h, claims, &EncodingKey::from_secret(&raw)).unwrap()
}

async fn attacks(db: Db) {
    let srv = Srv::hot(db).await;
    let sub = "victim";
    let w = new_wallet(sub);
    let body = create_body(&w, false);
    let n = now();
    let mut cases: Vec<(&str, String, &str)> = vec![
        ("no token", String::new(), "AUTH_REQUIRED"),
        ("garbage", "not.a.jwt".into(), "AUTH_REQUIRED"),
        (
            "wrong signing key, same kid",
            Signer::ed("ed3", "ed1").sign(&claims(sub)),
            "AUTH_REQUIRED",
        ),
        ("alg none", none_token(&claims(sub)), "AUTH_REQUIRED"),
        (
            "HS256 with public key bytes",
            hs256_with_public_key(&claims(sub)),
            "AUTH_REQUIRED",
        ),
        (
            "HS256 with raw public key",
            hs256_with_raw_public_key(&claims(sub)),
            "AUTH_REQUIRED",
        ),
        (
            "expired",
            Signer::ed("ed1", "ed1").sign(
                &json!({ "iss": ISS, "aud": AUD, "sub": sub, "nbf": n - 4000, "exp": n - 3600 }),
            ),
            "AUTH_EXPIRED",
        ),
        (
            "not yet valid",
            Signer::ed("ed1", "ed1").sign(
                &json!({ "iss": ISS, "aud": AUD, "sub": sub, "nbf": n + 600, "exp": n + 1200 }),
            ),
            "AUTH_REQUIRED",
        ),
        (
            "wrong iss",
            Signer::ed("ed1", "ed1").sign(
                &json!({ "iss": "http://evil.example", "aud": AUD, "sub": sub, "exp": n + 600 }),
            ),
            "AUTH_REQUIRED",
        ),
        (
            "wrong aud",
            Signer::ed("ed1", "ed1")
                .sign(&json!({ "iss": ISS, "aud": "other", "sub": sub, "exp": n + 600 })),
            "AUTH_REQUIRED",
        ),
        (
            "missing sub",
            Signer::ed("ed1", "ed1").sign(&json!({ "iss": ISS, "aud": AUD, "exp": n + 600 })),
            "AUTH_REQUIRED",
        ),
        (
            "missing exp",
            Signer::ed("ed1", "ed1").sign(&json!({ "iss": ISS, "aud": AUD, "sub": sub })),
            "AUTH_REQUIRED",
        ),
        (
            "unknown kid",
            Signer::ed("ed2", "nope").sign(&claims(sub)),
            "AUTH_REQUIRED",
        ),
        (
            "ES256 key used with EdDSA kid",
            {
                let mut s = Signer::es256();
                s.kid = "ed1".into();
                s.sign(&claims(sub))
            },
            "AUTH_REQUIRED",
        ),
        (
            "RS256 token under the EC kid",
            {
                let mut s = Signer::rs256();
                s.kid = "p256".into();
                s.sign(&claims(sub))
            },
            "AUTH_REQUIRED",
        ),
    ];
    // a tampered payload with a valid signature of another payload
    let good = token(sub);
    let parts: Vec<&str> = good.split('.').collect();
    let evil_payload = b64u(claims("someone-else").to_string().as_bytes());
    cases.push((
        "tampered payload",
        format!("{}.{}.{}", parts[0], evil_payload, parts[2]),
        "AUTH_REQUIRED",
    ));

    for (name, tok, code) in &cases {
        let mut rb = srv
            .http
            .post(format!("{}/v2/devices/create", srv.base))
            .json(&body);
        if !tok.is_empty() {
            rb = rb.bearer_auth(tok);
        }
        let resp = rb.send().await.unwrap();
        let status = resp.status();
        let v: Value = resp.json().await.unwrap();
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{name}: {v}");
        assert_eq!(v["error"]["code"], *code, "{name}: {v}");
        // and read routes refuse too
        if !tok.is_empty() {
            let (st, _) = srv.get("/v2/wallet", Some(tok)).await;
            assert_eq!(st, StatusCode::UNAUTHORIZED, "{name}");
        }
    }
    // nothing was created
    let (st, v) = srv.get("/v2/wallet", Some(&token(sub))).await;
    assert_error(st, &v, 404, "NO_WALLET");
    // within the 30 s skew an just-expired token still works
    let t = Signer::ed("ed1", "ed1")
        .sign(&json!({ "iss": ISS, "aud": AUD, "sub": sub, "exp": n - 5,
                                                "cnf": { "jkt": DPOP.jkt() } }));
    let (st, _) = srv.get("/v2/wallet", Some(&t)).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    // Bearer scheme is required
    let resp = srv
        .http
        .get(format!("{}/v2/wallet", srv.base))
        .header("authorization", format!("Basic {}", token(sub)))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
}
dual!(jwt_attacks_refused, attacks);

async fn algorithms_and_rotation(db: Db) {
    let srv = Srv::hot(db).await;
    // EdDSA, ES256 and RS256 are all accepted for the same user
    for signer in [Signer::ed("ed1", "ed1"), Signer::es256(), Signer::rs256()] {
        let (st, v) = srv
            .get("/v2/wallet", Some(&signer.sign(&claims("carol"))))
            .await;
        assert_error(st, &v, 404, "NO_WALLET");
    }
    let w = create_wallet(&srv, "carol").await;
    let es = Signer::es256().sign(&claims("carol"));
    let (st, v) = srv.get("/v2/wallet", Some(&es)).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["wallet"], w.wallet);

    // a flood of random kids fetches the JWKS at most once per interval
    let before = srv.jwks.hits();
    let mut set = tokio::task::JoinSet::new();
    for i in 0..30 {
        let t = Signer::ed("ed2", &format!("random-{i}")).sign(&claims("carol"));
        let (http, url) = (srv.http.clone(), format!("{}/v2/wallet", srv.base));
        set.spawn(async move {
            dpop(http.get(&url), "GET", &url, &t)
                .send()
                .await
                .unwrap()
                .status()
        });
    }
    while let Some(st) = set.join_next().await {
        assert_eq!(st.unwrap(), StatusCode::UNAUTHORIZED);
    }
    let fetched = srv.jwks.hits() - before;
    assert!(
        fetched <= 1,
        "JWKS fetched {fetched} times for 30 unknown kids"
    );

    // rotation: a new key with a new kid is accepted after a refetch
    srv.jwks.add("ed2", "ed2-rotated");
    tokio::time::sleep(std::time::Duration::from_millis(350)).await;
    let rotated = Signer::ed("ed2", "ed2-rotated").sign(&claims("carol"));
    let (st, v) = srv.get("/v2/wallet", Some(&rotated)).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["wallet"], w.wallet);
}
dual!(allowed_algorithms_and_key_rotation, algorithms_and_rotation);
