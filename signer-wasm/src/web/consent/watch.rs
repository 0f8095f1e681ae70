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
    Element, Event, EventTarget, HtmlElement, HtmlInputElement, IntersectionObserver,
    IntersectionObserverEntry, IntersectionObserverInit,
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

/// What a listener does with the consent's state and its event.
type OnEvent = Box<dyn Fn(&Rc<Inner>, &Event)>;

/// In which phase a listener hears its events.
#[derive(Clone, Copy)]
enum Phase {
    Bubble,
    /// Heard on the way down, before the event's target and the elements
    /// around it hear it.
    Capture,
}
use Phase::{Bubble, Capture};

/// Calls `on` for each of `events` at `target`, for as long as the page
/// lives. Every listener here is this one closure type, so wasm-bindgen's
/// glue for it is built once, not once per listener.
fn listen(
    inner: &Rc<Inner>,
    target: &EventTarget,
    events: &[&str],
    phase: Phase,
    on: OnEvent,
) -> Result<(), JsValue> {
    let shared = inner.clone();
    let closure = Closure::<dyn FnMut(Event)>::new(move |e: Event| on(&shared, &e));
    for event in events {
        target.add_event_listener_with_callback_and_bool(
            event,
            closure.as_ref().unchecked_ref(),
            matches!(phase, Capture),
        )?;
    }
    closure.forget();
    Ok(())
}

