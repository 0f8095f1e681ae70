//! The chains and the token list hot storage serves (`GET /v2/config`'s
//! `chains`, `GET /v2/tokens`): the built-in defaults, the operator's
//! `--chains` / `--tokens` files, the refusal to start on a bad file, and
//! the token list's `ETag`.

use std::path::{Path, PathBuf};

use clap::Parser;
use hot_storage_service::catalog::Catalog;
use hot_storage_service::config::HotCli;
use hot_storage_service::server::Service;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::*;

const USDC: &str = "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48";

fn chain(id: &str, name: &str) -> Value {
    json!({ "chainId": id, "chainName": name,
        "nativeCurrency": { "name": "Ether", "symbol": "ETH", "decimals": 18 },
        "rpcUrls": ["https://rpc.example"], "blockExplorerUrls": [] })
}

fn write(dir: &Path, name: &str, v: &Value) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, v.to_string()).unwrap();
    p
}

/// The catalog the command line describes (as the binary builds it).
fn from_flags(args: &[&std::ffi::OsStr]) -> anyhow::Result<Catalog> {
    let mut argv: Vec<&std::ffi::OsStr> = vec!["hot-storage-service".as_ref()];
    argv.extend_from_slice(args);
    Ok(HotCli::try_parse_from(argv)?.settings()?.catalog)
}

