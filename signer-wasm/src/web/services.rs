//! Hot storage (same origin) and Shield over `fetch`: the browser's
//! implementations of the flows' [`HotStorage`] and [`Shield`].
//!
//! Request and response bodies are the contract of docs/api.md. Errors keep
//! the service's stable `code` so the RPC layer can map it to a reason.

use gloo_net::http::{Request, RequestBuilder};
use keyframe_json::{DecodeError, Fields, FromJson, ToJson, Value, decode_struct};
use keyframe_wire::catalog::{Chain, TokenList};
use keyframe_wire::hot::{
    CommitRequest, CreateRequest, DeviceInfo, DeviceList, DeviceRef, OkBody, RecoverRequest,
    RecoverResponse, RefreshRequest, RegisterRequest, RevokeRequest, VersionRef, WalletRequest,
    WalletResponse,
};
use keyframe_wire::policy::{
    ActivityList, ActivityReport, ApprovalRequest, ApprovalResponse, PolicyState,
    RecoverWithIntent, SignedUserRules,
};
use keyframe_wire::shield::{ColdCreate, ColdRecord, ColdRecordResponse, ColdReplace, Created};

use std::rc::Rc;

use super::dpop::DpopKey;
use crate::authority::{AuthorityKey, HEADER as AUTHORITY_HEADER, WalletAuthority};
use crate::flows::{HotStorage, ServiceError, Shield, Tokens};
use crate::shares::{DeviceId, WalletId};
use keyframe_wire::authority::RegisterAuthority;

/// Give up on a service call after this long (loopback answers in ms).
const TIMEOUT_MS: u32 = 15_000;

/// An error answer, read leniently: the code stays a string, so a code
/// this signer does not know (or an HTTP error page) still maps to an RPC
/// reason (keyframe_wire::error::ErrorCode lists the known ones).
struct ErrorBody {
    code: String,
    message: String,
}

impl FromJson for ErrorBody {
    /// `{ "error": { "code", "message"? } }`, other fields ignored.
    fn from_json(value: &Value) -> Result<Self, DecodeError> {
        let mut f = Fields::lenient(value)?;
        let error = f.raw("error").ok_or(DecodeError::Missing("error"))?;
        let mut e = Fields::lenient(error)?;
        let b = ErrorBody {
            code: e.req("code")?,
            message: e.or_default("message")?,
        };
        e.end()?;
        f.end().map(|()| b)
    }
}

/// The longest reason of a policy refusal the iFrame passes on.
const DENIAL_MAX_CHARS: usize = 300;

/// `GET /v2/config` as the iFrame reads it (keyframe_wire::hot::
/// ConfigResponse, other fields ignored).
#[derive(Clone)]
pub struct ProviderConfig {
    pub allowed_origins: Vec<String>,
    pub shield_url: String,
    /// The chains the provider serves (EIP-3085 objects, its order).
    pub chains: Vec<Chain>,
}

decode_struct!(
    ProviderConfig,
    lenient {
        allowed_origins: req("allowedOrigins"),
        shield_url: req("shieldUrl"),
        chains: or_default("chains"),
    }
);

/// Sends a request without a body.
async fn get<T: FromJson>(builder: RequestBuilder) -> Result<T, ServiceError> {
    send(builder, None::<&Value>).await
}

/// Sends a request signed by the wallet's authority (docs/api.md, "Wallet
/// authority"): the body is serialised once, and those very bytes are
/// signed with `method` and `path` (as sent) and then sent.
async fn send_signed<T: FromJson, B: ToJson>(
    builder: RequestBuilder,
    method: &str,
    path: &str,
    body: Option<&B>,
    authority: &WalletAuthority,
) -> Result<T, ServiceError> {
    let text = match body {
        Some(b) => keyframe_json::write_json(b),
        None => String::new(),
    };
    let now = (js_sys::Date::now() / 1000.0) as u64;
    let header = authority
        .sign_request(method, path, text.as_bytes(), now)
        .map_err(|_| ServiceError::Protocol)?;
    let builder = builder.header(AUTHORITY_HEADER, &header.to_value());
    let builder = if body.is_some() {
        builder.header("Content-Type", "application/json")
    } else {
        builder
    };
    send_text(builder, body.map(|_| text)).await
}

