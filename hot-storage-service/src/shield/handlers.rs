//! Shield's handlers (`/v1/cold-shares`, docs/api.md) and their wire types
//! (the OpenAPI document is generated from both). Handlers see only the
//! [`ShieldStore`].

use axum::Json as JsonOut;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use subtle::ConstantTimeEq;
use utoipa::ToSchema;

use super::store::{Record, ShieldStore};
use crate::auth::User;
use crate::db::rfc3339;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::extract::Json;
use crate::types::{CipherBytes, Id, OkBody, b64};

/// Largest `params` object accepted, as serialised JSON.
pub const MAX_PARAMS_BYTES: usize = 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RecoveryMethod {
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

/// The password method's parameters, as signer-wasm/src/recovery.rs writes
/// and requires them (Shield stores them verbatim; documentation only).
#[derive(Serialize, ToSchema)]
pub struct PasswordParams {
    #[schema(example = "argon2id")]
    pub kdf: String,
    /// Argon2id memory, KiB.
    pub m: u32,
    /// Argon2id passes.
    pub t: u32,
    /// Argon2id lanes.
    pub p: u32,
    /// base64, 16 bytes.
    pub salt: String,
    /// base64 `SHA-256(domain || k_v)`: a wrong password is told apart from
    /// a corrupted ciphertext by it.
    pub verifier: String,
}

/// The automatic method's parameters: an empty object.
#[derive(Serialize, ToSchema)]
pub struct AutomaticParams {}

/// `params`: stored verbatim, at most 1 KiB of JSON.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum Params {
    Password(PasswordParams),
    Automatic(AutomaticParams),
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ColdCreate {
    pub wallet: Id,
    pub method: RecoveryMethod,
    #[schema(value_type = Params)]
    pub params: Value,
    pub ciphertext: CipherBytes,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ColdReplace {
    /// May repeat the path's wallet id (must be equal).
    #[serde(default)]
    pub wallet: Option<Id>,
    pub method: RecoveryMethod,
    #[schema(value_type = Params)]
    pub params: Value,
    pub ciphertext: CipherBytes,
}

#[derive(Serialize, ToSchema)]
pub struct Created {
    pub wallet: Id,
    pub ok: bool,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ColdRecord {
    pub wallet: Id,
    #[schema(value_type = RecoveryMethod)]
    pub method: String,
    #[schema(value_type = Params)]
    pub params: Value,
    #[schema(value_type = CipherBytes)]
    pub ciphertext: String,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
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

fn record(wallet: Id, r: &Record) -> ColdRecord {
    ColdRecord {
        wallet,
        method: r.method.clone(),
        params: serde_json::from_str::<Value>(&r.params).unwrap_or(Value::Null),
        ciphertext: b64(&r.ciphertext),
        created_at: rfc3339(r.created_at),
        updated_at: rfc3339(r.updated_at),
    }
}

/// Create the cold record (201; identical repeat 200; else 409
/// `WALLET_EXISTS`).
#[utoipa::path(post, path = "/v1/cold-shares", tag = "shield", request_body = ColdCreate,
    responses((status = 201, body = Created), (status = 200, description = "identical repeat", body = Created),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 409, description = "WALLET_EXISTS", body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 429, body = ErrorBody), (status = 500, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn create(
    State(st): State<ShieldStore>,
    User(id): User,
    Json(req): Json<ColdCreate>,
) -> AppResult<Response> {
    if req.wallet.is_nil() {
        return Err(AppError::BadRequest("invalid value at `wallet`".into()));
    }
    let params = params_text(&req.params)?;
    let inserted = st
        .insert(
            &id,
            &req.wallet,
            req.method.as_str(),
            &params,
            &req.ciphertext,
        )
        .await?;
    let body = Created {
        wallet: req.wallet.clone(),
        ok: true,
    };
    if inserted {
        st.metrics.share_op("cold_create", "ok");
        return Ok((StatusCode::CREATED, JsonOut(body)).into_response());
    }
    let existing = st.load(&id, &req.wallet).await?;
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

/// Read the cold record.
#[utoipa::path(get, path = "/v1/cold-shares/{wallet}", tag = "shield",
    params(("wallet" = Id, Path, description = "the wallet id")),
    responses((status = 200, body = ColdRecord), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, description = "SHARE_UNAVAILABLE", body = ErrorBody),
        (status = 429, body = ErrorBody), (status = 500, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn read(
    State(st): State<ShieldStore>,
    User(id): User,
    Path(wallet): Path<String>,
) -> AppResult<JsonOut<ColdRecord>> {
    let wallet = Id::parse(&wallet)?;
    let r = st.load(&id, &wallet).await?.ok_or_else(|| {
        st.metrics.share_op("cold_read", "missing");
        AppError::ShareUnavailable
    })?;
    st.metrics.share_op("cold_read", "ok");
    Ok(JsonOut(record(wallet, &r)))
}

/// Replace method, params and ciphertext (password change).
#[utoipa::path(put, path = "/v1/cold-shares/{wallet}", tag = "shield", request_body = ColdReplace,
    params(("wallet" = Id, Path, description = "the wallet id")),
    responses((status = 200, body = ColdRecord), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, description = "SHARE_UNAVAILABLE", body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 429, body = ErrorBody), (status = 500, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn replace(
    State(st): State<ShieldStore>,
    User(id): User,
    Path(wallet): Path<String>,
    Json(req): Json<ColdReplace>,
) -> AppResult<JsonOut<ColdRecord>> {
    let wallet = Id::parse(&wallet)?;
    if req.wallet.as_ref().is_some_and(|w| *w != wallet) {
        return Err(AppError::BadRequest(
            "`wallet` in the body differs from the path".into(),
        ));
    }
    let params = params_text(&req.params)?;
    let replaced = st
        .replace(&id, &wallet, req.method.as_str(), &params, &req.ciphertext)
        .await?;
    if !replaced {
        st.metrics.share_op("cold_replace", "missing");
        return Err(AppError::ShareUnavailable);
    }
    st.metrics.share_op("cold_replace", "ok");
    let r = st
        .load(&id, &wallet)
        .await?
        .ok_or(AppError::ShareUnavailable)?;
    Ok(JsonOut(record(wallet, &r)))
}

/// Delete the cold record.
#[utoipa::path(delete, path = "/v1/cold-shares/{wallet}", tag = "shield",
    params(("wallet" = Id, Path, description = "the wallet id")),
    responses((status = 200, body = OkBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, description = "SHARE_UNAVAILABLE", body = ErrorBody),
        (status = 429, body = ErrorBody), (status = 500, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn remove(
    State(st): State<ShieldStore>,
    User(id): User,
    Path(wallet): Path<String>,
) -> AppResult<JsonOut<OkBody>> {
    let wallet = Id::parse(&wallet)?;
    if !st.delete(&id, &wallet).await? {
        st.metrics.share_op("cold_delete", "missing");
        return Err(AppError::ShareUnavailable);
    }
    st.metrics.share_op("cold_delete", "ok");
    Ok(JsonOut(OkBody { ok: true }))
}
