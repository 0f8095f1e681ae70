//! One device operation at a time, across every tab of the provider origin:
//! the cross-tab lock of the browser's [`DeviceStore`](crate::flows::DeviceStore).
//!
//! Signing, refresh and recovery read and rewrite the device's shares; two
//! tabs doing that at once could each refresh from the same version. The
//! Web Locks API serializes them across tabs; where it is missing, the
//! flows' in-page mutex still serializes this tab (and the share store's
//! add-or-delete-only entries keep cross-tab races safe, docs/api.md).

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue, closure::Closure};
use wasm_bindgen_futures::JsFuture;

const LOCK_NAME: &str = "keyframe-device";

/// Held while a device operation runs; releasing it lets the next tab in.
pub struct WebLock {
    release: Option<Function>,
}

impl Drop for WebLock {
    fn drop(&mut self) {
        if let Some(release) = self.release.take() {
            let _ = release.call0(&JsValue::NULL);
        }
    }
}

pub async fn acquire() -> WebLock {
    WebLock {
        release: web_lock().await,
    }
}

/// Requests the named Web Lock and resolves once it is held, returning the
/// function that releases it. `None` where the API is unavailable.
async fn web_lock() -> Option<Function> {
    let navigator = web_sys::window()?.navigator();
    let locks = Reflect::get(&navigator, &JsValue::from_str("locks")).ok()?;
    let request = Reflect::get(&locks, &JsValue::from_str("request"))
        .ok()?
        .dyn_into::<Function>()
        .ok()?;

    // `held` stays pending until we call `release`; the lock lasts as long.
    let mut release: Option<Function> = None;
    let held = Promise::new(&mut |resolve, _| release = Some(resolve));
    let release = release?;
    let mut granted: Option<Function> = None;
    let acquired = Promise::new(&mut |resolve, _| granted = Some(resolve));
    let granted = granted?;
    let callback = Closure::once_into_js(move |_lock: JsValue| -> JsValue {
        let _ = granted.call0(&JsValue::NULL);
        held.into()
    });
    let requested = request
        .call2(&locks, &JsValue::from_str(LOCK_NAME), &callback)
        .ok()?;
    // Where the browser refuses locks (a third-party frame with storage
    // blocked), `request` rejects and the callback never runs: race the two
    // so that case falls back to the in-page mutex instead of hanging.
    let requested: Promise = requested.dyn_into().ok()?;
    let outcome = Promise::race(&js_sys::Array::of2(&acquired, &requested));
    JsFuture::from(outcome).await.ok()?;
    Some(release)
}
