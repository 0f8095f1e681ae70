//! The chain list and the token list hot storage serves (`GET /v2/config`'s
//! `chains`, `GET /v2/tokens`), read and checked once at start-up: the
//! operator's `--chains` / `--tokens` files, else the defaults compiled in
//! from `hot-storage-service/defaults/`. A file that breaks a rule of
//! `keyframe_wire::catalog` stops the service with a message naming the
//! file and the offending value; nothing is served half-checked.

use std::hash::{Hash, Hasher};
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, anyhow};
use keyframe_wire::catalog::{Chain, TokenList, check_chains};
use serde::Deserialize;
use serde_json::Value;

/// The default chain list: Ethereum, OP Mainnet, Polygon, Base, Arbitrum
/// One and the local chain 31337.
pub const DEFAULT_CHAINS: &str = include_str!("../defaults/chains.json");
/// The default token list: USDC, USDT, DAI and WETH on the five public
/// chains (docs/intent.md, "The token list").
pub const DEFAULT_TOKENS: &str = include_str!("../defaults/tokens.json");

/// What a chains file holds: `{ "chains": [...] }` (a `comment` may sit
/// beside it).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChainsFile {
    #[serde(default)]
    #[allow(dead_code)]
    comment: Option<String>,
    chains: Vec<Chain>,
}

/// The keys a chain entry and its currency may have: a misspelt key
/// (`rpcUrl`) is refused rather than silently dropped.
const CHAIN_KEYS: &[&str] = &[
    "chainId",
    "chainName",
    "nativeCurrency",
    "rpcUrls",
    "blockExplorerUrls",
    "iconUrls",
];
const CURRENCY_KEYS: &[&str] = &["name", "symbol", "decimals"];

/// The checked lists, and the token list as served (body and `ETag`).
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    pub chains: Vec<Chain>,
    /// The token list's JSON, as `GET /v2/tokens` answers it.
    pub tokens_json: Arc<str>,
    /// Its strong `ETag` (quoted).
    pub tokens_etag: String,
    /// How many tokens it lists.
    pub token_count: usize,
}

impl Catalog {
    /// The defaults compiled into the service (a test checks they pass
    /// every rule, so the fallback to an empty catalog never happens).
    pub fn embedded() -> Catalog {
        Catalog::from_texts(
            DEFAULT_CHAINS,
            "default chains",
            DEFAULT_TOKENS,
            "default tokens",
        )
        .unwrap_or_default()
    }

    /// Reads `chains` and `tokens` (the defaults for a file not given).
    pub fn load(chains: Option<&Path>, tokens: Option<&Path>) -> anyhow::Result<Catalog> {
        let read = |flag: &str, path: &Path| {
            std::fs::read_to_string(path)
                .with_context(|| format!("{flag} {}: cannot read the file", path.display()))
        };
        let (chains_text, chains_name) = match chains {
            Some(p) => (read("--chains", p)?, format!("--chains {}", p.display())),
            None => (DEFAULT_CHAINS.to_owned(), "default chains".to_owned()),
        };
        let (tokens_text, tokens_name) = match tokens {
            Some(p) => (read("--tokens", p)?, format!("--tokens {}", p.display())),
            None => (DEFAULT_TOKENS.to_owned(), "default tokens".to_owned()),
        };
        Catalog::from_texts(&chains_text, &chains_name, &tokens_text, &tokens_name)
    }

    /// Parses and checks both lists; an error names `*_name` and the
    /// offending value.
    pub fn from_texts(
        chains: &str,
        chains_name: &str,
        tokens: &str,
        tokens_name: &str,
    ) -> anyhow::Result<Catalog> {
        let chains = parse_chains(chains).map_err(|e| anyhow!("{chains_name}: {e}"))?;
        let tokens = parse_tokens(tokens).map_err(|e| anyhow!("{tokens_name}: {e}"))?;
        let tokens_json: Arc<str> = serde_json::to_string(&tokens)?.into();
        let mut h = std::collections::hash_map::DefaultHasher::new();
        tokens_json.hash(&mut h);
        Ok(Catalog {
            chains,
            tokens_etag: format!("\"{:016x}-{:x}\"", h.finish(), tokens_json.len()),
            tokens_json,
            token_count: tokens.tokens.len(),
        })
    }
}

