//! The iFrame's methods (DESIGN.md §4) and the share flows behind them.
//!
//! Every signing method rebuilds the key from this device's pair inside one
//! call, checks it against the wallet's addresses, signs what it hashed
//! itself, drops the key, answers, and only then refreshes the pair (off the
//! latency path) with the crash-safe protocol of docs/api.md.

use std::cell::{Cell, RefCell};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use futures_util::lock::Mutex;
use serde_json::{Value, json};
use web_sys::MessagePort;
use zeroize::Zeroizing;

use super::bench;
use super::lock::{self, DeviceLock};
use super::rpc::{self, Reason, RpcError};
use super::services::{HotStorage, ServiceError, Shield, WalletRecord};
use super::store::{Entry, ShareStore};
use super::ui;
use crate::recovery::{self, ColdRecord, RecoveryKey};
use crate::secret::{OsRng, WalletKind, WalletSecret};
use crate::shares::{self, DeviceId, Share, SharePair, WalletId};
use crate::wallet::Addresses;
use crate::{evm, solana};

type RpcResult<T = Value> = Result<T, RpcError>;

/// Where the pair that signed came from, so it can be refreshed afterwards.
struct Refresh<'a> {
    _lock: DeviceLock<'a>,
    token: String,
    used: Entry,
    next: SharePair,
    replace_pending: Option<String>,
}

pub struct Signer {
    hot: HotStorage,
    shield: Shield,
    store: ShareStore,
    port: RefCell<Option<MessagePort>>,
    token: RefCell<Option<String>>,
    wallet: RefCell<Option<WalletRecord>>,
    chain_id: Cell<u64>,
    device_mutex: Mutex<()>,
}

fn field<'a>(params: &'a Value, name: &str) -> RpcResult<&'a Value> {
    params
        .get(name)
        .ok_or_else(|| RpcError::bad_params(format!("missing params.{name}")))
}

fn str_field<'a>(params: &'a Value, name: &str) -> RpcResult<&'a str> {
    field(params, name)?
        .as_str()
        .ok_or_else(|| RpcError::bad_params(format!("params.{name} must be a string")))
}

/// `params` as a positional array of exactly `n` items (EIP-1193 methods).
fn positional(params: &Value, n: usize) -> RpcResult<&Vec<Value>> {
    match params.as_array() {
        Some(items) if items.len() == n => Ok(items),
        _ => Err(RpcError::bad_params(format!(
            "params must be an array of {n}"
        ))),
    }
}

/// The first object in an array, or the object itself (wallets send both).
fn object_param(params: &Value) -> RpcResult<&Value> {
    let value = match params {
        Value::Array(items) if items.len() == 1 => &items[0],
        other => other,
    };
    if value.is_object() {
        Ok(value)
    } else {
        Err(RpcError::bad_params("params must be an object"))
    }
}

fn decode_b64(value: &str, what: &str) -> RpcResult<Vec<u8>> {
    B64.decode(value)
        .map_err(|_| RpcError::bad_params(format!("{what} must be base64")))
}

/// How the cold share is protected, from `params.recovery`.
enum Recovery {
    Password(Zeroizing<String>),
    Automatic(RecoveryKey),
}

fn recovery_param(params: &Value) -> RpcResult<Recovery> {
    let recovery = field(params, "recovery")?;
    match recovery.get("method").and_then(Value::as_str) {
        Some("password") => {
            let password = str_field(recovery, "password")?;
            Ok(Recovery::Password(Zeroizing::new(password.to_owned())))
        }
        Some("automatic") => {
            let token = str_field(recovery, "token")?;
            let key = RecoveryKey::from_base64url(token).map_err(|_| {
                RpcError::bad_params("recovery.token must be the 32-byte recovery key")
            })?;
            Ok(Recovery::Automatic(key))
        }
        _ => Err(RpcError::bad_params(
            "recovery.method must be \"password\" or \"automatic\"",
        )),
    }
}

fn seal_cold(share: &Share, recovery: &Recovery) -> RpcResult<ColdRecord> {
    Ok(match recovery {
        Recovery::Password(pw) => recovery::seal_with_password(share, pw, &mut OsRng)?,
        Recovery::Automatic(key) => recovery::seal_with_key(share, key, &mut OsRng)?,
    })
}

