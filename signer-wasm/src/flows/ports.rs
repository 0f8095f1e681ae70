//! What the flows need from the world, as small traits: the two share
//! services, the device's share store, the consent hook and a clock.
//!
//! The browser implements them in `web/` (fetch, IndexedDB, Web Locks, User
//! Timing); the native flow tests implement them over HTTP against the real
//! services. The traits use `async fn` without `Send` bounds on purpose: the
//! signer runs in a single-threaded wasm32 realm, and nothing here is shared
//! across threads.
#![allow(async_fn_in_trait)]

use keyframe_wire::hot::{
    CommitRequest, CreateRequest, DeviceInfo, DeviceRef, RecoverRequest, RecoverResponse,
    RefreshRequest, RegisterRequest, VersionRef, WalletResponse,
};
use keyframe_wire::policy::{
    ActivityList, ActivityReport, ApprovalRequest, ApprovalResponse, PolicyState,
    RecoverWithIntent, SignedUserRules,
};
use keyframe_wire::shield::{ColdRecord, ColdRecordResponse};

use super::error::RpcError;
use super::types::{Entry, ServiceError, StoreError, Tokens};
use crate::authority::{AuthorityKey, WalletAuthority};
use crate::backup::BackupFile;
use crate::intent::Intent;
use crate::shares::{DeviceId, WalletId};

/// Hot storage's API (docs/api.md, "Hot storage"), in the wire crate's
/// types; `token` is the user's JWT.
///
/// The calls that take an `authority` cannot be undone; the implementation
/// serialises the body, signs that exact request with
/// [`WalletAuthority::sign_request`] at the current unix time and sends the
/// signature in the `Keyframe-Authority` header (docs/api.md, "Wallet
/// authority"). Each call (each retry too) signs afresh: a nonce is good
/// for one request.
pub trait HotStorage {
    /// The user's wallet, or `None` when the user has none yet.
    async fn wallet(&self, token: &Tokens) -> Result<Option<WalletResponse>, ServiceError>;
    async fn create(&self, token: &Tokens, body: &CreateRequest)
    -> Result<DeviceRef, ServiceError>;
    async fn register(
        &self,
        token: &Tokens,
        body: &RegisterRequest,
        authority: &WalletAuthority,
    ) -> Result<DeviceRef, ServiceError>;
    async fn recover(
        &self,
        token: &Tokens,
        body: &RecoverRequest,
    ) -> Result<RecoverResponse, ServiceError>;
    async fn refresh(
        &self,
        token: &Tokens,
        body: &RefreshRequest,
        authority: &WalletAuthority,
    ) -> Result<VersionRef, ServiceError>;
    async fn commit(
        &self,
        token: &Tokens,
        body: &CommitRequest,
        authority: &WalletAuthority,
    ) -> Result<VersionRef, ServiceError>;
    async fn list(&self, token: &Tokens, wallet: WalletId)
    -> Result<Vec<DeviceInfo>, ServiceError>;
    async fn revoke(
        &self,
        token: &Tokens,
        wallet: WalletId,
        device: DeviceId,
        authority: &WalletAuthority,
    ) -> Result<(), ServiceError>;
    /// Registers the authority key of a wallet that has none
    /// (`POST /v2/wallet/authority`; 409 once one is registered).
    async fn register_authority(
        &self,
        token: &Tokens,
        wallet: WalletId,
        key: &AuthorityKey,
    ) -> Result<(), ServiceError>;

    // The policy (docs/policy.md, "Enforced twice"; flows/policy.rs).

    /// `GET /v2/policy?wallet=`: the operator's policy, the user's signed
    /// rules and usage, the server's clock.
    async fn policy(&self, token: &Tokens, wallet: WalletId) -> Result<PolicyState, ServiceError>;
    /// `POST /v2/devices/recover` with the intent of the signature the
    /// share is for (and the webhook's approval when the effect is
    /// `approve`): hot storage evaluates the policy again before it
    /// releases the share.
    async fn recover_for(
        &self,
        token: &Tokens,
        body: &RecoverWithIntent,
    ) -> Result<RecoverResponse, ServiceError>;
    /// `POST /v2/policy/approvals`: the operator's approval webhook.
    async fn approval(
        &self,
        token: &Tokens,
        body: &ApprovalRequest,
    ) -> Result<ApprovalResponse, ServiceError>;
    /// `POST /v2/activity`: an outcome only the iFrame saw.
    async fn report(&self, token: &Tokens, body: &ActivityReport) -> Result<(), ServiceError>;
    /// `GET /v2/activity?wallet=&limit=`.
    async fn activity(
        &self,
        token: &Tokens,
        wallet: WalletId,
        limit: u32,
    ) -> Result<ActivityList, ServiceError>;
    /// `PUT /v2/policy/user-rules`, signed by the wallet's authority.
    async fn put_user_rules(
        &self,
        token: &Tokens,
        body: &SignedUserRules,
        authority: &WalletAuthority,
    ) -> Result<(), ServiceError>;
}

