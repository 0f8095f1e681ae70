//! The approval screen: the iFrame's [`Consent`]. Every act of authority
//! the flows ask about is queued, shown one at a time inside the iFrame
//! (dom.rs), and waits for a trusted click on "Approve" through the
//! visibility gate (watch.rs, `crate::consent::Gate`) or for "Reject" /
//! Escape. A request the host abandons (`keyframe_cancel` after its
//! timeout, or a closed port) leaves the screen. What to show, the queue
//! and the gate are pure and tested natively (`crate::consent`).
//!
//! A screen may also ask for secrets ([`ScreenConsent::enter`]): the
//! recovery password, a phrase to import. They are typed here, checked by
//! `crate::consent::entry`, and never pass through the host page; that
//! screen is the approval of its request, so the flow's own question for
//! the same request within the same RPC call is answered by it.
//!
//! There is no way around the screen in the shipped module: no setting,
//! parameter or feature approves on its own (docs/architecture.md, "The
//! consent screen").

mod context;
mod dom;
mod watch;

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context as TaskContext, Poll};

use futures_util::future::LocalBoxFuture;
use keyframe_json::json;
use web_sys::MessagePort;

use super::bench;
use super::rpc;
use crate::backup::BackupFile;
use crate::consent::{
    ChainMemory, Click, ClickInput, Entered, Gate, Outcome, Queue, Screen, Secret, Slot,
    consent_screen, entry, entry_screen, keep_backup_screen, outdated_backup_screen,
};
use crate::flows::{Consent, Request, RpcError};

pub use context::{Catalog, intent_context};

/// The RPC request being polled, so the consent hook knows which request
/// asks (the flows do not carry RPC ids): set around every poll of a
/// method's future by [`Tagged`]. Single-threaded realm: polls never
/// overlap.
pub struct RequestCtx {
    tag: String,
    start: f64,
    approved_at: Cell<Option<f64>>,
    /// A request this RPC call's secret-entry screen already approved.
    preapproved: RefCell<Option<Request<'static>>>,
}

impl RequestCtx {
    pub fn new(id: &serde_json::Value, start: f64) -> Rc<Self> {
        Rc::new(RequestCtx {
            tag: keyframe_json::to_text(id),
            start,
            approved_at: Cell::new(None),
            preapproved: RefCell::new(None),
        })
    }

    /// When the user's click approved this request, if it was asked.
    pub fn approved_at(&self) -> Option<f64> {
        self.approved_at.get()
    }
}

thread_local! {
    static CURRENT: RefCell<Option<Rc<RequestCtx>>> = const { RefCell::new(None) };
}

/// A method's future, polled with its request as the current one.
pub struct Tagged<'a, T> {
    ctx: Rc<RequestCtx>,
    inner: LocalBoxFuture<'a, T>,
}

impl<'a, T> Tagged<'a, T> {
    pub fn new(ctx: Rc<RequestCtx>, inner: LocalBoxFuture<'a, T>) -> Self {
        Tagged { ctx, inner }
    }
}

impl<T> Future for Tagged<'_, T> {
    type Output = T;
    fn poll(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<T> {
        let ctx = self.ctx.clone();
        let previous = CURRENT.with(|c| c.replace(Some(ctx)));
        let out = self.inner.as_mut().poll(cx);
        CURRENT.with(|c| *c.borrow_mut() = previous);
        out
    }
}

fn current_request() -> Option<Rc<RequestCtx>> {
    CURRENT.with(|c| c.borrow().clone())
}

/// One request on (or waiting for) the screen.
struct Waiting {
    screen: Screen,
    slot: Slot,
    ctx: Option<Rc<RequestCtx>>,
    /// The secrets the screen asks for, and where the checked entry goes.
    entry: Option<Entry>,
    /// Approve stays locked this long after the screen appears.
    hold_ms: f64,
    /// Where an "Always allow" choice goes, on a screen that offers it.
    choice: Option<Rc<Cell<Option<u64>>>>,
}

struct Entry {
    secrets: Vec<Secret>,
    out: Rc<RefCell<Option<Entered>>>,
}

