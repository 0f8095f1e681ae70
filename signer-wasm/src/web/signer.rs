//! The iFrame's session (token, wallet, chain, port) and the request loop:
//! parse a request from the port, run its method from the method table
//! (methods/), answer, and only then refresh the device's pair (off the
//! latency path). The share protocols themselves are the core's
//! ([`crate::flows`]).

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use keyframe_json::json;
use serde_json::Value;
use web_sys::MessagePort;

use super::bench::{self, WebClock};
use super::consent::{Catalog, RequestCtx, ScreenConsent, Tagged, intent_context};
use super::handover::{self, Busy};
use super::methods::{self, Route};
use super::rpc;
use super::services::{HotStorageApi, ShieldApi};
use super::store::ShareStore;
use crate::Reason;
use crate::flows::{self, Flows, Request, RpcError, RpcResult, Tokens, WalletRecord};
use crate::intent::{Context, Intent};
use crate::secret::WalletSecret;
use keyframe_policy::Intent as PolicyIntent;

/// The flows as the browser runs them.
pub type WebFlows = Flows<HotStorageApi, ShieldApi, ShareStore, ScreenConsent, WebClock>;
/// A refresh owed after a method that used the key.
pub type Refresh<'a> = flows::Refresh<'a, ShareStore>;
/// What a method answers, and the refresh that follows it (if it used the key).
pub type Answer<'a> = RpcResult<(Value, Option<Refresh<'a>>)>;

pub struct Signer {
    pub(super) flows: WebFlows,
    port: RefCell<Option<MessagePort>>,
    /// The user's tokens, one per service (wiped when replaced or dropped).
    pub(super) token: RefCell<Option<Tokens>>,
    wallet: RefCell<Option<WalletRecord>>,
    pub(super) chain_id: Cell<u64>,
    /// The provider's chain and token lists, read at boot.
    pub(super) catalog: Catalog,
    /// The requests running now (web/handover.rs waits for none).
    pub(super) busy: Busy,
    /// Loads the second module and resolves to its `adoptSession`; set by
    /// the first module's boot (iframe-host/boot.js).
    pub(super) second_module: RefCell<Option<js_sys::Function>>,
    /// Once a handover began, the messages it queues for the second module.
    pub(super) handover: RefCell<Option<js_sys::Array>>,
}

impl Signer {
    pub fn new(hot: HotStorageApi, shield: ShieldApi, store: ShareStore, catalog: Catalog) -> Self {
        let start = catalog.chains.starting_chain(None);
        Signer {
            flows: Flows::with(hot, shield, store, ScreenConsent::new(), WebClock),
            port: RefCell::new(None),
            token: RefCell::new(None),
            wallet: RefCell::new(None),
            chain_id: Cell::new(start),
            catalog,
            busy: Busy::default(),
            second_module: RefCell::new(None),
            handover: RefCell::new(None),
        }
    }

    /// The connection is pinned. The document starts on `chain` (the one
    /// the host named at `connect`) when the provider lists it, else on the
    /// list's first chain; only switches away from it are asked.
    pub fn attach(&self, port: MessagePort, parent_origin: String, chain: Option<u64>) {
        let start = self.catalog.chains.starting_chain(chain);
        self.chain_id.set(start);
        self.flows.consent.start_at(start);
        self.flows.consent.attach(port.clone(), parent_origin);
        *self.port.borrow_mut() = Some(port);
    }

    /// The session went to the second module (web/handover.rs): this
    /// module answers nothing more.
    pub(super) fn retire(&self) {
        self.port.borrow_mut().take();
    }

    /// The pinned port, if any.
    pub(super) fn port(&self) -> Option<MessagePort> {
        self.port.borrow().clone()
    }

    /// While a handover is under way, queues `text` for the second module
    /// and says so. A `keyframe_cancel` reaches this module's screen too:
    /// the requests the handover waits for may be on it.
    pub(super) fn queue_for_handover(&self, text: &str) -> bool {
        let handover = self.handover.borrow();
        let Some(queue) = handover.as_ref() else {
            return false;
        };
        if let Some(id) = rpc::cancelled(text) {
            self.flows.consent.cancel(&id);
        }
        queue.push(&wasm_bindgen::JsValue::from_str(text));
        true
    }

    /// The port closed: every request waiting on the screen is abandoned.
    pub fn detach(&self) {
        self.flows.consent.cancel_all();
    }

    /// What requests of this session are judged against when described.
    pub(super) fn intent_context(&self) -> Context {
        let wallet = self.current_wallet();
        intent_context(
            self.flows.consent.origin(),
            wallet.as_ref(),
            self.chain_id.get(),
            &self.catalog,
        )
    }

    /// Sends `message` to the host over the pinned port. Taken by value,
    /// as keyframe-json's `to_string` consumes the tree: no caller uses a
    /// message after posting it. Nothing posted is secret (an export shows
    /// its secret inside the iFrame and answers `{ "ok": true }`).
    pub(super) fn post(&self, message: Value) {
        let Some(port) = self.port.borrow().clone() else {
            return;
        };
        if let Ok(value) = js_sys::JSON::parse(&keyframe_json::to_string(message)) {
            let _ = port.post_message(&value);
        }
    }

