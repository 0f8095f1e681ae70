//! The recovery pair's routes (device nil): read H₀ or promote its pending
//! successor at recover, store the next H₀ at refresh, make it current at
//! commit (docs/api.md, "Rotating the recovery pair"). `share_routes.rs`
//! hands these requests here after its own checks.

use axum::Json as JsonOut;

use super::handlers::{share_blob, stored_addresses, stored_kind};
use super::policy_batch::{Gate, PolicyBatches, enforce};
use super::store::HotStore;
use super::wire::{CommitRequest, RecoverRequest, RecoverResponse, RefreshRequest, VersionRef};
use crate::auth::{Identity, PendingProof};
use crate::error::{AppError, AppResult};
use crate::settings::Settings;
use crate::types::{DeviceId, stored};

/// H₀, the recovery pair's hot half. Asked by the split of the cold share
/// the signer opened: the current one, or the pending successor, which is
/// then promoted (the signer holds its partner C′, so Shield stored it; the
/// same rule as a device's pending share). The request's DPoP `proof` is
/// recorded before anything else (this path is not a signature's).
#[allow(clippy::too_many_arguments)]
pub(super) async fn recover_primary(
    st: &HotStore,
    settings: &Settings,
    batches: &PolicyBatches,
    id: &Identity,
    req: &RecoverRequest,
    version: Option<i64>,
    gate: &Gate<'_>,
    proof: &mut PendingProof,
) -> AppResult<JsonOut<RecoverResponse>> {
    proof.record_now().await?;
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
    enforce(batches, st, settings, id, gate, None, proof).await?;
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
pub(super) async fn refresh_primary(
    st: &HotStore,
    id: &Identity,
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
    let already = |w: &super::store::WalletRow| {
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
/// The recovery pair's next H₀ becomes current (device nil; idempotent).
pub(super) async fn commit_primary(
    st: &HotStore,
    id: &Identity,
    req: &CommitRequest,
    v: i64,
) -> AppResult<JsonOut<VersionRef>> {
    let promoted = st.promote_primary(id, &req.wallet, v, &req.split).await?;
    let w = st.require_wallet(id, &req.wallet).await?;
    let committed = w.primary_version == v && w.primary_split == req.split.to_string();
    if !(promoted || committed) {
        st.metrics.share_op("commit", "missing");
        return Err(AppError::ShareUnavailable);
    }
    st.metrics
        .share_op("commit", if promoted { "ok" } else { "idempotent" });
    Ok(JsonOut(VersionRef {
        wallet: req.wallet,
        device: req.device,
        version: v as u64,
        split: req.split,
    }))
}
