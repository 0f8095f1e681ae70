//! The share protocols of docs/api.md as plain async Rust: create, recover,
//! sign-then-refresh, set-recovery, revoke and export.
//!
//! A flow talks to the world only through the traits of [`ports`]: hot
//! storage, Shield, the device's share store, the consent hook and a clock.
//! The browser implements them in `web/`; the native tests
//! (tests/flows.rs) run every flow against the real services. Nothing here
//! knows about JavaScript, and no key outlives the call that rebuilt it.

mod authority;
mod backup;
mod create;
mod devices;
pub mod error;
mod export;
mod policy;
pub mod ports;
mod recover;
mod set_recovery;
mod sign;
pub mod types;

use futures_util::lock::Mutex;
use keyframe_wire::b64;
use zeroize::Zeroizing;

pub use backup::RecoverFromFile;
pub use create::Created;
pub use devices::DeviceListing;
pub use error::{RpcError, RpcResult};
pub use export::Exported;
pub use keyframe_wire::hot::{DeviceInfo, RecoverResponse};
pub use policy::{ALWAYS_ALLOW_MAX_SECS, ALWAYS_ALLOW_PER_DAY, Judgement, UserRules};
pub use ports::{Clock, Consent, DeviceStore, HotStorage, NoClock, Request, Shield};
pub use sign::{Refresh, Signed};
pub use types::{Entry, ServiceError, StoreError, Tokens, WalletRecord};

use crate::recovery::{self, RecoveryKey};
use crate::secret::OsRng;
use crate::shares::{Share, WalletId};
use crate::wallet::Addresses;
use keyframe_wire::ShareBlob;
use keyframe_wire::shield::ColdRecord;

/// How the cold share is protected (`params.recovery` of the protocol).
pub enum Recovery {
    Password(Zeroizing<String>),
    Automatic(RecoveryKey),
    /// A backup file the user keeps, sealed under this password; Shield
    /// stores nothing (crate::backup).
    File(Zeroizing<String>),
}

impl Recovery {
    fn seal(&self, share: &Share) -> RpcResult<ColdRecord> {
        Ok(match self {
            Recovery::Password(pw) => recovery::seal_with_password(share, pw, &mut OsRng)?,
            Recovery::Automatic(key) => recovery::seal_with_key(share, key, &mut OsRng)?,
            Recovery::File(_) => {
                return Err(RpcError::bad_params(
                    "a file wallet keeps no cold record at Shield",
                ));
            }
        })
    }

    fn open(&self, record: &ColdRecord, wallet: WalletId) -> RpcResult<Share> {
        Ok(match self {
            Recovery::Password(pw) => recovery::open_with_password(record, pw, wallet)?,
            Recovery::Automatic(key) => recovery::open_with_key(record, key, wallet)?,
            Recovery::File(_) => {
                return Err(RpcError::bad_params(
                    "a file wallet recovers from its backup file",
                ));
            }
        })
    }
}

/// The flows of one signer (one tab), over its services and device store.
///
/// `device_mutex` serialises this tab's device operations; the store's lock
/// ([`DeviceStore::lock`]) serialises them across tabs where the platform
/// can.
pub struct Flows<H, S, D, C, K = NoClock> {
    pub hot: H,
    pub shield: S,
    pub store: D,
    pub consent: C,
    pub clock: K,
    device_mutex: Mutex<()>,
    /// The wallet whose authority key this tab knows both services hold
    /// (flows/authority.rs), so an old wallet registers it once.
    authority_registered: core::cell::Cell<Option<WalletId>>,
}

impl<H: HotStorage, S: Shield, D: DeviceStore, C: Consent, K: Clock> Flows<H, S, D, C, K> {
    pub fn with(hot: H, shield: S, store: D, consent: C, clock: K) -> Self {
        Flows {
            hot,
            shield,
            store,
            consent,
            clock,
            device_mutex: Mutex::new(()),
            authority_registered: core::cell::Cell::new(None),
        }
    }

    /// Asks the consent hook about `request`.
    pub async fn approve(&self, request: &Request<'_>) -> RpcResult<()> {
        self.consent.approve(request).await
    }