/// The request as an owned value, for the variants a secret-entry screen
/// approves.
fn owned(request: &Request<'_>) -> Option<Request<'static>> {
    match request {
        Request::CreateWallet { imported } => Some(Request::CreateWallet {
            imported: *imported,
        }),
        Request::Recover => Some(Request::Recover),
        Request::SetRecovery { automatic } => Some(Request::SetRecovery {
            automatic: *automatic,
        }),
        Request::DownloadBackup => Some(Request::DownloadBackup),
        _ => None,
    }
}

/// The screen's state, shared with its DOM event handlers.
pub(crate) struct Inner {
    origin: RefCell<String>,
    port: RefCell<Option<MessagePort>>,
    queue: RefCell<Queue<Waiting>>,
    gate: RefCell<Gate>,
    chains: RefCell<ChainMemory>,
    dom: RefCell<Option<dom::Dom>>,
    timer: Cell<Option<i32>>,
    /// The kind of pointer last pressed on this document (watch.rs), for
    /// a click event that does not say.
    last_pointer: Cell<ClickInput>,
    /// When a Tab was last pressed in this document (watch.rs).
    last_tab: Cell<f64>,
    /// The screen closed on an approval; the host hides the modal once the
    /// answer is out ([`ScreenConsent::answered`]), so its re-layout is not
    /// on the approved request's path.
    hide_after_answer: Cell<bool>,
    /// The IntersectionObserver v2 (watch.rs), where the browser has one,
    /// and the surface it watches for the gate.
    observer: RefCell<Option<web_sys::IntersectionObserver>>,
    watched: RefCell<Option<web_sys::Element>>,
    /// A press [`ScreenConsent::gated_press`] waits for: where its hints
    /// go, and whether one counted.
    press: RefCell<Option<PressWait>>,
    /// The buttons already wired to the gate for `gated_press`.
    pressable: RefCell<Vec<web_sys::HtmlElement>>,
}

struct PressWait {
    hint: web_sys::Element,
    counted: bool,
}

/// Ends [`ScreenConsent::gated_press`]'s wait however its future ends.
struct EndPress<'a>(&'a Inner);

impl Drop for EndPress<'_> {
    fn drop(&mut self) {
        self.0.press.borrow_mut().take();
    }
}

/// The iFrame's consent: its approval screen.
#[derive(Clone)]
pub struct ScreenConsent {
    inner: Rc<Inner>,
}

impl Default for ScreenConsent {
    fn default() -> Self {
        Self::new()
    }
}

impl ScreenConsent {
    pub fn new() -> Self {
        ScreenConsent {
            inner: Rc::new(Inner {
                origin: RefCell::new(String::new()),
                port: RefCell::new(None),
                queue: RefCell::new(Queue::default()),
                gate: RefCell::new(Gate::new(watch::has_visibility_tracking())),
                chains: RefCell::new(ChainMemory::default()),
                dom: RefCell::new(None),
                timer: Cell::new(None),
                last_pointer: Cell::new(ClickInput::Pointer),
                last_tab: Cell::new(f64::NEG_INFINITY),
                hide_after_answer: Cell::new(false),
                observer: RefCell::new(None),
                watched: RefCell::new(None),
                press: RefCell::new(None),
                pressable: RefCell::new(Vec::new()),
            }),
        }
    }

    /// The connection is pinned: `origin` is the embedding origin the
    /// `connect` gates accepted, and `port` carries `keyframe_ui`.
    pub fn attach(&self, port: MessagePort, origin: String) {
        *self.inner.origin.borrow_mut() = origin;
        *self.inner.port.borrow_mut() = Some(port);
    }

    /// The document starts on `chain`: switching back to it is never asked.
    pub fn start_at(&self, chain: u64) {
        *self.inner.chains.borrow_mut() = ChainMemory::starting_at(chain);
    }

    /// The chains this document may switch to unasked (web/handover.rs).
    pub fn free_chains(&self) -> Vec<u64> {
        self.inner.chains.borrow().free_chains().to_vec()
    }

    /// Takes over the free chains of the module that handed this session
    /// over (web/handover.rs); after [`Self::start_at`].
    #[cfg(feature = "all-methods")]
    pub fn restore_free_chains(&self, chains: Vec<u64>) {
        *self.inner.chains.borrow_mut() = ChainMemory::with_free_chains(chains);
    }

    /// Takes the screen out of the document (`false`), or puts it back
    /// (`true`). The module handing its session over takes its screen out
    /// first, so the page never holds two (web/handover.rs), and puts it
    /// back if the handover fails.
    pub fn set_in_document(&self, present: bool) {
        if let Some(d) = self.inner.dom.borrow().as_ref() {
            d.set_in_document(present);
        }
    }

