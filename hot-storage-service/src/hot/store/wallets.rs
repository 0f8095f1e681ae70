//! The `hot_wallets` table: one row per user (iss, sub) with the wallet's
//! kind and addresses, its authority key, and the recovery pair's hot half
//! H₀ (and, while the pair rotates, its pending successor).

use sqlx::{Any, Executor, FromRow};
use zeroize::Zeroizing;

use super::handle::HotStore;
use super::schema::aad;
use crate::auth::Identity;
use crate::db::{Untraced as _, now_ms};
use crate::error::{AppError, AppResult};
use crate::types::{NIL_DEVICE, ShareBlob, SplitId, WalletId};

#[derive(FromRow)]
pub struct WalletRow {
    pub wallet: String,
    pub kind: String,
    pub addresses: String,
    pub primary_version: i64,
    pub primary_split: String,
    pub primary_key_id: String,
    pub primary_sealed: Vec<u8>,
    pub pending_version: Option<i64>,
    pub pending_split: Option<String>,
    pub created_at: i64,
    /// The authority public key, base64url (crate::authority checks it).
    pub authority: Option<String>,
}

impl WalletRow {
    /// The pending next H₀, if the recovery pair is rotating.
    pub fn pending(&self) -> Option<keyframe_wire::hot::Pending> {
        match (self.pending_version, &self.pending_split) {
            (Some(v), Some(s)) => Some(keyframe_wire::hot::Pending {
                version: v as u64,
                split: s.parse().ok()?,
            }),
            _ => None,
        }
    }
}

/// The columns of [`WalletRow`].
const WALLET_COLS: &str = "wallet, kind, addresses, primary_version, primary_split, primary_key_id, \
     primary_sealed, pending_version, pending_split, created_at, authority";
