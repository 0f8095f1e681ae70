//! What the iFrame shows the user itself: the exported secret. The secret
//! is written into this document only, never posted to the host page.

use js_sys::Promise;
use wasm_bindgen::{JsCast, JsValue, closure::Closure};
use wasm_bindgen_futures::JsFuture;
use zeroize::Zeroizing;

/// Shows `secret` under `title` and resolves when the user presses Done;
/// then clears the text from the document.
pub async fn show_secret(title: &str, secret: Zeroizing<String>) -> Result<(), JsValue> {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let panel = document
        .get_element_by_id("export")
        .ok_or("no export panel")?;
    let heading = document
        .get_element_by_id("export-title")
        .ok_or("no export title")?;
    let text = document
        .get_element_by_id("export-secret")
        .ok_or("no export text")?;
    let done: web_sys::HtmlElement = document
        .get_element_by_id("export-done")
        .ok_or("no export button")?
        .dyn_into()?;

    heading.set_text_content(Some(title));
    text.set_text_content(Some(&secret));
    drop(secret);
    panel.remove_attribute("hidden")?;

    let clicked = Promise::new(&mut |resolve, _| {
        let on_click = Closure::once_into_js(move |_: web_sys::Event| {
            let _ = resolve.call0(&JsValue::NULL);
        });
        done.set_onclick(Some(on_click.unchecked_ref()));
    });
    JsFuture::from(clicked).await?;
    done.set_onclick(None);

    text.set_text_content(None);
    panel.set_attribute("hidden", "")?;
    Ok(())
}
