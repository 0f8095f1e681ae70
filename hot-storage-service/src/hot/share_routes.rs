//! The device share routes: create a wallet, register a device, recover,
//! refresh and commit a share (docs/api.md). A request for device nil (the
//! recovery pair) is handed to `primary_routes.rs`.

use axum::Json as JsonOut;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

use super::handlers::{
    authorized, check_device, check_version, ct_eq, share_blob, stored_addresses, stored_kind,
};
use super::policy_batch::{Gate, PolicyBatches, enforce};
use super::primary_routes::{commit_primary, recover_primary, refresh_primary};
use super::store::{DeviceRow, HotStore, NewDevice};
use super::wire::{
    CommitRequest, CreateRequest, DeviceIn, DeviceRef, RecoverResponse, RefreshRequest,
    RegisterRequest, VersionRef,
};
use crate::auth::{Identity, PendingProof, User, UserRecordingProof};
use crate::authority::Signed;
use crate::db::now_ms;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::extract::Json;
use crate::settings::Settings;
use crate::types::{WalletId, check_addresses, stored, validate_label};
use keyframe_wire::policy::{MAX_INTENT_PARTS, RecoverWithIntent};

fn new_device(d: &DeviceIn) -> NewDevice<'_> {
    NewDevice {
        device: &d.device,
        split: &d.split,
        share: &d.share,
        ephemeral: d.ephemeral,
        label: d.label.as_deref(),
    }
}

/// Is the stored device exactly what `d` would have registered?
fn device_identical(
    st: &HotStore,
    id: &Identity,
    wallet: &WalletId,
    row: &DeviceRow,
    d: &NewDevice<'_>,
) -> AppResult<bool> {
    if row.version != 0
        || row.split != d.split.to_string()
        || row.ephemeral.0 != d.ephemeral
        || row.label.as_deref() != d.label
    {
        return Ok(false);
    }
    let share = st.open_device(id, &wallet.to_string(), row)?;
    Ok(ct_eq(&share, d.share.as_bytes()))
}

