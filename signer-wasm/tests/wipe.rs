//! Secrets are wiped (issue 11, item 6): the core flows import a wallet from
//! a known mnemonic with a known password, recover it with the password on a
//! fresh device store, and sign a `personal_sign`; an automatic wallet is
//! created and recovered with its recovery key and signs too. After each
//! phase, once what it made is dropped, the module's whole linear memory
//! (heap, data and the shadow stack) is searched for the mnemonic, the
//! password, the entropy, the BIP-39 seed, the EVM and Solana private keys
//! and the recovery key (raw and as base64url text). None may be found.
//!
//! The test's own copies never sit in linear memory: the secrets are
//! written in this file reversed (text) or as hex (bytes), and only
//! JavaScript turns them into the real bytes, kept in JS buffers. What
//! enters the module is what the iFrame also receives: the phrase and the
//! password as strings typed into its inputs (web/consent/dom.rs reads them
//! into `Zeroizing<String>`), the recovery key as the dApp's base64url
//! text. The expected addresses (public) prove the needles are the right
//! ones, and a planted copy proves the search finds what is there.
//!
//! The ports are small in-memory stand-ins for hot storage, Shield, the
//! device store and the consent screen (tests/flow_support has the HTTP
//! ones the native flow tests use).
//!
//! `cargo test -p keyframe-signer --target wasm32-unknown-unknown --test wipe`

#![cfg(target_arch = "wasm32")]
// Tests panic on failure by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Function, Uint8Array};
use keyframe_signer::authority::WalletAuthority;
use keyframe_signer::evm;
use keyframe_signer::flows::{
    Consent, DeviceStore, Entry, Flows, HotStorage, NoClock, Recovery, Request, RpcError,
    ServiceError, Shield, StoreError, Tokens,
};
use keyframe_signer::recovery::RecoveryKey;
use keyframe_signer::secret::WalletSecret;
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
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;
use zeroize::Zeroizing;

// ---------- The secrets, in forms that are not their bytes ----------

/// The mnemonic, reversed character by character.
const MNEMONIC_REVERSED: &str = "esuolb trela pmats cincip ytiliba pleh nmutua fael ssorc eltserw yrellag elpoep etuc luos ksed loop emerpus elcric tfil nori mrala eikoor aedi noom";
/// The recovery password, reversed.
const PASSWORD_REVERSED: &str = "4kcurt-elpats-esroh-yrettab-elppa";
/// The automatic wallet's recovery key, base64url, reversed.
const RECOVERY_KEY_REVERSED: &str = "U833u4KQHNHEQpQHiccI9Ak89LFAhUuIkW7CRAqgM1q";
/// The mnemonic's entropy (32 bytes), hex.
const ENTROPY_HEX: &str = "8f8e0eef02e76502ca4ecfa8077f3e9b5a2cbe3f91a07ea1f5ac001a43a8c188";
/// Its BIP-39 seed (empty passphrase), hex.
const SEED_HEX: &str = "849ceb95381fa23f609ab9c4237ae4702711a04a37bbc9c1d838e4602d5095c6db2ff47a3dd14cf7cc46098031b6518c7d8cc9d2501e3d83283825d3291eeab2";
/// Its EVM key at m/44'/60'/0'/0/0, hex.
const EVM_KEY_HEX: &str = "b4db8dd9f92f0bf4263d8ec0019a0c6003162877f4c437419b3326d0615cacba";
/// Its Solana key at m/44'/501'/0'/0' (the ed25519 seed), hex.
const SOLANA_KEY_HEX: &str = "d9030fd36bf20e10acf725f31ffcf9da9ada11ec74403e888afb231320c9357d";
/// The public addresses of those keys (computed outside this module with
/// @scure/bip32, viem and node:crypto): they prove the needles above are
/// the wallet's.
const EVM_ADDRESS: &str = "0x17C2e2C042c42e28f82fFAB7ec2F3d3364dE9F51";
const SOLANA_ADDRESS: &str = "9JZvC3iXgSthnzrfe7ke6Aso79iko8hhaWxmML6tcQnv";

/// JavaScript helpers (their source is no secret).
struct Js {
    reveal: Function,
    utf8: Function,
    hex: Function,
    base64url: Function,
    find: Function,
}

impl Js {
    fn new() -> Js {
        Js {
            reveal: Function::new_with_args("s", "return Array.from(s).reverse().join('')"),
            utf8: Function::new_with_args("s", "return new TextEncoder().encode(s)"),
            hex: Function::new_with_args(
                "h",
                "return Uint8Array.from(h.match(/../g).map((x) => parseInt(x, 16)))",
            ),
            base64url: Function::new_with_args(
                "s",
                "return new Uint8Array(Buffer.from(s, 'base64url'))",
            ),
            // The offset of `needle` in the memory's current buffer, or -1.
            find: Function::new_with_args(
                "memory, needle",
                "return Buffer.from(memory.buffer).indexOf(Buffer.from(needle))",
            ),
        }
    }

