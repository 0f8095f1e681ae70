//! Feeds the visibility gate (`crate::consent::Gate`) from the browser:
//! IntersectionObserver v2 (`trackVisibility`: fully in view, not covered,
//! not transparent, not transformed), the iFrame's own size, and the page
//! being shown; and re-checks the Approve button when the wait ends.

use std::rc::Rc;

use js_sys::{Array, Reflect};
use wasm_bindgen::{JsCast, JsValue, closure::Closure};
use web_sys::{Element, IntersectionObserver, IntersectionObserverEntry, IntersectionObserverInit};

use super::Inner;
use super::bench;

/// The smallest delay IntersectionObserver v2 accepts with
/// `trackVisibility` is 100 ms.
const IO_DELAY_MS: u32 = 100;

/// Does this browser report occlusion (IntersectionObserver v2)?
pub fn has_visibility_tracking() -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    Reflect::get(&window, &"IntersectionObserverEntry".into())
        .and_then(|c| Reflect::get(&c, &"prototype".into()))
        .and_then(|p| Reflect::has(&p, &"isVisible".into()))
        .unwrap_or(false)
}

/// Starts watching `target` (the screen's root) and the window.
pub fn start(inner: &Rc<Inner>, target: &Element) -> Result<(), JsValue> {
    let window = web_sys::window().ok_or("no window")?;
    let document = window.document().ok_or("no document")?;

    let shared = inner.clone();
    let on_resize = Closure::<dyn FnMut()>::new(move || {
        resize(&shared);
        refresh(&shared);
    });
    window.add_event_listener_with_callback("resize", on_resize.as_ref().unchecked_ref())?;
    on_resize.forget();

    let shared = inner.clone();
    let on_visibility = Closure::<dyn FnMut()>::new(move || {
        page(&shared);
        refresh(&shared);
    });
    document.add_event_listener_with_callback(
        "visibilitychange",
        on_visibility.as_ref().unchecked_ref(),
    )?;
    on_visibility.forget();

    resize(inner);
    page(inner);

    if inner.gate.borrow().tracked() {
        let shared = inner.clone();
        let on_entries = Closure::<dyn FnMut(Array)>::new(move |entries: Array| {
            let Some(last) = entries
                .iter()
                .last()
                .and_then(|e| e.dyn_into::<IntersectionObserverEntry>().ok())
            else {
                return;
            };
            let is_visible = Reflect::get(&last, &"isVisible".into())
                .ok()
                .and_then(|v| v.as_bool())
                .unwrap_or(false);
            // Fully in view: the whole screen, not a sliver of it.
            let visible =
                is_visible && last.is_intersecting() && last.intersection_ratio() >= 0.999;
            shared.gate.borrow_mut().observe(bench::now(), visible);
            refresh(&shared);
        });
        let init = IntersectionObserverInit::new();
        let thresholds = Array::of2(&0.0.into(), &1.0.into());
        Reflect::set(&init, &"threshold".into(), &thresholds)?;
        Reflect::set(&init, &"trackVisibility".into(), &true.into())?;
        Reflect::set(&init, &"delay".into(), &IO_DELAY_MS.into())?;
        let init: &IntersectionObserverInit = init.unchecked_ref();
        let observer =
            IntersectionObserver::new_with_options(on_entries.as_ref().unchecked_ref(), init)?;
        observer.observe(target);
        on_entries.forget();
        // The observer lives as long as the page.
        std::mem::forget(observer);
    }
    Ok(())
}

fn resize(inner: &Inner) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let width = window
        .inner_width()
        .ok()
        .and_then(|v| v.as_f64())
        .unwrap_or(0.0);
    let height = window
        .inner_height()
        .ok()
        .and_then(|v| v.as_f64())
        .unwrap_or(0.0);
    inner.gate.borrow_mut().resize(bench::now(), width, height);
}

fn page(inner: &Inner) {
    let shown = web_sys::window()
        .and_then(|w| w.document())
        .is_some_and(|d| !d.hidden());
    inner.gate.borrow_mut().page(bench::now(), shown);
}

pub fn clear_timer(inner: &Inner) {
    if let (Some(id), Some(window)) = (inner.timer.take(), web_sys::window()) {
        window.clear_timeout_with_handle(id);
    }
}

/// Enables Approve exactly when the gate is open; while the screen is
/// visible but the wait not over, checks again when it should be.
pub fn refresh(inner: &Rc<Inner>) {
    clear_timer(inner);
    let now = bench::now();
    let (open, remaining) = {
        let gate = inner.gate.borrow();
        (gate.is_open(now), gate.remaining(now))
    };
    if let Some(d) = inner.dom.borrow().as_ref() {
        d.set_approvable(open);
    }
    if open || inner.queue.borrow().is_empty() {
        return;
    }
    let Some(remaining) = remaining else { return };
    let Some(window) = web_sys::window() else {
        return;
    };
    let shared = inner.clone();
    let again = Closure::once_into_js(move || refresh(&shared));
    // A few ms late rather than early: the gate decides, not the timer.
    let delay = remaining.ceil() as i32 + 5;
    if let Ok(id) =
        window.set_timeout_with_callback_and_timeout_and_arguments_0(again.unchecked_ref(), delay)
    {
        inner.timer.set(Some(id));
    }
}

/// Runs `f` once the next frame has been painted (a task after the
/// animation frame that renders it).
pub fn after_paint(f: impl FnOnce() + 'static) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let w = window.clone();
    let frame = Closure::once_into_js(move || {
        let task = Closure::once_into_js(f);
        let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(task.unchecked_ref(), 0);
    });
    let _ = window.request_animation_frame(frame.unchecked_ref());
}
