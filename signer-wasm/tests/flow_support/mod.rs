//! Harness of the native flow tests: the real hot-storage and Shield
//! services in-process on 127.0.0.1:0 (SQLite in a temp dir, tokens signed
//! with the services' test keys and served as a JWKS) and the users'
//! tokens. Beside it: `http.rs`, HTTP implementations of the flows' service
//! traits; `wallet.rs`, the consent, keys, device store shared by "tabs" and
//! signing helpers; `faults.rs`, a fault-injecting wrapper that fails or
//! cuts a flow off at step k.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use keyframe_signer::shares::RandomId;
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;

use axum::Router;
use axum::routing::get;
use hot_storage_service::dpop::ProofKey;
use hot_storage_service::seal::{Keyring, SealKey};
use hot_storage_service::server::{AppState, Service, Settings};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use keyframe_signer::authority::{AuthorityKey, HEADER as AUTHORITY_HEADER, WalletAuthority};
pub use keyframe_signer::flows::Tokens;
use keyframe_signer::flows::{
    Consent, DeviceInfo, DeviceStore, Entry, Flows, HotStorage, NoClock, RecoverResponse, Recovery,
    Request, RpcError, ServiceError, Shield, StoreError, WalletRecord,
};
use keyframe_signer::recovery::{ColdRecord, RecoveryKey};
use keyframe_signer::secret::WalletSecret;
use keyframe_signer::shares::{DeviceId, WalletId};
use keyframe_wire::authority::RegisterAuthority;
use keyframe_wire::hot::{
    CommitRequest, CreateRequest, DeviceList, DeviceRef, OkBody, RecoverRequest, RefreshRequest,
    RegisterRequest, RevokeRequest, VersionRef, WalletRequest, WalletResponse,
};
use keyframe_wire::policy::{
    ActivityList, ActivityReport, ApprovalRequest, ApprovalResponse, PolicyState,
    RecoverWithIntent, SignedUserRules,
};
use keyframe_wire::shield::{ColdCreate, ColdRecordResponse, Created};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

const ISS: &str = "http://127.0.0.1:3000";
/// The services' default audiences: each accepts only its own.
const HOT_AUD: &str = "keyframe-hot-storage";
const SHIELD_AUD: &str = "keyframe-shield";
/// The public BIP-39 test vector: never a real wallet.
pub const MNEMONIC: &str = "test test test test test test test test test test test junk";
pub const EVM: &str = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";

mod faults;
mod http;
mod wallet;
pub use faults::*;
pub use http::*;
pub use wallet::*;

fn data(name: &str) -> Vec<u8> {
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../hot-storage-service/tests/data"
    );
    std::fs::read(format!("{dir}/{name}")).unwrap()
}

