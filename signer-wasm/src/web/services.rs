//! Hot storage (same origin) and Shield over `fetch`: the browser's
//! implementations of the flows' [`HotStorage`] and [`Shield`].
//!
//! Request and response bodies are the contract of docs/api.md. Errors keep
//! the service's stable `code` so the RPC layer can map it to a reason.

use gloo_net::http::{Request, RequestBuilder};
use serde::{Deserialize, de::DeserializeOwned};
use serde_json::{Value, json};

use crate::flows::{DeviceInfo, HotStorage, RecoverResponse, ServiceError, Shield, WalletRecord};
use crate::recovery::ColdRecord;
use crate::shares::{DeviceId, WalletId};

/// Give up on a service call after this long (loopback answers in ms).
const TIMEOUT_MS: u32 = 15_000;

#[derive(Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}
#[derive(Deserialize)]
struct ErrorDetail {
    code: String,
}

#[derive(Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProviderConfig {
    pub allowed_origins: Vec<String>,
    pub shield_url: String,
}

#[derive(Deserialize)]
struct DeviceList {
    devices: Vec<DeviceInfo>,
}

/// Sends a request with a timeout and decodes a JSON answer or error.
async fn send<T: DeserializeOwned>(
    builder: RequestBuilder,
    body: Option<&Value>,
) -> Result<T, ServiceError> {
    let controller = web_sys::AbortController::new().map_err(|_| ServiceError::Network)?;
    let signal = controller.signal();
    let timer = gloo_timeout(controller);
    let builder = builder.abort_signal(Some(&signal));
    let request = match body {
        Some(body) => builder.json(body).map_err(|_| ServiceError::Protocol)?,
        None => builder.build().map_err(|_| ServiceError::Protocol)?,
    };
    let response = request.send().await.map_err(|_| ServiceError::Network);
    drop(timer);
    let response = response?;
    let status = response.status();
    let text = response.text().await.map_err(|_| ServiceError::Network)?;
    if (200..300).contains(&status) {
        serde_json::from_str(&text).map_err(|_| ServiceError::Protocol)
    } else {
        let code = serde_json::from_str::<ErrorBody>(&text)
            .map(|b| b.error.code)
            .unwrap_or_else(|_| format!("HTTP_{status}"));
        Err(ServiceError::Api { status, code })
    }
}

/// Aborts the request after `TIMEOUT_MS`; dropping the guard cancels that.
struct TimeoutGuard {
    handle: i32,
}
impl Drop for TimeoutGuard {
    fn drop(&mut self) {
        if let Some(w) = web_sys::window() {
            w.clear_timeout_with_handle(self.handle);
        }
    }
}
fn gloo_timeout(controller: web_sys::AbortController) -> Option<TimeoutGuard> {
    let window = web_sys::window()?;
    let abort = wasm_bindgen::closure::Closure::once_into_js(move || controller.abort());
    let handle = window
        .set_timeout_with_callback_and_timeout_and_arguments_0(
            abort.unchecked_ref(),
            TIMEOUT_MS as i32,
        )
        .ok()?;
    Some(TimeoutGuard { handle })
}
use wasm_bindgen::JsCast;

/// Hot storage on the iFrame's own origin.
pub struct HotStorageApi {
    pub base: String,
}

/// Shield, on its own origin.
pub struct ShieldApi {
    pub base: String,
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

impl HotStorageApi {
    fn post(&self, path: &str, token: &str) -> RequestBuilder {
        Request::post(&format!("{}{path}", self.base)).header("Authorization", &bearer(token))
    }

    pub async fn config(&self) -> Result<ProviderConfig, ServiceError> {
        send(Request::get(&format!("{}/v2/config", self.base)), None).await
    }
}

impl HotStorage for HotStorageApi {
    async fn wallet(&self, token: &str) -> Result<Option<WalletRecord>, ServiceError> {
        let req = Request::get(&format!("{}/v2/wallet", self.base))
            .header("Authorization", &bearer(token));
        match send(req, None).await {
            Ok(w) => Ok(Some(w)),
            Err(e) if e.is("NO_WALLET") => Ok(None),
            Err(e) => Err(e),
        }
    }
    async fn create(&self, token: &str, body: &Value) -> Result<Value, ServiceError> {
        send(self.post("/v2/devices/create", token), Some(body)).await
    }
    async fn register(&self, token: &str, body: &Value) -> Result<Value, ServiceError> {
        send(self.post("/v2/devices/register", token), Some(body)).await
    }
    async fn recover(&self, token: &str, body: &Value) -> Result<RecoverResponse, ServiceError> {
        send(self.post("/v2/devices/recover", token), Some(body)).await
    }
    async fn refresh(&self, token: &str, body: &Value) -> Result<Value, ServiceError> {
        send(self.post("/v2/devices/refresh", token), Some(body)).await
    }
    async fn commit(&self, token: &str, body: &Value) -> Result<Value, ServiceError> {
        send(self.post("/v2/devices/commit", token), Some(body)).await
    }
    async fn list(&self, token: &str, wallet: WalletId) -> Result<Vec<DeviceInfo>, ServiceError> {
        let list: DeviceList = send(
            self.post("/v2/devices/list", token),
            Some(&json!({ "wallet": wallet })),
        )
        .await?;
        Ok(list.devices)
    }
    async fn revoke(
        &self,
        token: &str,
        wallet: WalletId,
        device: DeviceId,
    ) -> Result<Value, ServiceError> {
        send(
            self.post("/v2/devices/revoke", token),
            Some(&json!({ "wallet": wallet, "device": device })),
        )
        .await
    }
}

impl ShieldApi {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base.trim_end_matches('/'))
    }
}

impl Shield for ShieldApi {
    async fn create(
        &self,
        token: &str,
        wallet: WalletId,
        record: &ColdRecord,
    ) -> Result<Value, ServiceError> {
        let mut body = serde_json::to_value(record).map_err(|_| ServiceError::Protocol)?;
        body["wallet"] = json!(wallet);
        let req =
            Request::post(&self.url("/v1/cold-shares")).header("Authorization", &bearer(token));
        send(req, Some(&body)).await
    }

    async fn replace(
        &self,
        token: &str,
        wallet: WalletId,
        record: &ColdRecord,
    ) -> Result<Value, ServiceError> {
        let body = serde_json::to_value(record).map_err(|_| ServiceError::Protocol)?;
        let req = Request::put(&self.url(&format!("/v1/cold-shares/{wallet}")))
            .header("Authorization", &bearer(token));
        send(req, Some(&body)).await
    }

    async fn get(&self, token: &str, wallet: WalletId) -> Result<ColdRecord, ServiceError> {
        let req = Request::get(&self.url(&format!("/v1/cold-shares/{wallet}")))
            .header("Authorization", &bearer(token));
        send(req, None).await
    }
}