/// Create the wallet with H₀ and the creating device's share (201;
/// identical repeat 200).
#[utoipa::path(post, path = "/v2/devices/create", tag = "hot storage", request_body = CreateRequest,
    responses((status = 201, body = DeviceRef), (status = 200, description = "identical repeat", body = DeviceRef),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 409, description = "WALLET_EXISTS", body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 429, body = ErrorBody), (status = 500, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn create(
    State(st): State<HotStore>,
    User(id): User,
    Json(req): Json<CreateRequest>,
) -> AppResult<Response> {
    if req.wallet.is_nil() {
        return Err(AppError::BadRequest("invalid value at `wallet`".into()));
    }
    check_addresses(&req.addresses)?;
    if let Some(d) = &req.device {
        check_device(&d.device)?;
        validate_label(&d.label)?;
    }
    let addresses = serde_json::to_string(&req.addresses).map_err(anyhow::Error::from)?;
    let authority = req.authority.map(|a| a.to_base64url());
    let mut tx = st.db.pool.begin().await?;
    let inserted = st
        .insert_wallet(
            &mut *tx,
            &id,
            &req.wallet,
            req.kind.as_str(),
            &addresses,
            &req.primary.split,
            &req.primary.share,
            authority.as_deref(),
        )
        .await?;
    let body = DeviceRef {
        wallet: req.wallet,
        device: req.device.as_ref().map(|d| d.device),
        version: 0,
    };
    if inserted {
        if let Some(d) = &req.device {
            st.insert_device(&mut *tx, &id, &req.wallet, &new_device(d))
                .await?;
        }
        tx.commit().await?;
        st.metrics.share_op("create", "ok");
        tracing::info!(wallet = req.wallet.to_string(), "wallet created");
        return Ok((StatusCode::CREATED, JsonOut(body)).into_response());
    }
    tx.rollback().await?;
    // The user has a wallet: a repeat of this very request is 200.
    let w = st.load_wallet(&id).await?.ok_or(AppError::WalletExists)?;
    let mut identical = w.wallet == req.wallet.to_string()
        && w.kind == req.kind.as_str()
        && w.addresses == addresses
        && w.primary_split == req.primary.split.to_string()
        && w.authority == authority;
    if identical {
        let primary = st.open_primary(&id, &w)?;
        identical = ct_eq(&primary, req.primary.share.as_bytes());
    }
    if identical && let Some(d) = &req.device {
        identical = match st.load_device(&id, &req.wallet, &d.device).await? {
            Some(row) => device_identical(&st, &id, &req.wallet, &row, &new_device(d))?,
            None => false,
        };
    }
    if !identical {
        st.metrics.share_op("create", "conflict");
        return Err(AppError::WalletExists);
    }
    st.metrics.share_op("create", "idempotent");
    Ok((StatusCode::OK, JsonOut(body)).into_response())
}

/// Register a device's hot share at version 0 (201; identical repeat 200).
#[utoipa::path(post, path = "/v2/devices/register", tag = "hot storage", request_body = RegisterRequest,
    params(("Keyframe-Authority" = String, Header, description = "t=<secs>,n=<nonce>,sig=<signature> by the wallet's authority key (docs/api.md, \"Wallet authority\")")),
    responses((status = 403, description = "AUTHORITY_REQUIRED", body = ErrorBody), (status = 201, body = DeviceRef), (status = 200, description = "identical repeat", body = DeviceRef),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, description = "NO_WALLET", body = ErrorBody),
        (status = 409, description = "DEVICE_EXISTS or DEVICE_LIMIT", body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 429, body = ErrorBody), (status = 500, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn register(
    State(st): State<HotStore>,
    User(id): User,
    Signed { body: req, proof }: Signed<RegisterRequest>,
) -> AppResult<Response> {
    check_device(&req.device)?;
    validate_label(&req.label)?;
    authorized(&st, &id, &req.wallet, &proof).await?;
    st.delete_if_expired(&id, &req.wallet, &req.device).await?;
    let d = NewDevice {
        device: &req.device,
        split: &req.split,
        share: &req.share,
        ephemeral: req.ephemeral,
        label: req.label.as_deref(),
    };
    let body = DeviceRef {
        wallet: req.wallet,
        device: Some(req.device),
        version: 0,
    };
    if st.insert_device_capped(&id, &req.wallet, &d).await? {
        st.metrics.share_op("register", "ok");
        return Ok((StatusCode::CREATED, JsonOut(body)).into_response());
    }
    let identical = match st.load_device(&id, &req.wallet, &req.device).await? {
        Some(row) => device_identical(&st, &id, &req.wallet, &row, &d)?,
        None => false,
    };
    if identical {
        st.metrics.share_op("register", "idempotent");
        Ok((StatusCode::OK, JsonOut(body)).into_response())
    } else {
        st.metrics.share_op("register", "conflict");
        Err(AppError::DeviceExists)
    }
}

/// Read H₀, a device's current share, or promote and read its pending
/// share.
#[utoipa::path(post, path = "/v2/devices/recover", tag = "hot storage", request_body = RecoverWithIntent,
    responses((status = 200, body = RecoverResponse), (status = 400, description = "BAD_REQUEST (also: `parts` without `intent`, or more than 10 parts)", body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, description = "POLICY_DENIED: the policy refuses the intent (or one of its parts), or its effect is approve and `approval` is not a valid yes", body = ErrorBody),
        (status = 404, description = "NO_WALLET or SHARE_UNAVAILABLE", body = ErrorBody),
        (status = 409, description = "POLICY_CHANGED: the decision needs the user's yes on the screen (ask, approve without silent) and `on_screen` is false", body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 429, body = ErrorBody), (status = 500, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn recover(
    State(st): State<HotStore>,
    State(settings): State<Arc<Settings>>,
    Extension(batches): Extension<Arc<PolicyBatches>>,
    user: UserRecordingProof,
    body: Result<Json<RecoverWithIntent>, AppError>,
) -> AppResult<JsonOut<RecoverResponse>> {
    // The body is read once the proof verified (the caller's extractor
    // runs first); a body refused is an answer like any other.
    let (id, mut proof) = user.defer();
    let answer = match body {
        Ok(Json(body)) => recover_checked(&st, &settings, &batches, &id, body, &mut proof).await,
        Err(refused) => Err(refused),
    };
    // A verified proof is spent whatever the answer (crate::auth::PendingProof):
    // a refusal's is recorded here; after a release nothing is pending.
    proof.record_now().await?;
    answer
}

/// `recover` once its body is read: the share, or why not.
async fn recover_checked(
    st: &HotStore,
    settings: &Settings,
    batches: &PolicyBatches,
    id: &Identity,
    body: RecoverWithIntent,
    proof: &mut PendingProof,
) -> AppResult<JsonOut<RecoverResponse>> {
    // The DPoP proof is recorded before anything is written or released:
    // a judged request's in the policy's batch, with its judgement (one
    // write fewer per signature), any other before its first write or
    // its 404 (crate::auth::PendingProof).
    let approval = body.approval.clone();
    let on_screen = body.on_screen;
    let (req, intent, parts) = body.split_off();
    let version = req.version.map(check_version).transpose()?;
    // A judged request says whether its screen was shown (docs/api.md).
    if intent.is_some() && on_screen.is_none() {
        return Err(AppError::BadRequest(
            "on_screen: required with intent".to_owned(),
        ));
    }
    // A batch's parts are judged with its whole, so they come with one;
    // no more than the iFrame signs in one batch.
    if intent.is_none() && !parts.is_empty() {
        return Err(AppError::BadRequest("parts: only with intent".to_owned()));
    }
    if parts.len() > MAX_INTENT_PARTS {
        return Err(AppError::BadRequest(format!(
            "parts: at most {MAX_INTENT_PARTS}, not {}",
            parts.len()
        )));
    }
    let device = req.device.filter(|d| !d.is_nil());
    // The policy judges the request once the share is known to exist
    // (a 404 records no decision and no usage) and before it is opened.
    let gate = Gate {
        wallet: &req.wallet,
        device: device.as_ref(),
        intent: intent.as_ref(),
        parts: &parts,
        approval: approval.as_deref(),
        on_screen: on_screen.unwrap_or(false),
    };
    let Some(device) = device else {
        return recover_primary(st, settings, batches, id, &req, version, &gate, proof).await;
    };
    let (mut kind, mut addresses, mut row, mut rules) =
        st.load_wallet_device(id, &req.wallet, &device).await?;
    // Read first, write only when the row shows the very pending share
    // asked for: the common recover (the current share) writes nothing,
    // which on SQLite keeps it off the one writer's lock.
    if let (Some(v), Some(s), Some(r)) = (version, &req.split, &row)
        && r.pending_version == Some(v)
        && r.pending_split.as_deref() == Some(s.to_string().as_str())
    {
        proof.record_now().await?;
        if st.promote(id, &req.wallet, &device, v, s).await? {
            tracing::info!(
                wallet = req.wallet.to_string(),
                device = device.to_string(),
                version = v,
                "pending share promoted by recover"
            );
        }
        // Promoted by this request or a concurrent one: read it again.
        (kind, addresses, row, rules) = st.load_wallet_device(id, &req.wallet, &device).await?;
    }
    let Some(row) = row else {
        proof.record_now().await?;
        st.metrics.share_op("recover", "missing");
        return Err(AppError::ShareUnavailable);
    };
    let version_ok = version.is_none_or(|v| v == row.version);
    let split_ok = req
        .split
        .as_ref()
        .is_none_or(|s| s.to_string() == row.split);
    if !(version_ok && split_ok) {
        proof.record_now().await?;
        st.metrics.share_op("recover", "missing");
        return Err(AppError::ShareUnavailable);
    }
    enforce(batches, st, settings, id, &gate, Some(rules), proof).await?;
    let share = st.open_device(id, &req.wallet.to_string(), &row)?;
    // Last use is recorded with a granularity of min(TTL/10, idle limit/10,
    // 60 s), so a hot read path does not write on every request.
    let granularity = (st.device_ttl_ms / 10)
        .min(st.device_idle_ms / 10)
        .min(60_000);
    if now_ms() - row.last_used_at >= granularity {
        st.touch(id, &req.wallet, &device).await?;
    }
    st.metrics.share_op("recover", "ok");
    Ok(JsonOut(RecoverResponse {
        pending: row.pending(),
        wallet: req.wallet,
        device: stored(&row.device)?,
        version: row.version as u64,
        split: stored(&row.split)?,
        share: share_blob(share)?,
        kind: stored_kind(&kind)?,
        addresses: stored_addresses(&addresses)?,
    }))
}

/// Store the pending version+1 beside the current one (compare-and-swap).
#[utoipa::path(post, path = "/v2/devices/refresh", tag = "hot storage", request_body = RefreshRequest,
    params(("Keyframe-Authority" = String, Header, description = "t=<secs>,n=<nonce>,sig=<signature> by the wallet's authority key (docs/api.md, \"Wallet authority\")")),
    responses((status = 403, description = "AUTHORITY_REQUIRED", body = ErrorBody), (status = 200, body = VersionRef), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, description = "NO_WALLET or SHARE_UNAVAILABLE", body = ErrorBody),
        (status = 409, description = "VERSION_CONFLICT", body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 429, body = ErrorBody), (status = 500, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn refresh(
    State(st): State<HotStore>,
    User(id): User,
    Signed { body: req, proof }: Signed<RefreshRequest>,
) -> AppResult<JsonOut<VersionRef>> {
    let v = check_version(req.version)?;
    // Storing a pending share is signed too: a recover that names a
    // pending share promotes it (the crash-safety rule), so an unsigned
    // refresh would let a token holder stage a share and promote it.
    authorized(&st, &id, &req.wallet, &proof).await?;
    if req.device.is_nil() {
        return refresh_primary(&st, &id, &req, v).await;
    }
    let next = v + 1;
    let body = VersionRef {
        wallet: req.wallet,
        device: req.device,
        version: next as u64,
        split: req.split,
    };
    // A repeat of an already-pending split must not overwrite it.
    let row = st.load_device(&id, &req.wallet, &req.device).await?;
    let Some(row) = row else {
        st.metrics.share_op("refresh", "missing");
        return Err(AppError::ShareUnavailable);
    };
    let already = |r: &DeviceRow| {
        (r.pending_version == Some(next)
            && r.pending_split.as_deref() == Some(req.split.to_string().as_str()))
            || (r.version == next && r.split == req.split.to_string())
    };
    if already(&row) {
        st.metrics.share_op("refresh", "idempotent");
        return Ok(JsonOut(body));
    }
    let stored = st
        .set_pending(
            &id,
            &req.wallet,
            &req.device,
            v,
            &req.split,
            &req.share,
            req.replace_pending.as_ref(),
        )
        .await?;
    if stored {
        st.metrics.share_op("refresh", "ok");
        return Ok(JsonOut(body));
    }
    match st.load_device(&id, &req.wallet, &req.device).await? {
        None => {
            st.metrics.share_op("refresh", "missing");
            Err(AppError::ShareUnavailable)
        }
        Some(r) if already(&r) => {
            st.metrics.share_op("refresh", "idempotent");
            Ok(JsonOut(body))
        }
        Some(_) => {
            st.metrics.share_op("refresh", "conflict");
            Err(AppError::VersionConflict)
        }
    }
}
/// Promote the pending version to current (idempotent).
#[utoipa::path(post, path = "/v2/devices/commit", tag = "hot storage", request_body = CommitRequest,
    params(("Keyframe-Authority" = String, Header, description = "t=<secs>,n=<nonce>,sig=<signature> by the wallet's authority key (docs/api.md, \"Wallet authority\")")),
    responses((status = 403, description = "AUTHORITY_REQUIRED", body = ErrorBody), (status = 200, body = VersionRef), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, description = "NO_WALLET or SHARE_UNAVAILABLE", body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 429, body = ErrorBody), (status = 500, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn commit(
    State(st): State<HotStore>,
    User(id): User,
    Signed { body: req, proof }: Signed<CommitRequest>,
) -> AppResult<JsonOut<VersionRef>> {
    let v = check_version(req.version)?;
    authorized(&st, &id, &req.wallet, &proof).await?;
    if req.device.is_nil() {
        return commit_primary(&st, &id, &req, v).await;
    }
    if st
        .promote(&id, &req.wallet, &req.device, v, &req.split)
        .await?
    {
        st.touch(&id, &req.wallet, &req.device).await?;
        st.metrics.share_op("commit", "ok");
    } else {
        match st.load_device(&id, &req.wallet, &req.device).await? {
            Some(r) if r.version == v && r.split == req.split.to_string() => {
                st.touch(&id, &req.wallet, &req.device).await?;
                st.metrics.share_op("commit", "idempotent");
            }
            _ => {
                st.metrics.share_op("commit", "missing");
                return Err(AppError::ShareUnavailable);
            }
        }
    }
    Ok(JsonOut(VersionRef {
        wallet: req.wallet,
        device: req.device,
        version: v as u64,
        split: req.split,
    }))
}
