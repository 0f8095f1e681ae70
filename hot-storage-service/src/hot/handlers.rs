//! Hot-storage handlers (`/v2/...`), exactly as docs/api.md specifies. The
//! OpenAPI document is generated from their `#[utoipa::path]` attributes
//! and the wire types (`wire.rs`).
//!
//! Handlers see only the parts of the state they need: the [`HotStore`]
//! and, for `/v2/config` and `/v2/tokens`, the settings.

use std::sync::Arc;

use axum::Json as JsonOut;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::policy_gate::{Gate, enforce};
use super::store::{DeviceRow, HotStore, NewDevice, WalletRow};
use super::wire::{
    CommitRequest, ConfigResponse, CreateRequest, DeviceIn, DeviceInfo, DeviceList, DeviceRef,
    Pending, RecoverRequest, RecoverResponse, RefreshRequest, RegisterRequest, RevokeRequest,
    TokenList, VersionRef, WalletRequest, WalletResponse,
};
use crate::auth::{Identity, User};
use crate::authority::{Proof, Signed};
use crate::db::{now_ms, rfc3339};
use crate::error::{AppError, AppResult, ErrorBody};
use crate::extract::Json;
use crate::settings::Settings;
use crate::types::{
    Addresses, DeviceId, MAX_VERSION, OkBody, ShareBlob, WalletId, WalletKind, check_addresses,
    stored, validate_label,
};
use keyframe_wire::AuthorityKey;
use keyframe_wire::authority::RegisterAuthority;
use keyframe_wire::policy::RecoverWithIntent;

fn check_version(v: u64) -> AppResult<i64> {
    if v >= MAX_VERSION {
        return Err(AppError::BadRequest("invalid value at `version`".into()));
    }
    Ok(v as i64)
}

fn check_device(d: &DeviceId) -> AppResult<()> {
    if d.is_nil() {
        return Err(AppError::BadRequest(
            "the nil device id is reserved for the recovery pair".into(),
        ));
    }
    Ok(())
}

fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// The addresses as stored (JSON text); a row that does not parse was
/// altered.
fn stored_addresses(text: &str) -> AppResult<Addresses> {
    serde_json::from_str(text).map_err(|e| AppError::Internal(anyhow::Error::from(e)))
}

/// The wallet kind as stored.
fn stored_kind(text: &str) -> AppResult<WalletKind> {
    WalletKind::from_wire(text)
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("a stored wallet kind does not parse")))
}

/// A share as the wire carries it.
fn share_blob(share: Zeroizing<Vec<u8>>) -> AppResult<ShareBlob> {
    ShareBlob::new(share).map_err(|e| AppError::Internal(anyhow::anyhow!("stored share: {e}")))
}

/// The caller's wallet `wallet`, once `proof` carries a valid signature by
/// its authority key (403 `AUTHORITY_REQUIRED` otherwise; crate::authority).
pub(super) async fn authorized(
    st: &HotStore,
    id: &Identity,
    wallet: &WalletId,
    proof: &Proof,
) -> AppResult<WalletRow> {
    let w = st.require_wallet(id, wallet).await?;
    proof.verify(&st.db, w.authority.as_deref(), wallet).await?;
    Ok(w)
}

/// The stored authority key; a row that does not parse was altered.
fn stored_authority(w: &WalletRow) -> AppResult<Option<AuthorityKey>> {
    w.authority
        .as_deref()
        .map(|a| {
            a.parse().map_err(|_| {
                AppError::Internal(anyhow::anyhow!("a stored authority key does not parse"))
            })
        })
        .transpose()
}

/// Allow-list and settings the iFrame needs.
#[utoipa::path(get, path = "/v2/config", tag = "hot storage", security(()),
    responses((status = 200, body = ConfigResponse), (status = 503, body = ErrorBody)))]
pub async fn config(State(s): State<Arc<Settings>>) -> JsonOut<ConfigResponse> {
    JsonOut(ConfigResponse {
        allowed_origins: s.allowed_origins.clone(),
        shield_url: s.shield_url.clone(),
        device_ttl_seconds: s.device_ttl.as_secs(),
        chains: s.catalog.chains.clone(),
    })
}

