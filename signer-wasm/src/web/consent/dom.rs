//! The screen's DOM, built with web-sys (styles in iframe-host/iframe.css):
//! a dialog with the heading naming the action, the embedding origin, the
//! description, one `role="alert"` element per warning, raw data behind a
//! toggle, the inputs of a screen that asks for secrets (labelled, with a
//! strength estimate under a new password), and the two buttons "Reject"
//! and "Approve". Text goes in with `textContent` only, never as markup.

use std::rc::Rc;

use std::cell::{Cell, RefCell};
use wasm_bindgen::{JsCast, JsValue, closure::Closure};

use web_sys::{
    Blob, BlobPropertyBag, Document, Element, Event, HtmlAnchorElement, HtmlButtonElement,
    HtmlElement, HtmlInputElement, HtmlTextAreaElement, KeyboardEvent, Url,
};
use zeroize::Zeroizing;

use super::{Inner, on_approve, on_reject, watch};
use crate::consent::entry::{self, Input, InputKind};
use crate::consent::view::ALWAYS_ALLOW_CHOICES;
use crate::consent::{ClickInput, Screen};
use crate::intent::Field;

pub struct Dom {
    document: Document,
    root: HtmlElement,
    title: Element,
    origin: Element,
    body: Element,
    waiting: Element,
    /// Says a click came before the pointer had dwelt (`Click::TooSoon`);
    /// empty otherwise.
    hint: Element,
    approve: HtmlButtonElement,
    /// Where a refused entry says why (inside the body, re-created per
    /// screen).
    error: RefCell<Option<Element>>,
    /// The download link of this screen was clicked by the user.
    downloaded: Rc<Cell<bool>>,
    /// The text of the backup file picked on this screen.
    picked: Rc<RefCell<Option<Zeroizing<String>>>>,
    /// The object URL of the file offered, revoked when the screen goes.
    object_url: RefCell<Option<String>>,
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
        let hint = el(&document, "p", "consent-hint")?;
        hint.set_attribute("role", "status")?;
        let footer = el(&document, "footer", "consent-actions")?;
        let reject = button(&document, "Reject", "reject")?;
        let approve = button(&document, "Approve", "approve")?;
        approve.set_disabled(true);
        footer.append_child(&reject)?;
        footer.append_child(&approve)?;

        root.append_child(&header)?;
        root.append_child(&content)?;
        root.append_child(&waiting)?;
        root.append_child(&hint)?;
        root.append_child(&footer)?;
        body.append_child(&root)?;