    /// The user's wallet, or `None` (also checks the token).
    pub async fn wallet(&self, token: &Tokens) -> RpcResult<Option<WalletRecord>> {
        Ok(self.hot.wallet(token).await?.map(WalletRecord::from))
    }

    /// The device this browser holds a share for, if any.
    pub async fn local_device(&self, wallet: WalletId) -> Option<crate::shares::DeviceId> {
        self.store
            .entries(wallet)
            .await
            .ok()
            .and_then(|e| device_of(&e))
    }

    /// Both locks: this tab's, then the one across tabs.
    async fn lock(&self) -> DeviceLock<'_, D> {
        let local = self.device_mutex.lock().await;
        let shared = self.store.lock().await;
        DeviceLock::new(shared, local)
    }

    async fn keep_local(&self, share: &Share, addresses: &Addresses) -> RpcResult<Entry> {
        let entry = entry_for(share, addresses);
        self.store
            .put(&entry)
            .await
            .map_err(|_| RpcError::storage())?;
        // Remember the device apart from its shares, so a recovery after
        // they are lost can revoke it (flows/recover.rs).
        let mut devices = self.store.remembered_devices(entry.wallet).await;
        if devices.first() != Some(&entry.device) {
            devices.retain(|d| *d != entry.device);
            devices.insert(0, entry.device);
            self.store.remember_devices(entry.wallet, &devices).await;
        }
        Ok(entry)
    }
}

/// Held while a device operation runs. Fields drop in order: the cross-tab
/// lock first, then this tab's.
pub struct DeviceLock<'a, D: DeviceStore + 'a> {
    _shared: D::Lock<'a>,
    _local: futures_util::lock::MutexGuard<'a, ()>,
}

impl<'a, D: DeviceStore + 'a> DeviceLock<'a, D> {
    fn new(shared: D::Lock<'a>, local: futures_util::lock::MutexGuard<'a, ()>) -> Self {
        DeviceLock {
            _shared: shared,
            _local: local,
        }
    }
}

/// The device whose shares `entries` (one wallet's, in this browser) are.
/// A browser is one device of a wallet; it holds more than one entry only
/// while a refresh is half done, and those are of that same device.
fn device_of(entries: &[Entry]) -> Option<crate::shares::DeviceId> {
    entries.first().map(|e| e.device)
}

fn entry_for(share: &Share, addresses: &Addresses) -> Entry {
    Entry {
        wallet: share.wallet(),
        device: share.device(),
        version: share.version(),
        split: share.split(),
        share: share_b64(share),
        addresses: addresses.clone(),
    }
}

fn parse_share(encoded: &str) -> RpcResult<Share> {
    let bytes = Zeroizing::new(
        b64::decode(encoded).map_err(|_| RpcError::from(crate::Error::MalformedShare))?,
    );
    Ok(Share::from_bytes(&bytes)?)
}

fn share_b64(share: &Share) -> String {
    b64::encode(share.to_bytes().as_slice())
}

/// A share as the services carry it.
fn share_blob(share: &Share) -> RpcResult<ShareBlob> {
    ShareBlob::new(share.to_bytes()).map_err(|_| RpcError::from(crate::Error::MalformedShare))
}

/// A share the services sent.
fn parse_blob(blob: &ShareBlob) -> RpcResult<Share> {
    Ok(Share::from_bytes(blob.as_bytes())?)
}

/// Awaits `flow`, then wipes the stack its frames used
/// ([`crate::secret::scrub_stack`]). Every flow that rebuilds, derives or
/// seals a secret runs inside one, so the scrub runs from a frame above all
/// of the flow's own (a flow cannot scrub the frame it is running in).
async fn scrubbed<T>(flow: impl core::future::Future<Output = T>) -> T {
    let out = flow.await;
    crate::secret::scrub_stack();
    out
}

/// Retries a call that failed for want of an answer (not one the service
/// refused): a lost response is repeated, which the API makes idempotent.
async fn with_retries<T, F, Fut>(mut call: F) -> Result<T, ServiceError>
where
    F: FnMut() -> Fut,
    Fut: core::future::Future<Output = Result<T, ServiceError>>,
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