impl HotStore {
    #[tracing::instrument(name = "db.load_wallet", skip_all)]
    pub async fn load_wallet(&self, id: &Identity) -> AppResult<Option<WalletRow>> {
        Ok(sqlx::query_as::<_, WalletRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {WALLET_COLS} FROM hot_wallets WHERE iss = $1 AND sub = $2"
        )))
        .bind(&id.iss)
        .bind(&id.sub)
        .fetch_optional(&self.db.pool)
        .untraced(&self.db)
        .await?)
    }

    /// The caller's wallet with this id, or 404 `NO_WALLET` (also when the
    /// id belongs to someone else: existence never leaks).
    #[tracing::instrument(name = "db.require_wallet", skip_all)]
    pub async fn require_wallet(&self, id: &Identity, wallet: &WalletId) -> AppResult<WalletRow> {
        match self.load_wallet(id).await? {
            Some(w) if w.wallet == wallet.to_string() => Ok(w),
            _ => Err(AppError::NoWallet),
        }
    }

    /// Opens the wallet's primary hot share H₀ (device nil).
    pub fn open_primary(&self, id: &Identity, w: &WalletRow) -> AppResult<Zeroizing<Vec<u8>>> {
        self.open_share(
            id,
            &w.wallet,
            NIL_DEVICE,
            w.primary_version,
            &w.primary_split,
            &w.primary_key_id,
            &w.primary_sealed,
        )
    }

    /// Stores `share` as the pending next H₀ (version `current + 1`) if H₀
    /// is at version `current` and no other successor is pending (or the
    /// pending one is `replace_pending`, an orphan the signer proved Shield
    /// does not hold). Returns whether the row changed.
    #[tracing::instrument(name = "db.set_pending_primary", skip_all)]
    pub async fn set_pending_primary(
        &self,
        id: &Identity,
        wallet: &WalletId,
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
                NIL_DEVICE,
                next as u64,
                &split.to_string(),
            ),
            share.as_bytes(),
        )?;
        let pending_cond = if replace_pending.is_some() {
            "(pending_split IS NULL OR pending_split = $9)"
        } else {
            "pending_split IS NULL"
        };
        let sql = format!(
            "UPDATE hot_wallets SET pending_version = $4, pending_split = $5, pending_key_id = $6, \
             pending_sealed = $7 WHERE iss = $1 AND sub = $2 AND wallet = $3 AND primary_version = $8 \
             AND {pending_cond}"
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(&id.iss)
            .bind(&id.sub)
            .bind(wallet.to_string())
            .bind(next)
            .bind(split.to_string())
            .bind(sealed.key_id)
            .bind(sealed.blob)
            .bind(current);
        if let Some(old) = replace_pending {
            q = q.bind(old.to_string());
        }
        Ok(q.execute(&self.db.pool)
            .untraced(&self.db)
            .await?
            .rows_affected()
            == 1)
    }

    /// Makes the pending H₀ `version`/`split` the current one. Returns
    /// whether the row changed.
    #[tracing::instrument(name = "db.promote_primary", skip_all)]
    pub async fn promote_primary(
        &self,
        id: &Identity,
        wallet: &WalletId,
        version: i64,
        split: &SplitId,
    ) -> AppResult<bool> {
        let res = sqlx::query(
            "UPDATE hot_wallets SET primary_version = pending_version, primary_split = pending_split, \
             primary_key_id = pending_key_id, primary_sealed = pending_sealed, pending_version = NULL, \
             pending_split = NULL, pending_key_id = NULL, pending_sealed = NULL \
             WHERE iss = $1 AND sub = $2 AND wallet = $3 AND pending_version = $4 AND pending_split = $5",
        )
        .bind(&id.iss)
        .bind(&id.sub)
        .bind(wallet.to_string())
        .bind(version)
        .bind(split.to_string())
        .execute(&self.db.pool)
        .untraced(&self.db)
        .await?;
        Ok(res.rows_affected() == 1)
    }

    /// Inserts the wallet row with H₀ sealed; returns whether it was new.
    #[allow(clippy::too_many_arguments)]
    #[tracing::instrument(name = "db.insert_wallet", skip_all)]
    pub async fn insert_wallet(
        &self,
        exec: impl Executor<'_, Database = Any>,
        id: &Identity,
        wallet: &WalletId,
        kind: &str,
        addresses: &str,
        split: &SplitId,
        share: &ShareBlob,
        authority: Option<&str>,
    ) -> AppResult<bool> {
        let sealed = self.keyring.seal(
            &aad(
                &id.iss,
                &id.sub,
                &wallet.to_string(),
                NIL_DEVICE,
                0,
                &split.to_string(),
            ),
            share.as_bytes(),
        )?;
        let n = sqlx::query(
            "INSERT INTO hot_wallets (iss, sub, wallet, kind, addresses, primary_split, primary_key_id, primary_sealed, \
             created_at, authority) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (iss, sub) DO NOTHING",
        )
        .bind(&id.iss)
        .bind(&id.sub)
        .bind(wallet.to_string())
        .bind(kind)
        .bind(addresses)
        .bind(split.to_string())
        .bind(sealed.key_id)
        .bind(sealed.blob)
        .bind(now_ms())
        .bind(authority.map(str::to_owned))
        .execute(exec)
        .untraced(&self.db)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// Registers the wallet's authority key if it has none yet (the
    /// first-use window of docs/api.md); returns whether it was stored.
    #[tracing::instrument(name = "db.set_authority", skip_all)]
    pub async fn set_authority(
        &self,
        id: &Identity,
        wallet: &WalletId,
        authority: &str,
    ) -> AppResult<bool> {
        let n = sqlx::query(
            "UPDATE hot_wallets SET authority = $4 WHERE iss = $1 AND sub = $2 AND wallet = $3 \
             AND authority IS NULL",
        )
        .bind(&id.iss)
        .bind(&id.sub)
        .bind(wallet.to_string())
        .bind(authority)
        .execute(&self.db.pool)
        .untraced(&self.db)
        .await?
        .rows_affected();
        Ok(n == 1)
    }
}
