//! Sign-up, login, JWTs against the served JWKS, refresh, errors, limits.
#![allow(clippy::unwrap_used)]

mod common;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD as B64};
use common::*;
use ed25519_dalek::{Signature, VerifyingKey};
use serde_json::{Value, json};

/// Verifies `token` independently from the server code: JWKS lookup by
/// `kid`, Ed25519 signature, then the claims. Returns the claims.
fn verify_with_jwks(jwks: &Value, token: &str) -> Result<Value, String> {
    let parts: Vec<&str> = token.split('.').collect();
    if parts.len() != 3 {
        return Err("not a compact JWS".into());
    }
    let (header, claims) = decode(token);
    if header["alg"] != "EdDSA" || header["typ"] != "JWT" {
        return Err(format!("bad header {header}"));
    }
    let jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == header["kid"])
        .ok_or("unknown kid")?;
    assert_eq!(
        (
            jwk["kty"].as_str(),
            jwk["crv"].as_str(),
            jwk["alg"].as_str(),
            jwk["use"].as_str()
        ),
        (Some("OKP"), Some("Ed25519"), Some("EdDSA"), Some("sig"))
    );
    let x: [u8; 32] = B64
        .decode(jwk["x"].as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap();
    let sig: [u8; 64] = B64
        .decode(parts[2])
        .map_err(|e| e.to_string())?
        .try_into()
        .map_err(|_| "sig length")?;
    VerifyingKey::from_bytes(&x)
        .unwrap()
        .verify_strict(
            format!("{}.{}", parts[0], parts[1]).as_bytes(),
            &Signature::from_bytes(&sig),
        )
        .map_err(|e| e.to_string())?;
    let now = now();
    if claims["iss"] != "http://127.0.0.1:3000" || claims["aud"] != "sample-dapp" {
        return Err(format!("bad iss/aud {claims}"));
    }
    let (iat, nbf, exp) = (
        claims["iat"].as_u64().unwrap(),
        claims["nbf"].as_u64().unwrap(),
        claims["exp"].as_u64().unwrap(),
    );
    // 900 s, or less where the session ends sooner (the tests that make it
    // end sooner check exactly when).
    let lived = exp.saturating_sub(iat);
    if !(nbf <= now + 5 && exp > now && (1..=900).contains(&lived) && iat.abs_diff(now) < 60) {
        return Err(format!("bad times {claims}"));
    }
    uuid::Uuid::parse_str(claims["sub"].as_str().unwrap()).map_err(|e| e.to_string())?;
    assert!(!claims["jti"].as_str().unwrap().is_empty());
    Ok(claims)
}