fn open_cold(record: &ColdRecord, recovery: &Recovery, wallet: WalletId) -> RpcResult<Share> {
    Ok(match recovery {
        Recovery::Password(pw) => recovery::open_with_password(record, pw, wallet)?,
        Recovery::Automatic(key) => recovery::open_with_key(record, key, wallet)?,
    })
}

fn parse_share(b64: &str) -> RpcResult<Share> {
    let bytes = Zeroizing::new(
        B64.decode(b64)
            .map_err(|_| RpcError::from(crate::Error::MalformedShare))?,
    );
    Ok(Share::from_bytes(&bytes)?)
}

fn share_b64(share: &Share) -> String {
    B64.encode(share.to_bytes().as_slice())
}

fn wallet_id(record: &WalletRecord) -> RpcResult<WalletId> {
    record
        .wallet
        .parse()
        .map_err(|_| RpcError::from(crate::Error::MalformedShare))
}

/// Retries a call that failed for want of an answer (not one the service
/// refused): a lost response is repeated, which the API makes idempotent.
async fn with_retries<T, F, Fut>(mut call: F) -> Result<T, ServiceError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, ServiceError>>,
{
    let mut last = ServiceError::Network;
    for _ in 0..3 {
        match call().await {
            Err(ServiceError::Network) => last = ServiceError::Network,
            other => return other,
        }
    }
    Err(last)
}

impl Signer {
    pub fn new(hot: HotStorage, shield: Shield, store: ShareStore) -> Self {
        Signer {
            hot,
            shield,
            store,
            port: RefCell::new(None),
            token: RefCell::new(None),
            wallet: RefCell::new(None),
            chain_id: Cell::new(1),
            device_mutex: Mutex::new(()),
        }
    }

    pub fn attach(&self, port: MessagePort, _parent_origin: String) {
        *self.port.borrow_mut() = Some(port);
    }

    fn post(&self, message: &Value) {
        let Some(port) = self.port.borrow().clone() else {
            return;
        };
        let Ok(text) = serde_json::to_string(message) else {
            return;
        };
        if let Ok(value) = js_sys::JSON::parse(&text) {
            let _ = port.post_message(&value);
        }
    }

    fn emit(&self, kind: &str, data: Value) {
        self.post(&rpc::notification(
            "keyframe_event",
            json!({ "type": kind, "data": data }),
        ));
    }

    fn set_ui_visible(&self, visible: bool) {
        self.post(&rpc::notification(
            "keyframe_ui",
            json!({ "visible": visible }),
        ));
    }

    fn accounts(&self) -> Vec<String> {
        self.wallet
            .borrow()
            .as_ref()
            .map(|w| vec![w.addresses.evm.clone()])
            .unwrap_or_default()
    }

    fn set_wallet(&self, wallet: Option<WalletRecord>) {
        let before = self.accounts();
        *self.wallet.borrow_mut() = wallet;
        let after = self.accounts();
        if before != after {
            self.emit("accountsChanged", json!(after));
        }
    }

    /// Handles one request from the port and answers it; a signing method
    /// then refreshes the device's pair.
    pub async fn handle(&self, text: &str) {
        let start = bench::now();
        let request = match rpc::parse(text) {
            Ok(r) => r,
            Err(Some(id)) => {
                let e = RpcError::new(
                    rpc::INVALID_REQUEST,
                    Reason::BadRequest,
                    "not a JSON-RPC 2.0 request",
                );
                return self.post(&rpc::error(&id, &e));
            }
            Err(None) => return,
        };
        let (answer, refresh) = match self.dispatch(&request.method, &request.params).await {
            Ok((value, refresh)) => (rpc::result(&request.id, value), refresh),
            Err(e) => (rpc::error(&request.id, &e), None),
        };
        self.post(&answer);
        bench::measure("keyframe:dispatch", start);
        if let Some(refresh) = refresh {
            let start = bench::now();
            self.refresh(refresh).await;
            bench::measure("keyframe:refresh", start);
        }
    }