        watch::gated_button(inner, &approve, on_approve)?;

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
            hint,
            approve,
            error: RefCell::new(None),
            downloaded: Rc::new(Cell::new(false)),
            picked: Rc::new(RefCell::new(None)),
            object_url: RefCell::new(None),
        })
    }

    /// Takes the screen's root out of the page or puts it back
    /// (ScreenConsent::set_in_document).
    pub fn set_in_document(&self, present: bool) {
        if !present {
            self.root.remove();
        } else if let Some(body) = self.document.body() {
            let _ = body.append_child(&self.root);
        }
    }

    /// Shows `screen`; `waiting` more requests queue behind it; `tracked`
    /// says whether the browser reports occlusion.
    pub fn render(&self, screen: &Screen, waiting: usize, tracked: bool) {
        let _ = self.fill(screen, tracked);
        self.set_waiting(waiting);
        self.hint.set_text_content(None);
        self.approve.set_disabled(true);
        self.root.set_hidden(false);
        let first = screen
            .inputs
            .first()
            .and_then(|i| self.document.get_element_by_id(i.id))
            .and_then(|e| e.dyn_into::<HtmlElement>().ok());
        match first {
            Some(input) => {
                let _ = input.focus();
            }
            None => {
                let _ = self.root.focus();
            }
        }
    }

    fn fill(&self, screen: &Screen, tracked: bool) -> Result<(), JsValue> {
        let d = &self.document;
        self.title.set_text_content(Some(&screen.heading));
        self.origin.set_text_content(Some(&screen.origin));
        self.body.set_text_content(None);
        *self.error.borrow_mut() = None;
        self.forget_files();
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
        // Only the wallet's lifecycle (create, import, recover, export, the
        // backup file) has the user type something or keep a file, and only
        // the second module answers it (src/web/handover.rs): the first
        // carries none of the entry code.
        if cfg!(feature = "all-methods") && !screen.inputs.is_empty() {
            let error = text(d, "p", "warning entry-error", "")?;
            error.set_attribute("role", "alert")?;
            match &screen.error {
                Some(message) => error.set_text_content(Some(message)),
                None => error.set_attribute("hidden", "")?,
            }
            if let Some(reason) = &screen.error_reason {
                error.set_attribute("data-reason", reason)?;
            }
            self.body.append_child(&error)?;
            *self.error.borrow_mut() = Some(error);
            if let Some((name, text)) = &screen.download {
                let node = self.download_link(name, text)?;
                self.body.append_child(&node)?;
            }
            for input in &screen.inputs {
                let node = self.entry_input(input)?;
                self.body.append_child(&node)?;
            }
        }
        // Without IntersectionObserver v2 a covered screen cannot be told
        // from a visible one, and a standing rule is the costliest thing a
        // clickjacked tick could make: the choice is not offered there.
        if screen.always_allow && tracked {
            let node = always_allow_row(d, &screen.origin)?;
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

    /// The "Always allow" choice on the screen: its duration in seconds
    /// when ticked.
    pub fn always_allow_choice(&self) -> Option<u64> {
        let ticked = self
            .document
            .get_element_by_id(ALWAYS_ALLOW_ID)
            .and_then(|e| e.dyn_into::<HtmlInputElement>().ok())
            .is_some_and(|i| i.checked());
        if !ticked {
            return None;
        }
        let secs = self
            .document
            .get_element_by_id(ALWAYS_ALLOW_FOR_ID)
            .and_then(|e| e.dyn_into::<web_sys::HtmlSelectElement>().ok())
            .and_then(|s| s.value().parse::<u64>().ok())?;
        // Only a duration the screen offered.
        ALWAYS_ALLOW_CHOICES
            .iter()
            .any(|(s, _)| *s == secs)
            .then_some(secs)
    }

    /// Says how many requests wait behind this one; `true` if the line
    /// came or went (the content below it moved).
    pub fn set_waiting(&self, waiting: usize) -> bool {
        let note = match waiting {
            0 => String::new(),
            1 => "1 more request is waiting.".to_owned(),
            n => format!("{n} more requests are waiting."),
        };
        let was_shown = self.waiting.text_content().is_some_and(|t| !t.is_empty());
        self.waiting.set_text_content(Some(&note));
        was_shown != (waiting > 0)
    }

    /// What was typed in input `id` (empty when there is none); a file
    /// input gives the file's text, a ticked confirmation
    /// [`entry::CONFIRMED`] once the download it confirms has started.
    pub fn value(&self, id: &str) -> Zeroizing<String> {
        let element = self.document.get_element_by_id(id);
        if let Some(input) = element
            .as_ref()
            .and_then(|e| e.dyn_ref::<HtmlInputElement>())
        {
            match input.type_().as_str() {
                "file" => {
                    let picked = self.picked.borrow().clone();
                    return picked.unwrap_or_else(|| Zeroizing::new(String::new()));
                }
                "checkbox" => {
                    let ok = input.checked() && self.downloaded.get();
                    return Zeroizing::new(if ok {
                        entry::CONFIRMED.to_owned()
                    } else {
                        String::new()
                    });
                }
                _ => {}
            }
        }
        let value = element.as_ref().and_then(|e| {
            if let Some(input) = e.dyn_ref::<HtmlInputElement>() {
                Some(input.value())
            } else {
                e.dyn_ref::<HtmlTextAreaElement>().map(|t| t.value())
            }
        });
        Zeroizing::new(value.unwrap_or_default())
    }

    /// Says why the entry was refused, as an alert; the inputs stay.
    pub fn show_error(&self, message: &str) {
        if let Some(e) = self.error.borrow().as_ref() {
            e.set_text_content(Some(message));
            let _ = e.remove_attribute("hidden");
        }
    }

    /// Says that a click on Approve (or a tick) by `input` came from a
    /// pointer that had only just arrived, a key on a button only just
    /// focused, or a finger that only tapped, and did not count; `None`
    /// takes that back once a click counted.
    pub fn show_too_soon(&self, input: Option<ClickInput>) {
        self.hint.set_text_content(input.map(too_soon_hint));
    }

    /// The screen's root: the surface the gate watches while it shows.
    pub fn root(&self) -> &Element {
        &self.root
    }

    pub fn set_approvable(&self, open: bool) {
        self.approve.set_disabled(!open);
    }

    pub fn hide(&self) {
        self.root.set_hidden(true);
        self.body.set_text_content(None);
        self.approve.set_disabled(true);
        self.forget_files();
    }

    fn forget_files(&self) {
        self.downloaded.set(false);
        *self.picked.borrow_mut() = None;
        if let Some(url) = self.object_url.borrow_mut().take() {
            let _ = Url::revoke_object_url(&url);
        }
    }

    /// A link that downloads `text` as `name`; a trusted click on it is
    /// the download starting.
    fn download_link(&self, name: &str, text: &str) -> Result<Element, JsValue> {
        let d = &self.document;
        let parts = js_sys::Array::of1(&JsValue::from_str(text));
        let options = BlobPropertyBag::new();
        options.set_type("application/json");
        let blob = Blob::new_with_str_sequence_and_options(&parts, &options)?;
        let url = Url::create_object_url_with_blob(&blob)?;
        let a: HtmlAnchorElement = el(d, "a", "download")?.dyn_into()?;
        a.set_href(&url);
        a.set_download(name);
        a.set_text_content(Some("Download backup file"));
        *self.object_url.borrow_mut() = Some(url);
        let downloaded = self.downloaded.clone();
        let on_click = Closure::<dyn FnMut(Event)>::new(move |e: Event| {
            if e.is_trusted() {
                downloaded.set(true);
            }
        });
        a.add_event_listener_with_callback("click", on_click.as_ref().unchecked_ref())?;
        on_click.forget();
        Ok(a.into())
    }

    /// A labelled input; a new password gets its strength estimate,
    /// updated as the user types; a file input reads the file it is given.
    fn entry_input(&self, input: &Input) -> Result<Element, JsValue> {
        let d = &self.document;
        match input.kind {
            InputKind::File => {
                let row = el(d, "div", "entry")?;
                let label = text(d, "label", "", input.label)?;
                label.set_attribute("for", input.id)?;
                row.append_child(&label)?;
                let field: HtmlInputElement = el(d, "input", "")?.dyn_into()?;
                field.set_type("file");
                field.set_accept(".json,application/json");
                field.set_id(input.id);
                let picked = self.picked.clone();
                let on_change = Closure::<dyn FnMut(Event)>::new(move |e: Event| {
                    let file = e
                        .target()
                        .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
                        .and_then(|i| i.files())
                        .and_then(|f| f.get(0));
                    *picked.borrow_mut() = None;
                    let Some(file) = file else { return };
                    // Not a backup if it is this large; the core says so.
                    if file.size() > crate::backup::MAX_FILE_BYTES as f64 {
                        *picked.borrow_mut() = Some(Zeroizing::new("{\"too large\": true}".into()));
                        return;
                    }
                    let picked = picked.clone();
                    wasm_bindgen_futures::spawn_local(async move {
                        let read = wasm_bindgen_futures::JsFuture::from(file.text()).await;
                        if let Ok(text) = read
                            && let Some(text) = text.as_string()
                        {
                            *picked.borrow_mut() = Some(Zeroizing::new(text));
                        }
                    });
                });
                field.add_event_listener_with_callback(
                    "change",
                    on_change.as_ref().unchecked_ref(),
                )?;
                on_change.forget();
                row.append_child(&field)?;
                Ok(row)
            }
            InputKind::Confirm => {
                let row = el(d, "div", "entry entry-confirm")?;
                let field: HtmlInputElement = el(d, "input", "")?.dyn_into()?;
                field.set_type("checkbox");
                field.set_id(input.id);
                row.append_child(&field)?;
                let label = text(d, "label", "", input.label)?;
                label.set_attribute("for", input.id)?;
                row.append_child(&label)?;
                Ok(row)
            }
            _ => entry_input(d, input),
        }
    }
}

/// A labelled input; a new password gets its strength estimate, updated as
/// the user types.
fn entry_input(d: &Document, input: &Input) -> Result<Element, JsValue> {
    let row = el(d, "div", "entry")?;
    let label = text(d, "label", "", input.label)?;
    label.set_attribute("for", input.id)?;
    row.append_child(&label)?;
    let field: HtmlElement = match input.kind {
        InputKind::Password { new } => {
            let e: HtmlInputElement = el(d, "input", "")?.dyn_into()?;
            e.set_type("password");
            e.set_attribute(
                "autocomplete",
                if new {
                    "new-password"
                } else {
                    "current-password"
                },
            )?;
            e.into()
        }
        InputKind::Phrase => {
            let e: HtmlTextAreaElement = el(d, "textarea", "")?.dyn_into()?;
            e.set_rows(3);
            e.set_attribute("autocomplete", "off")?;
            e.set_attribute("autocapitalize", "off")?;
            e.into()
        }
        // Rendered by `Dom::entry_input`, which keeps their state.
        InputKind::File | InputKind::Confirm => return Err("not a text input".into()),
    };
    field.set_id(input.id);
    field.set_attribute("spellcheck", "false")?;
    row.append_child(&field)?;
    if input.meter {
        let meter = el(d, "p", "entry-strength")?;
        meter.set_attribute("aria-live", "polite")?;
        meter.set_text_content(Some(entry::Strength::TooShort.label()));
        let shown = meter.clone();
        let on_input = Closure::<dyn FnMut(Event)>::new(move |e: Event| {
            let typed = e
                .target()
                .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
                .map(|i| Zeroizing::new(i.value()));
            if let Some(typed) = typed {
                shown.set_text_content(Some(entry::strength(&typed).label()));
            }
        });
        field.add_event_listener_with_callback("input", on_input.as_ref().unchecked_ref())?;
        on_input.forget();
        row.append_child(&meter)?;
    }
    Ok(row)
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

pub(super) const ALWAYS_ALLOW_ID: &str = "always-allow";
const ALWAYS_ALLOW_FOR_ID: &str = "always-allow-for";

/// "Always allow this from <origin>" and how long.
fn always_allow_row(d: &Document, origin: &str) -> Result<Element, JsValue> {
    let row = el(d, "div", "entry entry-confirm always-allow")?;
    let field: HtmlInputElement = el(d, "input", "")?.dyn_into()?;
    field.set_type("checkbox");
    field.set_id(ALWAYS_ALLOW_ID);
    row.append_child(&field)?;
    let label = text(
        d,
        "label",
        "",
        &format!("Always allow requests like this from {origin}"),
    )?;
    label.set_attribute("for", ALWAYS_ALLOW_ID)?;
    row.append_child(&label)?;
    let select: web_sys::HtmlSelectElement = el(d, "select", "")?.dyn_into()?;
    select.set_id(ALWAYS_ALLOW_FOR_ID);
    select.set_attribute("aria-label", "How long to always allow")?;
    for (secs, label) in ALWAYS_ALLOW_CHOICES {
        let option = text(d, "option", "", label)?;
        option.set_attribute("value", &secs.to_string())?;
        select.append_child(&option)?;
    }
    row.append_child(&select)?;
    Ok(row)
}

/// What the screen says after an input the gate found too soon.
pub(super) fn too_soon_hint(input: ClickInput) -> &'static str {
    match input {
        ClickInput::Touch => {
            "A tap does not count on this screen. Check the request, then press and hold for a moment."
        }
        ClickInput::Pointer | ClickInput::Keyboard => {
            "That click came the moment the pointer (or the focus) reached Approve, so it did not count. Check the request, then click Approve again."
        }
    }
}