/// Sends a request with a timeout and decodes a JSON answer or error.
async fn send<T: FromJson, B: ToJson>(
    builder: RequestBuilder,
    body: Option<&B>,
) -> Result<T, ServiceError> {
    let text = body.map(keyframe_json::write_json);
    let builder = if text.is_some() {
        builder.header("Content-Type", "application/json")
    } else {
        builder
    };
    send_text(builder, text).await
}

/// Sends `body` (JSON text) with a timeout and decodes a JSON answer or
/// error.
async fn send_text<T: FromJson>(
    builder: RequestBuilder,
    body: Option<String>,
) -> Result<T, ServiceError> {
    let text = exchange(builder, body).await?;
    keyframe_json::decode(&text).map_err(|_| ServiceError::Protocol)
}

/// The request and its answer's text, or the service's error. Not generic
/// over the answer's type, so the fetch code exists once in the WASM
/// (bench/SIZE.md).
async fn exchange(builder: RequestBuilder, body: Option<String>) -> Result<String, ServiceError> {
    let controller = web_sys::AbortController::new().map_err(|_| ServiceError::Network)?;
    let signal = controller.signal();
    let timer = gloo_timeout(controller);
    let builder = builder.abort_signal(Some(&signal));
    let builder = match traceparent() {
        Some(t) => builder.header("traceparent", &t),
        None => builder,
    };
    let request = match body {
        Some(body) => builder.body(body).map_err(|_| ServiceError::Protocol)?,
        None => builder.build().map_err(|_| ServiceError::Protocol)?,
    };
    let response = request.send().await.map_err(|_| ServiceError::Network);
    drop(timer);
    let response = response?;
    let status = response.status();
    let text = response.text().await.map_err(|_| ServiceError::Network)?;
    if (200..300).contains(&status) {
        Ok(text)
    } else {
        match keyframe_json::decode::<ErrorBody>(&text) {
            // The policy's reason is for the user (the rule, what the
            // approval webhook said): kept, bounded.
            Ok(b) if b.code == "POLICY_DENIED" => Err(ServiceError::Denied(
                b.message.chars().take(DENIAL_MAX_CHARS).collect(),
            )),
            Ok(b) => Err(ServiceError::Api {
                status,
                code: b.code,
            }),
            Err(_) => Err(ServiceError::Api {
                status,
                code: format!("HTTP_{status}"),
            }),
        }
    }
}

/// A fresh W3C trace context for one request (random trace and parent
/// ids, sampled), so an operator who traces (`--otlp-endpoint`) can follow
/// it; it says nothing about the user and links no two requests.
fn traceparent() -> Option<String> {
    let mut ids = [0u8; 24];
    getrandom::fill(&mut ids).ok()?;
    let (trace, parent) = ids.split_at(16);
    Some(format!(
        "00-{}-{}-01",
        hex::encode(trace),
        hex::encode(parent)
    ))
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
    pub dpop: Rc<DpopKey>,
}

/// Shield, on its own origin.
pub struct ShieldApi {
    pub base: String,
    pub dpop: Rc<DpopKey>,
}

/// `builder` (a `method` request to `url`) with `token`: under the DPoP
/// scheme with a fresh proof when the token is bound to a key (RFC 9449;
/// a token bound to another key than ours then fails at the service, and
/// the host fetches one for `keyframe_status.dpopJkt`), else as a plain
/// bearer token (a dApp that does not bind its tokens yet).
async fn authorized(
    dpop: &DpopKey,
    builder: RequestBuilder,
    method: &str,
    url: &str,
    token: &str,
) -> Result<RequestBuilder, ServiceError> {
    if crate::dpop::bound_key(token).is_none() {
        return Ok(builder.header("Authorization", &format!("Bearer {token}")));
    }
    let proof = dpop
        .proof(method, url, token)
        .await
        .map_err(|_| ServiceError::Protocol)?;
    Ok(builder
        .header("Authorization", &format!("DPoP {token}"))
        .header("DPoP", &proof))
}