async fn jwks(server: &Server) -> Value {
    let resp = client()
        .get(server.url("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let cc = resp.headers()["cache-control"].to_str().unwrap().to_owned();
    assert!(cc.contains("max-age=") && !cc.contains("no-store"), "{cc}");
    resp.json().await.unwrap()
}

#[tokio::test]
async fn signup_login_and_token_verifies_against_jwks() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(config(dir.path())).await;
    let t1 = signup(&server, "  Alice  ", "correct horse").await;
    let (status, headers, body) = post_json(
        &server.url("/api/auth/login"),
        &json!({ "username": "ALICE", "password": "correct horse" }),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(headers["cache-control"], "no-store");
    let t2 = body["token"].as_str().unwrap();

    let keys = jwks(&server).await;
    assert_eq!(keys["keys"].as_array().unwrap().len(), 1);
    let c1 = verify_with_jwks(&keys, &t1).unwrap();
    let c2 = verify_with_jwks(&keys, t2).unwrap();
    for c in [&c1, &c2] {
        // The full token lifetime: the session (12 h) ends much later.
        assert_eq!(c["exp"].as_u64().unwrap() - c["iat"].as_u64().unwrap(), 900);
    }
    assert_eq!(c1["sub"], c2["sub"], "sub is the stable user id");
    assert_ne!(c1["sub"], "alice", "sub is not the username");
    assert_ne!(c1["jti"], c2["jti"]);

    // A tampered token fails the independent check too.
    let (_, mut claims) = decode(t2);
    claims["sub"] = json!("00000000-0000-4000-8000-000000000000");
    let (header, _) = decode(t2);
    let sig = t2.rsplit('.').next().unwrap();
    let tampered = format!(
        "{}.{}.{sig}",
        B64.encode(serde_json::to_vec(&header).unwrap()),
        B64.encode(serde_json::to_vec(&claims).unwrap())
    );
    assert!(verify_with_jwks(&keys, &tampered).is_err());
    server.stop().await;
}

#[tokio::test]
async fn duplicate_username_is_409_case_insensitive() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(config(dir.path())).await;
    signup(&server, "Bob", "password-1").await;
    for name in ["Bob", "bob", " BOB "] {
        let (status, _, body) = post_json(
            &server.url("/api/auth/signup"),
            &json!({ "username": name, "password": "password-2" }),
            None,
        )
        .await;
        assert_eq!(
            (status, error_code(&body)),
            (409, "USERNAME_TAKEN"),
            "{name}"
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn wrong_password_and_unknown_user_get_the_same_401() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(config(dir.path())).await;
    signup(&server, "carol", "password-1").await;
    let url = server.url("/api/auth/login");
    let (s1, h1, wrong) = post_json(
        &url,
        &json!({ "username": "carol", "password": "password-2" }),
        None,
    )
    .await;
    let (s2, _, unknown) = post_json(
        &url,
        &json!({ "username": "nobody", "password": "password-1" }),
        None,
    )
    .await;
    let (s3, _, impossible) = post_json(
        &url,
        &json!({ "username": "x", "password": "password-1" }),
        None,
    )
    .await;
    assert_eq!((s1, s2, s3), (401, 401, 401));
    assert_eq!(error_code(&wrong), "INVALID_CREDENTIALS");
    assert_eq!(wrong, unknown);
    assert_eq!(wrong, impossible);
    assert!(h1.get("www-authenticate").is_none());
    server.stop().await;
}

#[tokio::test]
async fn bad_requests_are_json_400s() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(config(dir.path())).await;
    let signup_url = server.url("/api/auth/signup");
    for body in [
        json!({ "username": "dave", "password": "short" }),
        json!({ "username": "da", "password": "long enough" }),
        json!({ "username": "   da   ", "password": "long enough" }),
        json!({ "username": "x".repeat(65), "password": "long enough" }),
        json!({ "username": "dave", "password": "long enough", "admin": true }),
        json!({ "username": "dave" }),
        json!({ "username": 5, "password": "long enough" }),
        json!(["dave", "long enough"]),
    ] {
        let (status, _, resp) = post_json(&signup_url, &body, None).await;
        assert_eq!((status, error_code(&resp)), (400, "BAD_REQUEST"), "{body}");
    }
    for url in [&signup_url, &server.url("/api/auth/login")] {
        // Malformed JSON.
        let resp = client()
            .post(url.as_str())
            .header("content-type", "application/json")
            .body("{\"username\": \"dave\",")
            .send()
            .await
            .unwrap();
        let (status, headers, body) = finish(resp).await;
        assert_eq!((status, error_code(&body)), (400, "BAD_REQUEST"));
        assert!(
            headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json")
        );
        // Wrong content type.
        let resp = client().post(url.as_str()).body("{}").send().await.unwrap();
        let (status, _, body) = finish(resp).await;
        assert_eq!((status, error_code(&body)), (415, "BAD_REQUEST"));
        // Oversized body.
        let big = json!({ "username": "dave", "password": "p".repeat(100_000) });
        let (status, _, body) = post_json(url, &big, None).await;
        assert_eq!((status, error_code(&body)), (413, "PAYLOAD_TOO_LARGE"));
    }
    // Unknown fields on login too.
    let (status, _, body) = post_json(
        &server.url("/api/auth/login"),
        &json!({ "username": "dave", "password": "long enough", "remember": true }),
        None,
    )
    .await;
    assert_eq!((status, error_code(&body)), (400, "BAD_REQUEST"));
    // Unknown API route and wrong method: JSON too.
    let (status, _, body) = get_json(&server.url("/api/nope"), None).await;
    assert_eq!((status, error_code(&body)), (404, "NOT_FOUND"));
    let (status, _, body) = get_json(&server.url("/api/auth/login"), None).await;
    assert_eq!((status, error_code(&body)), (405, "METHOD_NOT_ALLOWED"));
    server.stop().await;
}

#[tokio::test]
async fn login_and_signup_are_rate_limited() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(config(dir.path())).await;
    signup(&server, "erin", "password-1").await;
    let url = server.url("/api/auth/login");
    let mut limited = None;
    for attempt in 0..10 {
        let (status, headers, body) = post_json(
            &url,
            &json!({ "username": "Erin", "password": "guess" }),
            None,
        )
        .await;
        if status == 429 {
            limited = Some((attempt, headers, body));
            break;
        }
        assert_eq!(error_code(&body), "INVALID_CREDENTIALS");
    }
    let (attempt, headers, body) = limited.expect("no 429 within 10 attempts");
    assert_eq!(attempt, 5, "default is 5 attempts per username per minute");
    assert_eq!(error_code(&body), "RATE_LIMITED");
    let retry: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    // Even the right password is refused while limited (no oracle).
    let (status, _, _) = post_json(
        &url,
        &json!({ "username": "erin", "password": "password-1" }),
        None,
    )
    .await;
    assert_eq!(status, 429);
    // Other usernames are not affected by this user's limit.
    let (status, _, _) = post_json(
        &url,
        &json!({ "username": "frank", "password": "password-1" }),
        None,
    )
    .await;
    assert_eq!(status, 401);

    // Per-IP limit on sign-up (a server configured with a small quota).
    let dir2 = tempfile::tempdir().unwrap();
    let mut cfg = config(dir2.path());
    cfg.auth_ip_per_minute = 2;
    let small = Server::start(cfg).await;
    let url = small.url("/api/auth/signup");
    let mut statuses = Vec::new();
    for i in 0..3 {
        let (status, _, _) = post_json(
            &url,
            &json!({ "username": format!("user{i}"), "password": "password-1" }),
            None,
        )
        .await;
        statuses.push(status);
    }
    assert_eq!(statuses, [200, 200, 429]);
    small.stop().await;
    server.stop().await;
}

/// A session has an absolute lifetime: refreshing keeps `auth_time`, no
/// token expires after `auth_time + --max-session-seconds`, and once that
/// deadline has passed even a token still within its own `exp` (one stolen
/// just before) is refused 401 `SESSION_EXPIRED`.
#[tokio::test]
async fn refresh_cannot_stretch_a_session_past_its_lifetime() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    cfg.max_session_seconds = 120;
    let server = Server::start(cfg).await;
    let token = signup(&server, "nina", "password-1").await;
    let url = server.url("/api/auth/refresh");
    let keys = jwks(&server).await;
    let first = verify_with_jwks(&keys, &token).unwrap();
    let login = first["auth_time"].as_u64().unwrap();
    // The token lifetime (900 s) is longer than the session: capped.
    assert_eq!(first["exp"].as_u64().unwrap(), login + 120);

    let mut current = token.clone();
    for _ in 0..3 {
        let (status, _, body) = post_json(&url, &json!({}), Some(&current)).await;
        assert_eq!(status, 200, "{body}");
        current = body["token"].as_str().unwrap().to_owned();
        let claims = verify_with_jwks(&keys, &current).unwrap();
        assert_eq!(claims["auth_time"].as_u64().unwrap(), login);
        assert!(claims["exp"].as_u64().unwrap() <= login + 120);
    }

    // A token minted by the server (valid signature, `exp` in the future)
    // whose session began longer ago than the lifetime: no refresh.
    let seed = server_seed(dir.path());
    let (header, mut claims) = decode(&token);
    let now = now();
    claims["auth_time"] = json!(now - 121);
    claims["iat"] = json!(now - 10);
    claims["nbf"] = json!(now - 10);
    claims["exp"] = json!(now + 600);
    let stolen = mint(&seed, &header, &claims);
    let (status, headers, body) = post_json(&url, &json!({}), Some(&stolen)).await;
    assert_eq!((status, error_code(&body)), (401, "SESSION_EXPIRED"));
    assert!(headers.contains_key("www-authenticate"));
    server.stop().await;
}