    /// A reversed secret, turned into a JS string (not in linear memory).
    fn reveal(&self, reversed: &str) -> JsValue {
        self.reveal
            .call1(&JsValue::NULL, &JsValue::from_str(reversed))
            .unwrap()
    }

    fn bytes(&self, f: &Function, arg: &JsValue) -> Uint8Array {
        f.call1(&JsValue::NULL, arg).unwrap().unchecked_into()
    }

    /// Where `needle` is in the module's linear memory.
    fn find(&self, needle: &Uint8Array) -> Option<u32> {
        let at = self
            .find
            .call2(&JsValue::NULL, &wasm_bindgen::memory(), needle)
            .unwrap()
            .as_f64()
            .unwrap();
        (at >= 0.0).then_some(at as u32)
    }
}

/// Copies `needle` into a stack array and returns (the frame is left as
/// it was); answers the array's address.
#[inline(never)]
fn plant_on_stack(needle: &Uint8Array) -> usize {
    let mut local = [0u8; 32];
    needle.copy_to(&mut local);
    core::hint::black_box(&local);
    &local as *const _ as usize
}

/// A JS string into the module, as the iFrame reads an input's value.
fn typed(value: JsValue) -> Zeroizing<String> {
    Zeroizing::new(value.as_string().unwrap())
}

/// Every secret to search for, as JS buffers.
fn needles(js: &Js) -> Vec<(&'static str, Uint8Array)> {
    let key_text = js.reveal(RECOVERY_KEY_REVERSED);
    vec![
        (
            "mnemonic",
            js.bytes(&js.utf8, &js.reveal(MNEMONIC_REVERSED)),
        ),
        (
            "password",
            js.bytes(&js.utf8, &js.reveal(PASSWORD_REVERSED)),
        ),
        ("entropy", js.bytes(&js.hex, &ENTROPY_HEX.into())),
        ("BIP-39 seed", js.bytes(&js.hex, &SEED_HEX.into())),
        ("EVM private key", js.bytes(&js.hex, &EVM_KEY_HEX.into())),
        (
            "Solana private key",
            js.bytes(&js.hex, &SOLANA_KEY_HEX.into()),
        ),
        ("recovery key", js.bytes(&js.base64url, &key_text)),
        ("recovery key (base64url)", js.bytes(&js.utf8, &key_text)),
    ]
}

/// The names (and offsets) of the secrets found in linear memory.
fn found(js: &Js) -> Vec<String> {
    needles(js)
        .iter()
        .filter_map(|(name, needle)| js.find(needle).map(|at| format!("{name} at {at:#x}")))
        .collect()
}

// ---------- In-memory ports ----------

fn api(status: u16, code: &str) -> ServiceError {
    ServiceError::Api {
        status,
        code: code.into(),
    }
}

struct Device {
    device: DeviceId,
    version: u64,
    split: keyframe_signer::shares::SplitId,
    share: ShareBlob,
    pending: Option<(u64, keyframe_signer::shares::SplitId, ShareBlob)>,
}

#[derive(Default)]
struct HotState {
    wallet: Option<WalletResponse>,
    primary: Option<(keyframe_signer::shares::SplitId, ShareBlob)>,
    devices: Vec<Device>,
}

/// Hot storage for one user, in memory.
#[derive(Clone, Default)]
struct MemHot(Rc<RefCell<HotState>>);

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
type Held = Option<(ColdRecord, Option<AuthorityKey>)>;

/// Shield for one user, in memory.
#[derive(Clone, Default)]
struct MemShield(Rc<RefCell<Held>>);

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
struct MemStore(RefCell<Vec<Entry>>);

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
struct Approve;

impl Consent for Approve {
    async fn approve(&self, _request: &Request<'_>) -> Result<(), RpcError> {
        Ok(())
    }
}

type MemFlows = Flows<MemHot, MemShield, MemStore, Approve, NoClock>;

fn flows(hot: &MemHot, shield: &MemShield) -> MemFlows {
    Flows::with(
        hot.clone(),
        shield.clone(),
        MemStore::default(),
        Approve,
        NoClock,
    )
}

fn tokens() -> Tokens {
    Tokens::new("a.jwt.token", "a.jwt.token")
}

