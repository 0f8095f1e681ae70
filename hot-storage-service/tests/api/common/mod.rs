//! Test harness: a JWKS server and the service under test, both on
//! 127.0.0.1:0, tokens minted here, SQLite or PostgreSQL per test.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod pg;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use ed25519_dalek::SigningKey;
use hot_storage_service::dpop::ProofKey;
use hot_storage_service::seal::{Keyring, SealKey};
use hot_storage_service::server::{AppState, Service, Settings};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use serde_json::{Value, json};

pub const ISS: &str = "http://127.0.0.1:3000";
pub const AUD: &str = "keyframe";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// Runs a test body against SQLite and against PostgreSQL.
#[macro_export]
macro_rules! dual {
    ($name:ident, $body:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$body($crate::common::Db::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$body($crate::common::Db::Postgres).await
            }
        }
    };
}

fn data(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn public_jwk(name: &str, kid: &str) -> Value {
    let all: Value = serde_json::from_slice(&data("public_jwks.json")).unwrap();
    let mut k = all[name].clone();
    k["kid"] = json!(kid);
    k
}

/// A JWKS endpoint whose key set the test can change; counts fetches.
#[derive(Clone)]
pub struct Jwks {
    pub url: String,
    keys: Arc<Mutex<Vec<Value>>>,
    hits: Arc<AtomicUsize>,
}

impl Jwks {
    pub async fn start() -> Jwks {
        let keys = Arc::new(Mutex::new(vec![
            public_jwk("ed1", "ed1"),
            public_jwk("p256", "p256"),
            public_jwk("rsa", "rsa"),
        ]));
        let hits = Arc::new(AtomicUsize::new(0));
        let (k, h) = (keys.clone(), hits.clone());
        let app = Router::new().route(
            "/jwks.json",
            get(move || {
                let (k, h) = (k.clone(), h.clone());
                async move {
                    h.fetch_add(1, Ordering::SeqCst);
                    axum::Json(json!({ "keys": *k.lock().unwrap() }))
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/jwks.json", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Jwks { url, keys, hits }
    }

    /// Publishes another key (rotation).
    pub fn add(&self, name: &str, kid: &str) {
        self.keys.lock().unwrap().push(public_jwk(name, kid));
    }

    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

/// Signs tokens with one of the test keys.
pub struct Signer {
    pub kid: String,
    pub alg: Algorithm,
    key: EncodingKey,
}

impl Signer {
    pub fn ed(name: &str, kid: &str) -> Signer {
        Signer {
            kid: kid.into(),
            alg: Algorithm::EdDSA,
            key: EncodingKey::from_ed_pem(&data(&format!("{name}.pem"))).unwrap(),
        }
    }
    pub fn es256() -> Signer {
        Signer {
            kid: "p256".into(),
            alg: Algorithm::ES256,
            key: EncodingKey::from_ec_pem(&data("p256.pem")).unwrap(),
        }
    }
    pub fn rs256() -> Signer {
        Signer {
            kid: "rsa".into(),
            alg: Algorithm::RS256,
            key: EncodingKey::from_rsa_pem(&data("rsa.pem")).unwrap(),
        }
    }
    pub fn sign(&self, claims: &Value) -> String {
        let mut h = Header::new(self.alg);
        h.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&h, claims, &self.key).unwrap()
    }
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// The proof key of every test client: tokens from [`claims`] are bound to
/// it (`cnf.jkt`), and [`Srv::send`] signs a DPoP proof with it.
pub static DPOP: std::sync::LazyLock<ProofKey> =
    std::sync::LazyLock::new(|| ProofKey::generate().unwrap());

pub fn claims(sub: &str) -> Value {
    let n = now();
    json!({ "iss": ISS, "aud": AUD, "sub": sub, "iat": n, "nbf": n, "exp": n + 600,
            "cnf": { "jkt": DPOP.jkt() } })
}

/// Authorises `rb` (a `method` request to `url`) with `token` and a fresh
/// DPoP proof by [`DPOP`].
pub fn dpop(
    rb: reqwest::RequestBuilder,
    method: &str,
    url: &str,
    token: &str,
) -> reqwest::RequestBuilder {
    let url = url.split('?').next().unwrap_or(url);
    rb.header("authorization", format!("DPoP {token}"))
        .header("dpop", DPOP.proof(method, url, token))
}

/// A valid EdDSA token for `sub`.
pub fn token(sub: &str) -> String {
    Signer::ed("ed1", "ed1").sign(&claims(sub))
}

pub fn b64u(b: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

pub fn b64(b: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(b)
}

pub fn unb64(s: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

pub fn uuid() -> String {
    uuid::Uuid::new_v4().hyphenated().to_string()
}

pub fn split() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

pub const EVM: &str = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
pub const SOL: &str = "9WzDXwBbmkg8ZTbNMqUxvQRAyrZzDsGYdLVL9zYtAWWM";

/// The service under test.
pub struct Srv {
    pub base: String,
    pub http: reqwest::Client,
    pub state: AppState,
    pub jwks: Jwks,
    pub db_url: String,
    pub db: Db,
    pub tmp: tempfile::TempDir,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for Srv {
    fn drop(&mut self) {
        if let Some(s) = self.shutdown.take() {
            let _ = s.send(());
        }
    }
}

pub async fn db_url(db: Db, tmp: &tempfile::TempDir) -> String {
    match db {
        Db::Sqlite => format!("sqlite://{}?mode=rwc", tmp.path().join("test.db").display()),
        Db::Postgres => pg::fresh_database().await,
    }
}

pub fn test_keyring() -> Keyring {
    Keyring::new(vec![SealKey::generate("t1").unwrap()]).unwrap()
}

impl Srv {
    pub async fn hot(db: Db) -> Srv {
        Srv::start(db, Service::Hot, |_| {}).await
    }

    pub async fn shield(db: Db) -> Srv {
        Srv::start(db, Service::Shield, |_| {}).await
    }

    pub async fn start(db: Db, service: Service, tweak: impl FnOnce(&mut Settings)) -> Srv {
        let tmp = tempfile::tempdir().unwrap();
        let url = db_url(db, &tmp).await;
        Srv::start_with(db, service, tmp, url, test_keyring(), None, tweak).await
    }

    pub async fn start_with(
        db: Db,
        service: Service,
        tmp: tempfile::TempDir,
        db_url: String,
        keyring: Keyring,
        jwks: Option<Jwks>,
        tweak: impl FnOnce(&mut Settings),
    ) -> Srv {
        let jwks = match jwks {
            Some(j) => j,
            None => Jwks::start().await,
        };
        let static_dir = tmp.path().join("static");
        std::fs::create_dir_all(static_dir.join("pkg")).unwrap();
        std::fs::write(
            static_dir.join("iframe.html"),
            "<!doctype html><title>keyframe</title>",
        )
        .unwrap();
        std::fs::write(static_dir.join("pkg/signer.wasm"), b"\0asm\x01\0\0\0").unwrap();
        let mut s = Settings::defaults(service, &jwks.url);
        s.jwt.issuer = ISS.into();
        s.jwt.audience = AUD.into();
        s.jwt.min_refetch_interval = Duration::from_millis(300);
        s.rate.user_per_second = 10_000;
        s.rate.user_burst = 10_000;
        s.rate.ip_per_second = 10_000;
        s.rate.ip_burst = 10_000;
        s.static_dir = static_dir;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        s.dpop.required = true;
        s.dpop.public_url = base.clone();
        tweak(&mut s);
        let state = AppState::connect(s, &db_url, keyring).await.unwrap();
        let app = match service {
            Service::Hot => hot_storage_service::hot::app(state.clone()),
            Service::Shield => hot_storage_service::shield::app(state.clone()),
        };
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(hot_storage_service::server::serve(
            listener,
            app,
            async move {
                let _ = rx.await;
            },
        ));
        let http = reqwest::Client::builder().no_proxy().build().unwrap();
        Srv {
            base,
            http,
            state,
            jwks,
            db_url,
            db,
            tmp,
            shutdown: Some(tx),
        }
    }

    /// Sends a request as the iFrame would: creation bodies carry the
    /// harness's authority key ([`test_authority`]) unless they name one,
    /// and the requests that need the wallet's authority are signed with
    /// it. [`Srv::send_as`] sends exactly what a test says.
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> (StatusCode, Value) {
        let mut body = body.cloned();
        if is_creation(&method, path)
            && let Some(Value::Object(map)) = body.as_mut()
            && !map.contains_key("authority")
        {
            map.insert("authority".into(), json!(authority_key(&test_authority())));
        }
        let auth = if needs_authority(&method, path) {
            Auth::Key(test_authority())
        } else {
            Auth::None
        };
        self.send_as(method, path, token, body.as_ref(), auth).await
    }

    /// `POST url` (a full URL) with `token` under the DPoP scheme and
    /// this very `proof`, for tests that send a proof again; answers the
    /// status and the body (`Null` when it is not JSON).
    pub async fn post_with_proof(
        &self,
        url: &str,
        token: &str,
        proof: String,
        body: &Value,
    ) -> (StatusCode, Value) {
        let bytes = serde_json::to_vec(body).unwrap();
        self.post_raw_with_proof(url, token, &proof, "application/json", bytes)
            .await
    }

    /// `POST url` of `body` as given, declared as `content_type`, with
    /// `token` under the DPoP scheme and `proof`; answers the status and
    /// the body (`Null` when it is not JSON).
    pub async fn post_raw_with_proof(
        &self,
        url: &str,
        token: &str,
        proof: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> (StatusCode, Value) {
        let resp = self
            .http
            .post(url)
            .header("authorization", format!("DPoP {token}"))
            .header("dpop", proof)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        let status = resp.status();
        (status, resp.json::<Value>().await.unwrap_or(Value::Null))
    }

    /// `GET url` (a full URL) with `token` under the DPoP scheme and this
    /// very `proof`; answers the status.
    pub async fn get_with_proof(&self, url: &str, token: &str, proof: &str) -> StatusCode {
        self.http
            .get(url)
            .header("authorization", format!("DPoP {token}"))
            .header("dpop", proof)
            .send()
            .await
            .unwrap()
            .status()
    }

    /// Sends a request with exactly this body and this authority header.
    pub async fn send_as(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
        auth: Auth,
    ) -> (StatusCode, Value) {
        let bytes = body.map(|b| serde_json::to_vec(b).unwrap());
        let header = match auth {
            Auth::None => None,
            Auth::Header(h) => Some(h),
            Auth::Key(key) => Some(sign(
                &key,
                method.as_str(),
                path,
                bytes.as_deref().unwrap_or_default(),
                now() as u64,
            )),
        };
        let url = format!("{}{path}", self.base);
        let mut rb = self.http.request(method.clone(), &url);
        if let Some(t) = token {
            rb = dpop(rb, method.as_str(), &url, t);
        }
        if let Some(h) = header {
            rb = rb.header(AUTHORITY_HEADER, h);
        }
        if let Some(b) = bytes {
            rb = rb.header("content-type", "application/json").body(b);
        }
        let resp = rb.send().await.unwrap();
        let status = resp.status();
        let text = resp.text().await.unwrap();
        let v = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, v)
    }

    pub async fn post(&self, path: &str, token: &str, body: &Value) -> (StatusCode, Value) {
        self.send(reqwest::Method::POST, path, Some(token), Some(body))
            .await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        self.send(reqwest::Method::GET, path, token, None).await
    }

    /// Sends raw bytes as a POST with the given content type.
    pub async fn post_raw(
        &self,
        path: &str,
        token: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> (StatusCode, Value) {
        let url = format!("{}{path}", self.base);
        let resp = dpop(self.http.post(&url), "POST", &url, token)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        let status = resp.status();
        let text = resp.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// Opens a separate pool on the same database (for raw-SQL tampering).
    pub async fn raw_pool(&self) -> sqlx::AnyPool {
        sqlx::any::install_default_drivers();
        sqlx::any::AnyPoolOptions::new()
            .max_connections(2)
            .connect(&self.db_url)
            .await
            .unwrap()
    }
}

/// How [`Srv::send_as`] signs for the wallet's authority.
pub enum Auth {
    /// No `Keyframe-Authority` header (a token holder's request).
    None,
    /// Signed now by this key, with a fresh nonce.
    Key(SigningKey),
    /// This header value, as given.
    Header(String),
}

pub use keyframe_wire::authority::HEADER as AUTHORITY_HEADER;

/// The authority key the harness registers for every wallet it creates
/// (what the iFrame derives from the wallet secret).
pub fn test_authority() -> SigningKey {
    SigningKey::from_bytes(&[7u8; 32])
}

/// Another key: what an attacker holds.
pub fn other_authority() -> SigningKey {
    SigningKey::from_bytes(&[8u8; 32])
}

/// A key's public half as the wire carries it.
pub fn authority_key(key: &SigningKey) -> String {
    b64u(&key.verifying_key().to_bytes())
}

/// A `Keyframe-Authority` value by `key` over this request, with a fresh
/// nonce.
pub fn sign(key: &SigningKey, method: &str, path: &str, body: &[u8], t: u64) -> String {
    let nonce: [u8; 16] = *uuid::Uuid::new_v4().as_bytes();
    sign_with_nonce(key, method, path, body, t, &nonce)
}

/// [`sign`] with a given nonce.
pub fn sign_with_nonce(
    key: &SigningKey,
    method: &str,
    path: &str,
    body: &[u8],
    t: u64,
    nonce: &[u8; 16],
) -> String {
    use ed25519_dalek::Signer as _;
    use keyframe_wire::authority::AuthorityHeader;
    let unsigned = AuthorityHeader::new(t, nonce, [0; 64]);
    let sig = key.sign(&unsigned.message(method, path, body)).to_bytes();
    AuthorityHeader { sig, ..unsigned }.to_value()
}

/// The two requests that register a wallet's authority key with it.
fn is_creation(method: &reqwest::Method, path: &str) -> bool {
    *method == reqwest::Method::POST && (path == "/v2/devices/create" || path == "/v1/cold-shares")
}

/// The requests hot storage and Shield refuse without the wallet's
/// authority (docs/api.md, "Wallet authority").
pub fn needs_authority(method: &reqwest::Method, path: &str) -> bool {
    let hot = *method == reqwest::Method::POST
        && [
            "/v2/devices/register",
            "/v2/devices/refresh",
            "/v2/devices/commit",
            "/v2/devices/revoke",
        ]
        .contains(&path);
    let rules = *method == reqwest::Method::PUT && path == "/v2/policy/user-rules";
    let cold = (*method == reqwest::Method::PUT || *method == reqwest::Method::DELETE)
        && path.starts_with("/v1/cold-shares/")
        && !path.ends_with("/authority");
    hot || rules || cold
}

/// A wallet created through the API, with its device.
pub struct Wallet {
    pub token: String,
    pub wallet: String,
    pub device: String,
    pub primary_split: String,
    pub primary_share: Vec<u8>,
    pub device_split: String,
    pub device_share: Vec<u8>,
}

pub fn create_body(w: &Wallet, ephemeral: bool) -> Value {
    json!({
        "wallet": w.wallet, "kind": "mnemonic", "addresses": { "evm": EVM, "solana": SOL },
        "primary": { "split": w.primary_split, "share": b64(&w.primary_share) },
        "device": { "device": w.device, "split": w.device_split, "share": b64(&w.device_share), "ephemeral": ephemeral, "label": "laptop" },
    })
}

pub fn new_wallet(sub: &str) -> Wallet {
    Wallet {
        token: token(sub),
        wallet: uuid(),
        device: uuid(),
        primary_split: split(),
        primary_share: format!("primary share of {sub}").into_bytes(),
        device_split: split(),
        device_share: format!("device share of {sub}").into_bytes(),
    }
}

/// Creates a wallet for `sub` and checks the 201.
pub async fn create_wallet(srv: &Srv, sub: &str) -> Wallet {
    let w = new_wallet(sub);
    let (st, body) = srv
        .post("/v2/devices/create", &w.token, &create_body(&w, false))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{body}");
    w
}

pub fn assert_error(status: StatusCode, body: &Value, want_status: u16, want_code: &str) {
    assert_eq!(status.as_u16(), want_status, "body: {body}");
    assert_eq!(body["error"]["code"], want_code, "body: {body}");
    assert!(body["error"]["message"].is_string(), "body: {body}");
}
