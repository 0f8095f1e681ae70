//! The signer in the browser (wasm32 only): a thin layer over the core.
//!
//! Owns the iFrame side of the protocol of docs/api.md: boot, the `ready`
//! announcement, the three gates on `connect`, the pinned `MessagePort`, and
//! JSON-RPC dispatch to [`signer::Signer`] and its method table. The share
//! protocols are the core's (`crate::flows`); this layer implements their
//! traits with fetch, IndexedDB and Web Locks. Nothing here holds key
//! material longer than one call into the core.

mod bench;
mod consent;
mod dpop;
mod handover;
mod idb;
mod lock;
mod methods;
mod rpc;
mod services;
mod signer;
mod store;
mod ui;

use std::cell::Cell;
use std::rc::Rc;

use js_sys::{Object, Reflect};
use wasm_bindgen::{JsCast, JsValue, closure::Closure, prelude::wasm_bindgen};
use web_sys::{MessageEvent, MessagePort, Window};

use consent::Catalog;
use dpop::DpopKey;
use services::{HotStorageApi, ShieldApi};
use signer::Signer;
use store::ShareStore;

const NS: &str = "keyframe";
const PROTOCOL_VERSION: u32 = 1;

/// Starts the iFrame's signer: the iFrame's boot script calls it once the
/// first module is instantiated (iframe-host/boot.js).
/// `load_second_module` loads the module with every method and resolves to
/// its `adoptSession` (web/handover.rs).
#[wasm_bindgen]
pub fn boot(load_second_module: js_sys::Function) {
    wasm_bindgen_futures::spawn_local(async move {
        if let Err(e) = start(load_second_module).await {
            web_sys::console::error_2(&JsValue::from_str("keyframe: boot failed"), &e);
        }
    });
}

async fn start(load_second_module: js_sys::Function) -> Result<(), JsValue> {
    let window = web_sys::window().ok_or("no window")?;
    let store = ShareStore::detect().await;
    let dpop = Rc::new(DpopKey::load_or_create(&store).await?);
    let (signer, allowed) = new_signer(store, dpop).await?;
    *signer.second_module.borrow_mut() = Some(load_second_module);
    listen_for_connect(&window, signer, allowed.clone())?;
    announce_ready(&window, &allowed)
}

/// The signer of this page over `store` and `dpop`, with the provider's
/// configuration, and the origins allowed to embed it.
async fn new_signer(
    store: ShareStore,
    dpop: Rc<DpopKey>,
) -> Result<(Rc<Signer>, Vec<String>), JsValue> {
    let own_origin = web_sys::window().ok_or("no window")?.location().origin()?;
    let hot = HotStorageApi {
        base: own_origin,
        dpop: dpop.clone(),
    };
    let (config, tokens) = futures_util::future::join(hot.config(), hot.tokens()).await;
    let config = config.map_err(|_| JsValue::from_str("provider config unavailable"))?;
    let catalog = Catalog::from_provider(config.chains.clone(), tokens.ok().as_ref());
    let signer = Rc::new(Signer::new(
        hot,
        ShieldApi {
            base: config.shield_url.clone(),
            dpop,
        },
        store,
        catalog,
    ));
    Ok((signer, config.allowed_origins.clone()))
}

fn protocol_message(kind: &str) -> Result<JsValue, JsValue> {
    let msg = Object::new();
    Reflect::set(&msg, &"ns".into(), &NS.into())?;
    Reflect::set(&msg, &"type".into(), &kind.into())?;
    Reflect::set(&msg, &"version".into(), &PROTOCOL_VERSION.into())?;
    Ok(msg.into())
}

/// Tells the parent we are ready. The parent's origin is not known yet, so
/// the message goes to each allowed origin in turn: the browser delivers it
/// only where the parent's origin matches, and never with `"*"`.
fn announce_ready(window: &Window, allowed: &[String]) -> Result<(), JsValue> {
    let Some(parent) = window.parent()? else {
        return Ok(());
    };
    if is_same_window(&parent, window) {
        return Ok(()); // opened directly, not framed
    }
    let ready = protocol_message("ready")?;
    for origin in allowed {
        parent.post_message(&ready, origin)?;
    }
    Ok(())
}