    /// The embedding origin as the iFrame saw it at `connect`.
    pub fn origin(&self) -> String {
        self.inner.origin.borrow().clone()
    }

    /// The host abandoned RPC request `id` (its SDK timed out): its
    /// screen, if any, goes away.
    pub fn cancel(&self, id: &serde_json::Value) {
        let tag = keyframe_json::to_text(id);
        let ids = self.inner.queue.borrow().ids_of(&tag);
        for id in ids {
            decide(&self.inner, id, Outcome::Abandoned);
        }
    }

    /// An answer went out: if the screen closed on an approval and nothing
    /// waits, the host may hide the iFrame now.
    pub fn answered(&self) {
        if self.inner.hide_after_answer.take() && self.inner.queue.borrow().is_empty() {
            if let Some(d) = self.inner.dom.borrow().as_ref() {
                d.hide();
            }
            post_ui(&self.inner, false);
        }
    }

    /// Resolves on the first press of `button` that the gate counts (a
    /// pointer that dwelt, a key after a Tab here, a finger's hold), with
    /// the gate's visibility that of `surface`: Reveal on the export panel
    /// (web/ui.rs), so a host cannot bring the secret onto the screen with
    /// a click the user aimed at something else. `button` stays disabled
    /// while the gate is closed; `hint` says why a press did not count.
    pub async fn gated_press(
        &self,
        surface: &web_sys::Element,
        button: &web_sys::HtmlButtonElement,
        hint: &web_sys::Element,
    ) -> Result<(), wasm_bindgen::JsValue> {
        let inner = &self.inner;
        // One press waited for at a time: a second export while one is on
        // screen is refused rather than share its Reveal.
        if inner.press.borrow().is_some() {
            return Err("a press is already awaited".into());
        }
        let element: &web_sys::HtmlElement = button;
        if !inner.pressable.borrow().contains(element) {
            watch::gated_button(inner, element, on_press)?;
            inner.pressable.borrow_mut().push(element.clone());
        }
        hint.set_text_content(None);
        *inner.press.borrow_mut() = Some(PressWait {
            hint: hint.clone(),
            counted: false,
        });
        // Dropped with the method's future (the page went away mid-wait),
        // the wait ends too: a later export may wait for its own press, and
        // the iFrame may be hidden again.
        let _done = EndPress(inner);
        // The gate decides at the press; the button's state only tells the
        // user when it will. While an approval screen is shown (over the
        // panel) the gate is that screen's, and `button` stays disabled;
        // when it goes, the panel is watched again and waits anew.
        loop {
            let counted = inner.press.borrow().as_ref().is_none_or(|p| p.counted);
            if counted {
                break;
            }
            let screen_shown = !inner.queue.borrow().is_empty();
            if !screen_shown && inner.watched.borrow().as_ref() != Some(surface) {
                watch::watch_surface(inner, surface);
                inner.gate.borrow_mut().restart(bench::now());
            }
            let open = !screen_shown && inner.gate.borrow().is_open(bench::now());
            button.set_disabled(!open);
            watch::sleep_ms(50).await;
        }
        hint.set_text_content(None);
        Ok(())
    }

    /// The port closed: nobody waits for any answer any more.
    pub fn cancel_all(&self) {
        let ids = self.inner.queue.borrow().ids();
        for id in ids {
            decide(&self.inner, id, Outcome::Abandoned);
        }
    }
}

impl ScreenConsent {
    /// Shows `screen` (queued behind any other) until the user decides or
    /// the host abandons the request.
    async fn ask(&self, screen: Screen, entry: Option<Entry>, hold_ms: f64) -> Outcome {
        self.ask_with(screen, entry, hold_ms, None).await
    }

    async fn ask_with(
        &self,
        screen: Screen,
        entry: Option<Entry>,
        hold_ms: f64,
        choice: Option<Rc<Cell<Option<u64>>>>,
    ) -> Outcome {
        let slot = Slot::new();
        let ctx = current_request();
        let tag = ctx.as_ref().map(|c| c.tag.clone());
        let waiting = Waiting {
            screen,
            slot: slot.clone(),
            ctx,
            entry,
            hold_ms,
            choice,
        };
        let (id, shown) = self.inner.queue.borrow_mut().push(tag, waiting);
        // Dropped with the method's future (the page went away mid-wait):
        // take the request off the screen.
        let _leave = Leave {
            inner: self.inner.clone(),
            id,
        };
        if shown {
            show_current(&self.inner);
        } else {
            update_waiting(&self.inner);
        }
        slot.wait().await
    }

