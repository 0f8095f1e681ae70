//! Listing and revoking a wallet's devices (`/v2/devices/list`,
//! `/v2/devices/revoke`; docs/api.md). The recovery pair is not a device.

use axum::Json as JsonOut;
use axum::extract::State;

use super::handlers::{authorized, check_device};
use super::store::HotStore;
use super::wire::{DeviceInfo, DeviceList, RevokeRequest, WalletRequest};
use crate::auth::User;
use crate::authority::Signed;
use crate::db::rfc3339;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::extract::Json;
use crate::types::{OkBody, stored};

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
