//! The local Ethereum dev node: a faucet for new wallets and a narrow
//! JSON-RPC proxy so the page never needs CORS to the node.

use std::{
    sync::atomic::{AtomicU64, Ordering},
    time::Duration,
};

use axum::{Json, extract::State};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::{
    AppState,
    error::AppError,
    extract::{AuthUser, ClientIp, JsonBody, JsonObject},
};

/// Methods `/api/rpc` forwards: exactly what the page (sample-dapp/web/app.js)
/// and the host SDK it embeds send through it — reads for the balance and
/// the receipt, the SDK's fill-in of `eth_sendTransaction`
/// (iframe-host/sdk/src/signer.ts) and the broadcast. Anything else is 400
/// `METHOD_NOT_ALLOWED` and never reaches the node.
pub const ALLOWED_METHODS: &[&str] = &[
    // app.js: balance, receipt, transaction lookup.
    "eth_getBalance",
    "eth_getTransactionReceipt",
    "eth_getTransactionByHash",
    // The SDK's eth_sendTransaction: nonce, gas, fees, then the broadcast.
    "eth_getTransactionCount",
    "eth_estimateGas",
    "eth_getBlockByNumber",
    "eth_maxPriorityFeePerGas",
    "eth_gasPrice",
    "eth_sendRawTransaction",
];
/// Most calls in one JSON-RPC batch.
pub const MAX_BATCH: usize = 20;
/// Largest node response relayed, in bytes.
const MAX_RESPONSE_BYTES: usize = 4 * 1024 * 1024;

/// A JSON-RPC client for the node.
pub struct Node {
    http: reqwest::Client,
    url: reqwest::Url,
    next_id: AtomicU64,
}

impl Node {
    pub fn new(url: &str, timeout: Duration) -> Result<Self, String> {
        let url = reqwest::Url::parse(url).map_err(|e| format!("--rpc-url {url:?}: {e}"))?;
        match url.scheme() {
            "http" => {}
            "https" if cfg!(feature = "rpc-tls") => {}
            "https" => {
                return Err(
                    "--rpc-url is https but this build has no TLS (build with --features rpc-tls)"
                        .into(),
                );
            }
            other => return Err(format!("--rpc-url: unsupported scheme {other:?}")),
        }
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("HTTP client: {e}"))?;
        Ok(Self {
            http,
            url,
            next_id: AtomicU64::new(1),
        })
    }

    /// POSTs `body` and returns the node's JSON answer.
    async fn post(&self, body: &Value) -> Result<Value, AppError> {
        let mut response = self
            .http
            .post(self.url.clone())
            .json(body)
            .send()
            .await
            .map_err(|e| {
                tracing::warn!(error = %e, "Ethereum node unreachable");
                AppError::RpcUnavailable
            })?;
        if !response.status().is_success() {
            tracing::warn!(status = %response.status(), "Ethereum node answered an HTTP error");
            return Err(AppError::RpcError);
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| {
            tracing::warn!(error = %e, "Ethereum node connection failed mid-answer");
            AppError::RpcUnavailable
        })? {
            if bytes.len() + chunk.len() > MAX_RESPONSE_BYTES {
                tracing::warn!("Ethereum node answer too large");
                return Err(AppError::RpcError);
            }
            bytes.extend_from_slice(&chunk);
        }
        serde_json::from_slice(&bytes).map_err(|_| {
            tracing::warn!("Ethereum node answered something that is not JSON");
            AppError::RpcError
        })
    }

    /// Calls `method` and returns its `result`; a JSON-RPC error is 502.
    pub async fn call(&self, method: &str, params: Value) -> Result<Value, AppError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let answer = self
            .post(&json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }))
            .await?;
        if let Some(error) = answer.get("error") {
            tracing::warn!(method, %error, "Ethereum node returned a JSON-RPC error");
            return Err(AppError::RpcError);
        }
        answer.get("result").cloned().ok_or_else(|| {
            tracing::warn!(method, "Ethereum node answer has no result");
            AppError::RpcError
        })
    }
}

