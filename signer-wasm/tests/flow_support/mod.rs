//! Harness of the native flow tests: the real hot-storage and Shield
//! services in-process on 127.0.0.1:0 (SQLite in a temp dir, tokens signed
//! with the services' test keys and served as a JWKS), HTTP implementations
//! of the flows' service traits, a device store shared by "tabs", and a
//! fault-injecting wrapper that fails or cuts a flow off at step k.
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
pub use faults::*;

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

/// Approves every request: the flow tests exercise the protocols, and the
/// consent hook is tested on its own (tests/consent.rs). The library ships
/// no such consent; the iFrame's is its approval screen.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApproveAll;

impl Consent for ApproveAll {
    async fn approve(&self, _request: &Request<'_>) -> Result<(), RpcError> {
        Ok(())
    }

    /// Keeps the file as the user would (see [`kept_backup`]).
    async fn keep_backup(
        &self,
        file: &keyframe_signer::backup::BackupFile,
    ) -> Result<(), RpcError> {
        let text = file.to_json()?;
        KEPT.with(|k| *k.borrow_mut() = Some(text));
        Ok(())
    }
}

thread_local! {
    static KEPT: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// The text of the last backup file [`ApproveAll`] was handed on this
/// thread (each `#[tokio::test]` runs on its own).
pub fn kept_backup() -> Option<String> {
    KEPT.with(|k| k.borrow_mut().take())
}

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

pub fn recovery_key() -> RecoveryKey {
    RecoveryKey::generate(&mut keyframe_signer::secret::OsRng).unwrap()
}

/// The same automatic-recovery key again (a `Recovery` is consumed-free but
/// not `Clone`).
pub fn automatic(key: &RecoveryKey) -> Recovery {
    Recovery::Automatic(RecoveryKey::from_base64url(&key.to_base64url()).unwrap())
}

pub fn mnemonic() -> WalletSecret {
    WalletSecret::from_mnemonic(MNEMONIC).unwrap()
}

/// The proof key of every test client (what the iFrame's WebCrypto key is
/// in the browser): [`token`]'s tokens are bound to it, and [`send`] signs
/// each request's DPoP proof with it.
pub static DPOP: std::sync::LazyLock<ProofKey> =
    std::sync::LazyLock::new(|| ProofKey::generate().unwrap());

/// Sends `rb` with `token` and a DPoP proof for its method and URL.
async fn send<T: DeserializeOwned>(
    rb: reqwest::RequestBuilder,
    token: &str,
) -> Result<T, ServiceError> {
    let (client, request) = rb.build_split();
    let mut request = request.map_err(|_| ServiceError::Protocol)?;
    let proof = DPOP.proof(request.method().as_str(), request.url().as_str(), token);
    let headers = request.headers_mut();
    headers.insert("authorization", format!("DPoP {token}").parse().unwrap());
    headers.insert("dpop", proof.parse().unwrap());
    let response = client
        .execute(request)
        .await
        .map_err(|_| ServiceError::Network)?;
    let status = response.status().as_u16();
    let text = response.text().await.map_err(|_| ServiceError::Network)?;
    if (200..300).contains(&status) {
        serde_json::from_str(&text).map_err(|_| ServiceError::Protocol)
    } else {
        let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        let code = body["error"]["code"]
            .as_str()
            .map_or_else(|| format!("HTTP_{status}"), str::to_owned);
        if code == "POLICY_DENIED" {
            let why = body["error"]["message"].as_str().unwrap_or_default();
            return Err(ServiceError::Denied(why.to_owned()));
        }
        Err(ServiceError::Api { status, code })
    }
}

/// Unix seconds now (what the browser's `Date.now()` gives web/services.rs).
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// `rb` with `body` as JSON, signed by `authority` over `method`, `path`
/// and those very bytes (what web/services.rs `send_signed` does).
pub fn signed(
    rb: reqwest::RequestBuilder,
    method: &str,
    path: &str,
    body: Option<&impl serde::Serialize>,
    authority: &WalletAuthority,
) -> reqwest::RequestBuilder {
    let bytes = body
        .map(|b| serde_json::to_vec(b).unwrap())
        .unwrap_or_default();
    let header = authority
        .sign_request(method, path, &bytes, unix_now())
        .unwrap();
    let rb = rb.header(AUTHORITY_HEADER, header.to_value());
    if body.is_some() {
        rb.header("content-type", "application/json").body(bytes)
    } else {
        rb
    }
}

/// Hot storage over HTTP (what web/services.rs does with fetch).
#[derive(Clone)]
pub struct HttpHot {
    base: String,
    http: reqwest::Client,
    /// Rewrites what `GET /v2/policy` answered: a dishonest operator.
    tamper: Option<fn(&mut PolicyState)>,
}

impl HttpHot {
    async fn post<T: DeserializeOwned, B: serde::Serialize>(
        &self,
        path: &str,
        token: &str,
        body: &B,
    ) -> Result<T, ServiceError> {
        send(
            self.http.post(format!("{}{path}", self.base)).json(body),
            token,
        )
        .await
    }

    async fn post_signed<T: DeserializeOwned, B: serde::Serialize>(
        &self,
        path: &str,
        token: &str,
        body: &B,
        authority: &WalletAuthority,
    ) -> Result<T, ServiceError> {
        let rb = self.http.post(format!("{}{path}", self.base));
        send(signed(rb, "POST", path, Some(body), authority), token).await
    }
}

impl HotStorage for HttpHot {
    async fn wallet(&self, token: &Tokens) -> Result<Option<WalletResponse>, ServiceError> {
        match send(
            self.http.get(format!("{}/v2/wallet", self.base)),
            token.hot(),
        )
        .await
        {
            Ok(w) => Ok(Some(w)),
            Err(e) if e.is("NO_WALLET") => Ok(None),
            Err(e) => Err(e),
        }
    }
    async fn create(
        &self,
        token: &Tokens,
        body: &CreateRequest,
    ) -> Result<DeviceRef, ServiceError> {
        self.post("/v2/devices/create", token.hot(), body).await
    }
    async fn register(
        &self,
        token: &Tokens,
        body: &RegisterRequest,
        authority: &WalletAuthority,
    ) -> Result<DeviceRef, ServiceError> {
        self.post_signed("/v2/devices/register", token.hot(), body, authority)
            .await
    }
    async fn recover(
        &self,
        token: &Tokens,
        body: &RecoverRequest,
    ) -> Result<RecoverResponse, ServiceError> {
        self.post("/v2/devices/recover", token.hot(), body).await
    }
    async fn refresh(
        &self,
        token: &Tokens,
        body: &RefreshRequest,
        authority: &WalletAuthority,
    ) -> Result<VersionRef, ServiceError> {
        self.post_signed("/v2/devices/refresh", token.hot(), body, authority)
            .await
    }
    async fn commit(
        &self,
        token: &Tokens,
        body: &CommitRequest,
        authority: &WalletAuthority,
    ) -> Result<VersionRef, ServiceError> {
        self.post_signed("/v2/devices/commit", token.hot(), body, authority)
            .await
    }
    async fn list(
        &self,
        token: &Tokens,
        wallet: WalletId,
    ) -> Result<Vec<DeviceInfo>, ServiceError> {
        let list: DeviceList = self
            .post("/v2/devices/list", token.hot(), &WalletRequest { wallet })
            .await?;
        Ok(list.devices)
    }
    async fn revoke(
        &self,
        token: &Tokens,
        wallet: WalletId,
        device: DeviceId,
        authority: &WalletAuthority,
    ) -> Result<(), ServiceError> {
        let _: OkBody = self
            .post_signed(
                "/v2/devices/revoke",
                token.hot(),
                &RevokeRequest { wallet, device },
                authority,
            )
            .await?;
        Ok(())
    }
    async fn register_authority(
        &self,
        token: &Tokens,
        wallet: WalletId,
        key: &AuthorityKey,
    ) -> Result<(), ServiceError> {
        let body = RegisterAuthority {
            wallet: Some(wallet),
            authority: *key,
        };
        let _: OkBody = self
            .post("/v2/wallet/authority", token.hot(), &body)
            .await?;
        Ok(())
    }
    async fn policy(&self, token: &Tokens, wallet: WalletId) -> Result<PolicyState, ServiceError> {
        let mut state: PolicyState = send(
            self.http
                .get(format!("{}/v2/policy?wallet={wallet}", self.base)),
            token.hot(),
        )
        .await?;
        if let Some(tamper) = self.tamper {
            tamper(&mut state);
        }
        Ok(state)
    }
    async fn recover_for(
        &self,
        token: &Tokens,
        body: &RecoverWithIntent,
    ) -> Result<RecoverResponse, ServiceError> {
        self.post("/v2/devices/recover", token.hot(), body).await
    }
    async fn approval(
        &self,
        token: &Tokens,
        body: &ApprovalRequest,
    ) -> Result<ApprovalResponse, ServiceError> {
        self.post("/v2/policy/approvals", token.hot(), body).await
    }
    async fn report(&self, token: &Tokens, body: &ActivityReport) -> Result<(), ServiceError> {
        let _: OkBody = self.post("/v2/activity", token.hot(), body).await?;
        Ok(())
    }
    async fn activity(
        &self,
        token: &Tokens,
        wallet: WalletId,
        limit: u32,
    ) -> Result<ActivityList, ServiceError> {
        send(
            self.http.get(format!(
                "{}/v2/activity?wallet={wallet}&limit={limit}",
                self.base
            )),
            token.hot(),
        )
        .await
    }
    async fn put_user_rules(
        &self,
        token: &Tokens,
        body: &SignedUserRules,
        authority: &WalletAuthority,
    ) -> Result<(), ServiceError> {
        let path = "/v2/policy/user-rules";
        let rb = self.http.put(format!("{}{path}", self.base));
        let _: OkBody = send(signed(rb, "PUT", path, Some(body), authority), token.hot()).await?;
        Ok(())
    }
}

/// Shield over HTTP.
#[derive(Clone)]
pub struct HttpShield {
    base: String,
    http: reqwest::Client,
}

impl Shield for HttpShield {
    async fn create(
        &self,
        token: &Tokens,
        wallet: WalletId,
        record: &ColdRecord,
        authority: Option<&AuthorityKey>,
    ) -> Result<(), ServiceError> {
        let body = ColdCreate {
            wallet,
            record: record.clone(),
            authority: authority.copied(),
        };
        let _: Created = send(
            self.http
                .post(format!("{}/v1/cold-shares", self.base))
                .json(&body),
            token.shield(),
        )
        .await?;
        Ok(())
    }
    async fn replace(
        &self,
        token: &Tokens,
        wallet: WalletId,
        record: &ColdRecord,
        authority: &WalletAuthority,
    ) -> Result<(), ServiceError> {
        let path = format!("/v1/cold-shares/{wallet}");
        let rb = self.http.put(format!("{}{path}", self.base));
        let _: ColdRecordResponse = send(
            signed(rb, "PUT", &path, Some(record), authority),
            token.shield(),
        )
        .await?;
        Ok(())
    }
    async fn get(
        &self,
        token: &Tokens,
        wallet: WalletId,
    ) -> Result<ColdRecordResponse, ServiceError> {
        send(
            self.http
                .get(format!("{}/v1/cold-shares/{wallet}", self.base)),
            token.shield(),
        )
        .await
    }
    async fn register_authority(
        &self,
        token: &Tokens,
        wallet: WalletId,
        key: &AuthorityKey,
    ) -> Result<(), ServiceError> {
        let body = RegisterAuthority {
            wallet: None,
            authority: *key,
        };
        let _: OkBody = send(
            self.http
                .put(format!("{}/v1/cold-shares/{wallet}/authority", self.base))
                .json(&body),
            token.shield(),
        )
        .await?;
        Ok(())
    }
}

/// A persistent device store in memory, shared by every tab that clones it
/// (like IndexedDB of one origin). By default it has no cross-tab lock, so
/// tabs race freely (a browser without Web Locks); [`MemoryStore::locked`]
/// adds one (Web Locks).
#[derive(Clone, Default)]
pub struct MemoryStore {
    map: Rc<RefCell<BTreeMap<String, Entry>>>,
    lock: Option<Rc<futures_util::lock::Mutex<()>>>,
    /// The remembered device ids (localStorage in the browser), kept apart
    /// from the shares as the browser keeps them.
    devices: Rc<RefCell<BTreeMap<WalletId, Vec<DeviceId>>>>,
}

impl MemoryStore {
    pub fn locked() -> MemoryStore {
        MemoryStore {
            lock: Some(Rc::default()),
            ..MemoryStore::default()
        }
    }

    pub fn all(&self) -> Vec<Entry> {
        self.map.borrow().values().cloned().collect()
    }

    /// Loses every share, as a browser evicting IndexedDB does; the
    /// remembered device ids stay, as localStorage does.
    pub fn lose_shares(&self) {
        self.map.borrow_mut().clear();
    }

    pub fn remembered(&self, wallet: WalletId) -> Vec<DeviceId> {
        self.devices
            .borrow()
            .get(&wallet)
            .cloned()
            .unwrap_or_default()
    }
}

impl DeviceStore for MemoryStore {
    type Lock<'a> = Option<futures_util::lock::MutexGuard<'a, ()>>;

    fn is_persistent(&self) -> bool {
        true
    }
    async fn entries(&self, wallet: WalletId) -> Result<Vec<Entry>, StoreError> {
        let prefix = Entry::wallet_prefix(wallet);
        let map = self.map.borrow();
        let mut entries: Vec<Entry> = map
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .map(|(_, e)| e.clone())
            .collect();
        entries.sort_by_key(|e| std::cmp::Reverse(e.version));
        Ok(entries)
    }
    async fn put(&self, entry: &Entry) -> Result<(), StoreError> {
        self.map.borrow_mut().insert(entry.key(), entry.clone());
        Ok(())
    }
    async fn delete(&self, entry: &Entry) -> Result<(), StoreError> {
        self.map.borrow_mut().remove(&entry.key());
        Ok(())
    }
    async fn lock(&self) -> Self::Lock<'_> {
        match &self.lock {
            Some(lock) => Some(lock.lock().await),
            None => None,
        }
    }
    async fn remembered_devices(&self, wallet: WalletId) -> Vec<DeviceId> {
        self.remembered(wallet)
    }
    async fn remember_devices(&self, wallet: WalletId, devices: &[DeviceId]) {
        self.devices.borrow_mut().insert(wallet, devices.to_vec());
    }
}