impl HotStorageApi {
    async fn post(&self, path: &str, token: &Tokens) -> Result<RequestBuilder, ServiceError> {
        let url = format!("{}{path}", self.base);
        authorized(&self.dpop, Request::post(&url), "POST", &url, token.hot()).await
    }

    /// A POST signed by the wallet's authority (hot storage is same-origin,
    /// so `path` is the target the server sees).
    async fn post_signed<T: FromJson, B: ToJson>(
        &self,
        path: &str,
        token: &Tokens,
        body: &B,
        authority: &WalletAuthority,
    ) -> Result<T, ServiceError> {
        send_signed(
            self.post(path, token).await?,
            "POST",
            path,
            Some(body),
            authority,
        )
        .await
    }

    pub async fn config(&self) -> Result<ProviderConfig, ServiceError> {
        get(Request::get(&format!("{}/v2/config", self.base))).await
    }

    /// The token list the provider serves (revalidated through the HTTP
    /// cache with its `ETag`).
    pub async fn tokens(&self) -> Result<TokenList, ServiceError> {
        get(Request::get(&format!("{}/v2/tokens", self.base))).await
    }
}

impl HotStorage for HotStorageApi {
    async fn wallet(&self, token: &Tokens) -> Result<Option<WalletResponse>, ServiceError> {
        let url = format!("{}/v2/wallet", self.base);
        let req = authorized(&self.dpop, Request::get(&url), "GET", &url, token.hot()).await?;
        match get(req).await {
            Ok(w) => Ok(Some(w)),
            Err(e) if e.is("NO_WALLET") => Ok(None),
            Err(e) => Err(e),
        }
    }
    async fn create(
        &self,
        token: &Tokens,
        body: &CreateRequest,
    ) -> Result<DeviceRef, ServiceError> {
        send(self.post("/v2/devices/create", token).await?, Some(body)).await
    }
    async fn register(
        &self,
        token: &Tokens,
        body: &RegisterRequest,
        authority: &WalletAuthority,
    ) -> Result<DeviceRef, ServiceError> {
        self.post_signed("/v2/devices/register", token, body, authority)
            .await
    }
    async fn recover(
        &self,
        token: &Tokens,
        body: &RecoverRequest,
    ) -> Result<RecoverResponse, ServiceError> {
        send(self.post("/v2/devices/recover", token).await?, Some(body)).await
    }
    async fn refresh(
        &self,
        token: &Tokens,
        body: &RefreshRequest,
        authority: &WalletAuthority,
    ) -> Result<VersionRef, ServiceError> {
        self.post_signed("/v2/devices/refresh", token, body, authority)
            .await
    }
    async fn commit(
        &self,
        token: &Tokens,
        body: &CommitRequest,
        authority: &WalletAuthority,
    ) -> Result<VersionRef, ServiceError> {
        self.post_signed("/v2/devices/commit", token, body, authority)
            .await
    }
    async fn list(
        &self,
        token: &Tokens,
        wallet: WalletId,
    ) -> Result<Vec<DeviceInfo>, ServiceError> {
        let body = WalletRequest { wallet };
        let list: DeviceList =
            send(self.post("/v2/devices/list", token).await?, Some(&body)).await?;
        Ok(list.devices)
    }
    async fn revoke(
        &self,
        token: &Tokens,
        wallet: WalletId,
        device: DeviceId,
        authority: &WalletAuthority,
    ) -> Result<(), ServiceError> {
        let body = RevokeRequest { wallet, device };
        let _: OkBody = self
            .post_signed("/v2/devices/revoke", token, &body, authority)
            .await?;
        Ok(())
    }
    async fn register_authority(
        &self,
        token: &Tokens,
        wallet: WalletId,
        key: &AuthorityKey,
    ) -> Result<(), ServiceError> {
        let body = RegisterAuthority {
            wallet: Some(wallet),
            authority: *key,
        };
        let _: OkBody = send(self.post("/v2/wallet/authority", token).await?, Some(&body)).await?;
        Ok(())
    }
    async fn policy(&self, token: &Tokens, wallet: WalletId) -> Result<PolicyState, ServiceError> {
        let url = format!("{}/v2/policy?wallet={wallet}", self.base);
        get(authorized(&self.dpop, Request::get(&url), "GET", &url, token.hot()).await?).await
    }
    async fn recover_for(
        &self,
        token: &Tokens,
        body: &RecoverWithIntent,
    ) -> Result<RecoverResponse, ServiceError> {
        send(self.post("/v2/devices/recover", token).await?, Some(body)).await
    }
    async fn approval(
        &self,
        token: &Tokens,
        body: &ApprovalRequest,
    ) -> Result<ApprovalResponse, ServiceError> {
        send(self.post("/v2/policy/approvals", token).await?, Some(body)).await
    }
    async fn report(&self, token: &Tokens, body: &ActivityReport) -> Result<(), ServiceError> {
        let _: OkBody = send(self.post("/v2/activity", token).await?, Some(body)).await?;
        Ok(())
    }
    async fn activity(
        &self,
        token: &Tokens,
        wallet: WalletId,
        limit: u32,
    ) -> Result<ActivityList, ServiceError> {
        let url = format!("{}/v2/activity?wallet={wallet}&limit={limit}", self.base);
        get(authorized(&self.dpop, Request::get(&url), "GET", &url, token.hot()).await?).await
    }
    async fn put_user_rules(
        &self,
        token: &Tokens,
        body: &SignedUserRules,
        authority: &WalletAuthority,
    ) -> Result<(), ServiceError> {
        let path = "/v2/policy/user-rules";
        let url = format!("{}{path}", self.base);
        let builder = authorized(&self.dpop, Request::put(&url), "PUT", &url, token.hot()).await?;
        let _: OkBody = send_signed(builder, "PUT", path, Some(body), authority).await?;
        Ok(())
    }
}