#[tokio::test]
async fn config_lists_the_default_chains() {
    let srv = Srv::hot(Db::Sqlite).await;
    let (st, v) = srv.get("/v2/config", None).await;
    assert_eq!(st, StatusCode::OK);
    let chains = v["chains"].as_array().unwrap();
    let ids: Vec<&str> = chains
        .iter()
        .map(|c| c["chainId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["0x1", "0xa", "0x89", "0x2105", "0xa4b1", "0x7a69"]);
    let names: Vec<&str> = chains
        .iter()
        .map(|c| c["chainName"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "Ethereum",
            "OP Mainnet",
            "Polygon",
            "Base",
            "Arbitrum One",
            "Local chain"
        ]
    );
    assert_eq!(chains[2]["nativeCurrency"]["symbol"], "POL");
    assert_eq!(chains[0]["nativeCurrency"]["decimals"], 18);
    assert!(
        chains[0]["rpcUrls"][0]
            .as_str()
            .unwrap()
            .starts_with("https://")
    );
    // The default token list is the one the signer used to carry.
    let (st, t) = srv.get("/v2/tokens", None).await;
    assert_eq!(st, StatusCode::OK);
    let tokens = t["tokens"].as_array().unwrap();
    assert_eq!(tokens.len(), 20);
    assert!(
        tokens
            .iter()
            .any(|x| x["address"] == USDC && x["chainId"] == 1)
    );
}

#[tokio::test]
async fn the_operators_files_are_served() {
    let tmp = tempfile::tempdir().unwrap();
    let chains = write(
        tmp.path(),
        "chains.json",
        &json!({ "chains": [chain("0x7a69", "Devnet"), chain("0x2a", "Kovan Classic")] }),
    );
    let tokens = write(
        tmp.path(),
        "tokens.json",
        &json!({ "name": "mine", "timestamp": "2026-01-01T00:00:00Z",
            "tokens": [{ "chainId": 42, "address": USDC, "symbol": "MINE", "decimals": 8,
                "name": "Mine", "logoURI": "https://x.example/logo.png" }] }),
    );
    let catalog = from_flags(&[
        "--chains".as_ref(),
        chains.as_os_str(),
        "--tokens".as_ref(),
        tokens.as_os_str(),
    ])
    .unwrap();
    let srv = Srv::start(Db::Sqlite, Service::Hot, |s| s.catalog = catalog).await;
    let (_, v) = srv.get("/v2/config", None).await;
    assert_eq!(
        v["chains"],
        json!(
            [chain("0x7a69", "Devnet"), chain("0x2a", "Kovan Classic")].map(|mut c| {
                c["iconUrls"] = json!([]);
                c
            })
        )
    );
    let (st, t) = srv.get("/v2/tokens", None).await;
    assert_eq!(st, StatusCode::OK);
    // Only the fields a token needs are served.
    assert_eq!(
        t,
        json!({ "name": "mine", "tokens": [{ "chainId": 42, "address": USDC, "symbol": "MINE", "decimals": 8, "name": "Mine" }] })
    );
    // The environment variables name the same files.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hot-storage-service"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--chains",
        "--tokens",
        "HOT_STORAGE_CHAINS_FILE",
        "HOT_STORAGE_TOKENS_FILE",
    ] {
        assert!(help.contains(flag), "--help lacks {flag}:\n{help}");
    }
}

#[test]
fn bad_files_are_refused_with_the_file_and_the_place() {
    let tmp = tempfile::tempdir().unwrap();
    let mut bad_decimals = chain("0x1", "E");
    bad_decimals["nativeCurrency"]["decimals"] = json!(37);
    let mut bad_url = chain("0x1", "E");
    bad_url["rpcUrls"] = json!(["wss://rpc.example"]);
    let mut bad_explorer = chain("0x1", "E");
    bad_explorer["blockExplorerUrls"] = json!(["javascript:alert(1)"]);
    let cases = [
        (
            json!({ "chains": [chain("0x1", "A"), chain("0x1", "B")] }),
            "chains[1].chainId: 0x1 is listed twice",
        ),
        (
            json!({ "chains": [chain("0x0", "Zero")] }),
            "chains[0].chainId: 0 is not a chain id",
        ),
        (
            json!({ "chains": [bad_decimals] }),
            "chains[0].nativeCurrency.decimals: at most 36",
        ),
        (
            json!({ "chains": [chain("0x1", "")] }),
            "chains[0].chainName: must be 1 to 64 characters",
        ),
        (
            json!({ "chains": [bad_url] }),
            "chains[0].rpcUrls[0]: \"wss://rpc.example\" is not an http(s) URL",
        ),
        (
            json!({ "chains": [bad_explorer] }),
            "chains[0].blockExplorerUrls[0]",
        ),
        (json!({ "chains": [] }), "the list needs at least one chain"),
        (json!({ "chains": [{ "chainId": 1 }] }), "chains[0].chainId"),
        (
            json!([chain("0x1", "E")]),
            "expected a JSON object { \"chains\": [...] }",
        ),
    ];
    for (i, (file, want)) in cases.into_iter().enumerate() {
        let p = write(tmp.path(), &format!("chains{i}.json"), &file);
        let err = format!(
            "{:#}",
            from_flags(&["--chains".as_ref(), p.as_os_str()]).unwrap_err()
        );
        assert!(
            err.starts_with(&format!("--chains {}: ", p.display())) && err.contains(want),
            "{want}: {err}"
        );
    }
    let one = |address: &str, symbol: &str| json!({ "chainId": 1, "address": address, "symbol": symbol, "decimals": 6, "name": "x" });
    for (file, want) in [
        (
            json!({ "tokens": [one(&USDC.replace('A', "a"), "USDC")] }),
            "tokens[0].address",
        ),
        (
            json!({ "tokens": [one(USDC, "USDC"), one(USDC, "FAKE")] }),
            "tokens[1].address: listed twice on chain 1",
        ),
        (json!({ "tokens": [one(USDC, "")] }), "tokens[0].symbol"),
        (json!([]), "expected a JSON object { \"tokens\": [...] }"),
        (json!({ "tokens": [{ "chainId": 1 }] }), "tokens[0]"),
    ] {
        let p = write(tmp.path(), "tokens.json", &file);
        let err = format!(
            "{:#}",
            from_flags(&["--tokens".as_ref(), p.as_os_str()]).unwrap_err()
        );
        assert!(
            err.starts_with(&format!("--tokens {}: ", p.display())) && err.contains(want),
            "{want}: {err}"
        );
    }
    let missing = tmp.path().join("absent.json");
    let err = format!(
        "{:#}",
        from_flags(&["--chains".as_ref(), missing.as_os_str()]).unwrap_err()
    );
    assert!(err.contains("cannot read the file"), "{err}");

    // The binary itself stops before serving anything, with the message.
    let p = write(
        tmp.path(),
        "dup.json",
        &json!({ "chains": [chain("0xa", "A"), chain("0xa", "B")] }),
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hot-storage-service"))
        .args(["--listen", "127.0.0.1:0", "--dev", "--data-dir"])
        .arg(tmp.path())
        .arg("--chains")
        .arg(&p)
        .env_remove("HOT_STORAGE_CHAINS_FILE")
        .env_remove("HOT_STORAGE_TOKENS_FILE")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("chains[1].chainId: 0xa is listed twice"),
        "{stderr}"
    );
}

#[tokio::test]
async fn the_token_list_is_cached_with_an_etag() {
    let srv = Srv::hot(Db::Sqlite).await;
    let get = |etag: Option<String>| {
        let mut rb = srv.http.get(format!("{}/v2/tokens", srv.base));
        if let Some(e) = etag {
            rb = rb.header("if-none-match", e);
        }
        rb.send()
    };
    let first = get(None).await.unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(first.headers()["cache-control"], "no-cache");
    assert!(
        first.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");
    let again = get(Some(etag.clone())).await.unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(again.headers()["etag"].to_str().unwrap(), etag);
    assert!(again.bytes().await.unwrap().is_empty());
    let other = get(Some("\"stale\"".into())).await.unwrap();
    assert_eq!(other.status(), StatusCode::OK);
    // Another list has another tag.
    let tmp = tempfile::tempdir().unwrap();
    let p = write(tmp.path(), "t.json", &json!({ "tokens": [] }));
    let catalog = from_flags(&["--tokens".as_ref(), p.as_os_str()]).unwrap();
    assert_ne!(catalog.tokens_etag, etag);
}
