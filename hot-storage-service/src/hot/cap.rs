//! The device cap: at most `max_devices` live devices per wallet, held
//! under concurrent registrations on any number of replicas
//! (docs/services.md, "Databases").

use super::store::{HotStore, NewDevice};
use crate::auth::Identity;
use crate::db::now_ms;
use crate::error::{AppError, AppResult};
use crate::types::WalletId;

impl HotStore {
    /// Registers a device at version 0 unless the wallet already has
    /// `max_devices` other live devices; returns whether it was new.
    ///
    /// The count and the insert must not interleave with another
    /// registration, or concurrent requests overshoot the cap: the
    /// transaction first writes the wallet's row (a no-op update), which
    /// takes PostgreSQL's row lock and SQLite's write lock, so registrations
    /// of one wallet run one after another on any number of replicas.
    pub async fn insert_device_capped(
        &self,
        id: &Identity,
        wallet: &WalletId,
        d: &NewDevice<'_>,
    ) -> AppResult<bool> {
        let mut tx = self.db.pool.begin().await?;
        let locked = sqlx::query(
            "UPDATE hot_wallets SET created_at = created_at WHERE iss = $1 AND sub = $2 AND wallet = $3",
        )
        .bind(&id.iss)
        .bind(&id.sub)
        .bind(wallet.to_string())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if locked == 0 {
            tx.rollback().await?;
            return Err(AppError::NoWallet);
        }
        let now = now_ms();
        // Other live devices: a repeat of an existing device's registration
        // still gets its 200 (or 409 DEVICE_EXISTS) at the cap.
        let others: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM hot_devices WHERE iss = $1 AND sub = $2 AND wallet = $3 AND device <> $4 \
             AND (expires_at IS NULL OR expires_at > $5) AND last_used_at > $6",
        )
        .bind(&id.iss)
        .bind(&id.sub)
        .bind(wallet.to_string())
        .bind(d.device.to_string())
        .bind(now)
        .bind(self.idle_cutoff(now))
        .fetch_one(&mut *tx)
        .await?;
        if others >= i64::from(self.max_devices) {
            tx.rollback().await?;
            return Err(AppError::DeviceLimit {
                max: self.max_devices,
            });
        }
        let inserted = self.insert_device(&mut *tx, id, wallet, d).await?;
        tx.commit().await?;
        Ok(inserted)
    }
}
