//! The screen's DOM, built with web-sys (styles in iframe-host/iframe.css):
//! a dialog with the heading naming the action, the embedding origin, the
//! description, one `role="alert"` element per warning, raw data behind a
//! toggle, and the two buttons "Reject" and "Approve". Text goes in with
//! `textContent` only, never as markup.

use std::rc::Rc;

use wasm_bindgen::{JsCast, JsValue, closure::Closure};
use web_sys::{Document, Element, Event, HtmlButtonElement, HtmlElement, KeyboardEvent};

use super::{Inner, on_approve, on_reject, watch};
use crate::consent::Screen;
use crate::intent::Field;

pub struct Dom {
    document: Document,
    root: HtmlElement,
    title: Element,
    origin: Element,
    body: Element,
    waiting: Element,
    approve: HtmlButtonElement,
}

fn el(document: &Document, tag: &str, class: &str) -> Result<Element, JsValue> {
    let e = document.create_element(tag)?;
    if !class.is_empty() {
        e.set_class_name(class);
    }
    Ok(e)
}

fn text(document: &Document, tag: &str, class: &str, content: &str) -> Result<Element, JsValue> {
    let e = el(document, tag, class)?;
    e.set_text_content(Some(content));
    Ok(e)
}

fn button(document: &Document, label: &str, class: &str) -> Result<HtmlButtonElement, JsValue> {
    let b: HtmlButtonElement = el(document, "button", class)?.dyn_into()?;
    b.set_type("button");
    b.set_text_content(Some(label));
    Ok(b)
}

impl Dom {
    /// Builds the (hidden) screen, wires its buttons and Escape, and starts
    /// the visibility watch.
    pub fn build(inner: &Rc<Inner>) -> Result<Dom, JsValue> {
        let document = web_sys::window()
            .and_then(|w| w.document())
            .ok_or("no document")?;
        let body = document.body().ok_or("no body")?;
        let root: HtmlElement = el(&document, "section", "consent")?.dyn_into()?;
        root.set_id("consent");
        root.set_attribute("role", "dialog")?;
        root.set_attribute("aria-modal", "true")?;
        root.set_attribute("aria-labelledby", "consent-title")?;
        root.set_attribute("tabindex", "-1")?;
        root.set_hidden(true);

        let header = el(&document, "header", "consent-head")?;
        let title = el(&document, "h1", "")?;
        title.set_id("consent-title");
        let from = el(&document, "p", "consent-origin")?;
        from.append_with_str_1("Request from ")?;
        let origin = el(&document, "strong", "")?;
        from.append_child(&origin)?;
        header.append_child(&title)?;
        header.append_child(&from)?;

        let content = el(&document, "div", "consent-body")?;
        let waiting = el(&document, "p", "consent-waiting")?;
        let footer = el(&document, "footer", "consent-actions")?;
        let reject = button(&document, "Reject", "reject")?;
        let approve = button(&document, "Approve", "approve")?;
        approve.set_disabled(true);
        footer.append_child(&reject)?;
        footer.append_child(&approve)?;

        root.append_child(&header)?;
        root.append_child(&content)?;
        root.append_child(&waiting)?;
        root.append_child(&footer)?;
        body.append_child(&root)?;

        let shared = inner.clone();
        let on_approve_click = Closure::<dyn FnMut(Event)>::new(move |e: Event| {
            on_approve(&shared, e.is_trusted());
        });
        approve
            .add_event_listener_with_callback("click", on_approve_click.as_ref().unchecked_ref())?;
        on_approve_click.forget();

        let shared = inner.clone();
        let on_reject_click = Closure::<dyn FnMut(Event)>::new(move |_: Event| on_reject(&shared));
        reject
            .add_event_listener_with_callback("click", on_reject_click.as_ref().unchecked_ref())?;
        on_reject_click.forget();

        let shared = inner.clone();
        let on_key = Closure::<dyn FnMut(KeyboardEvent)>::new(move |e: KeyboardEvent| {
            if e.key() == "Escape" {
                on_reject(&shared);
            }
        });
        document.add_event_listener_with_callback("keydown", on_key.as_ref().unchecked_ref())?;
        on_key.forget();

        watch::start(inner, &root)?;
        Ok(Dom {
            document,
            root,
            title,
            origin,
            body: content,
            waiting,
            approve,
        })
    }

    /// Shows `screen`; `waiting` more requests queue behind it; `tracked`
    /// says whether the browser reports occlusion.
    pub fn render(&self, screen: &Screen, waiting: usize, tracked: bool) {
        let _ = self.fill(screen, tracked);
        self.set_waiting(waiting);
        self.approve.set_disabled(true);
        self.root.set_hidden(false);
        let _ = self.root.focus();
    }

    fn fill(&self, screen: &Screen, tracked: bool) -> Result<(), JsValue> {
        let d = &self.document;
        self.title.set_text_content(Some(&screen.heading));
        self.origin.set_text_content(Some(&screen.origin));
        self.body.set_text_content(None);
        if let Some(summary) = &screen.summary {
            let node = text(d, "p", "consent-summary", summary)?;
            self.body.append_child(&node)?;
        }
        for warning in &screen.warnings {
            let w = text(d, "p", "warning", warning)?;
            w.set_attribute("role", "alert")?;
            self.body.append_child(&w)?;
        }
        if !tracked {
            let note = text(
                d,
                "p",
                "consent-note",
                "This browser cannot tell whether this window is covered: Approve unlocks after a short wait. Check that nothing hides it before approving.",
            )?;
            note.set_attribute("role", "note")?;
            self.body.append_child(&note)?;
        }
        if !screen.fields.is_empty() {
            let node = fields(d, &screen.fields)?;
            self.body.append_child(&node)?;
        }
        if let Some(raw) = &screen.raw {
            let details = el(d, "details", "consent-raw")?;
            let node = text(d, "summary", "", "Raw data")?;
            details.append_child(&node)?;
            let node = text(d, "pre", "", raw)?;
            details.append_child(&node)?;
            self.body.append_child(&details)?;
        }
        Ok(())
    }

    pub fn set_waiting(&self, waiting: usize) {
        let note = match waiting {
            0 => String::new(),
            1 => "1 more request is waiting.".to_owned(),
            n => format!("{n} more requests are waiting."),
        };
        self.waiting.set_text_content(Some(&note));
    }

    pub fn set_approvable(&self, open: bool) {
        self.approve.set_disabled(!open);
    }

    pub fn hide(&self) {
        self.root.set_hidden(true);
        self.body.set_text_content(None);
        self.approve.set_disabled(true);
    }
}

/// A field tree as nested description lists.
fn fields(d: &Document, list: &[Field]) -> Result<Element, JsValue> {
    let dl = el(d, "dl", "consent-fields")?;
    for f in list {
        let row = el(d, "div", "")?;
        let node = text(d, "dt", "", &f.label)?;
        row.append_child(&node)?;
        let dd = text(d, "dd", "", &f.value)?;
        if !f.children.is_empty() {
            let node = fields(d, &f.children)?;
            dd.append_child(&node)?;
        }
        row.append_child(&dd)?;
        dl.append_child(&row)?;
    }
    Ok(dl)
}