/// Serves the test JWKS (the public half of hot-storage-service's `ed1`).
async fn start_jwks() -> String {
    let all: Value = serde_json::from_slice(&data("public_jwks.json")).unwrap();
    let mut key = all["ed1"].clone();
    key["kid"] = json!("ed1");
    let keys = json!({ "keys": [key] });
    let app = Router::new().route("/jwks.json", get(move || async move { axum::Json(keys) }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/jwks.json", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

async fn start_service(
    service: Service,
    jwks: &str,
    tmp: &tempfile::TempDir,
    configure: &dyn Fn(&mut Settings),
) -> String {
    let static_dir = tmp.path().join(format!("static-{}", service.name()));
    std::fs::create_dir_all(static_dir.join("pkg")).unwrap();
    std::fs::write(
        static_dir.join("iframe.html"),
        "<!doctype html><title>keyframe</title>",
    )
    .unwrap();
    std::fs::write(static_dir.join("pkg/signer.wasm"), b"\0asm\x01\0\0\0").unwrap();
    let mut s = Settings::defaults(service, jwks);
    s.jwt.issuer = ISS.into();
    s.rate.user_per_second = 100_000;
    s.rate.user_burst = 100_000;
    s.rate.ip_per_second = 100_000;
    s.rate.ip_burst = 100_000;
    s.static_dir = static_dir;
    configure(&mut s);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    s.dpop.public_url = base.clone();
    let db = tmp.path().join(format!("{}.db", service.name()));
    let url = format!("sqlite://{}?mode=rwc", db.display());
    let keyring = Keyring::new(vec![SealKey::generate("t1").unwrap()]).unwrap();
    let state = AppState::connect(s, &url, keyring).await.unwrap();
    let app = match service {
        Service::Hot => hot_storage_service::hot::app(state),
        Service::Shield => hot_storage_service::shield::app(state),
    };
    tokio::spawn(hot_storage_service::server::serve(
        listener,
        app,
        std::future::pending(),
    ));
    base
}

/// Both services, for the life of the test.
pub struct Services {
    pub hot: String,
    pub shield: String,
    http: reqwest::Client,
    _tmp: tempfile::TempDir,
}

impl Services {
    pub async fn start() -> Services {
        Services::start_with(|_| {}).await
    }

    /// [`Services::start`], with hot storage's settings changed by
    /// `configure` first (its policy, its approval webhook).
    pub async fn start_with(configure: impl Fn(&mut Settings)) -> Services {
        let tmp = tempfile::tempdir().unwrap();
        let jwks = start_jwks().await;
        let hot = start_service(Service::Hot, &jwks, &tmp, &configure).await;
        let shield = start_service(Service::Shield, &jwks, &tmp, &|_| {}).await;
        let http = reqwest::Client::builder().no_proxy().build().unwrap();
        Services {
            hot,
            shield,
            http,
            _tmp: tmp,
        }
    }

    /// The hot-storage database's path (tests that play a dishonest
    /// operator rewrite rows in it).
    pub fn hot_db(&self) -> std::path::PathBuf {
        self._tmp.path().join("hot.db")
    }

    pub fn hot_api(&self) -> HttpHot {
        HttpHot {
            base: self.hot.clone(),
            http: self.http.clone(),
            tamper: None,
            recovers: None,
        }
    }

    /// Hot storage as a dishonest operator runs it: `GET /v2/policy`'s
    /// answer goes through `tamper`.
    pub fn tampering_hot_api(&self, tamper: fn(&mut PolicyState)) -> HttpHot {
        HttpHot {
            tamper: Some(tamper),
            ..self.hot_api()
        }
    }

    pub fn shield_api(&self) -> HttpShield {
        HttpShield {
            base: self.shield.clone(),
            http: self.http.clone(),
        }
    }

    /// Flows of one tab on `store`, with the plain services.
    pub fn tab(&self, store: &MemoryStore) -> Flows<HttpHot, HttpShield, MemoryStore, ApproveAll> {
        Flows::with(
            self.hot_api(),
            self.shield_api(),
            store.clone(),
            ApproveAll,
            NoClock,
        )
    }

    /// Flows of one tab whose services and store go through `plan`.
    pub fn faulty_tab(&self, store: &MemoryStore, plan: &Rc<Plan>) -> FaultyFlows {
        Flows::with(
            Faulty::new(self.hot_api(), plan),
            Faulty::new(self.shield_api(), plan),
            Faulty::new(store.clone(), plan),
            ApproveAll,
            NoClock,
        )
    }
}

pub type FaultyFlows = Flows<Faulty<HttpHot>, Faulty<HttpShield>, Faulty<MemoryStore>, ApproveAll>;

/// The tokens of user `sub`, one per service (EdDSA, the services' test
/// key `ed1`).
pub fn token(sub: &str) -> Tokens {
    Tokens::new(&jwt_for(sub, HOT_AUD), &jwt_for(sub, SHIELD_AUD))
}

/// A JWT for user `sub` with audience `aud`.
pub fn jwt_for(sub: &str, aud: &str) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let claims = json!({ "iss": ISS, "aud": aud, "sub": sub, "iat": now, "nbf": now, "exp": now + 3600,
                "cnf": { "jkt": DPOP.jkt() } });
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some("ed1".into());
    jsonwebtoken::encode(
        &header,
        &claims,
        &EncodingKey::from_ed_pem(&data("ed1.pem")).unwrap(),
    )
    .unwrap()
}

/// A fresh random user name.
pub fn user() -> String {
    format!(
        "user-{}",
        WalletId::random(&mut keyframe_signer::secret::OsRng).unwrap()
    )
}

/// The proof key of every test client (what the iFrame's WebCrypto key is
/// in the browser): [`token`]'s tokens are bound to it, and `send` (http.rs) signs
/// each request's DPoP proof with it.
pub static DPOP: std::sync::LazyLock<ProofKey> =
    std::sync::LazyLock::new(|| ProofKey::generate().unwrap());