/// The token list (`--tokens`, else the built-in one). Public and the same
/// for everyone: `Cache-Control: no-cache` with an `ETag`, so a cache
/// revalidates and gets a 304 while the list is unchanged.
#[utoipa::path(get, path = "/v2/tokens", tag = "hot storage", security(()),
    responses((status = 200, body = TokenList),
        (status = 304, description = "unchanged since the `If-None-Match` ETag"),
        (status = 503, body = ErrorBody)))]
pub async fn tokens(State(s): State<Arc<Settings>>, req: HeaderMap) -> Response {
    let catalog = &s.catalog;
    crate::static_files::cached(
        &req,
        &catalog.tokens_etag,
        "application/json",
        catalog.tokens_json.to_string(),
    )
}

/// The caller's wallet.
#[utoipa::path(get, path = "/v2/wallet", tag = "hot storage",
    responses((status = 200, body = WalletResponse), (status = 401, body = ErrorBody),
        (status = 404, description = "NO_WALLET", body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn wallet(
    State(st): State<HotStore>,
    User(id): User,
) -> AppResult<JsonOut<WalletResponse>> {
    let w = st.load_wallet(&id).await?.ok_or(AppError::NoWallet)?;
    Ok(JsonOut(WalletResponse {
        wallet: stored(&w.wallet)?,
        kind: stored_kind(&w.kind)?,
        addresses: stored_addresses(&w.addresses)?,
        created_at: rfc3339(w.created_at),
        authority: stored_authority(&w)?,
    }))
}

/// Registers the authority key of a wallet created before authority keys
/// (201); once one is registered, 409 `AUTHORITY_EXISTS` and nothing changes.
/// This first-use window is open to any holder of the user's token until
/// the iFrame's next use of the wallet closes it (docs/api.md).
#[utoipa::path(post, path = "/v2/wallet/authority", tag = "hot storage", request_body = RegisterAuthority,
    responses((status = 201, body = OkBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, description = "NO_WALLET", body = ErrorBody),
        (status = 409, description = "AUTHORITY_EXISTS", body = ErrorBody),
        (status = 429, body = ErrorBody), (status = 500, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn register_authority(
    State(st): State<HotStore>,
    User(id): User,
    Json(req): Json<RegisterAuthority>,
) -> AppResult<Response> {
    let wallet = req
        .wallet
        .ok_or_else(|| AppError::BadRequest("missing field `wallet`".into()))?;
    st.require_wallet(&id, &wallet).await?;
    if !st
        .set_authority(&id, &wallet, &req.authority.to_base64url())
        .await?
    {
        st.metrics.share_op("authority", "conflict");
        return Err(AppError::AuthorityExists);
    }
    st.metrics.share_op("authority", "ok");
    tracing::info!(wallet = wallet.to_string(), "authority key registered");
    Ok((StatusCode::CREATED, JsonOut(OkBody { ok: true })).into_response())
}

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

impl DeviceRow {
    fn pending(&self) -> Option<Pending> {
        match (self.pending_version, &self.pending_split) {
            (Some(version), Some(split)) => Some(Pending {
                version: version as u64,
                split: split.parse().ok()?,
            }),
            _ => None,
        }
    }
}

/// Read H₀, a device's current share, or promote and read its pending
/// share.
#[utoipa::path(post, path = "/v2/devices/recover", tag = "hot storage", request_body = RecoverWithIntent,
    responses((status = 200, body = RecoverResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, description = "POLICY_DENIED: the policy refuses the intent, or its effect is approve and `approval` is not a valid yes", body = ErrorBody),
        (status = 404, description = "NO_WALLET or SHARE_UNAVAILABLE", body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 429, body = ErrorBody), (status = 500, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn recover(
    State(st): State<HotStore>,
    State(settings): State<Arc<Settings>>,
    User(id): User,
    Json(body): Json<RecoverWithIntent>,
) -> AppResult<JsonOut<RecoverResponse>> {
    let approval = body.approval.clone();
    let (req, intent) = body.split_off();
    let version = req.version.map(check_version).transpose()?;
    let device = req.device.filter(|d| !d.is_nil());
    // The policy judges the request once the share is known to exist
    // (a 404 records no decision and no usage) and before it is opened.
    let gate = Gate {
        wallet: &req.wallet,
        device: device.as_ref(),
        intent: intent.as_ref(),
        approval: approval.as_deref(),
    };
    let Some(device) = device else {
        return recover_primary(&st, &settings, &id, &req, version, &gate).await;
    };
    let (mut kind, mut addresses, mut row) =
        st.load_wallet_device(&id, &req.wallet, &device).await?;
    // Read first, write only when the row shows the very pending share
    // asked for: the common recover (the current share) writes nothing,
    // which on SQLite keeps it off the one writer's lock.
    if let (Some(v), Some(s), Some(r)) = (version, &req.split, &row)
        && r.pending_version == Some(v)
        && r.pending_split.as_deref() == Some(s.to_string().as_str())
    {
        if st.promote(&id, &req.wallet, &device, v, s).await? {
            tracing::info!(
                wallet = req.wallet.to_string(),
                device = device.to_string(),
                version = v,
                "pending share promoted by recover"
            );
        }
        // Promoted by this request or a concurrent one: read it again.
        (kind, addresses, row) = st.load_wallet_device(&id, &req.wallet, &device).await?;
    }
    let Some(row) = row else {
        st.metrics.share_op("recover", "missing");
        return Err(AppError::ShareUnavailable);
    };
    let version_ok = version.is_none_or(|v| v == row.version);
    let split_ok = req
        .split
        .as_ref()
        .is_none_or(|s| s.to_string() == row.split);
    if !(version_ok && split_ok) {
        st.metrics.share_op("recover", "missing");
        return Err(AppError::ShareUnavailable);
    }
    enforce(&st, &settings, &id, &gate).await?;
    let share = st.open_device(&id, &req.wallet.to_string(), &row)?;
    // Last use is recorded with a granularity of min(TTL/10, idle limit/10,
    // 60 s), so a hot read path does not write on every request.
    let granularity = (st.device_ttl_ms / 10)
        .min(st.device_idle_ms / 10)
        .min(60_000);
    if now_ms() - row.last_used_at >= granularity {
        st.touch(&id, &req.wallet, &device).await?;
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

/// H₀, the recovery pair's hot half. Asked by the split of the cold share
/// the signer opened: the current one, or the pending successor, which is
/// then promoted (the signer holds its partner C′, so Shield stored it; the
/// same rule as a device's pending share).
async fn recover_primary(
    st: &HotStore,
    settings: &Settings,
    id: &crate::auth::Identity,
    req: &RecoverRequest,
    version: Option<i64>,
    gate: &Gate<'_>,
) -> AppResult<JsonOut<RecoverResponse>> {
    let mut w = st.require_wallet(id, &req.wallet).await?;
    if let Some(split) = &req.split
        && w.pending_split.as_deref() == Some(split.to_string().as_str())
        && version.is_none_or(|v| Some(v) == w.pending_version)
    {
        if let Some(v) = w.pending_version
            && st.promote_primary(id, &req.wallet, v, split).await?
        {
            tracing::info!(
                wallet = req.wallet.to_string(),
                version = v,
                "pending primary share promoted by recover"
            );
        }
        w = st.require_wallet(id, &req.wallet).await?;
    }
    let version_ok = version.is_none_or(|v| v == w.primary_version);
    let split_ok = req
        .split
        .as_ref()
        .is_none_or(|s| s.to_string() == w.primary_split);
    if !(version_ok && split_ok) {
        st.metrics.share_op("recover", "missing");
        return Err(AppError::ShareUnavailable);
    }
    enforce(st, settings, id, gate).await?;
    let share = st.open_primary(id, &w)?;
    st.metrics.share_op("recover", "ok");
    Ok(JsonOut(RecoverResponse {
        addresses: stored_addresses(&w.addresses)?,
        wallet: stored(&w.wallet)?,
        device: DeviceId::RECOVERY,
        version: w.primary_version as u64,
        split: stored(&w.primary_split)?,
        share: share_blob(share)?,
        kind: stored_kind(&w.kind)?,
        pending: w.pending(),
    }))
}

/// The recovery pair's next H₀, pending until committed (device nil).
async fn refresh_primary(
    st: &HotStore,
    id: &crate::auth::Identity,
    req: &RefreshRequest,
    v: i64,
) -> AppResult<JsonOut<VersionRef>> {
    let next = v + 1;
    let body = VersionRef {
        wallet: req.wallet,
        device: DeviceId::RECOVERY,
        version: next as u64,
        split: req.split,
    };
    let split = req.split.to_string();
    let already = |w: &crate::hot::store::WalletRow| {
        (w.pending_version == Some(next) && w.pending_split.as_deref() == Some(split.as_str()))
            || (w.primary_version == next && w.primary_split == split)
    };
    if already(&st.require_wallet(id, &req.wallet).await?) {
        st.metrics.share_op("refresh", "idempotent");
        return Ok(JsonOut(body));
    }
    let stored = st
        .set_pending_primary(
            id,
            &req.wallet,
            v,
            &req.split,
            &req.share,
            req.replace_pending.as_ref(),
        )
        .await?;
    if stored || already(&st.require_wallet(id, &req.wallet).await?) {
        st.metrics
            .share_op("refresh", if stored { "ok" } else { "idempotent" });
        return Ok(JsonOut(body));
    }
    st.metrics.share_op("refresh", "conflict");
    Err(AppError::VersionConflict)
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
        // The recovery pair's next H₀ becomes current.
        let promoted = st.promote_primary(&id, &req.wallet, v, &req.split).await?;
        let w = st.require_wallet(&id, &req.wallet).await?;
        let committed = w.primary_version == v && w.primary_split == req.split.to_string();
        if !(promoted || committed) {
            st.metrics.share_op("commit", "missing");
            return Err(AppError::ShareUnavailable);
        }
        st.metrics
            .share_op("commit", if promoted { "ok" } else { "idempotent" });
        return Ok(JsonOut(VersionRef {
            wallet: req.wallet,
            device: req.device,
            version: v as u64,
            split: req.split,
        }));
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

/// List the wallet's devices (the recovery pair is not a device).
#[utoipa::path(post, path = "/v2/devices/list", tag = "hot storage", request_body = WalletRequest,
    responses((status = 200, body = DeviceList), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, description = "NO_WALLET", body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 429, body = ErrorBody), (status = 500, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn list(
    State(st): State<HotStore>,
    User(id): User,
    Json(req): Json<WalletRequest>,
) -> AppResult<JsonOut<DeviceList>> {
    st.require_wallet(&id, &req.wallet).await?;
    let devices = st
        .list_devices(&id, &req.wallet)
        .await?
        .into_iter()
        .map(|d| {
            Ok(DeviceInfo {
                device: stored(&d.device)?,
                label: d.label,
                ephemeral: d.ephemeral.0,
                version: d.version as u64,
                created_at: rfc3339(d.created_at),
                last_used_at: rfc3339(d.last_used_at),
                expires_at: d.expires_at.map(rfc3339),
            })
        })
        .collect::<AppResult<_>>()?;
    Ok(JsonOut(DeviceList { devices }))
}

/// Delete a device's hot shares (current and pending).
#[utoipa::path(post, path = "/v2/devices/revoke", tag = "hot storage", request_body = RevokeRequest,
    params(("Keyframe-Authority" = String, Header, description = "t=<secs>,n=<nonce>,sig=<signature> by the wallet's authority key (docs/api.md, \"Wallet authority\")")),
    responses((status = 403, description = "AUTHORITY_REQUIRED", body = ErrorBody), (status = 200, body = OkBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, description = "NO_WALLET or SHARE_UNAVAILABLE", body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 429, body = ErrorBody), (status = 500, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn revoke(
    State(st): State<HotStore>,
    User(id): User,
    Signed { body: req, proof }: Signed<RevokeRequest>,
) -> AppResult<JsonOut<OkBody>> {
    check_device(&req.device)?;
    authorized(&st, &id, &req.wallet, &proof).await?;
    if !st.delete_device(&id, &req.wallet, &req.device).await? {
        st.metrics.share_op("revoke", "missing");
        return Err(AppError::ShareUnavailable);
    }
    st.metrics.share_op("revoke", "ok");
    tracing::info!(
        wallet = req.wallet.to_string(),
        device = req.device.to_string(),
        "device revoked"
    );
    Ok(JsonOut(OkBody { ok: true }))
}
