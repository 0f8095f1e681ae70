//! The iFrame's DPoP key (RFC 9449): a P-256 key made by WebCrypto with
//! `extractable: false`, so not even this module's code can read its
//! private half. It is kept in the iFrame origin's IndexedDB (a
//! `CryptoKey` survives structured cloning without becoming extractable),
//! or for the page's life where the browser gives no storage; a new key
//! means a new thumbprint, and the host asks the dApp for tokens bound to
//! it (`keyframe_status.dpopJkt`).
//!
//! What a proof says is built by the core (crate::dpop); this module only
//! holds the key and signs.

use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{CryptoKey, IdbDatabase, SubtleCrypto};

use super::idb;
use super::store::ShareStore;
use crate::dpop::{self, PublicJwk};

/// Where the key pair is kept in the share store's object store (no
/// wallet id starts with it).
const KEY: &str = "dpop-key";

pub struct DpopKey {
    /// The `CryptoKeyPair` as WebCrypto made it: what IndexedDB keeps and
    /// what the second module is handed (web/handover.rs).
    pair: JsValue,
    private: CryptoKey,
    jwk: PublicJwk,
    jkt: String,
}

fn subtle() -> Result<SubtleCrypto, JsValue> {
    Ok(web_sys::window().ok_or("no window")?.crypto()?.subtle())
}

fn object(entries: &[(&str, JsValue)]) -> Result<Object, JsValue> {
    let o = Object::new();
    for (k, v) in entries {
        Reflect::set(&o, &JsValue::from_str(k), v)?;
    }
    Ok(o)
}

fn field(o: &JsValue, name: &str) -> Result<JsValue, JsValue> {
    Reflect::get(o, &JsValue::from_str(name))
}

impl DpopKey {
    /// The key this origin keeps, or a new one (kept when `store` is
    /// persistent).
    pub async fn load_or_create(store: &ShareStore) -> Result<DpopKey, JsValue> {
        let db = match store {
            ShareStore::Persistent(db) => Some(db),
            ShareStore::Memory(_) => None,
        };
        if let Some(db) = db
            && let Ok(pair) = idb::get(db, KEY).await
            && pair.is_object()
            && let Ok(key) = Self::from_pair(&pair).await
        {
            return Ok(key);
        }
        let pair = Self::generate().await?;
        let key = Self::from_pair(&pair).await?;
        if let Some(db) = db {
            save(db, &pair).await;
        }
        Ok(key)
    }

    async fn generate() -> Result<JsValue, JsValue> {
        let params = object(&[("name", "ECDSA".into()), ("namedCurve", "P-256".into())])?;
        let usages = Array::of2(&"sign".into(), &"verify".into());
        JsFuture::from(subtle()?.generate_key_with_object(&params, false, &usages)?).await
    }

    /// The key of `pair`, a `CryptoKeyPair` whose private half is not
    /// extractable.
    pub async fn from_pair(pair: &JsValue) -> Result<DpopKey, JsValue> {
        let private: CryptoKey = field(pair, "privateKey")?.dyn_into()?;
        let public: CryptoKey = field(pair, "publicKey")?.dyn_into()?;
        if private.extractable() {
            return Err("a DPoP key must not be extractable".into());
        }
        let jwk = JsFuture::from(subtle()?.export_key("jwk", &public)?).await?;
        let text = |name: &str| -> Result<String, JsValue> {
            field(&jwk, name)?
                .as_string()
                .ok_or_else(|| JsValue::from_str("JWK without x or y"))
        };
        let jwk = PublicJwk {
            x: text("x")?,
            y: text("y")?,
        };
        Ok(DpopKey {
            pair: pair.clone(),
            jkt: jwk.thumbprint(),
            private,
            jwk,
        })
    }

    /// The key pair, to hand to the second module.
    pub fn pair(&self) -> &JsValue {
        &self.pair
    }

    /// The key's RFC 7638 thumbprint: tokens for this iFrame carry it as
    /// `cnf.jkt`.
    pub fn jkt(&self) -> &str {
        &self.jkt
    }

    /// A proof for one request (`method` on `url`, with `token`).
    pub async fn proof(&self, method: &str, url: &str, token: &str) -> Result<String, JsValue> {
        let mut jti = [0u8; 16];
        getrandom::fill(&mut jti).map_err(|_| JsValue::from_str("no randomness"))?;
        let iat = (js_sys::Date::now() / 1000.0) as u64;
        let input = dpop::signing_input(&self.jwk, method, url, token, iat, &jti);
        let params = object(&[("name", "ECDSA".into()), ("hash", "SHA-256".into())])?;
        let signature = JsFuture::from(subtle()?.sign_with_object_and_u8_array(
            &params,
            &self.private,
            input.as_bytes(),
        )?)
        .await?;
        // WebCrypto's ECDSA signature is already JWS's raw r‖s (64 bytes).
        Ok(dpop::proof(&input, &Uint8Array::new(&signature).to_vec()))
    }
}

/// Keeps the pair; a failure only costs a new key at the next load.
async fn save(db: &IdbDatabase, pair: &JsValue) {
    let _ = idb::put(db, KEY, pair).await;
}