/// Signs a `personal_sign` with this device's pair and runs the refresh
/// that follows; answers the signature as hex.
async fn personal_sign(f: &MemFlows) -> String {
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

/// Asserts that no secret is in linear memory after `phase`.
fn assert_clean(js: &Js, phase: &str) {
    let left = found(js);
    assert!(
        left.is_empty(),
        "secrets left in linear memory after {phase}: {left:?}"
    );
}

/// Imports the mnemonic under the password on a first device store and
/// signs there. Answers the imported wallet's addresses.
async fn import_and_sign(js: &Js, hot: &MemHot, shield: &MemShield) -> (String, Option<String>) {
    let first = flows(hot, shield);
    let phrase = typed(js.reveal(MNEMONIC_REVERSED));
    let password = typed(js.reveal(PASSWORD_REVERSED));
    let secret = WalletSecret::from_mnemonic(&phrase).unwrap();
    drop(phrase);
    let created = first
        .create(&tokens(), secret, &Recovery::Password(password), true)
        .await
        .unwrap();
    assert_clean(js, "importing");
    personal_sign(&first).await;
    assert_clean(js, "signing after the import");
    (
        created.wallet.addresses.evm,
        created.wallet.addresses.solana,
    )
}

/// Recovers that wallet with the password on a fresh device store, and
/// signs there.
async fn recover_and_sign(js: &Js, hot: &MemHot, shield: &MemShield) {
    let second = flows(hot, shield);
    let password = typed(js.reveal(PASSWORD_REVERSED));
    second
        .recover(&tokens(), &Recovery::Password(password))
        .await
        .unwrap();
    assert_clean(js, "recovering with the password");
    personal_sign(&second).await;
    assert_clean(js, "signing after the recovery");
}

/// An automatic wallet: made with the recovery key, recovered with it on a
/// fresh store, and signing there.
async fn automatic_wallet(js: &Js) {
    let hot = MemHot::default();
    let shield = MemShield::default();
    {
        let first = flows(&hot, &shield);
        let text = typed(js.reveal(RECOVERY_KEY_REVERSED));
        let key = RecoveryKey::from_base64url(&text).unwrap();
        drop(text);
        let secret = WalletSecret::generate_os().unwrap();
        first
            .create(&tokens(), secret, &Recovery::Automatic(key), false)
            .await
            .unwrap();
        assert_clean(js, "creating the automatic wallet");
    }
    let second = flows(&hot, &shield);
    let text = typed(js.reveal(RECOVERY_KEY_REVERSED));
    let key = RecoveryKey::from_base64url(&text).unwrap();
    drop(text);
    second
        .recover(&tokens(), &Recovery::Automatic(key))
        .await
        .unwrap();
    assert_clean(js, "recovering with the key");
    personal_sign(&second).await;
}

#[wasm_bindgen_test]
async fn no_secret_is_left_in_linear_memory() {
    let js = Js::new();

    // The search finds a secret that is there: plant the EVM key, find
    // it, wipe it, and it is gone.
    {
        let needle = js.bytes(&js.hex, &EVM_KEY_HEX.into());
        let mut planted = Zeroizing::new(vec![0u8; 32]);
        needle.copy_to(&mut planted);
        assert!(
            js.find(&needle).is_some(),
            "the search misses a planted key"
        );
        drop(planted);
        assert_eq!(js.find(&needle), None, "a zeroized copy is still found");
    }
    // ... and on the stack: a frame that held the key and returned leaves
    // it there, where the search must find it.
    {
        let needle = js.bytes(&js.hex, &EVM_KEY_HEX.into());
        let at = plant_on_stack(&needle);
        assert!(
            js.find(&needle).is_some(),
            "the search misses a key left on the stack at {at:#x}"
        );
        keyframe_signer::secret::scrub_stack();
        assert_eq!(js.find(&needle), None, "a scrubbed stack still holds it");
    }
    // Nothing is there before the flows (the needles are right, the
    // module does not carry them).
    assert_eq!(found(&js), Vec::<String>::new(), "secrets before the flows");

    // Each phase is searched for as soon as it is over, so what a later
    // phase overwrites cannot hide what an earlier one left.
    let hot = MemHot::default();
    let shield = MemShield::default();
    let (evm_address, solana_address) = import_and_sign(&js, &hot, &shield).await;
    assert_eq!(
        evm_address, EVM_ADDRESS,
        "the mnemonic is not the one of the needles"
    );
    assert_eq!(solana_address.as_deref(), Some(SOLANA_ADDRESS));
    assert_clean(&js, "importing and signing");

    recover_and_sign(&js, &hot, &shield).await;
    assert_clean(&js, "recovering with the password and signing");
    drop((hot, shield));
    assert_clean(&js, "dropping the services");

    automatic_wallet(&js).await;
    assert_clean(&js, "the automatic wallet");
}
