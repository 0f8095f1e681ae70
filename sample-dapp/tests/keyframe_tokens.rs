//! Tokens for Keyframe's services: one audience per service, bound to the
//! iFrame's key, and none of them accepted by this server's own endpoints
//! (issue 11 items 1 and 2).
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use serde_json::json;

const JKT: &str = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";

#[tokio::test]
async fn tokens_per_service_bound_to_the_key_and_refused_here() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(config(dir.path())).await;
    let session = signup(&server, "alice", "password-1").await;
    let (_, session_claims) = decode(&session);
    assert_eq!(session_claims["aud"], "sample-dapp");
    assert!(session_claims.get("cnf").is_none());

    let url = server.url("/api/keyframe-tokens");
    let (status, _, body) = post_json(&url, &json!({ "jkt": JKT }), Some(&session)).await;
    assert_eq!(status, 200, "{body}");
    let (hot, shield) = (
        body["hot"].as_str().unwrap().to_owned(),
        body["shield"].as_str().unwrap().to_owned(),
    );
    for (token, aud) in [(&hot, "keyframe-hot-storage"), (&shield, "keyframe-shield")] {
        let (_, claims) = decode(token);
        assert_eq!(claims["aud"], aud);
        assert_eq!(claims["sub"], session_claims["sub"]);
        assert_eq!(claims["cnf"]["jkt"], JKT);
        assert!(claims["exp"].as_u64() <= session_claims["exp"].as_u64().map(|e| e + 5));
        // A token meant for Keyframe opens nothing here.
        for path in ["/api/recovery-key", "/api/keyframe-tokens"] {
            let (status, _, body) = if path == "/api/recovery-key" {
                get_json(&server.url(path), Some(token)).await
            } else {
                post_json(&server.url(path), &json!({ "jkt": JKT }), Some(token)).await
            };
            assert_eq!(
                (status, error_code(&body)),
                (401, "AUTH_REQUIRED"),
                "{path}"
            );
        }
    }

    // Only a thumbprint-shaped jkt, only with a session.
    for bad in [
        json!({}),
        json!({ "jkt": "short" }),
        json!({ "jkt": JKT, "x": 1 }),
        json!({ "jkt": format!("{}=", &JKT[..42]) }),
    ] {
        let (status, _, body) = post_json(&url, &bad, Some(&session)).await;
        assert_eq!(status / 100, 4, "{bad}: {body}");
    }
    let (status, _, _) = post_json(&url, &json!({ "jkt": JKT }), None).await;
    assert_eq!(status, 401);
    server.stop().await;
}