    async fn dispatch(
        &self,
        method: &str,
        params: &Value,
    ) -> RpcResult<(Value, Option<Refresh<'_>>)> {
        let plain = |v: Value| Ok((v, None));
        match method {
            "keyframe_ping" => plain(json!("pong")),
            "keyframe_setAuth" => plain(self.set_auth(params).await?),
            "keyframe_status" => plain(self.status().await?),
            "keyframe_logout" => {
                *self.token.borrow_mut() = None;
                self.set_wallet(None);
                plain(json!({ "ok": true }))
            }
            "keyframe_createWallet" => {
                let recovery = recovery_param(params)?;
                let secret = WalletSecret::generate_os()?;
                plain(self.create(secret, recovery).await?)
            }
            "keyframe_importWallet" => {
                let recovery = recovery_param(params)?;
                let secret = match (params.get("mnemonic"), params.get("privateKey")) {
                    (Some(Value::String(m)), None) => WalletSecret::from_mnemonic(m)?,
                    (None, Some(Value::String(k))) => WalletSecret::from_evm_private_key(k)?,
                    _ => {
                        return Err(RpcError::bad_params(
                            "give exactly one of params.mnemonic or params.privateKey",
                        ));
                    }
                };
                plain(self.create(secret, recovery).await?)
            }
            "keyframe_recover" => plain(self.recover(recovery_param(params)?).await?),
            "keyframe_listDevices" => plain(self.list_devices().await?),
            "keyframe_revokeDevice" => {
                plain(self.revoke_device(str_field(params, "device")?).await?)
            }
            "keyframe_export" => self.export().await.map(|(v, r)| (v, Some(r))),
            "keyframe_setRecovery" => {
                let recovery = recovery_param(params)?;
                self.set_recovery(recovery).await.map(|(v, r)| (v, Some(r)))
            }
            "eth_accounts" => plain(json!(self.accounts())),
            "eth_requestAccounts" => {
                self.session()?;
                plain(json!(self.accounts()))
            }
            "eth_chainId" => plain(json!(format!("0x{:x}", self.chain_id.get()))),
            "wallet_switchEthereumChain" => {
                let chain = str_field(object_param(params)?, "chainId")?;
                let id = chain
                    .strip_prefix("0x")
                    .and_then(|h| u64::from_str_radix(h, 16).ok())
                    .filter(|id| *id > 0)
                    .ok_or_else(|| {
                        RpcError::bad_params("chainId must be a 0x-prefixed hex number")
                    })?;
                if id != self.chain_id.replace(id) {
                    self.emit("chainChanged", json!(chain));
                }
                plain(Value::Null)
            }
            "personal_sign" => {
                let items = positional(params, 2)?;
                let message = items[0]
                    .as_str()
                    .ok_or_else(|| RpcError::bad_params("message must be a string"))?;
                let address = items[1]
                    .as_str()
                    .ok_or_else(|| RpcError::bad_params("address must be a string"))?;
                self.check_evm_address(address)?;
                let bytes = evm::personal_sign_message_bytes(message);
                self.with_key(move |secret| {
                    let key = secret.evm_signing_key(0)?;
                    Ok(json!(evm::signature_hex(&evm::personal_sign(
                        &key, &bytes
                    )?)))
                })
                .await
                .map(|(v, r)| (v, Some(r)))
            }
            "eth_signTypedData_v4" => {
                let items = positional(params, 2)?;
                let address = items[0]
                    .as_str()
                    .ok_or_else(|| RpcError::bad_params("address must be a string"))?;
                self.check_evm_address(address)?;
                let typed = match &items[1] {
                    Value::String(s) => s.clone(),
                    v @ Value::Object(_) => v.to_string(),
                    _ => {
                        return Err(RpcError::bad_params(
                            "typed data must be a JSON string or object",
                        ));
                    }
                };
                let chain = self.chain_id.get();
                self.with_key(move |secret| {
                    let key = secret.evm_signing_key(0)?;
                    Ok(json!(evm::signature_hex(&evm::sign_typed_data(
                        &key,
                        &typed,
                        Some(chain)
                    )?)))
                })
                .await
                .map(|(v, r)| (v, Some(r)))
            }
            "eth_signTransaction" => {
                let tx = object_param(params)?.clone();
                if let Some(from) = tx.get("from") {
                    let from = from
                        .as_str()
                        .ok_or_else(|| RpcError::bad_params("from must be a string"))?;
                    self.check_evm_address(from)?;
                }
                let chain = self.chain_id.get();
                self.with_key(move |secret| {
                    let key = secret.evm_signing_key(0)?;
                    let signed = evm::sign_transaction(&key, &tx, chain)?;
                    Ok(json!(format!("0x{}", hex::encode(signed.raw))))
                })
                .await
                .map(|(v, r)| (v, Some(r)))
            }
            "solana_signMessage" => {
                let message = decode_b64(str_field(object_param(params)?, "message")?, "message")?;
                // A "message" that parses as a transaction could authorise one.
                if solana::is_transaction_message(&message) {
                    return Err(RpcError::bad_params(
                        "message is a Solana transaction; use solana_signTransaction",
                    ));
                }
                self.with_key(move |secret| {
                    let key = secret.solana_signing_key(0)?;
                    Ok(json!({ "signature": bs58::encode(solana::sign_message(&key, &message)).into_string() }))
                })
                .await
                .map(|(v, r)| (v, Some(r)))
            }
            "solana_signTransaction" => {
                let tx = decode_b64(
                    str_field(object_param(params)?, "transaction")?,
                    "transaction",
                )?;
                self.with_key(move |secret| {
                    let key = secret.solana_signing_key(0)?;
                    Ok(json!({ "transaction": B64.encode(solana::sign_transaction(&key, &tx)?) }))
                })
                .await
                .map(|(v, r)| (v, Some(r)))
            }
            // A digest handed in is never signed: the iFrame hashes what it signs.
            "eth_sign" => Err(RpcError::new(
                rpc::UNSUPPORTED_METHOD,
                Reason::BadRequest,
                "eth_sign signs an opaque digest and is refused; use personal_sign or eth_signTypedData_v4",
            )),
            other => Err(RpcError::unsupported(other)),
        }
    }

