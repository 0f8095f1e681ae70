//! Shield (cold storage) routes, `/v1/cold-shares`.
//!
//! One record per (iss, sub, wallet): the cold-share ciphertext (sealed again
//! at rest under Shield's own key), its recovery method and the parameters
//! the signer needs to open it. CORS allows only the provider origin.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json as JsonOut, Router};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sqlx::Row;
use subtle::ConstantTimeEq;
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::auth::{Identity, User};
use crate::db::{Migration, now_ms, rfc3339};
use crate::error::{AppError, AppResult};
use crate::extract::Json;
use crate::seal::Aad;
use crate::server::{AppState, healthz, method_not_allowed, not_found, with_common_layers};
use crate::types::{CipherBytes, Id, NIL_DEVICE, b64};

pub const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    statements: &["CREATE TABLE cold_shares (
            iss TEXT NOT NULL,
            sub TEXT NOT NULL,
            wallet TEXT NOT NULL,
            method TEXT NOT NULL,
            params TEXT NOT NULL,
            key_id TEXT NOT NULL,
            sealed {blob} NOT NULL,
            created_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL,
            PRIMARY KEY (iss, sub, wallet)
        )"],
}];

pub const ROUTES: &[(&str, &str)] = &[
    ("post", "/v1/cold-shares"),
    ("get", "/v1/cold-shares/{wallet}"),
    ("put", "/v1/cold-shares/{wallet}"),
    ("delete", "/v1/cold-shares/{wallet}"),
    ("get", "/healthz"),
    ("get", "/metrics"),
    ("get", "/openapi.json"),
];

/// Largest `params` object accepted, as serialised JSON.
pub const MAX_PARAMS_BYTES: usize = 1024;

pub fn app(state: AppState) -> Router {
    let api = Router::new()
        .route("/v1/cold-shares", post(create))
        .route(
            "/v1/cold-shares/{wallet}",
            get(read).put(replace).delete(remove),
        )
        .route("/healthz", get(healthz))
        .route("/metrics", get(crate::metrics::handler))
        .route(
            "/openapi.json",
            get(|| async { JsonOut(crate::openapi::shield_document()) }),
        )
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(not_found);
    let router = with_common_layers(api, &state);
    let origin = HeaderValue::from_str(state.settings.provider_origin.trim_end_matches('/'))
        .map(|o| AllowOrigin::list([o]))
        .unwrap_or_else(|_| AllowOrigin::list(Vec::<HeaderValue>::new()));
    router
        .layer(tower_http::set_header::SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
        ))
        .layer(
            CorsLayer::new()
                .allow_origin(origin)
                .allow_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE])
                .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
                .max_age(std::time::Duration::from_secs(600)),
        )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum RecoveryMethod {
    Password,
    Automatic,
}

