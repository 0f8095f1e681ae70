//! The `hot_devices` table: one row per device with its *current* hot
//! share and, beside it, an optional *pending* share (`version + 1`). Every
//! state change of the refresh protocol is one conditional `UPDATE` on that
//! row; its affected-row count is the compare-and-swap (docs/api.md). Also
//! the sweeper's deletion of expired rows.

use sqlx::any::AnyRow;
use sqlx::{Any, Executor, FromRow};
use zeroize::Zeroizing;

use super::handle::HotStore;
use super::schema::aad;
use crate::auth::Identity;
use crate::db::{Db, Untraced as _, now_ms};
use crate::error::{AppError, AppResult};
use crate::hot::policy_store::WalletRules;
use crate::types::{DeviceId, ShareBlob, SplitId, WalletId};

const DEVICE_COLS: &str = "device, label, ephemeral, version, split, key_id, sealed, pending_version, \
     pending_split, created_at, last_used_at, expires_at";

#[derive(FromRow)]
pub struct DeviceRow {
    pub device: String,
    pub label: Option<String>,
    #[sqlx(try_from = "i64")]
    pub ephemeral: Flag,
    pub version: i64,
    pub split: String,
    pub key_id: String,
    pub sealed: Vec<u8>,
    pub pending_version: Option<i64>,
    pub pending_split: Option<String>,
    pub created_at: i64,
    pub last_used_at: i64,
    pub expires_at: Option<i64>,
}
impl DeviceRow {
    /// The pending next share, if one is stored.
    pub fn pending(&self) -> Option<keyframe_wire::hot::Pending> {
        match (self.pending_version, &self.pending_split) {
            (Some(version), Some(split)) => Some(keyframe_wire::hot::Pending {
                version: version as u64,
                split: split.parse().ok()?,
            }),
            _ => None,
        }
    }
}

/// A boolean stored as BIGINT 0/1 (one type on SQLite and PostgreSQL).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Flag(pub bool);

impl From<i64> for Flag {
    fn from(v: i64) -> Flag {
        Flag(v != 0)
    }
}

/// The wallet's kind and addresses beside one (optional) live device.
#[derive(FromRow)]
struct WalletDeviceRow {
    kind: String,
    addresses: String,
    device: Option<String>,
    authority: Option<String>,
    rules_version: Option<i64>,
    rules: Option<String>,
    rules_signature: Option<String>,
}

