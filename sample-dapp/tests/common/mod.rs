//! Test harness: the real server on port 0 with a temporary data folder, and
//! a fake JSON-RPC node that records what it is sent.
#![allow(dead_code, clippy::unwrap_used)]

use std::{
    net::SocketAddr,
    path::Path,
    sync::{Arc, Mutex},
};

use axum::{Json, Router, extract::State, routing::post};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD as B64};
use ed25519_dalek::{Signer, SigningKey};
use sample_dapp::{AppState, Config, app, serve};
use serde_json::{Value, json};
use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};

pub const DEV_ACCOUNT: &str = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266";
pub const TX_HASH: &str = "0x1111111111111111111111111111111111111111111111111111111111111111";

pub struct Server {
    pub base: String,
    pub state: AppState,
    shutdown: Option<oneshot::Sender<()>>,
    handle: Option<JoinHandle<std::io::Result<()>>>,
}

impl Server {
    pub async fn start(config: Config) -> Self {
        let state = AppState::open(config).await.unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = oneshot::channel::<()>();
        let handle = tokio::spawn(serve(listener, app(state.clone()), async {
            let _ = rx.await;
        }));
        Self {
            base: format!("http://{addr}"),
            state,
            shutdown: Some(tx),
            handle: Some(handle),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Graceful shutdown, then the database is closed.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(handle) = self.handle.take() {
            handle.await.unwrap().unwrap();
        }
        self.state.close().await;
    }
}

/// A configuration on `dir` whose node is `rpc_url` (default: a closed port).
pub fn config(dir: &Path) -> Config {
    let mut config = Config::with_data_dir(dir);
    config.rpc_url = "http://127.0.0.1:9".into();
    config.rpc_timeout_seconds = 2;
    config
}

pub fn client() -> reqwest::Client {
    reqwest::Client::new()
}

/// POSTs JSON and returns (status, headers, body as JSON).
pub async fn post_json(
    url: &str,
    body: &Value,
    token: Option<&str>,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut req = client().post(url).json(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    finish(req.send().await.unwrap()).await
}

pub async fn get_json(url: &str, token: Option<&str>) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut req = client().get(url);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    finish(req.send().await.unwrap()).await
}

pub async fn finish(resp: reqwest::Response) -> (u16, reqwest::header::HeaderMap, Value) {
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap();
    let body =
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text:?}"));
    (status, headers, body)
}

pub fn error_code(body: &Value) -> &str {
    body["error"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error code in {body}"))
}

pub async fn signup(server: &Server, username: &str, password: &str) -> String {
    let (status, _, body) = post_json(
        &server.url("/api/auth/signup"),
        &json!({ "username": username, "password": password }),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["token"].as_str().unwrap().to_owned()
}

pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Decodes a compact JWS's header and claims (no verification).
pub fn decode(token: &str) -> (Value, Value) {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3);
    let header = serde_json::from_slice(&B64.decode(parts[0]).unwrap()).unwrap();
    let claims = serde_json::from_slice(&B64.decode(parts[1]).unwrap()).unwrap();
    (header, claims)
}

/// Signs `header`/`claims` with the server's own key file (to make expired
/// tokens) or with any 32-byte seed (to make forged ones).
pub fn mint(seed: &[u8; 32], header: &Value, claims: &Value) -> String {
    let key = SigningKey::from_bytes(seed);
    let input = format!(
        "{}.{}",
        B64.encode(serde_json::to_vec(header).unwrap()),
        B64.encode(serde_json::to_vec(claims).unwrap())
    );
    let sig = key.sign(input.as_bytes());
    format!("{input}.{}", B64.encode(sig.to_bytes()))
}

pub fn server_seed(dir: &Path) -> [u8; 32] {
    std::fs::read(dir.join("jwt-signing.key"))
        .unwrap()
        .try_into()
        .unwrap()
}

/// A fake Ethereum JSON-RPC node that records every request body.
pub struct FakeNode {
    pub url: String,
    pub seen: Arc<Mutex<Vec<Value>>>,
    _task: JoinHandle<()>,
}

async fn answer(State(seen): State<Arc<Mutex<Vec<Value>>>>, Json(req): Json<Value>) -> Json<Value> {
    seen.lock().unwrap().push(req.clone());
    let one = |call: &Value| {
        let result = match call["method"].as_str().unwrap_or("") {
            "eth_accounts" => json!([DEV_ACCOUNT]),
            "eth_sendTransaction" => json!(TX_HASH),
            "eth_chainId" => json!("0x7a69"),
            "eth_blockNumber" => json!("0x5"),
            "eth_gasPrice" => json!("0x77359400"),
            "eth_getTransactionCount" => json!("0x5"),
            "eth_sendRawTransaction" => {
                return json!({ "jsonrpc": "2.0", "id": call["id"], "error": { "code": -32000, "message": "nonce too low" } });
            }
            _ => json!(null),
        };
        json!({ "jsonrpc": "2.0", "id": call["id"], "result": result })
    };
    Json(match &req {
        Value::Array(calls) => Value::Array(calls.iter().map(one).collect()),
        call => one(call),
    })
}

impl FakeNode {
    pub async fn start() -> Self {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let app = Router::new()
            .route("/", post(answer))
            .with_state(seen.clone());
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self {
            url: format!("http://{addr}/"),
            seen,
            _task: task,
        }
    }

    pub fn requests(&self) -> Vec<Value> {
        self.seen.lock().unwrap().clone()
    }
}
