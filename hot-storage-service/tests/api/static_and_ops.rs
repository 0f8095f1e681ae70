//! Static files and their headers, OpenAPI coverage, the binaries' CLI.

use hot_storage_service::server::Service;
use reqwest::StatusCode;
use serde_json::Value;

use crate::common::*;

#[tokio::test]
async fn static_files_have_strict_headers() {
    let srv = Srv::start(Db::Sqlite, Service::Hot, |s| {
        s.allowed_origins = vec![
            "http://127.0.0.1:3000".into(),
            "https://dapp.example".into(),
        ];
        s.shield_url = "http://127.0.0.1:8788/".into();
    })
    .await;
    let resp = srv
        .http
        .get(format!("{}/iframe.html", srv.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let h = resp.headers().clone();
    let csp = h["content-security-policy"].to_str().unwrap();
    for part in [
        "default-src 'none'",
        "script-src 'self' 'wasm-unsafe-eval'",
        "connect-src 'self' http://127.0.0.1:8788;",
        "frame-ancestors http://127.0.0.1:3000 https://dapp.example;",
        "base-uri 'none'",
        "form-action 'none'",
    ] {
        assert!(csp.contains(part), "CSP lacks {part}: {csp}");
    }
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "no-referrer");
    assert!(h["content-type"].to_str().unwrap().starts_with("text/html"));
    assert!(resp.text().await.unwrap().contains("keyframe"));

    let resp = srv
        .http
        .get(format!("{}/pkg/signer.wasm", srv.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "application/wasm");
    assert_eq!(resp.headers()["x-content-type-options"], "nosniff");

    // a missing file is the JSON 404; no directory traversal
    let (st, v) = srv.get("/missing.js", None).await;
    assert_error(st, &v, 404, "NOT_FOUND");
    let (st, _) = srv.get("/../Cargo.toml", None).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, _) = srv.get("/%2e%2e/test.db", None).await;
    assert!(st.is_client_error());
}

/// The original of tests/data/precompressed.wasm.br (its README).
fn precompressed_fixture() -> Vec<u8> {
    "keyframe precompressed fixture\n".repeat(200).into_bytes()
}

fn gzipped(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

/// A folder with `pkg/app.wasm` and its two compressed copies, as
/// scripts/build.sh leaves the iFrame's files.
fn precompressed_folder(root: &std::path::Path) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let pkg = root.join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    let original = precompressed_fixture();
    let br = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/precompressed.wasm.br"
    ))
    .unwrap();
    let gz = gzipped(&original);
    std::fs::write(pkg.join("app.wasm"), &original).unwrap();
    std::fs::write(pkg.join("app.wasm.br"), &br).unwrap();
    std::fs::write(pkg.join("app.wasm.gz"), &gz).unwrap();
    (original, br, gz)
}