/// A device share to insert at version 0.
pub struct NewDevice<'a> {
    pub device: &'a DeviceId,
    pub split: &'a SplitId,
    pub share: &'a ShareBlob,
    pub ephemeral: bool,
    pub label: Option<&'a str>,
}
impl HotStore {
    /// A live (unexpired) device row.
    #[tracing::instrument(name = "db.load_device", skip_all)]
    pub async fn load_device(
        &self,
        id: &Identity,
        wallet: &WalletId,
        device: &DeviceId,
    ) -> AppResult<Option<DeviceRow>> {
        let now = now_ms();
        Ok(sqlx::query_as::<_, DeviceRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {DEVICE_COLS} FROM hot_devices WHERE iss = $1 AND sub = $2 AND wallet = $3 AND device = $4 \
             AND (expires_at IS NULL OR expires_at > $5) AND last_used_at > $6"
        )))
        .bind(&id.iss)
        .bind(&id.sub)
        .bind(wallet.to_string())
        .bind(device.to_string())
        .bind(now)
        .bind(self.idle_cutoff(now))
        .fetch_optional(&self.db.pool)
        .untraced(&self.db)
        .await?)
    }

    /// The wallet's kind and addresses, one live device row, and what the
    /// policy's evaluation needs of the wallet (its authority key and user
    /// rules), in one query (the hot read path). `Err(NoWallet)` if the
    /// wallet is not the caller's.
    #[tracing::instrument(name = "db.load_wallet_device", skip_all)]
    pub async fn load_wallet_device(
        &self,
        id: &Identity,
        wallet: &WalletId,
        device: &DeviceId,
    ) -> AppResult<(String, String, Option<DeviceRow>, WalletRules)> {
        let now = now_ms();
        // One statement, read on a held connection and again through the
        // pool if that connection failed (crate::db::Db::read_optional).
        let query = || {
            sqlx::query(
                "SELECT w.kind AS kind, w.addresses AS addresses, w.authority AS authority, \
                 r.version AS rules_version, r.rules AS rules, r.signature AS rules_signature, \
                 d.device AS device, d.label AS label, \
                 d.ephemeral AS ephemeral, d.version AS version, d.split AS split, d.key_id AS key_id, d.sealed AS sealed, \
                 d.pending_version AS pending_version, d.pending_split AS pending_split, d.created_at AS created_at, \
                 d.last_used_at AS last_used_at, d.expires_at AS expires_at \
                 FROM hot_wallets w LEFT JOIN hot_devices d ON d.iss = w.iss AND d.sub = w.sub AND d.wallet = w.wallet \
                 AND d.device = $4 AND (d.expires_at IS NULL OR d.expires_at > $5) AND d.last_used_at > $6 \
                 LEFT JOIN user_rules r ON r.iss = w.iss AND r.sub = w.sub AND r.wallet = w.wallet \
                 WHERE w.iss = $1 AND w.sub = $2 AND w.wallet = $3",
            )
            .bind(&id.iss)
            .bind(&id.sub)
            .bind(wallet.to_string())
            .bind(device.to_string())
            .bind(now)
            .bind(self.idle_cutoff(now))
        };
        let row = self.db.read_optional(query).await?;
        let row: AnyRow = row.ok_or(AppError::NoWallet)?;
        let head = WalletDeviceRow::from_row(&row)?;
        let dev = match head.device {
            Some(_) => Some(DeviceRow::from_row(&row)?),
            None => None,
        };
        let rules = WalletRules::from_columns(
            wallet,
            head.authority,
            head.rules_version,
            head.rules,
            head.rules_signature,
        )?;
        Ok((head.kind, head.addresses, dev, rules))
    }

    /// Live devices of a wallet, oldest first.
    #[tracing::instrument(name = "db.list_devices", skip_all)]
    pub async fn list_devices(
        &self,
        id: &Identity,
        wallet: &WalletId,
    ) -> AppResult<Vec<DeviceRow>> {
        let now = now_ms();
        Ok(sqlx::query_as::<_, DeviceRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {DEVICE_COLS} FROM hot_devices WHERE iss = $1 AND sub = $2 AND wallet = $3 \
             AND (expires_at IS NULL OR expires_at > $4) AND last_used_at > $5 ORDER BY created_at, device"
        )))
        .bind(&id.iss)
        .bind(&id.sub)
        .bind(wallet.to_string())
        .bind(now)
        .bind(self.idle_cutoff(now))
        .fetch_all(&self.db.pool)
        .untraced(&self.db)
        .await?)
    }

    /// Updates last use (and an ephemeral device's expiry).
    #[tracing::instrument(name = "db.touch", skip_all)]
    pub async fn touch(
        &self,
        id: &Identity,
        wallet: &WalletId,
        device: &DeviceId,
    ) -> AppResult<()> {
        let now = now_ms();
        sqlx::query(
            "UPDATE hot_devices SET last_used_at = $5, expires_at = CASE WHEN ephemeral = 1 THEN $6 ELSE NULL END \
             WHERE iss = $1 AND sub = $2 AND wallet = $3 AND device = $4",
        )
        .bind(&id.iss)
        .bind(&id.sub)
        .bind(wallet.to_string())
        .bind(device.to_string())
        .bind(now)
        .bind(now + self.device_ttl_ms)
        .execute(&self.db.pool)
        .untraced(&self.db)
        .await?;
        Ok(())
    }

    /// Opens a device row's current share.
    pub fn open_device(
        &self,
        id: &Identity,
        wallet: &str,
        row: &DeviceRow,
    ) -> AppResult<Zeroizing<Vec<u8>>> {
        self.open_share(
            id,
            wallet,
            &row.device,
            row.version,
            &row.split,
            &row.key_id,
            &row.sealed,
        )
    }

    /// Inserts a device share at version 0; returns whether it was new.
    #[tracing::instrument(name = "db.insert_device", skip_all)]
    pub async fn insert_device(
        &self,
        exec: impl Executor<'_, Database = Any>,
        id: &Identity,
        wallet: &WalletId,
        d: &NewDevice<'_>,
    ) -> AppResult<bool> {
        let sealed = self.keyring.seal(
            &aad(
                &id.iss,
                &id.sub,
                &wallet.to_string(),
                &d.device.to_string(),
                0,
                &d.split.to_string(),
            ),
            d.share.as_bytes(),
        )?;
        let now = now_ms();
        let expires = d.ephemeral.then(|| now + self.device_ttl_ms);
        let res = sqlx::query(
            "INSERT INTO hot_devices (iss, sub, wallet, device, label, ephemeral, version, split, key_id, sealed, \
             created_at, last_used_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $8, $9, $10, $10, $11) \
             ON CONFLICT (iss, sub, wallet, device) DO NOTHING",
        )
        .bind(&id.iss)
        .bind(&id.sub)
        .bind(wallet.to_string())
        .bind(d.device.to_string())
        .bind(d.label.map(str::to_owned))
        .bind(i64::from(d.ephemeral))
        .bind(d.split.to_string())
        .bind(sealed.key_id)
        .bind(sealed.blob)
        .bind(now)
        .bind(expires)
        .execute(exec)
        .untraced(&self.db)
        .await?;
        Ok(res.rows_affected() == 1)
    }

    /// Deletes this device's row if it has expired (not yet swept), so the
    /// expired row does not block its id.
    #[tracing::instrument(name = "db.delete_if_expired", skip_all)]
    pub async fn delete_if_expired(
        &self,
        id: &Identity,
        wallet: &WalletId,
        device: &DeviceId,
    ) -> AppResult<()> {
        let now = now_ms();
        sqlx::query(
            "DELETE FROM hot_devices WHERE iss = $1 AND sub = $2 AND wallet = $3 AND device = $4 \
             AND ((expires_at IS NOT NULL AND expires_at <= $5) OR last_used_at <= $6)",
        )
        .bind(&id.iss)
        .bind(&id.sub)
        .bind(wallet.to_string())
        .bind(device.to_string())
        .bind(now)
        .bind(self.idle_cutoff(now))
        .execute(&self.db.pool)
        .untraced(&self.db)
        .await?;
        Ok(())
    }

    /// Promotes the pending share (version, split) to current. Returns
    /// whether a row changed.
    #[tracing::instrument(name = "db.promote", skip_all)]
    pub async fn promote(
        &self,
        id: &Identity,
        wallet: &WalletId,
        device: &DeviceId,
        version: i64,
        split: &SplitId,
    ) -> AppResult<bool> {
        let now = now_ms();
        let res = sqlx::query(
            "UPDATE hot_devices SET version = pending_version, split = pending_split, key_id = pending_key_id, \
             sealed = pending_sealed, pending_version = NULL, pending_split = NULL, pending_key_id = NULL, \
             pending_sealed = NULL WHERE iss = $1 AND sub = $2 AND wallet = $3 AND device = $4 \
             AND pending_version = $5 AND pending_split = $6 AND (expires_at IS NULL OR expires_at > $7) \
             AND last_used_at > $8",
        )
        .bind(&id.iss)
        .bind(&id.sub)
        .bind(wallet.to_string())
        .bind(device.to_string())
        .bind(version)
        .bind(split.to_string())
        .bind(now)
        .bind(self.idle_cutoff(now))
        .execute(&self.db.pool)
        .untraced(&self.db)
        .await?;
        Ok(res.rows_affected() == 1)
    }

    /// Stores `share` as the pending version `current + 1` if the current
    /// version is `current` and the pending slot is empty (or holds
    /// `replace_pending`). Returns whether the row changed.
    #[allow(clippy::too_many_arguments)]
    #[tracing::instrument(name = "db.set_pending", skip_all)]
    pub async fn set_pending(
        &self,
        id: &Identity,
        wallet: &WalletId,
        device: &DeviceId,
        current: i64,
        split: &SplitId,
        share: &ShareBlob,
        replace_pending: Option<&SplitId>,
    ) -> AppResult<bool> {
        let next = current + 1;
        let sealed = self.keyring.seal(
            &aad(
                &id.iss,
                &id.sub,
                &wallet.to_string(),
                &device.to_string(),
                next as u64,
                &split.to_string(),
            ),
            share.as_bytes(),
        )?;
        let now = now_ms();
        let pending_cond = if replace_pending.is_some() {
            "(pending_split IS NULL OR pending_split = $13)"
        } else {
            "pending_split IS NULL"
        };
        let sql = format!(
            "UPDATE hot_devices SET pending_version = $5, pending_split = $6, pending_key_id = $7, pending_sealed = $8, \
             last_used_at = $9, expires_at = CASE WHEN ephemeral = 1 THEN $10 ELSE NULL END \
             WHERE iss = $1 AND sub = $2 AND wallet = $3 AND device = $4 AND version = $11 \
             AND (expires_at IS NULL OR expires_at > $9) AND last_used_at > $12 AND {pending_cond}"
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(&id.iss)
            .bind(&id.sub)
            .bind(wallet.to_string())
            .bind(device.to_string())
            .bind(next)
            .bind(split.to_string())
            .bind(sealed.key_id)
            .bind(sealed.blob)
            .bind(now)
            .bind(now + self.device_ttl_ms)
            .bind(current)
            .bind(self.idle_cutoff(now));
        if let Some(rp) = replace_pending {
            q = q.bind(rp.to_string());
        }
        Ok(q.execute(&self.db.pool)
            .untraced(&self.db)
            .await?
            .rows_affected()
            == 1)
    }

    /// Deletes a live device's shares; returns whether it existed.
    #[tracing::instrument(name = "db.delete_device", skip_all)]
    pub async fn delete_device(
        &self,
        id: &Identity,
        wallet: &WalletId,
        device: &DeviceId,
    ) -> AppResult<bool> {
        let now = now_ms();
        let n = sqlx::query(
            "DELETE FROM hot_devices WHERE iss = $1 AND sub = $2 AND wallet = $3 AND device = $4 \
             AND (expires_at IS NULL OR expires_at > $5) AND last_used_at > $6",
        )
        .bind(&id.iss)
        .bind(&id.sub)
        .bind(wallet.to_string())
        .bind(device.to_string())
        .bind(now)
        .bind(self.idle_cutoff(now))
        .execute(&self.db.pool)
        .untraced(&self.db)
        .await?
        .rows_affected();
        Ok(n > 0)
    }
}

/// Deletes expired devices (ephemeral past their TTL, any device idle
/// for `idle_ms`); returns how many.
pub async fn delete_expired(db: &Db, idle_ms: i64) -> anyhow::Result<u64> {
    let now = now_ms();
    // With the writer's turn on SQLite, which the judgement and DPoP
    // batches of every request take: a batch then queues behind this
    // statement instead of sleeping in SQLite's busy handler.
    let mut w = db.write_connection().await?;
    Ok(sqlx::query(
        "DELETE FROM hot_devices WHERE (expires_at IS NOT NULL AND expires_at <= $1) OR last_used_at <= $2",
    )
    .bind(now)
    .bind(now.saturating_sub(idle_ms))
    .execute(&mut *w)
    .untraced(db)
    .await?
    .rows_affected())
}
