//! The device's share store: IndexedDB where the browser allows it, memory
//! for the page's life where it does not (a cross-site iFrame often gets no
//! storage; the device is then registered as ephemeral, docs/api.md).
//!
//! It implements the flows' [`DeviceStore`]. Each device share is its own
//! entry, keyed by `wallet/device/version/split`, and entries are only ever added or deleted
//! by exact key, never overwritten. Two tabs that refresh at once can then
//! never lose each other's writes: the worst case is an extra entry that the
//! next operation tries and drops (docs/api.md, refresh protocol).

use std::cell::RefCell;
use std::collections::BTreeMap;

use wasm_bindgen::JsValue;
use web_sys::IdbDatabase;
use zeroize::Zeroizing;

use super::idb;
use super::lock::{self, WebLock};
use crate::flows::{DeviceStore, Entry, StoreError};
use crate::shares::{DeviceId, WalletId};

pub enum ShareStore {
    Persistent(IdbDatabase),
    /// No persistent storage: the pair lives as long as the page. A list,
    /// one entry per key: a handful of entries, and a map's removal code
    /// would cost the WASM ~1 KB (bench/SIZE.md, "Map removals").
    Memory(RefCell<Vec<Entry>>),
}

impl ShareStore {
    /// Opens IndexedDB and proves it works with a write and a delete; falls
    /// back to memory when either fails (cross-site iFrames in many browsers).
    pub async fn detect() -> ShareStore {
        if let Ok(db) = idb::open().await {
            let probe = "probe/";
            if idb::put(&db, probe, &JsValue::from_str("1")).await.is_ok()
                && idb::delete(&db, probe).await.is_ok()
            {
                return ShareStore::Persistent(db);
            }
        }
        ShareStore::Memory(RefCell::new(Vec::new()))
    }

    /// A memory store's entries; `None` for a persistent store, which any
    /// module can open. What the second module is handed (web/handover.rs).
    pub fn memory_entries(&self) -> Option<Vec<Entry>> {
        match self {
            ShareStore::Persistent(_) => None,
            ShareStore::Memory(list) => Some(list.borrow().clone()),
        }
    }

    /// A memory store holding `entries` (from [`Self::memory_entries`]).
    #[cfg(feature = "all-methods")]
    pub fn memory_with(entries: Vec<Entry>) -> ShareStore {
        let store = ShareStore::Memory(RefCell::new(Vec::new()));
        if let ShareStore::Memory(list) = &store {
            for entry in &entries {
                upsert(&mut list.borrow_mut(), entry);
            }
        }
        store
    }
}

/// Puts `entry` in a memory store's list, in place of the one with its
/// key if there is one (the replaced entry's share is wiped on drop).
fn upsert(list: &mut Vec<Entry>, entry: &Entry) {
    let key = entry.key();
    match list.iter_mut().find(|e| e.key() == key) {
        Some(old) => *old = entry.clone(),
        None => list.push(entry.clone()),
    }
}

impl DeviceStore for ShareStore {
    type Lock<'a> = WebLock;

    fn is_persistent(&self) -> bool {
        matches!(self, ShareStore::Persistent(_))
    }

    async fn entries(&self, wallet: WalletId) -> Result<Vec<Entry>, StoreError> {
        let prefix = Entry::wallet_prefix(wallet);
        let mut entries: Vec<Entry> = match self {
            ShareStore::Persistent(db) => idb::get_prefix(db, &prefix)
                .await
                .map_err(|_| StoreError)?
                .into_iter()
                .filter_map(|v| v.as_string())
                .filter_map(|text| Entry::from_stored_text(Zeroizing::new(text)))
                .collect(),
            ShareStore::Memory(list) => list
                .borrow()
                .iter()
                .filter(|e| e.key().starts_with(&prefix))
                .cloned()
                .collect(),
        };
        Entry::newest_first(&mut entries);
        Ok(entries)
    }

    async fn put(&self, entry: &Entry) -> Result<(), StoreError> {
        match self {
            ShareStore::Persistent(db) => {
                let text = entry.to_stored_text();
                idb::put(db, &entry.key(), &JsValue::from_str(&text))
                    .await
                    .map_err(|_| StoreError)?;
            }
            ShareStore::Memory(list) => upsert(&mut list.borrow_mut(), entry),
        }
        Ok(())
    }

    async fn delete(&self, entry: &Entry) -> Result<(), StoreError> {
        match self {
            ShareStore::Persistent(db) => idb::delete(db, &entry.key())
                .await
                .map_err(|_| StoreError)?,
            ShareStore::Memory(list) => {
                let key = entry.key();
                list.borrow_mut().retain(|e| e.key() != key);
            }
        }
        Ok(())
    }

    async fn lock(&self) -> WebLock {
        lock::acquire().await
    }

    async fn remembered_devices(&self, wallet: WalletId) -> Vec<DeviceId> {
        let text = match local_storage() {
            Some(s) => s.get_item(&devices_key(wallet)).ok().flatten(),
            None => REMEMBERED.with(|r| r.borrow().get(&wallet).cloned()),
        };
        text.map(|t| parse_devices(&t)).unwrap_or_default()
    }

    async fn remember_devices(&self, wallet: WalletId, devices: &[DeviceId]) {
        let text = devices
            .iter()
            .map(DeviceId::to_string)
            .collect::<Vec<_>>()
            .join(",");
        match local_storage() {
            Some(s) => {
                let _ = s.set_item(&devices_key(wallet), &text);
            }
            None => REMEMBERED.with(|r| {
                r.borrow_mut().insert(wallet, text);
            }),
        }
    }
}

thread_local! {
    /// The remembered device ids where the browser gives no localStorage:
    /// they last as long as the page, like the shares in memory.
    static REMEMBERED: RefCell<BTreeMap<WalletId, String>> = const { RefCell::new(BTreeMap::new()) };
}

/// localStorage, not IndexedDB, keeps which devices this browser was: a
/// browser evicting the origin's IndexedDB under storage pressure leaves
/// localStorage alone, so a recovery after the eviction still knows which
/// device it replaces. The ids are not secret (hot storage lists them to
/// the user's token), and they alone open nothing.
fn local_storage() -> Option<web_sys::Storage> {
    let storage = web_sys::window()?.local_storage().ok().flatten()?;
    // Cross-site iFrames may get an object that throws on every write.
    storage.set_item("keyframe/probe", "1").ok()?;
    let _ = storage.remove_item("keyframe/probe");
    Some(storage)
}

fn devices_key(wallet: WalletId) -> String {
    format!("keyframe/devices/{wallet}")
}

/// The stored list; an id that does not parse (a hand-edited entry) is
/// skipped.
fn parse_devices(text: &str) -> Vec<DeviceId> {
    text.split(',').filter_map(|d| d.parse().ok()).collect()
}
