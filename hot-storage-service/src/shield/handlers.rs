//! Shield's handlers (`/v1/cold-shares`, docs/api.md). Their bodies are the
//! keyframe-wire crate's (wire/src/shield.rs); the OpenAPI document is
//! generated from both. Handlers see only the [`ShieldStore`].

use axum::Json as JsonOut;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use keyframe_wire::authority::RegisterAuthority;
use keyframe_wire::shield::{
    ColdCreate, ColdRecord, ColdRecordResponse, ColdReplace, Created, Sealing,
};
use serde_json::{Value, json};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::store::{Record, ShieldStore};
use crate::auth::{Identity, User};
use crate::authority::{Proof, Signed};
use crate::db::rfc3339;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::extract::Json;
use crate::types::{Ciphertext, OkBody, WalletId, parse_wallet};

/// The sealing's `params` as stored (JSON text in the `params` column).
fn params_text(sealing: &Sealing) -> AppResult<String> {
    let value = serde_json::to_value(sealing).map_err(anyhow::Error::from)?;
    Ok(value
        .get("params")
        .map(Value::to_string)
        .unwrap_or_else(|| "{}".into()))
}

/// The sealing of a stored record; a row that does not parse was altered.
fn stored_sealing(r: &Record) -> AppResult<Sealing> {
    let params: Value = serde_json::from_str(&r.params).map_err(anyhow::Error::from)?;
    serde_json::from_value(json!({ "method": r.method, "params": params }))
        .map_err(|e| AppError::Internal(anyhow::Error::from(e).context("stored cold record")))
}

fn record(wallet: WalletId, r: &Record) -> AppResult<ColdRecordResponse> {
    let ciphertext = Ciphertext::new(Zeroizing::new(r.ciphertext.to_vec()))
        .map_err(|e| AppError::Internal(anyhow::anyhow!("stored ciphertext: {e}")))?;
    Ok(ColdRecordResponse {
        wallet,
        record: ColdRecord {
            sealing: stored_sealing(r)?,
            ciphertext,
        },
        created_at: rfc3339(r.created_at),
        updated_at: rfc3339(r.updated_at),
        authority: r
            .authority
            .as_deref()
            .map(|a| {
                a.parse().map_err(|_| {
                    AppError::Internal(anyhow::anyhow!("a stored authority key does not parse"))
                })
            })
            .transpose()?,
    })
}

