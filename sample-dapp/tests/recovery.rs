//! The automatic-recovery key, and key persistence across restarts.
#![allow(clippy::unwrap_used)]

mod common;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD as B64};
use common::*;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::json;
use sha2::Sha256;

async fn recovery_key(server: &Server, token: &str) -> String {
    let (status, headers, body) = get_json(&server.url("/api/recovery-key"), Some(token)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(headers["cache-control"], "no-store");
    let key = body["key"].as_str().unwrap().to_owned();
    assert_eq!(B64.decode(&key).unwrap().len(), 32);
    assert!(!key.contains('='));
    key
}

#[tokio::test]
async fn recovery_key_is_per_user_stable_and_survives_restart() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(config(dir.path())).await;
    let alice = signup(&server, "alice", "password-1").await;
    let bob = signup(&server, "bob", "password-2").await;
    let a1 = recovery_key(&server, &alice).await;
    let a2 = recovery_key(&server, &alice).await;
    let b1 = recovery_key(&server, &bob).await;
    assert_eq!(a1, a2);
    assert_ne!(a1, b1);

    // A new login gives the same key (it depends on the user, not the token).
    let (_, _, body) = post_json(
        &server.url("/api/auth/login"),
        &json!({ "username": "alice", "password": "password-1" }),
        None,
    )
    .await;
    assert_eq!(
        recovery_key(&server, body["token"].as_str().unwrap()).await,
        a1
    );

    // The documented derivation: HMAC-SHA256(master, "keyframe-recovery-v1" || iss || sub).
    let master = std::fs::read(dir.path().join("recovery-master.key")).unwrap();
    let (_, claims) = decode(&alice);
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&master).unwrap();
    mac.update(b"keyframe-recovery-v1");
    mac.update(claims["iss"].as_str().unwrap().as_bytes());
    mac.update(claims["sub"].as_str().unwrap().as_bytes());
    assert_eq!(B64.encode(mac.finalize().into_bytes()), a1);

    // Refused without a token, with a forged one and with an expired one.
    let url = server.url("/api/recovery-key");
    let (status, _, body) = get_json(&url, None).await;
    assert_eq!((status, error_code(&body)), (401, "AUTH_REQUIRED"));
    let (header, claims) = decode(&alice);
    let forged = mint(&[3u8; 32], &header, &claims);
    let (status, _, body) = get_json(&url, Some(&forged)).await;
    assert_eq!((status, error_code(&body)), (401, "AUTH_REQUIRED"));
    // Bob's claims under Alice's token signature: refused.
    let (_, bob_claims) = decode(&bob);
    let parts: Vec<&str> = alice.split('.').collect();
    let spliced = format!(
        "{}.{}.{}",
        parts[0],
        bob.split('.').nth(1).unwrap(),
        parts[2]
    );
    let (status, _, _) = get_json(&url, Some(&spliced)).await;
    assert_eq!(status, 401);
    let seed = server_seed(dir.path());
    let mut expired = bob_claims.clone();
    expired["exp"] = json!(now() - 600);
    let (status, _, body) = get_json(&url, Some(&mint(&seed, &header, &expired))).await;
    assert_eq!((status, error_code(&body)), (401, "AUTH_EXPIRED"));
    // A well-signed token for a user that does not exist: refused.
    let mut ghost = bob_claims.clone();
    ghost["sub"] = json!("00000000-0000-4000-8000-000000000000");
    let (status, _, body) = get_json(&url, Some(&mint(&seed, &header, &ghost))).await;
    assert_eq!((status, error_code(&body)), (401, "AUTH_REQUIRED"));

    let (_, _, jwks_before) = get_json(&server.url("/.well-known/jwks.json"), None).await;
    server.stop().await;

    // Restart on the same data folder: same keys, old tokens still valid.
    let server = Server::start(config(dir.path())).await;
    let (_, _, jwks_after) = get_json(&server.url("/.well-known/jwks.json"), None).await;
    assert_eq!(jwks_before, jwks_after);
    assert_eq!(recovery_key(&server, &alice).await, a1);
    assert_eq!(recovery_key(&server, &bob).await, b1);
    let (status, _, _) =
        post_json(&server.url("/api/auth/refresh"), &json!({}), Some(&alice)).await;
    assert_eq!(status, 200);
    let (status, _, _) = post_json(
        &server.url("/api/auth/login"),
        &json!({ "username": "bob", "password": "password-2" }),
        None,
    )
    .await;
    assert_eq!(status, 200);
    server.stop().await;

    // A fresh data folder means new keys: the old token is refused there.
    let other = tempfile::tempdir().unwrap();
    let server = Server::start(config(other.path())).await;
    let (status, _, _) = get_json(&server.url("/api/recovery-key"), Some(&alice)).await;
    assert_eq!(status, 401);
    server.stop().await;
}

#[cfg(unix)]
#[tokio::test]
async fn key_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("nested").join("data");
    let server = Server::start(config(&data)).await;
    for name in ["jwt-signing.key", "recovery-master.key"] {
        let meta = std::fs::metadata(data.join(name)).unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, 0o600, "{name}");
        assert_eq!(meta.len(), 32, "{name}");
    }
    assert_eq!(
        std::fs::metadata(&data).unwrap().permissions().mode() & 0o777,
        0o700
    );
    assert!(data.join("sample-dapp.sqlite").exists());
    server.stop().await;

    // A key file others can read stops the server from starting.
    std::fs::set_permissions(
        data.join("recovery-master.key"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let err = sample_dapp::AppState::open(config(&data))
        .await
        .err()
        .unwrap();
    assert!(err.to_string().contains("chmod 600"), "{err}");
}