    pub(super) fn emit(&self, kind: &str, data: Value) {
        self.post(rpc::notification(
            "keyframe_event",
            json!({ "type": kind, "data": data }),
        ));
    }

    pub(super) fn set_ui_visible(&self, visible: bool) {
        self.post(rpc::notification(
            "keyframe_ui",
            json!({ "visible": visible }),
        ));
    }

    pub(super) fn accounts(&self) -> Vec<String> {
        self.wallet
            .borrow()
            .as_ref()
            .map(|w| vec![w.addresses.evm.clone()])
            .unwrap_or_default()
    }

    pub(super) fn current_wallet(&self) -> Option<WalletRecord> {
        self.wallet.borrow().clone()
    }

    /// The wallet the first module knew (web/handover.rs): no event, the
    /// host saw it already.
    #[cfg(feature = "all-methods")]
    pub(super) fn restore_wallet(&self, wallet: Option<WalletRecord>) {
        *self.wallet.borrow_mut() = wallet;
    }

    pub(super) fn set_wallet(&self, wallet: Option<WalletRecord>) {
        let before = self.accounts();
        *self.wallet.borrow_mut() = wallet;
        let after = self.accounts();
        if before != after {
            self.emit("accountsChanged", json!(after));
        }
    }

    /// Handles one request from the port and answers it; a method that used
    /// the key then refreshes the device's pair.
    pub async fn handle(self: &Rc<Self>, text: &str) {
        // Checked as the request starts, not as it arrives: a request
        // spawned before a handover began may start after (web/handover.rs).
        if self.queue_for_handover(text) {
            return;
        }
        let start = bench::now();
        let running = self.busy.start();
        if let Some(id) = rpc::cancelled(text) {
            return self.flows.consent.cancel(&id);
        }
        let request = match rpc::parse(text) {
            Ok(r) => r,
            Err(Some(id)) => {
                let e = RpcError::new(
                    flows::error::INVALID_REQUEST,
                    Reason::BadRequest,
                    "not a JSON-RPC 2.0 request",
                );
                return self.post(rpc::error(&id, &e));
            }
            Err(None) => return,
        };
        let ctx = RequestCtx::new(&request.id, start);
        let outcome = match methods::find(&request.method) {
            Some(Route::Here(method)) => {
                Tagged::new(ctx.clone(), method(self, &request.params.0)).await
            }
            Some(Route::SecondModule) => {
                drop(running);
                return handover::hand_over(self, text, &request.id).await;
            }
            None => Err(RpcError::unsupported(&request.method)),
        };
        let (answer, refresh) = match outcome {
            Ok((value, refresh)) => (rpc::result(&request.id, value), refresh),
            Err(e) => (rpc::error(&request.id, &e), None),
        };
        self.post(answer);
        self.flows.consent.answered();
        bench::measure("keyframe:dispatch", start);
        if let Some(clicked) = ctx.approved_at() {
            bench::measure("keyframe:approve-answer", clicked);
        }
        // The handler's frames held the recovery key, the token or typed
        // secrets (params.rs, web/methods/): wiped once the answer is
        // out, so the 256 KiB scrub is not on the request's latency path.
        crate::secret::scrub_stack();
        if let Some(refresh) = refresh {
            let start = bench::now();
            self.flows.refresh(refresh).await;
            bench::measure("keyframe:refresh", start);
        }
    }

    pub(super) fn token(&self) -> RpcResult<Tokens> {
        self.token
            .borrow()
            .clone()
            .ok_or_else(RpcError::auth_required)
    }

    /// The token and the user's wallet, or the reason there is none.
    pub(super) fn session(&self) -> RpcResult<(Tokens, WalletRecord)> {
        let token = self.token()?;
        let wallet = self
            .wallet
            .borrow()
            .clone()
            .ok_or_else(RpcError::no_wallet)?;
        Ok((token, wallet))
    }

    pub(super) fn check_evm_address(&self, address: &str) -> RpcResult<()> {
        let (_, wallet) = self.session()?;
        if address.eq_ignore_ascii_case(&wallet.addresses.evm) {
            Ok(())
        } else {
            Err(RpcError::new(
                flows::error::UNAUTHORIZED,
                Reason::BadRequest,
                "address is not this wallet's",
            ))
        }
    }

    /// Runs `op` under the key for `method` once the policy let `policy`
    /// through (and the user approved what `intent` describes, where the
    /// policy asks the screen); the refresh follows the answer.
    pub(super) async fn sign<F>(
        &self,
        method: &str,
        intent: &Intent,
        policy: &PolicyIntent,
        parts: &[PolicyIntent],
        op: F,
    ) -> Answer<'_>
    where
        F: FnOnce(&WalletSecret) -> RpcResult<Value>,
    {
        let (token, wallet) = self.session()?;
        let signed = self
            .flows
            .sign_with_key(
                &token,
                &wallet,
                &Request::Sign {
                    method,
                    intent: Some(intent),
                },
                policy,
                parts,
                op,
            )
            .await?;
        Ok((signed.answer, Some(signed.refresh)))
    }
}