    /// Asks the user to type `secrets` for `request` on the screen; Approve
    /// with acceptable input approves `request` for this RPC call too.
    /// `error` says why the previous attempt failed (words, stable code);
    /// Approve stays locked `hold_ms` longer than usual (after a wrong
    /// password).
    pub async fn enter(
        &self,
        request: &Request<'_>,
        secrets: &[Secret],
        error: Option<(String, &str)>,
        hold_ms: f64,
    ) -> Result<Entered, RpcError> {
        let screen = entry_screen(request, &self.origin(), secrets, error);
        let out = Rc::new(RefCell::new(None));
        let entry = Entry {
            secrets: secrets.to_vec(),
            out: out.clone(),
        };
        match self.ask(screen, Some(entry), hold_ms).await {
            Outcome::Approved => {
                let entered = out.borrow_mut().take();
                let entered = entered.ok_or_else(RpcError::user_rejected)?;
                if let Some(ctx) = current_request() {
                    *ctx.preapproved.borrow_mut() = owned(request);
                }
                Ok(entered)
            }
            Outcome::Rejected => Err(RpcError::user_rejected()),
            Outcome::Abandoned => Err(RpcError::abandoned()),
        }
    }
}

/// Where this device remembers which recovery pair the last backup file it
/// handed out belongs to (the iFrame origin's localStorage; best effort:
/// without storage the offer after a rotation is simply not made).
fn backup_key(wallet: &crate::shares::WalletId) -> String {
    format!("keyframe.backup.{wallet}")
}

fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.local_storage().ok().flatten())
}

impl ScreenConsent {
    /// The recovery pair of the last backup this device handed out for
    /// `wallet`, if it remembers one.
    pub fn backed_up_pair(&self, wallet: &crate::shares::WalletId) -> Option<String> {
        local_storage().and_then(|s| s.get_item(&backup_key(wallet)).ok().flatten())
    }

    /// Forgets the backup of `wallet` (the user declined a new one).
    pub fn forget_backup(&self, wallet: &crate::shares::WalletId) {
        if let Some(s) = local_storage() {
            let _ = s.remove_item(&backup_key(wallet));
        }
    }

    /// Asks whether to download a new backup now that the old one is
    /// outdated; true when the user approved.
    pub async fn offer_new_backup(&self) -> Result<bool, RpcError> {
        match self
            .ask(outdated_backup_screen(&self.origin()), None, 0.0)
            .await
        {
            Outcome::Approved => Ok(true),
            Outcome::Rejected => Ok(false),
            Outcome::Abandoned => Err(RpcError::abandoned()),
        }
    }
}

impl Consent for ScreenConsent {
    /// The signature's screen, with "Always allow requests like this from
    /// <origin>" and a duration where offered; the choice is read at the
    /// trusted click. Whether offered or not, the approved screen stays up
    /// until the answer is out (`decide`).
    async fn approve_sign(
        &self,
        request: &Request<'_>,
        offer_always: bool,
    ) -> Result<Option<u64>, RpcError> {
        let Some(mut screen) = consent_screen(request, &self.origin())? else {
            return self.approve(request).await.map(|()| None);
        };
        // The flow offers it only for a request it can narrow to a rule
        // (flows/policy.rs); the screen checks its own half again.
        screen.always_allow = offer_always && crate::consent::view::offers_always_allow(request);
        let choice = Rc::new(Cell::new(None));
        match self.ask_with(screen, None, 0.0, Some(choice.clone())).await {
            Outcome::Approved => Ok(choice.get()),
            Outcome::Rejected => Err(RpcError::user_rejected()),
            Outcome::Abandoned => Err(RpcError::abandoned()),
        }
    }