    fn token(&self) -> RpcResult<String> {
        self.token
            .borrow()
            .clone()
            .ok_or_else(RpcError::auth_required)
    }

    /// The token and the user's wallet, or the reason there is none.
    fn session(&self) -> RpcResult<(String, WalletRecord)> {
        let token = self.token()?;
        let wallet = self
            .wallet
            .borrow()
            .clone()
            .ok_or_else(RpcError::no_wallet)?;
        Ok((token, wallet))
    }

    fn check_evm_address(&self, address: &str) -> RpcResult<()> {
        let (_, wallet) = self.session()?;
        if address.eq_ignore_ascii_case(&wallet.addresses.evm) {
            Ok(())
        } else {
            Err(RpcError::new(
                rpc::UNAUTHORIZED,
                Reason::BadRequest,
                "address is not this wallet's",
            ))
        }
    }

    async fn set_auth(&self, params: &Value) -> RpcResult {
        let token = str_field(object_param(params)?, "token")?;
        if token.is_empty() || token.len() > 8192 {
            return Err(RpcError::bad_params("token must be a JWT"));
        }
        let wallet = self.hot.wallet(token).await?;
        *self.token.borrow_mut() = Some(token.to_owned());
        self.set_wallet(wallet);
        Ok(json!({ "ok": true }))
    }

    async fn status(&self) -> RpcResult {
        let wallet = self.wallet.borrow().clone();
        let mut device = Value::Null;
        let mut has_local = false;
        if let Some(w) = &wallet
            && let Ok(entries) = self.store.entries(&w.wallet).await
            && let Some(first) = entries.first()
        {
            has_local = true;
            device = json!(first.device);
        }
        Ok(json!({
            "authenticated": self.token.borrow().is_some(),
            "wallet": wallet.as_ref().map(|w| w.wallet.clone()),
            "kind": wallet.as_ref().map(|w| w.kind),
            "addresses": wallet.as_ref().map(|w| w.addresses.clone()),
            "device": device,
            "hasLocalShare": has_local,
            "storage": if self.store.is_persistent() { "persistent" } else { "memory" },
            "chainId": format!("0x{:x}", self.chain_id.get()),
        }))
    }