#[tokio::test]
async fn refresh_gives_a_new_token_and_refuses_bad_ones() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(config(dir.path())).await;
    let token = signup(&server, "grace", "password-1").await;
    let url = server.url("/api/auth/refresh");

    let (status, _, body) = post_json(&url, &json!({}), Some(&token)).await;
    assert_eq!(status, 200, "{body}");
    let fresh = body["token"].as_str().unwrap();
    assert_ne!(fresh, token);
    let keys = jwks(&server).await;
    let (old, new) = (
        verify_with_jwks(&keys, &token).unwrap(),
        verify_with_jwks(&keys, fresh).unwrap(),
    );
    assert_eq!(old["sub"], new["sub"]);
    assert_ne!(old["jti"], new["jti"]);
    // The fresh token works as a Bearer token itself (no body needed).
    let resp = client().post(&url).bearer_auth(fresh).send().await.unwrap();
    assert_eq!(resp.status(), 200);

    let seed = server_seed(dir.path());
    let (header, claims) = decode(&token);
    let now = now();
    let mut expired = claims.clone();
    expired["iat"] = json!(now - 2000);
    expired["nbf"] = json!(now - 2000);
    expired["exp"] = json!(now - 1000);
    let mut wrong_aud = claims.clone();
    wrong_aud["aud"] = json!("someone-else");
    let mut wrong_iss = claims.clone();
    wrong_iss["iss"] = json!("http://evil.example");
    let mut stale_session = claims.clone();
    stale_session["auth_time"] = json!(now - 100_000);
    let mut none_alg = header.clone();
    none_alg["alg"] = json!("none");

    let cases: Vec<(&str, String, &str)> = vec![
        ("expired", mint(&seed, &header, &expired), "AUTH_EXPIRED"),
        (
            "forged key",
            mint(&[9u8; 32], &header, &claims),
            "AUTH_REQUIRED",
        ),
        (
            "wrong aud",
            mint(&seed, &header, &wrong_aud),
            "AUTH_REQUIRED",
        ),
        (
            "wrong iss",
            mint(&seed, &header, &wrong_iss),
            "AUTH_REQUIRED",
        ),
        ("alg none", mint(&seed, &none_alg, &claims), "AUTH_REQUIRED"),
        (
            "session too old",
            mint(&seed, &header, &stale_session),
            "SESSION_EXPIRED",
        ),
        ("garbage", "not.a.token".into(), "AUTH_REQUIRED"),
        (
            "truncated",
            token[..token.len() - 4].to_owned(),
            "AUTH_REQUIRED",
        ),
    ];
    for (name, bad, code) in cases {
        let (status, headers, body) = post_json(&url, &json!({}), Some(&bad)).await;
        assert_eq!((status, error_code(&body)), (401, code), "{name}");
        assert!(headers.contains_key("www-authenticate"), "{name}");
    }
    let resp = client().post(&url).send().await.unwrap();
    let (status, _, body) = finish(resp).await;
    assert_eq!((status, error_code(&body)), (401, "AUTH_REQUIRED"));
    let resp = client()
        .post(&url)
        .header("authorization", format!("Basic {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    server.stop().await;
}