/// Shield's cold-share API (docs/api.md, "Shield"); `authority` as for
/// [`HotStorage`].
pub trait Shield {
    /// Stores the cold record with the wallet's authority key (`None` only
    /// for what an older iFrame sent).
    async fn create(
        &self,
        token: &Tokens,
        wallet: WalletId,
        record: &ColdRecord,
        authority: Option<&AuthorityKey>,
    ) -> Result<(), ServiceError>;
    async fn replace(
        &self,
        token: &Tokens,
        wallet: WalletId,
        record: &ColdRecord,
        authority: &WalletAuthority,
    ) -> Result<(), ServiceError>;
    /// The record with the authority key Shield holds for it.
    async fn get(
        &self,
        token: &Tokens,
        wallet: WalletId,
    ) -> Result<ColdRecordResponse, ServiceError>;
    /// Registers the authority key of a record that has none
    /// (`PUT /v1/cold-shares/{wallet}/authority`; 409 once one is).
    async fn register_authority(
        &self,
        token: &Tokens,
        wallet: WalletId,
        key: &AuthorityKey,
    ) -> Result<(), ServiceError>;
}

/// Where this device keeps its shares (IndexedDB in the browser, or memory
/// for the page's life where the browser gives none).
///
/// Entries are only ever added or deleted by exact key, never overwritten,
/// so two tabs that refresh at once can never lose each other's writes: the
/// worst case is an extra entry the next operation tries and drops
/// (docs/api.md, refresh protocol).
pub trait DeviceStore {
    /// Held while a device operation runs, across every tab that shares
    /// this store (Web Locks in the browser). A store without such a lock
    /// returns `()`: the add-or-delete-only entries keep races safe.
    type Lock<'a>
    where
        Self: 'a;

    /// Does the store outlive the page? (A device without persistent
    /// storage is registered as ephemeral.)
    fn is_persistent(&self) -> bool;
    /// The wallet's entries, newest version first.
    async fn entries(&self, wallet: WalletId) -> Result<Vec<Entry>, StoreError>;
    async fn put(&self, entry: &Entry) -> Result<(), StoreError>;
    async fn delete(&self, entry: &Entry) -> Result<(), StoreError>;
    /// Waits for the cross-tab device lock.
    async fn lock(&self) -> Self::Lock<'_>;

    /// The ids of the devices this browser has been for `wallet`, newest
    /// first. They are kept apart from the shares (localStorage in the
    /// browser, which outlives an eviction of IndexedDB) so that a recovery
    /// after the shares were lost can tell which registered device it
    /// replaces and revoke it. Best effort: a store that cannot keep them
    /// returns none, and the replaced device then only expires when idle.
    async fn remembered_devices(&self, wallet: WalletId) -> Vec<DeviceId>;
    /// Replaces that list (best effort, like the read).
    async fn remember_devices(&self, wallet: WalletId, devices: &[DeviceId]);
}

/// What a flow asks the user to approve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request<'a> {
    /// A new wallet (generated or imported).
    CreateWallet { imported: bool },
    /// Recovering the wallet on this device with a password typed on the
    /// screen (the flows do not ask: the iFrame shows it to collect the
    /// password).
    Recover,
    /// A signature; `method` is the RPC method that asks for it, `intent`
    /// what it signs in words (crate::intent), for the screen to show.
    Sign {
        method: &'a str,
        intent: Option<&'a Intent>,
    },
    /// Showing the secret inside the iFrame.
    Export,
    /// Re-sealing the cold share under another recovery method
    /// (`automatic`: a key the app's server holds).
    SetRecovery { automatic: bool },
    /// Deleting a device's hot share (rebuilds the key to sign the
    /// revocation).
    RevokeDevice { device: DeviceId },
    /// Switching to another EVM chain of the provider's list; `name` is
    /// the list's name for it.
    SwitchChain { chain_id: u64, name: &'a str },
    /// Writing a backup file of the cold share (rebuilds the key).
    DownloadBackup,
}

/// The consent hook: every flow that signs, exports, creates or imports a
/// wallet, changes recovery or revokes a device asks it first, and stops
/// with its error if it refuses.
///
/// The iFrame implements it with its approval screen (web/consent/); a
/// refusal answers 4001 `USER_REJECTED`. There is deliberately no
/// approve-everything implementation in the library: only the native flow
/// tests have one (tests/flow_support).
pub trait Consent {
    async fn approve(&self, request: &Request<'_>) -> Result<(), RpcError>;

    /// Asks about a signature the policy sends to the screen; where
    /// `offer_always`, the user may also choose to always allow requests
    /// like it from this origin (docs/policy.md, "The user's rules"): the
    /// answer is then how long, in seconds. A consent that offers no such
    /// choice just approves.
    async fn approve_sign(
        &self,
        request: &Request<'_>,
        offer_always: bool,
    ) -> Result<Option<u64>, RpcError> {
        let _ = offer_always;
        self.approve(request).await.map(|()| None)
    }

    /// Hands the user a backup file to keep (the iFrame offers it as a
    /// download) and returns once they confirmed they kept it; an error
    /// stops the flow before anything is stored. A consent without a place
    /// for files refuses.
    async fn keep_backup(&self, file: &BackupFile) -> Result<(), RpcError> {
        let _ = file;
        Err(RpcError::bad_params("backup files are not supported here"))
    }
}

/// Timing hooks: the browser records User Timing measures
/// (`keyframe:compute`, …) for the benchmarks; elsewhere they do nothing.
pub trait Clock {
    /// Milliseconds on a monotonic clock.
    fn now(&self) -> f64;
    /// Records that `name` took from `start` to now.
    fn measure(&self, name: &str, start: f64);
}

/// A clock that measures nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoClock;

impl Clock for NoClock {
    fn now(&self) -> f64 {
        0.0
    }
    fn measure(&self, _name: &str, _start: f64) {}
}
