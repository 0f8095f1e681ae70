//! The ports of tests/wipe.rs: small in-memory stand-ins for hot storage,
//! Shield, the device store and the consent screen
//! (tests/flow_support has the HTTP ones the native flow tests use), and
//! the flows built on them.

use std::cell::RefCell;
use std::rc::Rc;

use keyframe_signer::authority::WalletAuthority;
use keyframe_signer::evm;
use keyframe_signer::flows::{
    Consent, DeviceStore, Entry, Flows, HotStorage, NoClock, Request, RpcError, ServiceError,
    Shield, StoreError, Tokens,
};
use keyframe_signer::shares::{DeviceId, WalletId};
use keyframe_wire::AuthorityKey;
use keyframe_wire::ShareBlob;
use keyframe_wire::hot::{
    CommitRequest, CreateRequest, DeviceInfo, DeviceRef, Pending, RecoverRequest, RecoverResponse,
    RefreshRequest, RegisterRequest, VersionRef, WalletResponse,
};
use keyframe_wire::policy::{
    ActivityList, ActivityReport, ApprovalRequest, ApprovalResponse, PolicyState,
    RecoverWithIntent, SignedUserRules,
};
use keyframe_wire::shield::{ColdRecord, ColdRecordResponse};

pub fn api(status: u16, code: &str) -> ServiceError {
    ServiceError::Api {
        status,
        code: code.into(),
    }
}

pub struct Device {
    device: DeviceId,
    version: u64,
    split: keyframe_signer::shares::SplitId,
    share: ShareBlob,
    pending: Option<(u64, keyframe_signer::shares::SplitId, ShareBlob)>,
}

#[derive(Default)]
pub struct HotState {
    wallet: Option<WalletResponse>,
    primary: Option<(keyframe_signer::shares::SplitId, ShareBlob)>,
    devices: Vec<Device>,
}

/// Hot storage for one user, in memory.
#[derive(Clone, Default)]
pub struct MemHot(Rc<RefCell<HotState>>);

impl HotStorage for MemHot {
    async fn wallet(&self, _token: &Tokens) -> Result<Option<WalletResponse>, ServiceError> {
        Ok(self.0.borrow().wallet.clone())
    }

    async fn create(
        &self,
        _token: &Tokens,
        body: &CreateRequest,
    ) -> Result<DeviceRef, ServiceError> {
        let mut s = self.0.borrow_mut();
        if s.wallet.is_some() {
            return Err(api(409, "WALLET_EXISTS"));
        }
        s.wallet = Some(WalletResponse {
            wallet: body.wallet,
            kind: body.kind,
            addresses: body.addresses.clone(),
            created_at: "2026-01-01T00:00:00Z".into(),
            authority: body.authority,
        });
        s.primary = Some((body.primary.split, body.primary.share.clone()));
        let device = body.device.as_ref().map(|d| d.device);
        if let Some(d) = &body.device {
            s.devices.push(Device {
                device: d.device,
                version: 0,
                split: d.split,
                share: d.share.clone(),
                pending: None,
            });
        }
        Ok(DeviceRef {
            wallet: body.wallet,
            device,
            version: 0,
        })
    }

    async fn register(
        &self,
        _token: &Tokens,
        body: &RegisterRequest,
        _authority: &WalletAuthority,
    ) -> Result<DeviceRef, ServiceError> {
        self.0.borrow_mut().devices.push(Device {
            device: body.device,
            version: 0,
            split: body.split,
            share: body.share.clone(),
            pending: None,
        });
        Ok(DeviceRef {
            wallet: body.wallet,
            device: Some(body.device),
            version: 0,
        })
    }

    async fn recover(
        &self,
        _token: &Tokens,
        body: &RecoverRequest,
    ) -> Result<RecoverResponse, ServiceError> {
        let s = self.0.borrow();
        let w = s.wallet.as_ref().ok_or_else(|| api(404, "NOT_FOUND"))?;
        let (device, version, split, share, pending) = match body.device {
            None => {
                let (split, share) = s.primary.as_ref().ok_or_else(|| api(404, "NOT_FOUND"))?;
                (DeviceId::RECOVERY, 0, *split, share.clone(), None)
            }
            Some(id) => {
                let d = s
                    .devices
                    .iter()
                    .find(|d| {
                        d.device == id
                            && body.version.is_none_or(|v| v == d.version)
                            && body.split.is_none_or(|x| x == d.split)
                    })
                    .ok_or_else(|| api(404, "NOT_FOUND"))?;
                let pending = d.pending.as_ref().map(|(version, split, _)| Pending {
                    version: *version,
                    split: *split,
                });
                (d.device, d.version, d.split, d.share.clone(), pending)
            }
        };
        Ok(RecoverResponse {
            wallet: w.wallet,
            device,
            version,
            split,
            share,
            kind: w.kind,
            addresses: w.addresses.clone(),
            pending,
        })
    }