/// The EVM address of account 0 of the key a flow rebuilt: what every test
/// signs with, compared with the wallet's registered address.
/// The address is recovered from the signature itself, so a test fails if
/// the flow signed with any other key.
pub fn sign_op(secret: &WalletSecret) -> keyframe_signer::flows::RpcResult<String> {
    use k256::ecdsa::{RecoveryId, Signature, VerifyingKey};
    const MESSAGE: &[u8] = b"flow test";
    let key = secret.evm_signing_key(0)?;
    let sig = keyframe_signer::evm::personal_sign(&key, MESSAGE)?;
    let hash = keyframe_signer::evm::personal_sign_hash(MESSAGE);
    let signature = Signature::from_slice(&sig[..64]).unwrap();
    let id = RecoveryId::from_byte(sig[64] - 27).unwrap();
    let signer = VerifyingKey::recover_from_prehash(&hash, &signature, id).unwrap();
    Ok(keyframe_signer::wallet::evm_address(&signer))
}

/// Signs with `flows` and runs the refresh that follows; the address the
/// key derives.
pub async fn sign_and_refresh<H: HotStorage, S: Shield, D: DeviceStore, C: Consent>(
    flows: &Flows<H, S, D, C>,
    token: &Tokens,
    wallet: &WalletRecord,
) -> keyframe_signer::flows::RpcResult<String> {
    let signed = flows
        .with_key(
            token,
            wallet,
            &Request::Sign {
                method: "personal_sign",
                intent: None,
            },
            sign_op,
        )
        .await?;
    let address = signed.answer;
    flows.refresh(signed.refresh).await;
    Ok(address)
}
