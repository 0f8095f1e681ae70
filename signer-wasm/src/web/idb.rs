//! Promise-free IndexedDB: turns `IDBRequest`s into futures.
//!
//! Only what the share store needs: open one database with one object store,
//! and get-all / put / delete on it, each in its own transaction.

use js_sys::{Array, Promise};
use wasm_bindgen::{JsCast, JsValue, closure::Closure};
use wasm_bindgen_futures::JsFuture;
use web_sys::{IdbDatabase, IdbKeyRange, IdbOpenDbRequest, IdbRequest, IdbTransactionMode};

const DB_NAME: &str = "keyframe";
const DB_VERSION: u32 = 1;
pub const SHARES: &str = "shares";

/// Resolves when `request` succeeds, rejects when it fails.
async fn settle(request: &IdbRequest) -> Result<JsValue, JsValue> {
    let promise = Promise::new(&mut |resolve, reject| {
        let req = request.clone();
        let on_success = Closure::once_into_js(move |_: web_sys::Event| {
            let _ = resolve.call1(&JsValue::NULL, &req.result().unwrap_or(JsValue::UNDEFINED));
        });
        let on_error = Closure::once_into_js(move |_: web_sys::Event| {
            let _ = reject.call1(
                &JsValue::NULL,
                &JsValue::from_str("indexeddb request failed"),
            );
        });
        request.set_onsuccess(Some(on_success.unchecked_ref()));
        request.set_onerror(Some(on_error.unchecked_ref()));
    });
    JsFuture::from(promise).await
}

/// Opens (and on first use creates) the signer's database. Fails where the
/// browser gives the iFrame no IndexedDB (third-party storage blocked).
pub async fn open() -> Result<IdbDatabase, JsValue> {
    let window = web_sys::window().ok_or("no window")?;
    let factory = window.indexed_db()?.ok_or("no indexedDB")?;
    let request: IdbOpenDbRequest = factory.open_with_u32(DB_NAME, DB_VERSION)?;
    let upgrade = Closure::<dyn FnMut(web_sys::IdbVersionChangeEvent)>::new(
        move |event: web_sys::IdbVersionChangeEvent| {
            let db = event
                .target()
                .and_then(|t| t.dyn_into::<IdbOpenDbRequest>().ok())
                .and_then(|r| r.result().ok())
                .and_then(|r| r.dyn_into::<IdbDatabase>().ok());
            if let Some(db) = db
                && !db.object_store_names().contains(SHARES)
            {
                let _ = db.create_object_store(SHARES);
            }
        },
    );
    request.set_onupgradeneeded(Some(upgrade.as_ref().unchecked_ref()));
    let result = settle(&request).await;
    request.set_onupgradeneeded(None);
    drop(upgrade);
    result?
        .dyn_into::<IdbDatabase>()
        .map_err(|_| JsValue::from_str("not a database"))
}

/// Every value whose key starts with `prefix`.
pub async fn get_prefix(db: &IdbDatabase, prefix: &str) -> Result<Vec<JsValue>, JsValue> {
    let tx = db.transaction_with_str_and_mode(SHARES, IdbTransactionMode::Readonly)?;
    let store = tx.object_store(SHARES)?;
    let range = IdbKeyRange::bound(
        &JsValue::from_str(prefix),
        &JsValue::from_str(&format!("{prefix}\u{ffff}")),
    )?;
    let values = settle(&store.get_all_with_key(&range)?).await?;
    Ok(values
        .dyn_into::<Array>()
        .map(|a| a.iter().collect())
        .unwrap_or_default())
}

/// Writes `value` under `key`; resolves once the write is durable in the
/// transaction's sense (the request succeeded).
pub async fn put(db: &IdbDatabase, key: &str, value: &JsValue) -> Result<(), JsValue> {
    let tx = db.transaction_with_str_and_mode(SHARES, IdbTransactionMode::Readwrite)?;
    let store = tx.object_store(SHARES)?;
    settle(&store.put_with_key(value, &JsValue::from_str(key))?).await?;
    Ok(())
}

pub async fn delete(db: &IdbDatabase, key: &str) -> Result<(), JsValue> {
    let tx = db.transaction_with_str_and_mode(SHARES, IdbTransactionMode::Readwrite)?;
    let store = tx.object_store(SHARES)?;
    settle(&store.delete(&JsValue::from_str(key))?).await?;
    Ok(())
}

/// The value under `key`, or `undefined`.
pub async fn get(db: &IdbDatabase, key: &str) -> Result<JsValue, JsValue> {
    let tx = db.transaction_with_str_and_mode(SHARES, IdbTransactionMode::Readonly)?;
    let store = tx.object_store(SHARES)?;
    settle(&store.get(&JsValue::from_str(key))?).await
}