/// The record of `wallet` exists (404 `SHARE_UNAVAILABLE` otherwise) and
/// `proof` carries a valid signature by its authority key (403
/// `AUTHORITY_REQUIRED`; crate::authority).
async fn authorized(
    st: &ShieldStore,
    id: &Identity,
    wallet: &WalletId,
    proof: &Proof,
    op: &'static str,
) -> AppResult<()> {
    let Some(authority) = st.load_authority(id, wallet).await? else {
        st.metrics.share_op(op, "missing");
        return Err(AppError::ShareUnavailable);
    };
    proof.verify(&st.db, authority.as_deref(), wallet).await
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
    let sealing = &req.record.sealing;
    let params = params_text(sealing)?;
    let authority = req.authority.map(|a| a.to_base64url());
    let inserted = st
        .insert(
            &id,
            &req.wallet,
            sealing.method().as_str(),
            &params,
            &req.record.ciphertext,
            authority.as_deref(),
        )
        .await?;
    let body = Created {
        wallet: req.wallet,
        ok: true,
    };
    if inserted {
        st.metrics.share_op("cold_create", "ok");
        return Ok((StatusCode::CREATED, JsonOut(body)).into_response());
    }
    let existing = st.load(&id, &req.wallet).await?;
    let identical = existing.is_some_and(|r| {
        stored_sealing(&r).is_ok_and(|s| s == *sealing)
            && r.authority == authority
            && r.ciphertext.len() == req.record.ciphertext.as_bytes().len()
            && bool::from(r.ciphertext.ct_eq(req.record.ciphertext.as_bytes()))
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
    params(("wallet" = WalletId, Path, description = "the wallet id")),
    responses((status = 200, body = ColdRecordResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, description = "SHARE_UNAVAILABLE", body = ErrorBody),
        (status = 429, body = ErrorBody), (status = 500, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn read(
    State(st): State<ShieldStore>,
    User(id): User,
    Path(wallet): Path<String>,
) -> AppResult<JsonOut<ColdRecordResponse>> {
    let wallet = parse_wallet(&wallet)?;
    let r = st.load(&id, &wallet).await?.ok_or_else(|| {
        st.metrics.share_op("cold_read", "missing");
        AppError::ShareUnavailable
    })?;
    st.metrics.share_op("cold_read", "ok");
    Ok(JsonOut(record(wallet, &r)?))
}

/// Replace method, params and ciphertext (password change).
#[utoipa::path(put, path = "/v1/cold-shares/{wallet}", tag = "shield", request_body = ColdReplace,
    params(("wallet" = WalletId, Path, description = "the wallet id"),
        ("Keyframe-Authority" = String, Header, description = "t=<secs>,n=<nonce>,sig=<signature> by the wallet's authority key (docs/api.md, \"Wallet authority\")")),
    responses((status = 200, body = ColdRecordResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, description = "AUTHORITY_REQUIRED", body = ErrorBody),
        (status = 404, description = "SHARE_UNAVAILABLE", body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 429, body = ErrorBody), (status = 500, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn replace(
    State(st): State<ShieldStore>,
    User(id): User,
    Path(wallet): Path<String>,
    Signed { body: req, proof }: Signed<ColdReplace>,
) -> AppResult<JsonOut<ColdRecordResponse>> {
    let wallet = parse_wallet(&wallet)?;
    if req.wallet.as_ref().is_some_and(|w| *w != wallet) {
        return Err(AppError::BadRequest(
            "`wallet` in the body differs from the path".into(),
        ));
    }
    authorized(&st, &id, &wallet, &proof, "cold_replace").await?;
    let sealing = &req.record.sealing;
    let params = params_text(sealing)?;
    let replaced = st
        .replace(
            &id,
            &wallet,
            sealing.method().as_str(),
            &params,
            &req.record.ciphertext,
        )
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
    Ok(JsonOut(record(wallet, &r)?))
}

/// Delete the cold record.
#[utoipa::path(delete, path = "/v1/cold-shares/{wallet}", tag = "shield",
    params(("wallet" = WalletId, Path, description = "the wallet id"),
        ("Keyframe-Authority" = String, Header, description = "t=<secs>,n=<nonce>,sig=<signature> by the wallet's authority key (docs/api.md, \"Wallet authority\")")),
    responses((status = 200, body = OkBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, description = "AUTHORITY_REQUIRED", body = ErrorBody),
        (status = 404, description = "SHARE_UNAVAILABLE", body = ErrorBody),
        (status = 429, body = ErrorBody), (status = 500, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn remove(
    State(st): State<ShieldStore>,
    User(id): User,
    Path(wallet): Path<String>,
    proof: Proof,
) -> AppResult<JsonOut<OkBody>> {
    let wallet = parse_wallet(&wallet)?;
    authorized(&st, &id, &wallet, &proof, "cold_delete").await?;
    if !st.delete(&id, &wallet).await? {
        st.metrics.share_op("cold_delete", "missing");
        return Err(AppError::ShareUnavailable);
    }
    st.metrics.share_op("cold_delete", "ok");
    Ok(JsonOut(OkBody { ok: true }))
}

/// Registers the authority key of a record stored before authority keys
/// (201); once one is registered, 409 `AUTHORITY_EXISTS` and nothing
/// changes. The first-use window of docs/api.md.
#[utoipa::path(put, path = "/v1/cold-shares/{wallet}/authority", tag = "shield", request_body = RegisterAuthority,
    params(("wallet" = WalletId, Path, description = "the wallet id")),
    responses((status = 201, body = OkBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, description = "SHARE_UNAVAILABLE", body = ErrorBody),
        (status = 409, description = "AUTHORITY_EXISTS", body = ErrorBody),
        (status = 429, body = ErrorBody), (status = 500, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn register_authority(
    State(st): State<ShieldStore>,
    User(id): User,
    Path(wallet): Path<String>,
    Json(req): Json<RegisterAuthority>,
) -> AppResult<Response> {
    let wallet = parse_wallet(&wallet)?;
    if req.wallet.as_ref().is_some_and(|w| *w != wallet) {
        return Err(AppError::BadRequest(
            "`wallet` in the body differs from the path".into(),
        ));
    }
    match st.load_authority(&id, &wallet).await? {
        None => {
            st.metrics.share_op("cold_authority", "missing");
            return Err(AppError::ShareUnavailable);
        }
        Some(Some(_)) => {
            st.metrics.share_op("cold_authority", "conflict");
            return Err(AppError::AuthorityExists);
        }
        Some(None) => {}
    }
    if !st
        .set_authority(&id, &wallet, &req.authority.to_base64url())
        .await?
    {
        st.metrics.share_op("cold_authority", "conflict");
        return Err(AppError::AuthorityExists);
    }
    st.metrics.share_op("cold_authority", "ok");
    Ok((StatusCode::CREATED, JsonOut(OkBody { ok: true })).into_response())
}