#[tokio::test]
async fn precompressed_copies_are_sent_to_whoever_accepts_them() {
    let srv = Srv::hot(Db::Sqlite).await;
    let (original, br, gz) = precompressed_folder(&srv.state.settings.static_dir);
    let cases: [(Option<&str>, Option<&str>, &[u8]); 6] = [
        (Some("br"), Some("br"), &br),
        (Some("gzip, deflate, br, zstd"), Some("br"), &br),
        (Some("gzip"), Some("gzip"), &gz),
        (Some("br;q=0, gzip"), Some("gzip"), &gz),
        (Some("identity"), None, &original),
        (None, None, &original),
    ];
    for (accept, encoding, body) in cases {
        let mut req = srv.http.get(format!("{}/pkg/app.wasm", srv.base));
        if let Some(a) = accept {
            req = req.header("accept-encoding", a);
        }
        let resp = req.send().await.unwrap();
        let what = format!("Accept-Encoding {accept:?}");
        assert_eq!(resp.status(), StatusCode::OK, "{what}");
        let h = resp.headers().clone();
        assert_eq!(
            h.get("content-encoding").map(|v| v.to_str().unwrap()),
            encoding,
            "{what}"
        );
        // The type of the file, not of its copy: WebAssembly's streaming
        // compile insists on it.
        assert_eq!(h["content-type"], "application/wasm", "{what}");
        assert!(
            h["vary"]
                .to_str()
                .unwrap()
                .to_ascii_lowercase()
                .contains("accept-encoding"),
            "{what}"
        );
        assert!(
            h["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("frame-ancestors"),
            "{what}"
        );
        assert_eq!(resp.bytes().await.unwrap().as_ref(), body, "{what}");
    }
}

#[test]
fn compressed_copies_must_decode_to_the_file_beside_them() {
    let tmp = tempfile::tempdir().unwrap();
    // Nothing to check: a folder without copies, or no folder at all.
    assert_eq!(
        hot_storage_service::static_files::check_precompressed(tmp.path()).unwrap(),
        0
    );
    assert_eq!(
        hot_storage_service::static_files::check_precompressed(&tmp.path().join("none")).unwrap(),
        0
    );
    let (original, br, _) = precompressed_folder(tmp.path());
    assert_eq!(
        hot_storage_service::static_files::check_precompressed(tmp.path()).unwrap(),
        2
    );
    // A `.gz` with no file beside it is a file of its own.
    std::fs::write(tmp.path().join("archive.tar.gz"), b"not checked").unwrap();
    assert_eq!(
        hot_storage_service::static_files::check_precompressed(tmp.path()).unwrap(),
        2
    );

    let pkg = tmp.path().join("pkg");
    let mut newer = original.clone();
    newer.extend_from_slice(b"one more line\n");
    let stale: [(&str, Vec<u8>); 5] = [
        // The file was rebuilt and its copies were not.
        ("app.wasm", newer.clone()),
        // A copy of another build.
        ("app.wasm.gz", gzipped(&newer)),
        // A copy of a prefix of the file.
        ("app.wasm.gz", gzipped(&original[..original.len() - 1])),
        // Cut off, or not compressed at all.
        ("app.wasm.br", br[..br.len() / 2].to_vec()),
        ("app.wasm.br", original.clone()),
    ];
    for (name, bytes) in stale {
        precompressed_folder(tmp.path());
        std::fs::write(pkg.join(name), &bytes).unwrap();
        let err = hot_storage_service::static_files::check_precompressed(tmp.path())
            .expect_err(name)
            .to_string();
        assert!(
            err.contains("does not decode to") && err.contains("scripts/build.sh"),
            "{name}: {err}"
        );
    }
}

#[tokio::test]
async fn hot_storage_refuses_to_start_on_a_stale_compressed_copy() {
    let tmp = tempfile::tempdir().unwrap();
    let statics = tmp.path().join("static");
    precompressed_folder(&statics);
    std::fs::write(statics.join("pkg/app.wasm.gz"), gzipped(b"another build")).unwrap();
    let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_hot-storage-service"))
        .args(["--listen", "127.0.0.1:0", "--dev", "--data-dir"])
        .arg(tmp.path().join("data"))
        .arg("--static-dir")
        .arg(&statics)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let out = tokio::time::timeout(std::time::Duration::from_secs(20), child.wait_with_output())
        .await
        .expect("hot storage started on a stale copy instead of refusing")
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("app.wasm.gz does not decode to"), "{err}");
}

