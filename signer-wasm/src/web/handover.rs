//! The iFrame's two modules: one session handed from the first to the
//! second.
//!
//! The page loads the first module (`iframe-host/pkg/`), built without the
//! `all-methods` feature: it answers every method but those of
//! [`in_second_module`](super::methods::in_second_module) — the wallet's
//! lifecycle, the simulator, the activity log — and is the smaller by what
//! only they reach (bench/SIZE.md, "Two modules"). The first request for one
//! of them makes it load the second module (`iframe-host/pkg-all/`, every
//! method) and hand the session over:
//!
//! 1. from that request on, the port's messages are queued, not handled (a
//!    `keyframe_cancel` still reaches the first module's screen too);
//! 2. the requests already running finish, their refresh included, so the
//!    page never shows two screens and the device's pair is not written by
//!    both modules at once;
//! 3. the first module's screen leaves the document, and the second module
//!    is given the port, the session ([`HandedSession`]: the parent's
//!    origin, the chain, the chains the user let the page switch to, the
//!    tokens, the wallet, and the device's shares where they live in
//!    memory), the DPoP key pair (WebCrypto `CryptoKey`s, passed as
//!    themselves: the private half stays unextractable) and the queue;
//! 4. the second module takes the port and answers the queue in order; the
//!    first answers nothing more.
//!
//! Everything the second module can fail at (its download, the provider's
//! configuration, the storage) comes before it takes the port. If it fails,
//! the first module puts its screen back, answers the request
//! `SIGNER_UNAVAILABLE` and handles the queued requests itself.
//!
//! The session crosses as JavaScript values inside the iFrame's own realm,
//! where IndexedDB and `postMessage` already hold the same tokens and
//! shares; nothing leaves the iFrame's origin.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::task::{Poll, Waker};

use js_sys::{Array, Function, Promise};
use serde_json::Value;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use zeroize::Zeroizing;

use super::rpc;
use super::signer::Signer;
use crate::Reason;
use crate::flows::{self, RpcError};
use crate::handover::HandedSession;

/// The requests a module is running (each from its parse to the end of its
/// refresh), and who waits for there to be none.
#[derive(Default)]
pub struct Busy {
    running: Cell<usize>,
    waiting: RefCell<Vec<Waker>>,
}

/// One running request; ends when dropped.
pub struct Running<'a>(&'a Busy);

impl Busy {
    pub fn start(&self) -> Running<'_> {
        self.running.set(self.running.get() + 1);
        Running(self)
    }

    /// Resolves once no request is running.
    pub async fn idle(&self) {
        std::future::poll_fn(|cx| {
            if self.running.get() == 0 {
                Poll::Ready(())
            } else {
                self.waiting.borrow_mut().push(cx.waker().clone());
                Poll::Pending
            }
        })
        .await
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        let left = self.0.running.get().saturating_sub(1);
        self.0.running.set(left);
        if left == 0 {
            for waker in self.0.waiting.take() {
                waker.wake();
            }
        }
    }
}

/// The first module: hands the session to the second for `text`, a request
/// (`id`) for a method it does not have.
pub async fn hand_over(signer: &Rc<Signer>, text: &str, id: &Value) {
    // No handover is under way: `Signer::handle` queues every request
    // that starts during one, before it reaches here.
    let queue = Array::of1(&JsValue::from_str(text));
    *signer.handover.borrow_mut() = Some(queue.clone());
    signer.busy.idle().await;
    match give(signer, &queue).await {
        Ok(()) => signer.retire(),
        Err(e) => {
            web_sys::console::error_2(&JsValue::from_str("keyframe: handover failed"), &e);
            signer.flows.consent.set_in_document(true);
            signer.handover.borrow_mut().take();
            signer.post(rpc::error(
                id,
                &RpcError::new(
                    flows::error::INTERNAL,
                    Reason::SignerUnavailable,
                    "the signer could not load what this method needs; nothing was changed",
                ),
            ));
            for text in queue.iter().skip(1) {
                if let Some(text) = text.as_string() {
                    super::dispatch(signer, Zeroizing::new(text));
                }
            }
        }
    }
}

/// Loads the second module and gives it the session, the port and `queue`.
async fn give(signer: &Signer, queue: &Array) -> Result<(), JsValue> {
    let load = signer
        .second_module
        .borrow()
        .clone()
        .ok_or("no second module to load")?;
    let adopt: Function = JsFuture::from(Promise::resolve(&load.call0(&JsValue::NULL)?))
        .await?
        .dyn_into()?;
    let port = signer.port().ok_or("no port")?;
    let state = session_state(signer).to_json();
    signer.flows.consent.set_in_document(false);
    let args = Array::of4(
        &port,
        &JsValue::from_str(&state),
        signer.flows.hot.dpop.pair(),
        queue,
    );
    JsFuture::from(Promise::resolve(&adopt.apply(&JsValue::NULL, &args)?)).await?;
    Ok(())
}

/// What the second module needs of this session (besides the port, the
/// DPoP key pair and the queue).
fn session_state(signer: &Signer) -> HandedSession {
    HandedSession {
        origin: signer.flows.consent.origin(),
        chain_id: signer.chain_id.get(),
        free_chains: signer.flows.consent.free_chains(),
        tokens: signer.token.borrow().clone(),
        wallet: signer.current_wallet(),
        memory_entries: signer.flows.store.memory_entries(),
    }
}

/// What only the second module has: the first has nothing to adopt from.
#[cfg(feature = "all-methods")]
mod second {
    use std::rc::Rc;

    use js_sys::Array;
    use wasm_bindgen::JsValue;
    use wasm_bindgen::prelude::wasm_bindgen;
    use web_sys::MessagePort;
    use zeroize::Zeroizing;

    use crate::handover::HandedSession;
    use crate::web::dpop::DpopKey;
    use crate::web::store::ShareStore;

    /// The second module: takes the session the first module hands it (see the
    /// module's doc), then the port, then answers `queue` in order. Rejects,
    /// without touching the port, if it cannot run the session. Only the
    /// second module has it (the first has nothing to adopt from).
    #[wasm_bindgen(js_name = adoptSession)]
    pub async fn adopt_session(
        port: MessagePort,
        state: String,
        dpop_pair: JsValue,
        queue: Array,
    ) -> Result<(), JsValue> {
        let state = Zeroizing::new(state);
        let handed = HandedSession::from_json(&state)
            .map_err(|_| JsValue::from_str("the handed session is malformed"))?;
        let store = match handed.memory_entries {
            Some(entries) => ShareStore::memory_with(entries),
            None => match ShareStore::detect().await {
                persistent @ ShareStore::Persistent(_) => persistent,
                ShareStore::Memory(_) => return Err("the device's storage is gone".into()),
            },
        };
        let dpop = Rc::new(DpopKey::from_pair(&dpop_pair).await?);
        let (signer, _) = crate::web::new_signer(store, dpop).await?;
        // Nothing below fails: the port is taken and the queue answered.
        *signer.token.borrow_mut() = handed.tokens;
        signer.restore_wallet(handed.wallet);
        crate::web::pin_port(&signer, port, handed.origin, Some(handed.chain_id), false);
        signer.flows.consent.restore_free_chains(handed.free_chains);
        for text in queue.iter() {
            if let Some(text) = text.as_string() {
                crate::web::dispatch(&signer, Zeroizing::new(text));
            }
        }
        Ok(())
    }
}
