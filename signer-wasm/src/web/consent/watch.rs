//! Feeds the visibility gate (`crate::consent::Gate`) from the browser:
//! IntersectionObserver v2 (`trackVisibility`: fully in view, not covered,
//! not transparent, not transformed), the iFrame's own size, and the page
//! being shown; where the pointer is and whether Approve has the focus (the
//! dwell, `crate::consent::gate`); and re-checks the Approve button when
//! the wait ends.

use std::rc::Rc;

use js_sys::{Array, Reflect};
use wasm_bindgen::{JsCast, JsValue, closure::Closure};
use web_sys::{
    Element, Event, EventTarget, IntersectionObserver, IntersectionObserverEntry,
    IntersectionObserverInit, KeyboardEvent,
};

use super::Inner;
use super::bench;
use crate::consent::{Click, ClickInput, PointerAt};

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

    // The pointer: where on the device's screen each of its events here
    // puts it, and whether a move took it elsewhere, until it leaves the
    // document (`pointerout` to nothing). Read with `Reflect`, which costs
    // less than web-sys's PointerEvent bindings.
    let shared = inner.clone();
    let on_pointer = Closure::<dyn FnMut(Event)>::new(move |e: Event| {
        let read = |name: &str| Reflect::get(&e, &name.into()).ok().and_then(|v| v.as_f64());
        let (Some(sx), Some(sy), Some(cx), Some(cy)) = (
            read("screenX"),
            read("screenY"),
            read("clientX"),
            read("clientY"),
        ) else {
            return;
        };
        let at = PointerAt {
            screen: (sx, sy),
            client: (cx, cy),
        };
        let mut gate = shared.gate.borrow_mut();
        if e.type_() == "pointermove" {
            gate.pointer_moved(bench::now(), at);
        } else {
            gate.pointer_seen(at);
        }
    });
    for event in [
        "pointerover",
        "pointermove",
        "pointerdown",
        "pointerup",
        "wheel",
    ] {
        document.add_event_listener_with_callback(event, on_pointer.as_ref().unchecked_ref())?;
    }
    on_pointer.forget();
    let shared = inner.clone();
    let on_out = Closure::<dyn FnMut(Event)>::new(move |e: Event| {
        let to = Reflect::get(&e, &"relatedTarget".into()).unwrap_or(JsValue::NULL);
        if to.is_null() || to.is_undefined() {
            shared.gate.borrow_mut().pointer_left();
        }
    });
    document.add_event_listener_with_callback("pointerout", on_out.as_ref().unchecked_ref())?;
    on_out.forget();
    let shared = inner.clone();
    let on_down = Closure::<dyn FnMut(Event)>::new(move |e: Event| {
        shared.last_pointer.set(pointer_kind(&e));
    });
    document.add_event_listener_with_callback("pointerdown", on_down.as_ref().unchecked_ref())?;
    on_down.forget();

    track_always_allow(inner, &document)?;

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

/// How soon after a Tab pressed in this document a focus on Approve counts
/// as the keyboard's.
const TAB_TO_FOCUS_MS: f64 = 300.0;

/// Feeds the gate whether `approve` has the keyboard focus, and only focus
/// the keyboard gave it here: a Tab pressed in this document just before.
/// A press of the pointer on Approve also focuses it (a click the gate
/// refused, say), and a Tab pressed on the host page can move the focus
/// into the iFrame onto it; neither is a key the user aimed at Approve.
pub fn track_focus(inner: &Rc<Inner>, approve: &EventTarget) -> Result<(), JsValue> {
    let window = web_sys::window().ok_or("no window")?;
    let document = window.document().ok_or("no document")?;
    let shared = inner.clone();
    let on_key = Closure::<dyn FnMut(KeyboardEvent)>::new(move |e: KeyboardEvent| {
        if e.is_trusted() && e.key() == "Tab" {
            shared.last_tab.set(bench::now());
        }
    });
    document.add_event_listener_with_callback_and_bool(
        "keydown",
        on_key.as_ref().unchecked_ref(),
        true,
    )?;
    on_key.forget();
    for (event, focused) in [("focus", true), ("blur", false)] {
        let shared = inner.clone();
        let on = Closure::<dyn FnMut()>::new(move || {
            let now = bench::now();
            let by_key = now - shared.last_tab.get() <= TAB_TO_FOCUS_MS;
            shared
                .gate
                .borrow_mut()
                .approve_focus(now, focused && by_key);
        });
        approve.add_event_listener_with_callback(event, on.as_ref().unchecked_ref())?;
        on.forget();
    }
    Ok(())
}