    async fn approve(&self, request: &Request<'_>) -> Result<(), RpcError> {
        // First, so that nothing (not an approval at an earlier entry
        // screen either) lets a module pass a request it does not answer.
        let screen = consent_screen(request, &self.origin())?;
        if let Some(ctx) = current_request() {
            let mut preapproved = ctx.preapproved.borrow_mut();
            if preapproved.as_ref().is_some_and(|p| p == request) {
                *preapproved = None;
                return Ok(());
            }
        }
        let chain = match request {
            Request::SwitchChain { chain_id, .. } => {
                if !self.inner.chains.borrow().needs_approval(*chain_id) {
                    return Ok(());
                }
                Some(*chain_id)
            }
            _ => None,
        };
        let Some(screen) = screen else {
            return Ok(());
        };
        match self.ask(screen, None, 0.0).await {
            Outcome::Approved => {
                if let Some(chain) = chain {
                    self.inner.chains.borrow_mut().approved(chain);
                }
                Ok(())
            }
            Outcome::Rejected => Err(RpcError::user_rejected()),
            Outcome::Abandoned => Err(RpcError::abandoned()),
        }
    }

    /// Offers the file as a download on the screen; Approve works once the
    /// user started the download and ticked that they kept it.
    async fn keep_backup(&self, file: &BackupFile) -> Result<(), RpcError> {
        let screen = keep_backup_screen(&self.origin(), file.file_name(), file.to_json()?);
        let entry = Entry {
            secrets: vec![Secret::KeptBackup],
            out: Rc::new(RefCell::new(None)),
        };
        match self.ask(screen, Some(entry), 0.0).await {
            Outcome::Approved => {
                if let Some(s) = local_storage() {
                    let _ = s.set_item(&backup_key(&file.wallet), &file.recovery_pair.to_string());
                }
                Ok(())
            }
            Outcome::Rejected => Err(RpcError::user_rejected()),
            Outcome::Abandoned => Err(RpcError::abandoned()),
        }
    }
}

/// Takes a request off the screen if its flow stops waiting.
struct Leave {
    inner: Rc<Inner>,
    id: u64,
}

impl Drop for Leave {
    fn drop(&mut self) {
        decide(&self.inner, self.id, Outcome::Abandoned);
    }
}

/// Asks the host to show or hide the iFrame. Never hidden while a press is
/// awaited ([`ScreenConsent::gated_press`]: the export panel is up under
/// the approval screen that closes).
fn post_ui(inner: &Inner, visible: bool) {
    if !visible && inner.press.borrow().is_some() {
        return;
    }
    let Some(port) = inner.port.borrow().clone() else {
        return;
    };
    let message = rpc::notification("keyframe_ui", json!({ "visible": visible }));
    if let Ok(value) = js_sys::JSON::parse(&keyframe_json::to_string(message)) {
        let _ = port.post_message(&value);
    }
}

/// Ends request `id` with `outcome`; if it was on the screen, shows the
/// next one or closes the screen. A request already decided is ignored.
fn decide(inner: &Rc<Inner>, id: u64, outcome: Outcome) {
    let removed = inner.queue.borrow_mut().remove(id);
    let Some((waiting, was_current)) = removed else {
        return;
    };
    if outcome == Outcome::Approved
        && let Some(ctx) = &waiting.ctx
    {
        ctx.approved_at.set(Some(bench::now()));
    }
    waiting.slot.fill(outcome);
    if !was_current {
        update_waiting(inner);
        return;
    }
    if inner.queue.borrow().is_empty() {
        // An approved signature's screen stays as it is until the answer
        // is out ([`ScreenConsent::answered`]): taking it down is a layout
        // and a frame the renderer would draw while the signature waits
        // for its device lock (bench/README.md, "Where a signature's click
        // → answer goes"). Clicks on it change nothing now: the request is
        // off the queue. A screen that held typed secrets, or that a flow
        // follows with a view of its own (export), goes at once.
        let keep = outcome == Outcome::Approved && waiting.choice.is_some();
        if !keep && let Some(d) = inner.dom.borrow().as_ref() {
            d.hide();
        }
        watch::clear_timer(inner);
        if outcome == Outcome::Approved {
            inner.hide_after_answer.set(true);
        } else {
            post_ui(inner, false);
        }
    } else {
        show_current(inner);
    }
}