/// A chains file: its JSON, its keys, then the rules.
fn parse_chains(text: &str) -> anyhow::Result<Vec<Chain>> {
    let value = object(text, "{ \"chains\": [...] }")?;
    if let Some(list) = value.get("chains").and_then(Value::as_array) {
        for (i, entry) in list.iter().enumerate() {
            unknown_keys(entry, CHAIN_KEYS, &format!("chains[{i}]"))?;
            if let Some(currency) = entry.get("nativeCurrency") {
                unknown_keys(
                    currency,
                    CURRENCY_KEYS,
                    &format!("chains[{i}].nativeCurrency"),
                )?;
            }
        }
    }
    let file: ChainsFile = serde_path_to_error::deserialize(value)
        .map_err(|e| anyhow!("{}: {}", e.path(), e.inner()))?;
    check_chains(&file.chains)?;
    Ok(file.chains)
}

/// The file's JSON, which must be an object (`shape` says which).
fn object(text: &str, shape: &str) -> anyhow::Result<Value> {
    let value: Value = serde_json::from_str(text).context("not JSON")?;
    if !value.is_object() {
        anyhow::bail!("expected a JSON object {shape}");
    }
    Ok(value)
}

fn unknown_keys(entry: &Value, allowed: &[&str], at: &str) -> anyhow::Result<()> {
    if let Some(object) = entry.as_object()
        && let Some(key) = object.keys().find(|k| !allowed.contains(&k.as_str()))
    {
        anyhow::bail!(
            "{at}: unknown key {key:?} (allowed: {})",
            allowed.join(", ")
        );
    }
    Ok(())
}

/// A token-list file (the Uniswap format; keys beyond the five a token
/// needs are ignored and not served), then the rules.
fn parse_tokens(text: &str) -> anyhow::Result<TokenList> {
    let value = object(text, "{ \"tokens\": [...] }")?;
    let list: TokenList = serde_path_to_error::deserialize(value)
        .map_err(|e| anyhow!("{}: {}", e.path(), e.inner()))?;
    list.check()?;
    Ok(list)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_embedded_defaults_pass_every_rule() {
        let c = Catalog::from_texts(DEFAULT_CHAINS, "c", DEFAULT_TOKENS, "t").unwrap();
        let ids: Vec<u64> = c.chains.iter().map(|c| c.chain_id.0).collect();
        assert_eq!(ids, [1, 10, 137, 8453, 42161, 31337]);
        assert_eq!(c.token_count, 20);
        assert_eq!(Catalog::embedded().chains, c.chains);
    }

    #[test]
    fn misspelt_keys_and_broken_json_are_named() {
        let tokens = DEFAULT_TOKENS;
        let err = |chains: &str| {
            Catalog::from_texts(chains, "--chains f.json", tokens, "t")
                .unwrap_err()
                .to_string()
        };
        let e = err(
            r#"{"chains":[{"chainId":"0x1","chainName":"E","rpcUrl":[],"nativeCurrency":{"name":"E","symbol":"E","decimals":18}}]}"#,
        );
        assert!(
            e.starts_with("--chains f.json: chains[0]: unknown key \"rpcUrl\""),
            "{e}"
        );
        let e = err(r#"{"chains":[{"chainId":1}]}"#);
        assert!(e.contains("chains[0].chainId"), "{e}");
        let e = err("{");
        assert!(e.contains("not JSON"), "{e}");
        let e = Catalog::from_texts(
            DEFAULT_CHAINS,
            "c",
            r#"{"tokens":[{"chainId":1,"address":"0x1","symbol":"X","decimals":1,"name":"x"}]}"#,
            "--tokens t.json",
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("--tokens t.json: tokens[0].address"), "{e}");
    }
}