impl ShieldApi {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base.trim_end_matches('/'))
    }

    /// The target as Shield receives it: the base URL's own path (a
    /// deployment under a prefix) before `path`.
    fn target(&self, path: &str) -> String {
        let base = self.base.trim_end_matches('/');
        let prefix = base
            .find("://")
            .and_then(|i| base[i + 3..].find('/').map(|j| &base[i + 3 + j..]))
            .unwrap_or("");
        format!("{prefix}{path}")
    }
}

impl Shield for ShieldApi {
    async fn create(
        &self,
        token: &Tokens,
        wallet: WalletId,
        record: &ColdRecord,
        authority: Option<&AuthorityKey>,
    ) -> Result<(), ServiceError> {
        let body = ColdCreate {
            wallet,
            record: record.clone(),
            authority: authority.copied(),
        };
        let url = self.url("/v1/cold-shares");
        let req = authorized(
            &self.dpop,
            Request::post(&url),
            "POST",
            &url,
            token.shield(),
        )
        .await?;
        let _: Created = send(req, Some(&body)).await?;
        Ok(())
    }

    async fn replace(
        &self,
        token: &Tokens,
        wallet: WalletId,
        record: &ColdRecord,
        authority: &WalletAuthority,
    ) -> Result<(), ServiceError> {
        let body = ColdReplace {
            wallet: None,
            record: record.clone(),
        };
        let path = format!("/v1/cold-shares/{wallet}");
        let url = self.url(&path);
        let req = authorized(&self.dpop, Request::put(&url), "PUT", &url, token.shield()).await?;
        let _: ColdRecordResponse =
            send_signed(req, "PUT", &self.target(&path), Some(&body), authority).await?;
        Ok(())
    }

    async fn get(
        &self,
        token: &Tokens,
        wallet: WalletId,
    ) -> Result<ColdRecordResponse, ServiceError> {
        let url = self.url(&format!("/v1/cold-shares/{wallet}"));
        let req = authorized(&self.dpop, Request::get(&url), "GET", &url, token.shield()).await?;
        get(req).await
    }

    async fn register_authority(
        &self,
        token: &Tokens,
        wallet: WalletId,
        key: &AuthorityKey,
    ) -> Result<(), ServiceError> {
        let body = RegisterAuthority {
            wallet: None,
            authority: *key,
        };
        let url = self.url(&format!("/v1/cold-shares/{wallet}/authority"));
        let req = authorized(&self.dpop, Request::put(&url), "PUT", &url, token.shield()).await?;
        let _: OkBody = send(req, Some(&body)).await?;
        Ok(())
    }
}