fn is_same_window(a: &Window, b: &Window) -> bool {
    Object::is(a.as_ref(), b.as_ref())
}

/// Is `data` exactly `{ ns: "keyframe", type: kind, version: 1 }`?
fn is_protocol_message(data: &JsValue, kind: &str) -> bool {
    let field =
        |name: &str| Reflect::get(data, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED);
    data.is_object()
        && field("ns").as_string().as_deref() == Some(NS)
        && field("type").as_string().as_deref() == Some(kind)
        && field("version").as_f64() == Some(f64::from(PROTOCOL_VERSION))
}

/// Accepts one `connect` per page load, and only through three gates: the
/// sender is our parent window, the parent's origin is on the app's
/// allow-list, and our parent is the top window (not nested deeper).
fn listen_for_connect(
    window: &Window,
    signer: Rc<Signer>,
    allowed: Vec<String>,
) -> Result<(), JsValue> {
    let connected = Rc::new(Cell::new(false));
    let win = window.clone();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        if connected.get() || !is_protocol_message(&event.data(), "connect") {
            return;
        }
        let Ok(Some(parent)) = win.parent() else {
            return;
        };
        let Ok(Some(top)) = win.top() else { return };
        let from_parent = event
            .source()
            .is_some_and(|s| Object::is(&s, parent.as_ref()));
        let origin = event.origin();
        if !from_parent || !allowed.contains(&origin) || !is_same_window(&parent, &top) {
            return;
        }
        let ports = event.ports();
        if ports.length() != 1 {
            return;
        }
        let Ok(port) = ports.get(0).dyn_into::<MessagePort>() else {
            return;
        };
        connected.set(true);
        let chain = requested_chain(&event.data());
        pin_port(&signer, port, origin, chain, true);
    });
    window.add_event_listener_with_callback("message", on_message.as_ref().unchecked_ref())?;
    on_message.forget(); // lives as long as the page
    Ok(())
}

/// The chain the host starts on, from `connect`'s optional `chainId`
/// (`"0x7a69"`); where the provider does not list it, the document starts
/// on the list's first chain (docs/api.md, "Chains").
fn requested_chain(data: &JsValue) -> Option<u64> {
    Reflect::get(data, &JsValue::from_str("chainId"))
        .ok()
        .and_then(|v| v.as_string())
        .and_then(|s| keyframe_wire::catalog::ChainId::parse(&s))
        .map(|c| c.0)
}

/// From here on the port is the only channel: requests come in on it and
/// answers and events go out on it. `connected` is said once per page, by
/// the module that accepted `connect` (not by the second module, which
/// takes a port already pinned: web/handover.rs).
fn pin_port(
    signer: &Rc<Signer>,
    port: MessagePort,
    parent_origin: String,
    chain: Option<u64>,
    say_connected: bool,
) {
    signer.attach(port.clone(), parent_origin, chain);
    let handler_signer = signer.clone();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        // The request's text may carry the automatic-recovery key or a
        // JWT: wiped once handled (web/rpc.rs wipes what is parsed from it).
        let text = js_sys::JSON::stringify(&event.data())
            .ok()
            .and_then(|s| s.as_string())
            .map(zeroize::Zeroizing::new);
        let Some(text) = text else { return };
        dispatch(&handler_signer, text);
    });
    port.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    // Where the browser reports a closed port, nobody waits for the
    // requests on the screen any more.
    let close_signer = signer.clone();
    let on_close = Closure::<dyn FnMut()>::new(move || close_signer.detach());
    let _ = port.add_event_listener_with_callback("close", on_close.as_ref().unchecked_ref());
    on_close.forget();
    if say_connected && let Ok(connected) = protocol_message("connected") {
        let _ = port.post_message(&connected);
    }
}

/// Handles one message from the port, in a task of its own (which queues
/// it for the second module if a handover is under way when it starts:
/// web/handover.rs).
fn dispatch(signer: &Rc<Signer>, text: zeroize::Zeroizing<String>) {
    let signer = signer.clone();
    wasm_bindgen_futures::spawn_local(async move { signer.handle(&text).await });
}