    /// A new wallet from `secret`: the recovery pair (H₀ at hot storage, C
    /// sealed at Shield) and this device's pair (Hₖ at hot storage, Dₖ here).
    /// Shield is written first: a wallet never exists without its cold share.
    async fn create(&self, secret: WalletSecret, recovery: Recovery) -> RpcResult {
        let token = self.token()?;
        if self.hot.wallet(&token).await?.is_some() {
            return Err(RpcError::bad_params("this user already has a wallet"));
        }
        let rng = &mut OsRng;
        let wallet = WalletId::random(rng)?;
        let device = DeviceId::random(rng)?;
        let addresses = secret.addresses()?;
        let kind = secret.kind();
        let recovery_pair = shares::split_pair(&secret, wallet, DeviceId::RECOVERY, 0, rng)?;
        let device_pair = shares::split_pair(&secret, wallet, device, 0, rng)?;
        drop(secret);
        let cold = seal_cold(&recovery_pair.local, &recovery)?;

        let wallet_str = wallet.to_string();
        with_retries(|| self.shield.create(&token, &wallet_str, &cold)).await?;
        let body = json!({
            "wallet": wallet.to_string(),
            "kind": kind,
            "addresses": addresses,
            "primary": { "split": recovery_pair.hot.split().to_string(), "share": share_b64(&recovery_pair.hot) },
            "device": {
                "device": device.to_string(),
                "split": device_pair.hot.split().to_string(),
                "share": share_b64(&device_pair.hot),
                "ephemeral": !self.store.is_persistent(),
            },
        });
        with_retries(|| self.hot.create(&token, &body)).await?;
        self.keep_local(&wallet.to_string(), &device_pair.local, &addresses)
            .await?;
        self.set_wallet(Some(WalletRecord {
            wallet: wallet.to_string(),
            kind,
            addresses: addresses.clone(),
        }));
        Ok(
            json!({ "wallet": wallet.to_string(), "addresses": addresses, "device": device.to_string() }),
        )
    }

    async fn keep_local(
        &self,
        wallet: &str,
        share: &Share,
        addresses: &Addresses,
    ) -> RpcResult<()> {
        let entry = Entry {
            wallet: wallet.to_owned(),
            device: share.device().to_string(),
            version: share.version(),
            split: share.split().to_string(),
            share: share_b64(share),
            addresses: addresses.clone(),
        };
        self.store
            .put(&entry)
            .await
            .map_err(|_| RpcError::storage())
    }

    /// A device without a share: rebuild from H₀ + C, then give this device
    /// a fresh pair of its own.
    async fn recover(&self, recovery: Recovery) -> RpcResult {
        let token = self.token()?;
        let wallet = self
            .hot
            .wallet(&token)
            .await?
            .ok_or_else(RpcError::no_wallet)?;
        let id = wallet_id(&wallet)?;
        let _lock = lock::acquire(&self.device_mutex).await;
        let primary = self
            .hot
            .recover(&token, &json!({ "wallet": wallet.wallet }))
            .await?;
        let cold = self.shield.get(&token, &wallet.wallet).await?;
        let c = open_cold(&cold, &recovery, id)?;
        let h0 = parse_share(&primary.share)?;
        let secret = shares::combine(&h0, &c, &wallet.addresses)?;
        drop((h0, c));

        let device = DeviceId::random(&mut OsRng)?;
        let pair = shares::split_pair(&secret, id, device, 0, &mut OsRng)?;
        drop(secret);
        let body = json!({
            "wallet": wallet.wallet,
            "device": device.to_string(),
            "split": pair.hot.split().to_string(),
            "share": share_b64(&pair.hot),
            "ephemeral": !self.store.is_persistent(),
        });
        with_retries(|| self.hot.register(&token, &body)).await?;
        // Shares of this wallet held for an older device of this browser are
        // superseded by the new pair.
        let old = self
            .store
            .entries(&wallet.wallet)
            .await
            .map_err(|_| RpcError::storage())?;
        self.keep_local(&wallet.wallet, &pair.local, &wallet.addresses)
            .await?;
        for entry in old {
            let _ = self.store.delete(&entry).await;
        }
        let answer = json!({ "wallet": wallet.wallet, "addresses": wallet.addresses, "device": device.to_string() });
        self.set_wallet(Some(wallet));
        Ok(answer)
    }