impl RecoveryMethod {
    fn as_str(self) -> &'static str {
        match self {
            RecoveryMethod::Password => "password",
            RecoveryMethod::Automatic => "automatic",
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateReq {
    wallet: Id,
    method: RecoveryMethod,
    params: Value,
    ciphertext: CipherBytes,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReplaceReq {
    #[serde(default)]
    wallet: Option<Id>,
    method: RecoveryMethod,
    params: Value,
    ciphertext: CipherBytes,
}

fn params_text(params: &Value) -> AppResult<String> {
    if !params.is_object() {
        return Err(AppError::BadRequest(
            "invalid value at `params` (expected an object)".into(),
        ));
    }
    let text = serde_json::to_string(params).map_err(anyhow::Error::from)?;
    if text.len() > MAX_PARAMS_BYTES {
        return Err(AppError::BadRequest(format!(
            "`params` is larger than {MAX_PARAMS_BYTES} bytes"
        )));
    }
    Ok(text)
}

fn aad<'a>(id: &'a Identity, wallet: &'a str) -> Aad<'a> {
    Aad {
        service: "shield",
        iss: &id.iss,
        sub: &id.sub,
        wallet,
        device: NIL_DEVICE,
        version: 0,
        split: "",
    }
}

struct Record {
    method: String,
    params: String,
    ciphertext: zeroize::Zeroizing<Vec<u8>>,
    created_at: i64,
    updated_at: i64,
}

async fn load(st: &AppState, id: &Identity, wallet: &Id) -> AppResult<Option<Record>> {
    let row = sqlx::query(
        "SELECT method, params, key_id, sealed, created_at, updated_at FROM cold_shares \
         WHERE iss = $1 AND sub = $2 AND wallet = $3",
    )
    .bind(&id.iss)
    .bind(&id.sub)
    .bind(wallet.as_str())
    .fetch_optional(&st.db.pool)
    .await?;
    let Some(r) = row else { return Ok(None) };
    let key_id: String = r.try_get("key_id")?;
    let sealed: Vec<u8> = r.try_get("sealed")?;
    let ciphertext = st
        .keyring
        .open(&aad(id, wallet.as_str()), &key_id, &sealed)
        .map_err(|e| {
            st.metrics.seal_failure();
            tracing::error!(wallet = wallet.as_str(), key_id = %e.key_id,
            "sealed cold share failed to open (tampered, copied from another row, or unknown key)");
            AppError::Internal(anyhow::anyhow!("sealed cold share failed to open"))
        })?;
    Ok(Some(Record {
        method: r.try_get("method")?,
        params: r.try_get("params")?,
        ciphertext,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    }))
}

fn record_json(wallet: &Id, r: &Record) -> Value {
    json!({
        "wallet": wallet,
        "method": r.method,
        "params": serde_json::from_str::<Value>(&r.params).unwrap_or(Value::Null),
        "ciphertext": b64(&r.ciphertext),
        "createdAt": rfc3339(r.created_at),
        "updatedAt": rfc3339(r.updated_at),
    })
}

async fn create(
    State(st): State<AppState>,
    User(id): User,
    Json(req): Json<CreateReq>,
) -> AppResult<Response> {
    if req.wallet.is_nil() {
        return Err(AppError::BadRequest("invalid value at `wallet`".into()));
    }
    let params = params_text(&req.params)?;
    let sealed = st
        .keyring
        .seal(&aad(&id, req.wallet.as_str()), &req.ciphertext.0)?;
    let now = now_ms();
    let n = sqlx::query(
        "INSERT INTO cold_shares (iss, sub, wallet, method, params, key_id, sealed, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) ON CONFLICT (iss, sub, wallet) DO NOTHING",
    )
    .bind(&id.iss)
    .bind(&id.sub)
    .bind(req.wallet.as_str())
    .bind(req.method.as_str())
    .bind(&params)
    .bind(sealed.key_id)
    .bind(sealed.blob)
    .bind(now)
    .execute(&st.db.pool)
    .await?
    .rows_affected();
    let body = json!({ "wallet": req.wallet, "ok": true });
    if n == 1 {
        st.metrics.share_op("cold_create", "ok");
        return Ok((StatusCode::CREATED, JsonOut(body)).into_response());
    }
    let existing = load(&st, &id, &req.wallet).await?;
    let identical = existing.is_some_and(|r| {
        r.method == req.method.as_str()
            && r.params == params
            && r.ciphertext.len() == req.ciphertext.0.len()
            && bool::from(r.ciphertext.ct_eq(&req.ciphertext.0))
    });
    if identical {
        st.metrics.share_op("cold_create", "idempotent");
        Ok((StatusCode::OK, JsonOut(body)).into_response())
    } else {
        st.metrics.share_op("cold_create", "conflict");
        Err(AppError::WalletExists)
    }
}

async fn read(
    State(st): State<AppState>,
    User(id): User,
    Path(wallet): Path<String>,
) -> AppResult<JsonOut<Value>> {
    let wallet = Id::parse(&wallet)?;
    let r = load(&st, &id, &wallet).await?.ok_or_else(|| {
        st.metrics.share_op("cold_read", "missing");
        AppError::ShareUnavailable
    })?;
    st.metrics.share_op("cold_read", "ok");
    Ok(JsonOut(record_json(&wallet, &r)))
}

async fn replace(
    State(st): State<AppState>,
    User(id): User,
    Path(wallet): Path<String>,
    Json(req): Json<ReplaceReq>,
) -> AppResult<JsonOut<Value>> {
    let wallet = Id::parse(&wallet)?;
    if req.wallet.as_ref().is_some_and(|w| *w != wallet) {
        return Err(AppError::BadRequest(
            "`wallet` in the body differs from the path".into(),
        ));
    }
    let params = params_text(&req.params)?;
    let sealed = st
        .keyring
        .seal(&aad(&id, wallet.as_str()), &req.ciphertext.0)?;
    let n = sqlx::query(
        "UPDATE cold_shares SET method = $4, params = $5, key_id = $6, sealed = $7, updated_at = $8 \
         WHERE iss = $1 AND sub = $2 AND wallet = $3",
    )
    .bind(&id.iss)
    .bind(&id.sub)
    .bind(wallet.as_str())
    .bind(req.method.as_str())
    .bind(&params)
    .bind(sealed.key_id)
    .bind(sealed.blob)
    .bind(now_ms())
    .execute(&st.db.pool)
    .await?
    .rows_affected();
    if n == 0 {
        st.metrics.share_op("cold_replace", "missing");
        return Err(AppError::ShareUnavailable);
    }
    st.metrics.share_op("cold_replace", "ok");
    let r = load(&st, &id, &wallet)
        .await?
        .ok_or(AppError::ShareUnavailable)?;
    Ok(JsonOut(record_json(&wallet, &r)))
}

async fn remove(
    State(st): State<AppState>,
    User(id): User,
    Path(wallet): Path<String>,
) -> AppResult<JsonOut<Value>> {
    let wallet = Id::parse(&wallet)?;
    let n = sqlx::query("DELETE FROM cold_shares WHERE iss = $1 AND sub = $2 AND wallet = $3")
        .bind(&id.iss)
        .bind(&id.sub)
        .bind(wallet.as_str())
        .execute(&st.db.pool)
        .await?
        .rows_affected();
    if n == 0 {
        st.metrics.share_op("cold_delete", "missing");
        return Err(AppError::ShareUnavailable);
    }
    st.metrics.share_op("cold_delete", "ok");
    Ok(JsonOut(json!({ "ok": true })))
}
