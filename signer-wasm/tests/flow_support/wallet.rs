//! The wallet and tab helpers of the flow tests: a consent that approves
//! everything (and keeps the backup file it is handed), recovery keys and
//! the test mnemonic, the device store "tabs" share, and signing with a
//! rebuilt key followed by its refresh.

use super::*;

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
