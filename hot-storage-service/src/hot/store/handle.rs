//! [`HotStore`], the one handle the handlers and the policy hold on hot
//! storage's tables, and the opening of a sealed share (a failure is
//! logged, counted and answered 500). Its queries are written beside the
//! tables they touch: `wallets.rs` and `devices.rs`.

use std::sync::Arc;

use zeroize::Zeroizing;

use super::schema::aad;
use crate::auth::Identity;
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::metrics::Metrics;
use crate::seal::Keyring;

/// The hot store, as handlers see it (an axum substate).
#[derive(Clone)]
pub struct HotStore {
    pub db: Db,
    pub keyring: Arc<Keyring>,
    pub metrics: Arc<Metrics>,
    /// Lifetime of an ephemeral device after its last use, in ms.
    pub device_ttl_ms: i64,
    /// Any device unused this long (ms) has expired.
    pub device_idle_ms: i64,
    /// Most live devices per wallet.
    pub max_devices: u32,
}

impl HotStore {
    /// A device whose last use is at or before this time has expired.
    pub(crate) fn idle_cutoff(&self, now: i64) -> i64 {
        now.saturating_sub(self.device_idle_ms)
    }

    /// Opens a sealed share; a failure is logged (never with bytes),
    /// counted, and answered 500 `INTERNAL`.
    #[allow(clippy::too_many_arguments)]
    pub fn open_share(
        &self,
        id: &Identity,
        wallet: &str,
        device: &str,
        version: i64,
        split: &str,
        key_id: &str,
        blob: &[u8],
    ) -> AppResult<Zeroizing<Vec<u8>>> {
        self.keyring
            .open(
                &aad(&id.iss, &id.sub, wallet, device, version as u64, split),
                key_id,
                blob,
            )
            .map_err(|e| {
                self.metrics.seal_failure();
                tracing::error!(wallet, device, version, key_id = %e.key_id,
                    "sealed share failed to open (tampered, copied from another row, or unknown key)");
                AppError::Internal(anyhow::anyhow!("sealed share failed to open"))
            })
    }
}