/// "Always allow" is ticked as Approve is clicked: a pointer's tick counts
/// only if the gate would count its click on Approve, a key's only on a box
/// a Tab in the iFrame focused; any other is undone (the click's default
/// prevented) before the box changes. Otherwise a host could bring the box
/// under a resting pointer, and the user's deliberate Approve afterwards
/// would make a standing rule they did not choose.
fn track_always_allow(inner: &Rc<Inner>, document: &web_sys::Document) -> Result<(), JsValue> {
    let is_box = |e: &Event| {
        e.target()
            .and_then(|t| t.dyn_into::<Element>().ok())
            .is_some_and(|t| t.id() == super::dom::ALWAYS_ALLOW_ID)
    };
    let shared = inner.clone();
    let on_focus = Closure::<dyn FnMut(Event)>::new(move |e: Event| {
        if is_box(&e) {
            let by_key = bench::now() - shared.last_tab.get() <= TAB_TO_FOCUS_MS;
            shared.tick_by_key.set(by_key);
        }
    });
    document.add_event_listener_with_callback_and_bool(
        "focusin",
        on_focus.as_ref().unchecked_ref(),
        true,
    )?;
    on_focus.forget();
    // A click on the box's label ticks it through a second click, on the
    // box: the label's own click is judged, and the box's that follows at
    // once goes through with its verdict.
    let is_label = |e: &Event| {
        e.target()
            .and_then(|t| t.dyn_into::<Element>().ok())
            .is_some_and(|t| {
                t.tag_name().eq_ignore_ascii_case("label")
                    && t.get_attribute("for").as_deref() == Some(super::dom::ALWAYS_ALLOW_ID)
            })
    };
    let label_passed = Rc::new(std::cell::Cell::new(None::<bool>));
    let shared = inner.clone();
    let on_click = Closure::<dyn FnMut(Event)>::new(move |e: Event| {
        let on_label = is_label(&e);
        if !on_label && !is_box(&e) {
            return;
        }
        let counts = match (on_label, label_passed.take()) {
            (false, Some(passed)) => passed,
            _ => match click_input(&shared, &e) {
                ClickInput::Keyboard => e.is_trusted() && shared.tick_by_key.get(),
                input => {
                    shared
                        .gate
                        .borrow()
                        .click(bench::now(), e.is_trusted(), input)
                        == Click::Counts
                }
            },
        };
        if on_label && counts {
            label_passed.set(Some(true));
        }
        if !counts {
            e.prevent_default();
            if let Some(d) = shared.dom.borrow().as_ref() {
                d.show_too_soon(true);
            }
        }
    });
    document.add_event_listener_with_callback_and_bool(
        "click",
        on_click.as_ref().unchecked_ref(),
        true,
    )?;
    on_click.forget();
    Ok(())
}

/// `pointerType` of a pointer event: a finger, or something that hovers.
fn pointer_kind(e: &Event) -> ClickInput {
    match Reflect::get(e, &"pointerType".into())
        .ok()
        .and_then(|v| v.as_string())
        .as_deref()
    {
        Some("touch") => ClickInput::Touch,
        _ => ClickInput::Pointer,
    }
}

/// What made the click `e`: a key on the button (a click of `detail` 0),
/// or the pointer: the click's own `pointerType` where the browser gives
/// one, else the last pointer pressed here.
pub fn click_input(inner: &Inner, e: &Event) -> ClickInput {
    let detail = Reflect::get(e, &"detail".into())
        .ok()
        .and_then(|v| v.as_f64());
    if detail == Some(0.0) {
        return ClickInput::Keyboard;
    }
    let own = Reflect::get(e, &"pointerType".into())
        .ok()
        .and_then(|v| v.as_string())
        .filter(|t| !t.is_empty());
    match own {
        Some(_) => pointer_kind(e),
        None => inner.last_pointer.get(),
    }
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