/// `0x` followed by 40 hex digits (any case; EIP-55 is not required).
pub fn is_address(s: &str) -> bool {
    s.len() == 42 && s.starts_with("0x") && s[2..].bytes().all(|b| b.is_ascii_hexdigit())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaucetRequest {
    address: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FaucetResponse {
    tx_hash: String,
}

/// `POST /api/faucet` (Bearer) `{ address }` → `{ txHash }`: sends
/// `--faucet-amount-wei` from the node's first unlocked dev account, at most
/// once per `--faucet-cooldown-seconds` per user and
/// `--faucet-ip-per-hour` times per client IP.
pub async fn faucet(
    State(state): State<AppState>,
    ip: ClientIp,
    AuthUser(claims): AuthUser,
    JsonObject(body): JsonObject<FaucetRequest>,
) -> Result<Json<FaucetResponse>, AppError> {
    if !is_address(&body.address) {
        return Err(AppError::bad_request(
            "address must be 0x followed by 40 hex digits",
        ));
    }
    // One payout per user per cooldown, and a few per client IP per hour
    // whatever the number of accounts it signs up: 429 `RATE_LIMITED`.
    state.limits().faucet_user.check(&claims.sub)?;
    state.limits().faucet_ip.check(&ip.0)?;
    let to = body.address.to_ascii_lowercase();
    let node = state.node();
    let accounts = node.call("eth_accounts", json!([])).await?;
    let Some(from) = accounts
        .get(0)
        .and_then(Value::as_str)
        .filter(|a| is_address(a))
    else {
        tracing::warn!("the Ethereum node has no unlocked dev account");
        return Err(AppError::RpcError);
    };
    let value = format!("0x{:x}", state.config().faucet_amount_wei);
    let tx = json!([{ "from": from, "to": to, "value": value }]);
    let hash = node.call("eth_sendTransaction", tx).await?;
    let Some(tx_hash) = hash
        .as_str()
        .filter(|h| h.len() == 66 && h.starts_with("0x"))
    else {
        tracing::warn!("eth_sendTransaction answered no transaction hash");
        return Err(AppError::RpcError);
    };
    tracing::info!(user = %claims.sub, %to, tx = tx_hash, "faucet paid");
    Ok(Json(FaucetResponse {
        tx_hash: tx_hash.to_owned(),
    }))
}

/// One JSON-RPC 2.0 call as the proxy accepts it.
#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RpcCall {
    jsonrpc: String,
    id: Value,
    method: String,
    #[serde(default)]
    params: Option<Value>,
}

fn check_call(value: Value) -> Result<Value, AppError> {
    let mut call: RpcCall = serde_json::from_value(value).map_err(|_| {
        AppError::bad_request("expected a JSON-RPC 2.0 request { jsonrpc, id, method, params }")
    })?;
    if call.jsonrpc != "2.0" {
        return Err(AppError::bad_request("jsonrpc must be \"2.0\""));
    }
    if !(call.id.is_number() || call.id.is_string()) {
        return Err(AppError::bad_request("id must be a number or a string"));
    }
    if !ALLOWED_METHODS.contains(&call.method.as_str()) {
        return Err(AppError::MethodNotAllowed(call.method));
    }
    match &call.params {
        None => call.params = Some(json!([])),
        Some(Value::Array(_)) => {}
        Some(_) => return Err(AppError::bad_request("params must be an array")),
    }
    serde_json::to_value(call).map_err(AppError::internal)
}

/// `POST /api/rpc`: a JSON-RPC request (or a batch of at most
/// [`MAX_BATCH`]) whose methods are all in [`ALLOWED_METHODS`] is forwarded
/// to the node, re-serialised from the checked fields, and the node's answer
/// (JSON-RPC errors included) is returned as is.
pub async fn rpc(
    State(state): State<AppState>,
    ip: ClientIp,
    JsonBody(body): JsonBody<Value>,
) -> Result<Json<Value>, AppError> {
    state.limits().rpc_ip.check(&ip.0)?;
    let forward = match body {
        Value::Array(calls) => {
            if calls.is_empty() || calls.len() > MAX_BATCH {
                return Err(AppError::bad_request(format!(
                    "a batch holds 1 to {MAX_BATCH} calls"
                )));
            }
            Value::Array(
                calls
                    .into_iter()
                    .map(check_call)
                    .collect::<Result<_, _>>()?,
            )
        }
        single => check_call(single)?,
    };
    Ok(Json(state.node().post(&forward).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        assert!(is_address("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"));
        assert!(!is_address("f39Fd6e51aad88F6F4ce6aB8827279cffFb92266"));
        assert!(!is_address("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb9226"));
        assert!(!is_address("0xg39Fd6e51aad88F6F4ce6aB8827279cffFb92266"));
    }

    #[test]
    fn calls() {
        assert!(check_call(json!({"jsonrpc":"2.0","id":1,"method":"eth_gasPrice"})).is_ok());
        for method in ["eth_chainId", "eth_call", "eth_blockNumber", "net_version"] {
            assert!(matches!(
                check_call(json!({"jsonrpc":"2.0","id":1,"method":method})),
                Err(AppError::MethodNotAllowed(_))
            ));
        }
        assert!(matches!(
            check_call(json!({"jsonrpc":"2.0","id":1,"method":"eth_sendTransaction","params":[]})),
            Err(AppError::MethodNotAllowed(_))
        ));
        assert!(
            check_call(json!({"jsonrpc":"2.0","id":1,"method":"eth_gasPrice","extra":1})).is_err()
        );
        assert!(check_call(json!({"jsonrpc":"1.0","id":1,"method":"eth_gasPrice"})).is_err());
        assert!(
            check_call(json!({"jsonrpc":"2.0","id":1,"method":"eth_gasPrice","params":{}}))
                .is_err()
        );
    }
}
