//! What the iFrame shows the user itself: the exported secret. The secret
//! is written into this document only, never posted to the host page, and
//! only after a second press ("Reveal") that follows the approval and that
//! the consent screen's gate counts (`ScreenConsent::gated_press`).

use js_sys::Promise;
use wasm_bindgen::{JsCast, JsValue, closure::Closure};
use wasm_bindgen_futures::JsFuture;
use web_sys::{HtmlButtonElement, HtmlElement};
use zeroize::Zeroizing;

use super::consent::ScreenConsent;

fn element(document: &web_sys::Document, id: &str) -> Result<web_sys::Element, JsValue> {
    document
        .get_element_by_id(id)
        .ok_or_else(|| JsValue::from_str("export view incomplete"))
}

/// Resolves on the first trusted click on `button`.
async fn trusted_click(button: &HtmlElement) -> Result<(), JsValue> {
    let clicked = Promise::new(&mut |resolve, _| {
        let on_click = Closure::<dyn FnMut(web_sys::Event)>::new(move |e: web_sys::Event| {
            if e.is_trusted() {
                let _ = resolve.call0(&JsValue::NULL);
            }
        });
        button.set_onclick(Some(on_click.as_ref().unchecked_ref()));
        on_click.forget();
    });
    JsFuture::from(clicked).await?;
    button.set_onclick(None);
    Ok(())
}

/// Shows `title` and a Reveal button; on Reveal shows `secret`; resolves
/// when the user presses Done, then clears the text from the document.
pub async fn show_secret(
    consent: &ScreenConsent,
    title: &str,
    secret: Zeroizing<String>,
) -> Result<(), JsValue> {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let panel = element(&document, "export")?;
    let heading = element(&document, "export-title")?;
    let text = element(&document, "export-secret")?;
    let reveal: HtmlButtonElement = element(&document, "export-reveal")?.dyn_into()?;
    let hint = element(&document, "export-hint")?;
    let done: HtmlElement = element(&document, "export-done")?.dyn_into()?;

    heading.set_text_content(Some(title));
    text.set_text_content(None);
    text.set_attribute("hidden", "")?;
    reveal.remove_attribute("hidden")?;
    done.set_attribute("hidden", "")?;
    panel.remove_attribute("hidden")?;

    consent.gated_press(&panel, &reveal, &hint).await?;
    text.set_text_content(Some(&secret));
    drop(secret);
    reveal.set_attribute("hidden", "")?;
    text.remove_attribute("hidden")?;
    done.remove_attribute("hidden")?;

    trusted_click(&done).await?;
    text.set_text_content(None);
    panel.set_attribute("hidden", "")?;
    Ok(())
}