/// Renders the request at the front of the queue and starts its wait.
fn show_current(inner: &Rc<Inner>) {
    if inner.dom.borrow().is_none() {
        match dom::Dom::build(inner) {
            Ok(d) => *inner.dom.borrow_mut() = Some(d),
            Err(_) => {
                // No screen, no approval: refuse rather than wait forever.
                let ids = inner.queue.borrow().ids();
                for id in ids {
                    decide(inner, id, Outcome::Rejected);
                }
                return;
            }
        }
    }
    let queue = inner.queue.borrow();
    let Some((_, waiting)) = queue.current() else {
        return;
    };
    let tracked = inner.gate.borrow().tracked();
    if let Some(d) = inner.dom.borrow().as_ref() {
        d.render(&waiting.screen, queue.waiting(), tracked);
        watch::watch_surface(inner, d.root());
    }
    let start = waiting.ctx.as_ref().map(|c| c.start);
    let hold_ms = waiting.hold_ms;
    drop(queue);
    inner.hide_after_answer.set(false);
    post_ui(inner, true);
    inner
        .gate
        .borrow_mut()
        .restart_holding(bench::now(), hold_ms);
    watch::refresh(inner);
    if let Some(start) = start {
        watch::after_paint(move || bench::measure("keyframe:consent-painted", start));
    }
}

fn update_waiting(inner: &Rc<Inner>) {
    let waiting = inner.queue.borrow().waiting();
    let moved = inner
        .dom
        .borrow()
        .as_ref()
        .is_some_and(|d| d.set_waiting(waiting));
    // The line above the buttons came or went: what was under the pointer
    // moved (a host can queue a request to shift Approve under it).
    if moved {
        inner.gate.borrow_mut().content_moved();
    }
}

/// Approve was activated by `input`, and the gate said `verdict`
/// (`watch::gated_button`): only a trusted click through an open gate, by
/// an input that dwelt on the screen, counts (`crate::consent::Gate::click`).
pub(crate) fn on_approve(inner: &Rc<Inner>, verdict: Click, input: ClickInput) {
    match verdict {
        Click::Counts => {
            if let Some(d) = inner.dom.borrow().as_ref() {
                d.show_too_soon(None);
            }
        }
        Click::Ignored => return,
        Click::TooSoon => {
            if let Some(d) = inner.dom.borrow().as_ref() {
                d.show_too_soon(Some(input));
            }
            return;
        }
    }
    let Some(id) = inner.queue.borrow().current().map(|(id, _)| id) else {
        return;
    };
    // A screen that asks for secrets approves only with acceptable input;
    // otherwise it says why and stays.
    let checked = {
        let queue = inner.queue.borrow();
        let entry = queue.current().and_then(|(_, w)| w.entry.as_ref());
        entry.map(|e| {
            let dom = inner.dom.borrow();
            let read = |id: &str| {
                dom.as_ref()
                    .map(|d| d.value(id))
                    .unwrap_or_else(|| zeroize::Zeroizing::new(String::new()))
            };
            (entry::check(&e.secrets, read), e.out.clone())
        })
    };
    match checked {
        Some((Err(message), _)) => {
            if let Some(d) = inner.dom.borrow().as_ref() {
                d.show_error(&message);
            }
            return;
        }
        Some((Ok(entered), out)) => {
            *out.borrow_mut() = Some(entered);
        }
        None => {}
    }
    let choice = inner
        .queue
        .borrow()
        .current()
        .and_then(|(_, w)| w.choice.clone());
    if let Some(choice) = choice {
        let picked = inner
            .dom
            .borrow()
            .as_ref()
            .and_then(|d| d.always_allow_choice());
        choice.set(picked);
    }
    decide(inner, id, Outcome::Approved);
}

/// A button of [`ScreenConsent::gated_press`] was activated by `input`,
/// and the gate said `verdict`.
fn on_press(inner: &Rc<Inner>, verdict: Click, input: ClickInput) {
    // The gate is an approval screen's while one is shown.
    if !inner.queue.borrow().is_empty() {
        return;
    }
    let mut press = inner.press.borrow_mut();
    let Some(wait) = press.as_mut() else {
        return;
    };
    match verdict {
        Click::Counts => {
            wait.counted = true;
            wait.hint.set_text_content(None);
        }
        Click::TooSoon => wait.hint.set_text_content(Some(dom::too_soon_hint(input))),
        Click::Ignored => {}
    }
}

/// Reject was clicked or Escape pressed.
pub(crate) fn on_reject(inner: &Rc<Inner>) {
    let current = inner.queue.borrow().current().map(|(id, _)| id);
    if let Some(id) = current {
        decide(inner, id, Outcome::Rejected);
    }
}
