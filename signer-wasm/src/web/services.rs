//! Clients for hot storage (same origin) and Shield, over `fetch`.
//!
//! Request and response bodies are the contract of docs/api.md. Errors keep
//! the service's stable `code` so the RPC layer can map it to a reason.

use gloo_net::http::{Request, RequestBuilder};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use serde_json::{Value, json};

use crate::recovery::ColdRecord;
use crate::wallet::Addresses;

/// Give up on a service call after this long (loopback answers in ms).
const TIMEOUT_MS: u32 = 15_000;

#[derive(Debug)]
pub enum ServiceError {
    /// The service answered with an error body.
    Api { status: u16, code: String },
    /// No answer: network down, CORS refused, timed out.
    Network,
    /// An answer that is not what the contract says.
    Protocol,
}

impl ServiceError {
    pub fn code(&self) -> &str {
        match self {
            ServiceError::Api { code, .. } => code,
            ServiceError::Network => "NETWORK",
            ServiceError::Protocol => "PROTOCOL",
        }
    }
    pub fn is(&self, code: &str) -> bool {
        self.code() == code
    }
}

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

#[derive(Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WalletRecord {
    pub wallet: String,
    pub kind: crate::secret::WalletKind,
    pub addresses: Addresses,
}

#[derive(Deserialize)]
pub struct PendingRef {
    pub split: String,
}

#[derive(Deserialize)]
pub struct RecoverResponse {
    pub device: String,
    pub version: u64,
    pub split: String,
    pub share: String,
    #[serde(default)]
    pub pending: Option<PendingRef>,
}

#[derive(Deserialize, Serialize, Clone)]
#[serde(rename_all = "camelCase")]
pub struct DeviceInfo {
    pub device: String,
    #[serde(default)]
    pub label: Option<String>,
    pub ephemeral: bool,
    pub version: u64,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub expires_at: Option<String>,
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
pub struct HotStorage {
    pub base: String,
}

/// Shield, on its own origin.
pub struct Shield {
    pub base: String,
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

impl HotStorage {
    fn post(&self, path: &str, token: &str) -> RequestBuilder {
        Request::post(&format!("{}{path}", self.base)).header("Authorization", &bearer(token))
    }

    pub async fn config(&self) -> Result<ProviderConfig, ServiceError> {
        send(Request::get(&format!("{}/v2/config", self.base)), None).await
    }

    /// The user's wallet, or `None` when the user has none yet.
    pub async fn wallet(&self, token: &str) -> Result<Option<WalletRecord>, ServiceError> {
        let req = Request::get(&format!("{}/v2/wallet", self.base))
            .header("Authorization", &bearer(token));
        match send(req, None).await {
            Ok(w) => Ok(Some(w)),
            Err(e) if e.is("NO_WALLET") => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub async fn create(&self, token: &str, body: &Value) -> Result<Value, ServiceError> {
        send(self.post("/v2/devices/create", token), Some(body)).await
    }
    pub async fn register(&self, token: &str, body: &Value) -> Result<Value, ServiceError> {
        send(self.post("/v2/devices/register", token), Some(body)).await
    }
    pub async fn recover(
        &self,
        token: &str,
        body: &Value,
    ) -> Result<RecoverResponse, ServiceError> {
        send(self.post("/v2/devices/recover", token), Some(body)).await
    }
    pub async fn refresh(&self, token: &str, body: &Value) -> Result<Value, ServiceError> {
        send(self.post("/v2/devices/refresh", token), Some(body)).await
    }
    pub async fn commit(&self, token: &str, body: &Value) -> Result<Value, ServiceError> {
        send(self.post("/v2/devices/commit", token), Some(body)).await
    }
    pub async fn list(&self, token: &str, wallet: &str) -> Result<Vec<DeviceInfo>, ServiceError> {
        let list: DeviceList = send(
            self.post("/v2/devices/list", token),
            Some(&json!({ "wallet": wallet })),
        )
        .await?;
        Ok(list.devices)
    }
    pub async fn revoke(
        &self,
        token: &str,
        wallet: &str,
        device: &str,
    ) -> Result<Value, ServiceError> {
        send(
            self.post("/v2/devices/revoke", token),
            Some(&json!({ "wallet": wallet, "device": device })),
        )
        .await
    }
}

impl Shield {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base.trim_end_matches('/'))
    }

    pub async fn create(
        &self,
        token: &str,
        wallet: &str,
        record: &ColdRecord,
    ) -> Result<Value, ServiceError> {
        let mut body = serde_json::to_value(record).map_err(|_| ServiceError::Protocol)?;
        body["wallet"] = json!(wallet);
        let req =
            Request::post(&self.url("/v1/cold-shares")).header("Authorization", &bearer(token));
        send(req, Some(&body)).await
    }

    pub async fn replace(
        &self,
        token: &str,
        wallet: &str,
        record: &ColdRecord,
    ) -> Result<Value, ServiceError> {
        let body = serde_json::to_value(record).map_err(|_| ServiceError::Protocol)?;
        let req = Request::put(&self.url(&format!("/v1/cold-shares/{wallet}")))
            .header("Authorization", &bearer(token));
        send(req, Some(&body)).await
    }

    pub async fn get(&self, token: &str, wallet: &str) -> Result<ColdRecord, ServiceError> {
        let req = Request::get(&self.url(&format!("/v1/cold-shares/{wallet}")))
            .header("Authorization", &bearer(token));
        send(req, None).await
    }
}