/// Starts watching `target` (the screen's root) and the window.
pub fn start(inner: &Rc<Inner>, target: &Element) -> Result<(), JsValue> {
    let window = web_sys::window().ok_or("no window")?;
    let document = window.document().ok_or("no document")?;

    listen(
        inner,
        &window,
        &["resize"],
        Bubble,
        Box::new(|inner, _| {
            resize(inner);
            refresh(inner);
        }),
    )?;
    listen(
        inner,
        &document,
        &["visibilitychange"],
        Bubble,
        Box::new(|inner, _| {
            page(inner);
            refresh(inner);
        }),
    )?;

    // The pointer: where on the device's screen each of its events here
    // puts it, and whether a move took it elsewhere, until it leaves the
    // document (`pointerout` to nothing). Read with `Reflect`, which costs
    // less than web-sys's PointerEvent bindings.
    let on_pointer = |inner: &Rc<Inner>, e: &Event| {
        let read = |name: &str| Reflect::get(e, &name.into()).ok().and_then(|v| v.as_f64());
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
        let mut gate = inner.gate.borrow_mut();
        if e.type_() == "pointermove" {
            gate.pointer_moved(bench::now(), at);
        } else {
            gate.pointer_seen(at);
        }
    };
    listen(
        inner,
        &document,
        &[
            "pointerover",
            "pointermove",
            "pointerdown",
            "pointerup",
            "wheel",
        ],
        Bubble,
        Box::new(on_pointer),
    )?;
    listen(
        inner,
        &document,
        &["pointerout"],
        Bubble,
        Box::new(|inner, e| {
            let to = Reflect::get(e, &"relatedTarget".into()).unwrap_or(JsValue::NULL);
            if to.is_null() || to.is_undefined() {
                inner.gate.borrow_mut().pointer_left();
            }
        }),
    )?;
    listen(
        inner,
        &document,
        &["pointerdown"],
        Bubble,
        Box::new(|inner, e| {
            let kind = pointer_kind(e);
            inner.last_pointer.set(kind);
            if kind == ClickInput::Touch && e.is_trusted() {
                inner
                    .gate
                    .borrow_mut()
                    .touch_pressed(bench::now(), pointer_id(e));
            }
        }),
    )?;
    // The finger lifts: after the pressed element judged the release (this
    // listener bubbles last), the hold is over.
    listen(
        inner,
        &document,
        &["pointerup", "pointercancel"],
        Bubble,
        Box::new(|inner, e| {
            if pointer_kind(e) == ClickInput::Touch {
                inner.gate.borrow_mut().touch_ended(pointer_id(e));
            }
        }),
    )?;
    listen(
        inner,
        &document,
        &["keydown"],
        Capture,
        Box::new(|inner, e| {
            let key = Reflect::get(e, &"key".into())
                .ok()
                .and_then(|k| k.as_string());
            if e.is_trusted() && key.as_deref() == Some("Tab") {
                inner.last_tab.set(bench::now());
            }
        }),
    )?;
    // A scroll (the user's, or a fragment the host navigated the iFrame
    // to) moves the content under a pointer that stays put: no pointer
    // coordinate changes, so the gate is told.
    listen(
        inner,
        &document,
        &["scroll"],
        Capture,
        Box::new(|inner, _| inner.gate.borrow_mut().content_moved()),
    )?;

    track_always_allow(inner, &document)?;

    resize(inner);
    page(inner);

    if inner.gate.borrow().tracked() {
        let shared = inner.clone();
        let on_entries = Closure::<dyn FnMut(Array)>::new(move |entries: Array| {
            // Only the watched surface's latest verdict: one queued for a
            // surface watched before counts for nothing.
            let watched = shared.watched.borrow().clone();
            let Some(last) = entries
                .iter()
                .filter_map(|e| e.dyn_into::<IntersectionObserverEntry>().ok())
                .rfind(|e| watched.as_ref() == Some(&e.target()))
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
        *inner.watched.borrow_mut() = Some(target.clone());
        on_entries.forget();
        // The observer lives as long as the page.
        *inner.observer.borrow_mut() = Some(observer);
    }
    Ok(())
}

/// Makes `surface` what the gate's visibility is of: the screen's root,
/// or the export panel while its secret waits for Reveal (web/ui.rs). The
/// new surface is not visible until the observer says so of it.
pub fn watch_surface(inner: &Inner, surface: &Element) {
    let observer = inner.observer.borrow();
    let Some(observer) = observer.as_ref() else {
        return;
    };
    let old = inner.watched.replace(Some(surface.clone()));
    if old.as_ref() == Some(surface) {
        return;
    }
    if let Some(old) = old {
        observer.unobserve(&old);
    }
    // Verdicts queued for the surface watched before are dropped.
    let _ = observer.take_records();
    inner.gate.borrow_mut().observe(bench::now(), false);
    observer.observe(surface);
}

/// How soon after a Tab pressed in this document a focus on Approve counts
/// as the keyboard's.
const TAB_TO_FOCUS_MS: f64 = 300.0;

/// Did a Tab pressed in this document just now give the focus?
fn focused_by_tab(inner: &Inner, now: f64) -> bool {
    now - inner.last_tab.get() <= TAB_TO_FOCUS_MS
}

/// A control a key would press gained (`focused`) or lost the focus: the
/// gate counts the focus only if a Tab here gave it ([`track_focus`]).
fn focus_changed(inner: &Inner, focused: bool) {
    let now = bench::now();
    let by_key = focused_by_tab(inner, now);
    inner
        .gate
        .borrow_mut()
        .control_focus(now, focused && by_key);
}

/// Wires `button` (Approve; Reveal, web/ui.rs) to the gate: `act` gets
/// the gate's verdict on each activation and the input that made it. A
/// mouse, a pen or a key activates by its click. A finger activates by its
/// release after a press-and-hold on the button, judged at `pointerup`
/// (Chromium on Android ends a long press without a click), so a touch's
/// click is left out; so is the context menu a long press would open.
pub fn gated_button(
    inner: &Rc<Inner>,
    button: &HtmlElement,
    act: fn(&Rc<Inner>, Click, ClickInput),
) -> Result<(), JsValue> {
    listen(
        inner,
        button,
        &["click"],
        Bubble,
        Box::new(move |inner, e| {
            let input = click_input(inner, e);
            if input == ClickInput::Touch {
                return;
            }
            let verdict = inner
                .gate
                .borrow()
                .click(bench::now(), e.is_trusted(), input);
            act(inner, verdict, input);
        }),
    )?;
    let pressed = button.clone();
    listen(
        inner,
        button,
        &["pointerup"],
        Bubble,
        Box::new(move |inner, e| {
            if let Some(verdict) = touch_release(inner, e, &pressed) {
                act(inner, verdict, ClickInput::Touch);
            }
        }),
    )?;
    listen(
        inner,
        button,
        &["contextmenu"],
        Bubble,
        Box::new(|_, e| e.prevent_default()),
    )?;

    track_focus(inner, button)
}

/// The gate's verdict on the release `e` if it is a finger's lifted over
/// `element`; `None` for any other pointer, or a finger slid off it.
fn touch_release(inner: &Inner, e: &Event, element: &Element) -> Option<Click> {
    if pointer_kind(e) != ClickInput::Touch || !released_on(e, element) {
        return None;
    }
    Some(
        inner
            .gate
            .borrow()
            .touch_released(bench::now(), e.is_trusted(), pointer_id(e)),
    )
}

/// Was the pointer of `e` released over `element`? A touch's events all go
/// to the element it pressed, wherever the finger went since; one slid
/// off before it lifted is no press of that element (as for a click).
fn released_on(e: &Event, element: &Element) -> bool {
    let read = |name: &str| Reflect::get(e, &name.into()).ok().and_then(|v| v.as_f64());
    let (Some(x), Some(y)) = (read("clientX"), read("clientY")) else {
        return false;
    };
    let r = element.get_bounding_client_rect();
    x >= r.left() && x <= r.right() && y >= r.top() && y <= r.bottom()
}

/// Feeds the gate whether `button` has the keyboard focus, and only focus
/// the keyboard gave it here: a Tab pressed in this document just before
/// (`start` notes when). A press of the pointer on the button also focuses
/// it (a click the gate refused, say), and a Tab pressed on the host page
/// can move the focus into the iFrame onto it; neither is a key the user
/// aimed at it.
fn track_focus(inner: &Rc<Inner>, button: &EventTarget) -> Result<(), JsValue> {
    for (event, focused) in [("focus", true), ("blur", false)] {
        listen(
            inner,
            button,
            &[event],
            Bubble,
            Box::new(move |inner, _| focus_changed(inner, focused)),
        )?;
    }
    Ok(())
}

/// "Always allow" is ticked as Approve is clicked: a pointer's tick counts
/// only if the gate would count its click on Approve, a key's only on a box
/// a Tab in the iFrame focused 400 ms before (the gate's focus dwell), a
/// finger's only as a press-and-hold; any other is undone (the click's
/// default prevented) before the box changes. Otherwise a host could bring
/// the box under a resting pointer, and the user's deliberate Approve
/// afterwards would make a standing rule they did not choose.
fn track_always_allow(inner: &Rc<Inner>, document: &web_sys::Document) -> Result<(), JsValue> {
    let is_box = |e: &Event| {
        e.target()
            .and_then(|t| t.dyn_into::<Element>().ok())
            .is_some_and(|t| t.id() == super::dom::ALWAYS_ALLOW_ID)
    };
    for (event, focused) in [("focusin", true), ("focusout", false)] {
        listen(
            inner,
            document,
            &[event],
            Capture,
            Box::new(move |inner, e| {
                if is_box(e) {
                    focus_changed(inner, focused);
                }
            }),
        )?;
    }
    let is_label = |e: &Event| {
        e.target()
            .and_then(|t| t.dyn_into::<Element>().ok())
            .is_some_and(|t| {
                t.tag_name().eq_ignore_ascii_case("label")
                    && t.get_attribute("for").as_deref() == Some(super::dom::ALWAYS_ALLOW_ID)
            })
    };
    let on_click = move |inner: &Rc<Inner>, e: &Event| {
        let on_label = is_label(e);
        if !on_label && !is_box(e) {
            return;
        }
        let input = click_input(inner, e);
        // A finger ticks at its release (below), never by its click.
        let verdict = match input {
            ClickInput::Touch => Click::Ignored,
            _ => inner
                .gate
                .borrow()
                .click(bench::now(), e.is_trusted(), input),
        };
        // The box changes only here: a label's click would tick it through
        // a second click, on the box, which might never come (a modifier,
        // a drag) and leave a verdict waiting for the next one.
        if on_label || verdict != Click::Counts {
            e.prevent_default();
        }
        match verdict {
            Click::Counts if on_label => toggle_always_allow(),
            Click::Counts | Click::Ignored => {}
            Click::TooSoon => {
                if let Some(d) = inner.dom.borrow().as_ref() {
                    d.show_too_soon(Some(input));
                }
            }
        }
    };
    listen(inner, document, &["click"], Capture, Box::new(on_click))?;
    // A finger ticks (or unticks) the box, on it or on its label, by a
    // press-and-hold the gate counts, judged at its release as on Approve.
    let on_release = move |inner: &Rc<Inner>, e: &Event| {
        if !(is_box(e) || is_label(e)) {
            return;
        }
        let Some(target) = e.target().and_then(|t| t.dyn_into::<Element>().ok()) else {
            return;
        };
        let Some(verdict) = touch_release(inner, e, &target) else {
            return;
        };
        match verdict {
            Click::Counts => toggle_always_allow(),
            Click::TooSoon => {
                if let Some(d) = inner.dom.borrow().as_ref() {
                    d.show_too_soon(Some(ClickInput::Touch));
                }
            }
            Click::Ignored => {}
        }
    };
    listen(
        inner,
        document,
        &["pointerup"],
        Capture,
        Box::new(on_release),
    )?;
    Ok(())
}

/// Ticks or unticks the "Always allow" box, for an input the gate counted
/// that does not change it by itself.
fn toggle_always_allow() {
    let tick = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(super::dom::ALWAYS_ALLOW_ID))
        .and_then(|b| b.dyn_into::<HtmlInputElement>().ok());
    if let Some(tick) = tick {
        tick.set_checked(!tick.checked());
    }
}

/// `pointerId` of a pointer event (0 where there is none).
fn pointer_id(e: &Event) -> i32 {
    Reflect::get(e, &"pointerId".into())
        .ok()
        .and_then(|v| v.as_f64())
        .map_or(0, |v| v as i32)
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

/// Resolves after `ms` milliseconds (a timer task).
pub async fn sleep_ms(ms: i32) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let done = js_sys::Promise::new(&mut |resolve, _| {
        let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
    });
    let _ = wasm_bindgen_futures::JsFuture::from(done).await;
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