    async fn refresh(
        &self,
        _token: &Tokens,
        body: &RefreshRequest,
        _authority: &WalletAuthority,
    ) -> Result<VersionRef, ServiceError> {
        let mut s = self.0.borrow_mut();
        let d = s
            .devices
            .iter_mut()
            .find(|d| d.device == body.device && d.version == body.version)
            .ok_or_else(|| api(409, "STALE_VERSION"))?;
        d.pending = Some((body.version + 1, body.split, body.share.clone()));
        Ok(VersionRef {
            wallet: body.wallet,
            device: body.device,
            version: body.version + 1,
            split: body.split,
        })
    }

    async fn commit(
        &self,
        _token: &Tokens,
        body: &CommitRequest,
        _authority: &WalletAuthority,
    ) -> Result<VersionRef, ServiceError> {
        let mut s = self.0.borrow_mut();
        let d = s
            .devices
            .iter_mut()
            .find(|d| d.device == body.device)
            .ok_or_else(|| api(404, "NOT_FOUND"))?;
        match d.pending.take() {
            Some((version, split, share)) if version == body.version && split == body.split => {
                d.version = version;
                d.split = split;
                d.share = share;
            }
            other => {
                d.pending = other;
                return Err(api(409, "STALE_VERSION"));
            }
        }
        Ok(VersionRef {
            wallet: body.wallet,
            device: body.device,
            version: body.version,
            split: body.split,
        })
    }

    async fn list(
        &self,
        _token: &Tokens,
        _wallet: WalletId,
    ) -> Result<Vec<DeviceInfo>, ServiceError> {
        Ok(Vec::new())
    }

    async fn revoke(
        &self,
        _token: &Tokens,
        _wallet: WalletId,
        device: DeviceId,
        _authority: &WalletAuthority,
    ) -> Result<(), ServiceError> {
        self.0.borrow_mut().devices.retain(|d| d.device != device);
        Ok(())
    }

    async fn register_authority(
        &self,
        _token: &Tokens,
        _wallet: WalletId,
        key: &AuthorityKey,
    ) -> Result<(), ServiceError> {
        if let Some(w) = self.0.borrow_mut().wallet.as_mut() {
            w.authority = Some(*key);
        }
        Ok(())
    }

    // The policy: this in-memory hot storage asks about everything and
    // keeps no log (the policy's own tests run against the real service,
    // tests/flow_policy.rs); the memory scan covers the signing path.
    async fn policy(&self, _t: &Tokens, _w: WalletId) -> Result<PolicyState, ServiceError> {
        Ok(PolicyState {
            operator: keyframe_policy::Document {
                version: 1,
                default: keyframe_policy::Effect::Ask,
                rules: Vec::new(),
            },
            user_rules: None,
            usage: Vec::new(),
            now: (js_sys::Date::now() / 1000.0) as u64,
        })
    }
    async fn recover_for(
        &self,
        t: &Tokens,
        body: &RecoverWithIntent,
    ) -> Result<RecoverResponse, ServiceError> {
        self.recover(t, &body.clone().split_off().0).await
    }
    async fn approval(
        &self,
        _t: &Tokens,
        _b: &ApprovalRequest,
    ) -> Result<ApprovalResponse, ServiceError> {
        Err(api(403, "POLICY_DENIED"))
    }
    async fn report(&self, _t: &Tokens, _b: &ActivityReport) -> Result<(), ServiceError> {
        Ok(())
    }
    async fn activity(
        &self,
        _t: &Tokens,
        _w: WalletId,
        _limit: u32,
    ) -> Result<ActivityList, ServiceError> {
        Ok(ActivityList {
            entries: Vec::new(),
        })
    }
    async fn put_user_rules(
        &self,
        _t: &Tokens,
        _b: &SignedUserRules,
        _a: &WalletAuthority,
    ) -> Result<(), ServiceError> {
        Ok(())
    }
}

/// What Shield holds for the one wallet: its record and authority key.
pub type Held = Option<(ColdRecord, Option<AuthorityKey>)>;

/// Shield for one user, in memory.
#[derive(Clone, Default)]
pub struct MemShield(Rc<RefCell<Held>>);