#[tokio::test]
async fn sdk_is_served_for_cross_origin_import() {
    let srv = Srv::hot(Db::Sqlite).await;
    // Not built yet: the JSON 404, never another file.
    let (st, v) = srv.get("/sdk/keyframe-sdk.js", None).await;
    assert_error(st, &v, 404, "NOT_FOUND");

    let dist = srv.state.settings.static_dir.join("sdk/dist");
    std::fs::create_dir_all(&dist).unwrap();
    let js = "export const createSigner = () => 1;\n";
    let dts = "export declare const createSigner: () => number;\n";
    std::fs::write(dist.join("keyframe-sdk.min.js"), js).unwrap();
    std::fs::write(dist.join("keyframe-sdk.min.d.ts"), dts).unwrap();

    for (path, body, content_type) in [
        ("/sdk/keyframe-sdk.js", js, "text/javascript; charset=utf-8"),
        (
            "/sdk/keyframe-sdk.d.ts",
            dts,
            "application/typescript; charset=utf-8",
        ),
    ] {
        let resp = srv
            .http
            .get(format!("{}{path}", srv.base))
            .header("origin", "http://127.0.0.1:5173")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
        let h = resp.headers().clone();
        assert_eq!(h["content-type"], content_type, "{path}");
        assert_eq!(h["access-control-allow-origin"], "*", "{path}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["cache-control"], "no-cache", "{path}");
        assert!(h.get("access-control-allow-credentials").is_none());
        let etag = h["etag"].to_str().unwrap().to_string();
        assert_eq!(resp.text().await.unwrap(), body, "{path}");

        // Revalidation: 304 while unchanged.
        let again = srv
            .http
            .get(format!("{}{path}", srv.base))
            .header("if-none-match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{path}");
        assert_eq!(again.headers()["etag"].to_str().unwrap(), etag);
    }

    // Only the SDK is open to every origin: not the iFrame page, not the API.
    for path in ["/iframe.html", "/v2/config", "/healthz"] {
        let resp = srv
            .http
            .get(format!("{}{path}", srv.base))
            .header("origin", "http://127.0.0.1:5173")
            .send()
            .await
            .unwrap();
        assert!(
            resp.headers().get("access-control-allow-origin").is_none(),
            "{path} must not carry CORS headers"
        );
    }
}

fn check_openapi(doc: &Value, routes: &[(&str, &str)]) {
    assert_eq!(doc["openapi"], "3.1.0");
    for (method, path) in routes {
        assert!(
            doc["paths"][path][method].is_object(),
            "{method} {path} missing from openapi.json"
        );
    }
}

#[tokio::test]
async fn openapi_lists_every_route() {
    let srv = Srv::hot(Db::Sqlite).await;
    let (st, doc) = srv.get("/openapi.json", None).await;
    assert_eq!(st, StatusCode::OK);
    check_openapi(&doc, hot_storage_service::hot::ROUTES);
    // every route in ROUTES is really served (not the 404 fallback)
    for (method, path) in hot_storage_service::hot::ROUTES {
        let m: reqwest::Method = method.to_uppercase().parse().unwrap();
        let resp = srv
            .http
            .request(m, format!("{}{path}", srv.base))
            .send()
            .await
            .unwrap();
        assert_ne!(resp.status(), StatusCode::NOT_FOUND, "{method} {path}");
        assert_ne!(
            resp.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
    }
    let srv = Srv::shield(Db::Sqlite).await;
    let (_, doc) = srv.get("/openapi.json", None).await;
    check_openapi(&doc, hot_storage_service::shield::ROUTES);
    for (method, path) in hot_storage_service::shield::ROUTES {
        let m: reqwest::Method = method.to_uppercase().parse().unwrap();
        let p = path.replace("{wallet}", &uuid());
        let resp = srv
            .http
            .request(m, format!("{}{p}", srv.base))
            .send()
            .await
            .unwrap();
        let st = resp.status();
        let v: Value = resp.json().await.unwrap_or(Value::Null);
        assert!(
            !(st == StatusCode::NOT_FOUND && v["error"]["code"] == "NOT_FOUND"),
            "{method} {path}"
        );
        assert_ne!(st, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
    }
}

#[test]
fn binaries_document_flags_and_refuse_to_run_without_a_key() {
    let hot = env!("CARGO_BIN_EXE_hot-storage-service");
    let out = std::process::Command::new(hot)
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--listen",
        "--database-url",
        "--sealing-key",
        "--sealing-key-file",
        "--jwks-url",
        "--jwt-issuer",
        "--jwt-audience",
        "--allowed-origins",
        "--shield-url",
        "--device-ttl-seconds",
        "--static-dir",
        "--dev",
        "HOT_STORAGE_DATABASE_URL",
        "KEYFRAME_JWKS_URL",
    ] {
        assert!(help.contains(flag), "--help lacks {flag}:\n{help}");
    }
    let shield = env!("CARGO_BIN_EXE_shield-service");
    let out = std::process::Command::new(shield)
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(
        help.contains("--provider-origin") && help.contains("SHIELD_DATABASE_URL"),
        "{help}"
    );

    let out = std::process::Command::new(hot)
        .arg("generate-key")
        .output()
        .unwrap();
    let key = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(
        hot_storage_service::seal::SealKey::parse(&key).is_ok(),
        "{key}"
    );

    // production mode without a key refuses to start
    let tmp = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(hot)
        .args(["--listen", "127.0.0.1:0", "--data-dir"])
        .arg(tmp.path())
        .env_remove("HOT_STORAGE_SEALING_KEYS")
        .env_remove("HOT_STORAGE_SEALING_KEY_FILE")
        .env_remove("KEYFRAME_DEV")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no sealing key"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn binary_serves_and_stops_on_sigterm() {
    let tmp = tempfile::tempdir().unwrap();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_shield-service"))
        .args([
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--dev",
            "--log-json",
            "--data-dir",
        ])
        .arg(tmp.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let mut ok = false;
    for _ in 0..100 {
        if let Ok(r) = http
            .get(format!("http://127.0.0.1:{port}/healthz"))
            .send()
            .await
            && r.status() == StatusCode::OK
        {
            ok = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(ok, "shield-service did not come up");
    assert!(
        tmp.path().join("shield.sealing-key").exists(),
        "--dev generates a key into the data folder"
    );
    assert!(tmp.path().join("shield.db").exists());
    let pid = child.id().unwrap().to_string();
    std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    let out = tokio::time::timeout(std::time::Duration::from_secs(10), child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert!(out.status.success(), "{:?}", out.status);
    // --log-json: every log line is a JSON object
    let logs = String::from_utf8_lossy(&out.stderr);
    assert!(
        logs.contains("listening") && logs.contains("stopped"),
        "{logs}"
    );
    for line in logs.lines().filter(|l| !l.trim().is_empty()) {
        assert!(
            serde_json::from_str::<Value>(line).is_ok_and(|v| v.is_object()),
            "not JSON: {line}"
        );
    }
}

#[tokio::test]
async fn reseal_subcommand_rotates_keys() {
    use hot_storage_service::seal::{Keyring, SealKey};
    let dbdir = tempfile::tempdir().unwrap();
    let url = db_url(Db::Sqlite, &dbdir).await;
    let old = SealKey::generate("old").unwrap().to_spec();
    let new = SealKey::generate("new").unwrap().to_spec();
    let srv = Srv::start_with(
        Db::Sqlite,
        Service::Hot,
        tempfile::tempdir().unwrap(),
        url.clone(),
        Keyring::new(vec![SealKey::parse(&old).unwrap()]).unwrap(),
        None,
        |_| {},
    )
    .await;
    let w = create_wallet(&srv, "alice").await;
    let (_, v) = srv
        .post(
            "/v2/devices/recover",
            &w.token,
            &serde_json::json!({ "wallet": w.wallet }),
        )
        .await;
    assert_eq!(unb64(v["share"].as_str().unwrap()), w.primary_share);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hot-storage-service"))
        .args([
            "--database-url",
            &url,
            "--sealing-key",
            old.as_str(),
            "reseal",
            "--new-key",
            new.as_str(),
        ])
        .env_remove("HOT_STORAGE_SEALING_KEYS")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("resealed 2 of 2"), "{stdout}");
    let jwks = srv.jwks.clone();
    drop(srv);
    let srv = Srv::start_with(
        Db::Sqlite,
        Service::Hot,
        tempfile::tempdir().unwrap(),
        url,
        Keyring::new(vec![SealKey::parse(&new).unwrap()]).unwrap(),
        Some(jwks),
        |_| {},
    )
    .await;
    let (st, v) = srv
        .post(
            "/v2/devices/recover",
            &w.token,
            &serde_json::json!({ "wallet": w.wallet, "device": w.device }),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(unb64(v["share"].as_str().unwrap()), w.device_share);
    // API answers are never cached
    let url = format!("{}/v2/wallet", srv.base);
    let resp = dpop(srv.http.get(&url), "GET", &url, &w.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["cache-control"], "no-store");
}

/// Rough throughput of `recover` (JWT + unseal + read) on this machine.
/// Not a budget check (client and server share the cores, debug build):
/// `cargo test -p hot-storage-service --release -- --ignored recover_throughput --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn recover_throughput() {
    for db in [Db::Sqlite, Db::Postgres] {
        let srv = Srv::start(db, Service::Hot, |s| {
            s.rate.ip_per_second = 0;
            s.rate.user_per_second = 0;
        })
        .await;
        let w = create_wallet(&srv, "bench").await;
        let body = serde_json::json!({ "wallet": w.wallet, "device": w.device });
        // ceiling: the no-op route on the same server
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
        let mut set = tokio::task::JoinSet::new();
        for _ in 0..32 {
            let (http, url) = (srv.http.clone(), format!("{}/v2/config", srv.base));
            set.spawn(async move {
                let mut n = 0u64;
                while std::time::Instant::now() < deadline {
                    let r = http.get(&url).send().await.unwrap();
                    let _ = r.bytes().await;
                    n += 1;
                }
                n
            });
        }
        let mut total = 0;
        while let Some(n) = set.join_next().await {
            total += n.unwrap();
        }
        println!("{db:?}: {} config/s (ceiling)", total / 2);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
        let mut set = tokio::task::JoinSet::new();
        for _ in 0..32 {
            let (http, url, tok, body) = (
                srv.http.clone(),
                format!("{}/v2/devices/recover", srv.base),
                w.token.clone(),
                body.clone(),
            );
            set.spawn(async move {
                let mut n = 0u64;
                while std::time::Instant::now() < deadline {
                    let r = dpop(http.post(&url), "POST", &url, &tok)
                        .json(&body)
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(r.status(), StatusCode::OK);
                    let _ = r.bytes().await;
                    n += 1;
                }
                n
            });
        }
        let mut total = 0;
        while let Some(n) = set.join_next().await {
            total += n.unwrap();
        }
        println!("{db:?}: {} recover/s", total / 3);
    }
}

/// The (METHOD, path) pairs written as `` `METHOD /path` `` in the section
/// of docs/api.md that starts with `heading` (up to the next `## `).
fn documented_routes(heading: &str) -> std::collections::BTreeSet<(String, String)> {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/api.md")).unwrap();
    let start = text
        .find(heading)
        .unwrap_or_else(|| panic!("docs/api.md has no {heading}"));
    let section = &text[start + heading.len()..];
    let section = &section[..section.find("\n## ").unwrap_or(section.len())];
    let mut out = std::collections::BTreeSet::new();
    for chunk in section.split('`').skip(1).step_by(2) {
        if let Some((method, path)) = chunk.split_once(' ')
            && ["GET", "POST", "PUT", "DELETE", "PATCH"].contains(&method)
            && path.starts_with('/')
            && !path.contains(' ')
        {
            out.insert((method.to_lowercase(), path.to_string()));
        }
    }
    out
}

/// The (method, path) pairs of a served OpenAPI document.
fn generated_routes(doc: &Value) -> std::collections::BTreeSet<(String, String)> {
    let mut out = std::collections::BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in ["get", "post", "put", "delete", "patch"] {
            if item[method].is_object() {
                out.insert((method.to_string(), path.clone()));
            }
        }
    }
    out
}

#[tokio::test]
async fn openapi_routes_match_docs_api_md() {
    for (service, heading) in [
        (Service::Hot, "## Hot storage"),
        (Service::Shield, "## Shield"),
    ] {
        let srv = Srv::start(Db::Sqlite, service, |_| {}).await;
        let (st, doc) = srv.get("/openapi.json", None).await;
        assert_eq!(st, StatusCode::OK);
        let documented = documented_routes(heading);
        let generated = generated_routes(&doc);
        assert!(generated.len() >= 7, "{generated:?}");
        assert_eq!(
            generated, documented,
            "{service:?}: /openapi.json (left) and docs/api.md (right) list different routes"
        );
    }
}

#[tokio::test]
async fn openapi_documents_the_password_verifier() {
    // signer-wasm/src/recovery.rs refuses password params without `verifier`.
    let srv = Srv::shield(Db::Sqlite).await;
    let (_, doc) = srv.get("/openapi.json", None).await;
    let params = &doc["components"]["schemas"]["PasswordParams"];
    let required: Vec<&str> = params["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for field in ["kdf", "m", "t", "p", "salt", "verifier"] {
        assert!(required.contains(&field), "{field} missing: {params}");
    }
    let api =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/api.md")).unwrap();
    assert!(
        api.contains("{ kdf: \"argon2id\", m: KiB, t, p, salt: b64, verifier: b64 }"),
        "docs/api.md lists the password params without `verifier`"
    );
}