    /// Finds a local share that hot storage still holds the partner of,
    /// dropping local entries it does not (superseded or revoked).
    async fn load_pair(
        &self,
        token: &str,
        wallet: &WalletRecord,
    ) -> RpcResult<(Entry, Share, Share, Option<String>)> {
        let entries = self
            .store
            .entries(&wallet.wallet)
            .await
            .map_err(|_| RpcError::storage())?;
        if entries.is_empty() {
            return Err(RpcError::recovery_required());
        }
        let held: Vec<String> = entries.iter().map(|e| e.split.clone()).collect();
        for entry in entries {
            if entry.addresses != wallet.addresses {
                return Err(crate::Error::ShareMismatch.into());
            }
            let body = json!({ "wallet": entry.wallet, "device": entry.device, "version": entry.version, "split": entry.split });
            match self.hot.recover(token, &body).await {
                Ok(r)
                    if r.version == entry.version
                        && r.split == entry.split
                        && r.device == entry.device =>
                {
                    let local = parse_share(&entry.share)?;
                    let hot = parse_share(&r.share)?;
                    // A pending version at the server that no tab of ours holds
                    // is an orphan; the next refresh may replace it.
                    let orphan = r.pending.map(|p| p.split).filter(|s| !held.contains(s));
                    return Ok((entry, local, hot, orphan));
                }
                Ok(_) | Err(ServiceError::Api { status: 404, .. }) => {
                    let _ = self.store.delete(&entry).await;
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(RpcError::recovery_required())
    }

    /// Rebuilds the key, runs `op` with it, drops it, and prepares the
    /// refresh that follows the answer.
    async fn with_key<F>(&self, op: F) -> RpcResult<(Value, Refresh<'_>)>
    where
        F: FnOnce(&WalletSecret) -> RpcResult,
    {
        let (token, wallet) = self.session()?;
        let lock = lock::acquire(&self.device_mutex).await;
        let (used, local, hot, replace_pending) = self.load_pair(&token, &wallet).await?;
        let start = bench::now();
        let secret = shares::combine(&local, &hot, &wallet.addresses)?;
        drop((local, hot));
        let answer = op(&secret);
        let next = shares::split_pair(
            &secret,
            wallet_id(&wallet)?,
            used.device
                .parse()
                .map_err(|_| RpcError::from(crate::Error::MalformedShare))?,
            used.version + 1,
            &mut OsRng,
        );
        drop(secret);
        bench::measure("keyframe:compute", start);
        let answer = answer?;
        Ok((
            answer,
            Refresh {
                _lock: lock,
                token,
                used,
                next: next?,
                replace_pending,
            },
        ))
    }

    /// The crash-safe refresh of docs/api.md: write D' beside D, store H' as
    /// pending, commit, and only then drop D. Any step may fail or be cut off;
    /// every prefix leaves a pair that combines.
    async fn refresh(&self, job: Refresh<'_>) {
        let Refresh {
            _lock,
            token,
            used,
            next,
            replace_pending,
        } = job;
        let fresh = Entry {
            wallet: used.wallet.clone(),
            device: used.device.clone(),
            version: next.local.version(),
            split: next.local.split().to_string(),
            share: share_b64(&next.local),
            addresses: used.addresses.clone(),
        };
        if self.store.put(&fresh).await.is_err() {
            return;
        }
        let body = json!({
            "wallet": used.wallet, "device": used.device, "version": used.version,
            "split": fresh.split, "share": share_b64(&next.hot), "replacePending": replace_pending,
        });
        drop(next);
        match with_retries(|| self.hot.refresh(&token, &body)).await {
            Ok(_) => {}
            Err(ServiceError::Api { .. }) => {
                // Refused (another tab refreshed first): this pair never existed.
                let _ = self.store.delete(&fresh).await;
                return;
            }
            Err(_) => return, // unknown outcome: the next operation settles it
        }
        let commit = json!({ "wallet": used.wallet, "device": used.device, "version": fresh.version, "split": fresh.split });
        if with_retries(|| self.hot.commit(&token, &commit))
            .await
            .is_err()
        {
            return;
        }
        // Re-write the new entry in case another tab dropped it while the
        // server had not seen it yet, then drop every superseded one.
        if self.store.put(&fresh).await.is_ok() {
            for old in self.store.entries(&used.wallet).await.unwrap_or_default() {
                if old.device == used.device && old.version < fresh.version {
                    let _ = self.store.delete(&old).await;
                }
            }
        }
    }

    async fn list_devices(&self) -> RpcResult {
        let (token, wallet) = self.session()?;
        let devices = self.hot.list(&token, &wallet.wallet).await?;
        let current = self
            .store
            .entries(&wallet.wallet)
            .await
            .ok()
            .and_then(|e| e.first().map(|e| e.device.clone()));
        let devices: Vec<Value> = devices
            .into_iter()
            .map(|d| {
                let this = current.as_deref() == Some(d.device.as_str());
                let mut v = serde_json::to_value(d).unwrap_or(Value::Null);
                v["current"] = json!(this);
                v
            })
            .collect();
        Ok(json!({ "devices": devices }))
    }

    async fn revoke_device(&self, device: &str) -> RpcResult {
        let (token, wallet) = self.session()?;
        let device: DeviceId = device
            .parse()
            .map_err(|_| RpcError::bad_params("device must be a device id"))?;
        if device == DeviceId::RECOVERY {
            return Err(RpcError::bad_params("the recovery pair is not a device"));
        }
        let device = device.to_string();
        let _lock = lock::acquire(&self.device_mutex).await;
        self.hot.revoke(&token, &wallet.wallet, &device).await?;
        for entry in self.store.entries(&wallet.wallet).await.unwrap_or_default() {
            if entry.device == device {
                let _ = self.store.delete(&entry).await;
            }
        }
        Ok(json!({ "ok": true }))
    }

    /// Shows the mnemonic (or raw key) inside the iFrame only.
    async fn export(&self) -> RpcResult<(Value, Refresh<'_>)> {
        let mut shown: Option<(String, Zeroizing<String>)> = None;
        let (_, refresh) = self
            .with_key(|secret| {
                shown = Some(match secret.kind() {
                    WalletKind::Mnemonic => (
                        "Your recovery phrase".to_owned(),
                        secret.mnemonic().ok_or(crate::Error::Unsupported)?,
                    ),
                    _ => (
                        "Your private key".to_owned(),
                        secret.evm_private_key_hex(0)?,
                    ),
                });
                Ok(Value::Null)
            })
            .await?;
        let (title, secret) = shown.ok_or_else(RpcError::storage)?;
        self.set_ui_visible(true);
        let result = ui::show_secret(&title, secret).await;
        self.set_ui_visible(false);
        result.map_err(|_| {
            RpcError::new(
                rpc::INTERNAL,
                Reason::BadRequest,
                "the export view is unavailable",
            )
        })?;
        Ok((json!({ "ok": true }), refresh))
    }

    /// Re-encrypts the cold share under a new method or password. The key
    /// and every share stay as they are: C is recomputed from the rebuilt
    /// secret and H₀ (the two fix the recovery polynomial).
    async fn set_recovery(&self, recovery: Recovery) -> RpcResult<(Value, Refresh<'_>)> {
        let (token, wallet) = self.session()?;
        let id = wallet_id(&wallet)?;
        let primary = self
            .hot
            .recover(&token, &json!({ "wallet": wallet.wallet }))
            .await?;
        let h0 = parse_share(&primary.share)?;
        let mut cold: Option<RpcResult<ColdRecord>> = None;
        let (_, refresh) = self
            .with_key(|secret| {
                let c = shares::recovery_partner(secret, &h0)?;
                cold = Some(seal_cold(&c, &recovery));
                Ok(Value::Null)
            })
            .await?;
        let cold = cold.ok_or_else(RpcError::storage)??;
        let id = id.to_string();
        with_retries(|| self.shield.replace(&token, &id, &cold)).await?;
        Ok((json!({ "ok": true }), refresh))
    }
}
