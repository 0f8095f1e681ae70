//! Hot storage's wallet routes (`/v2/config`, `/v2/tokens`, `/v2/wallet`,
//! `/v2/wallet/authority`) and the checks and conversions every hot-storage
//! route shares (versions, device ids, stored columns, the authority
//! proof). The share routes are in `share_routes.rs` (devices),
//! `primary_routes.rs` (the recovery pair) and `device_routes.rs` (listing
//! and revoking); all are exactly as docs/api.md specifies. The OpenAPI
//! document is generated from their `#[utoipa::path]` attributes and the
//! wire types (`wire.rs`).
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

use super::store::{HotStore, WalletRow};
use super::wire::{ConfigResponse, TokenList, WalletResponse};
use crate::auth::{Identity, User};
use crate::authority::Proof;
use crate::db::rfc3339;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::extract::Json;
use crate::settings::Settings;
use crate::types::{
    Addresses, DeviceId, MAX_VERSION, OkBody, ShareBlob, WalletId, WalletKind, stored,
};
use keyframe_wire::AuthorityKey;
use keyframe_wire::authority::RegisterAuthority;

pub(super) fn check_version(v: u64) -> AppResult<i64> {
    if v >= MAX_VERSION {
        return Err(AppError::BadRequest("invalid value at `version`".into()));
    }
    Ok(v as i64)
}

pub(super) fn check_device(d: &DeviceId) -> AppResult<()> {
    if d.is_nil() {
        return Err(AppError::BadRequest(
            "the nil device id is reserved for the recovery pair".into(),
        ));
    }
    Ok(())
}

pub(super) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// The addresses as stored (JSON text); a row that does not parse was
/// altered.
pub(super) fn stored_addresses(text: &str) -> AppResult<Addresses> {
    serde_json::from_str(text).map_err(|e| AppError::Internal(anyhow::Error::from(e)))
}

/// The wallet kind as stored.
pub(super) fn stored_kind(text: &str) -> AppResult<WalletKind> {
    WalletKind::from_wire(text)
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("a stored wallet kind does not parse")))
}

/// A share as the wire carries it.
pub(super) fn share_blob(share: Zeroizing<Vec<u8>>) -> AppResult<ShareBlob> {
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