impl Shield for MemShield {
    async fn create(
        &self,
        _token: &Tokens,
        _wallet: WalletId,
        record: &ColdRecord,
        authority: Option<&AuthorityKey>,
    ) -> Result<(), ServiceError> {
        *self.0.borrow_mut() = Some((record.clone(), authority.copied()));
        Ok(())
    }

    async fn replace(
        &self,
        _token: &Tokens,
        _wallet: WalletId,
        record: &ColdRecord,
        _authority: &WalletAuthority,
    ) -> Result<(), ServiceError> {
        if let Some(held) = self.0.borrow_mut().as_mut() {
            held.0 = record.clone();
        }
        Ok(())
    }

    async fn get(
        &self,
        _token: &Tokens,
        wallet: WalletId,
    ) -> Result<ColdRecordResponse, ServiceError> {
        let (record, authority) = self
            .0
            .borrow()
            .clone()
            .ok_or_else(|| api(404, "NOT_FOUND"))?;
        Ok(ColdRecordResponse {
            wallet,
            record,
            created_at: "2026-01-01T00:00:00Z".into(),
            updated_at: "2026-01-01T00:00:00Z".into(),
            authority,
        })
    }

    async fn register_authority(
        &self,
        _token: &Tokens,
        _wallet: WalletId,
        key: &AuthorityKey,
    ) -> Result<(), ServiceError> {
        if let Some(held) = self.0.borrow_mut().as_mut() {
            held.1 = Some(*key);
        }
        Ok(())
    }
}

/// One browser's device store, in memory.
#[derive(Default)]
pub struct MemStore(RefCell<Vec<Entry>>);

impl DeviceStore for MemStore {
    type Lock<'a> = ();

    fn is_persistent(&self) -> bool {
        true
    }

    async fn entries(&self, wallet: WalletId) -> Result<Vec<Entry>, StoreError> {
        let mut out: Vec<Entry> = self
            .0
            .borrow()
            .iter()
            .filter(|e| e.wallet == wallet)
            .cloned()
            .collect();
        out.sort_by_key(|e| std::cmp::Reverse(e.version));
        Ok(out)
    }

    async fn put(&self, entry: &Entry) -> Result<(), StoreError> {
        let mut all = self.0.borrow_mut();
        if !all.iter().any(|e| e.key() == entry.key()) {
            all.push(entry.clone());
        }
        Ok(())
    }

    async fn delete(&self, entry: &Entry) -> Result<(), StoreError> {
        self.0.borrow_mut().retain(|e| e.key() != entry.key());
        Ok(())
    }

    async fn lock(&self) -> Self::Lock<'_> {}

    /// Keeps no device ids (the memory scan has one device per browser).
    async fn remembered_devices(&self, _wallet: WalletId) -> Vec<DeviceId> {
        Vec::new()
    }
    async fn remember_devices(&self, _wallet: WalletId, _devices: &[DeviceId]) {}
}

/// The person who clicks "Approve" (the iFrame's screen in production).
pub struct Approve;

impl Consent for Approve {
    async fn approve(&self, _request: &Request<'_>) -> Result<(), RpcError> {
        Ok(())
    }
}

pub type MemFlows = Flows<MemHot, MemShield, MemStore, Approve, NoClock>;

pub fn flows(hot: &MemHot, shield: &MemShield) -> MemFlows {
    Flows::with(
        hot.clone(),
        shield.clone(),
        MemStore::default(),
        Approve,
        NoClock,
    )
}

pub fn tokens() -> Tokens {
    Tokens::new("a.jwt.token", "a.jwt.token")
}

/// Signs a `personal_sign` with this device's pair and runs the refresh
/// that follows; answers the signature as hex.
pub async fn personal_sign(f: &MemFlows) -> String {
    let wallet = f.wallet(&tokens()).await.unwrap().unwrap();
    let message = b"wipe me".to_vec();
    let request = Request::Sign {
        method: "personal_sign",
        intent: None,
    };
    // The path the iFrame takes: the policy first (flows/policy.rs).
    let intent = keyframe_policy::Intent::new(keyframe_policy::Kind::EvmMessage);
    let signed = f
        .sign_with_key(&tokens(), &wallet, &request, &intent, &[], |secret| {
            let key = secret.evm_signing_key(0)?;
            Ok(evm::signature_hex(&evm::personal_sign(&key, &message)?))
        })
        .await
        .unwrap();
    let answer = signed.answer;
    f.refresh(signed.refresh).await;
    answer
}
