//! Shield's store: its schema, its SQL, the sealing AAD of its rows, and
//! what `reseal` needs to rewrite them.
//!
//! One record per (iss, sub, wallet): the cold-share ciphertext (sealed
//! again at rest under Shield's own key), its recovery method and the
//! parameters the signer needs to open it.

use std::sync::Arc;

use anyhow::Context;
use sqlx::FromRow;
use zeroize::Zeroizing;

use crate::auth::Identity;
use crate::db::{Db, Migration, Untraced as _, now_ms};
use crate::error::{AppError, AppResult};
use crate::metrics::Metrics;
use crate::seal::{Aad, Keyring, ResealReport};
use crate::settings::Service;
use crate::types::{Ciphertext, NIL_DEVICE, WalletId};

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        statements: &["CREATE TABLE cold_shares (
            iss TEXT NOT NULL,
            sub TEXT NOT NULL,
            wallet TEXT NOT NULL,
            method TEXT NOT NULL,
            params TEXT NOT NULL,
            key_id TEXT NOT NULL,
            sealed {blob} NOT NULL,
            created_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL,
            PRIMARY KEY (iss, sub, wallet)
        )"],
    },
    Migration {
        // The wallet's authority public key (docs/api.md, "Wallet
        // authority"), base64url; NULL for a record stored before it,
        // until the wallet's first use registers one.
        version: 2,
        statements: &["ALTER TABLE cold_shares ADD COLUMN authority TEXT"],
    },
];

/// The table that records which migrations ran.
pub const MIGRATIONS_TABLE: &str = "shield_migrations";

/// The AAD of a cold record: Shield, the user and the wallet (no device,
/// version or split).
pub fn aad<'a>(iss: &'a str, sub: &'a str, wallet: &'a str) -> Aad<'a> {
    Aad {
        service: Service::Shield.name(),
        iss,
        sub,
        wallet,
        device: NIL_DEVICE,
        version: 0,
        split: "",
    }
}

#[derive(FromRow)]
struct RecordRow {
    method: String,
    params: String,
    key_id: String,
    sealed: Vec<u8>,
    created_at: i64,
    updated_at: i64,
    authority: Option<String>,
}

/// A cold record, opened.
pub struct Record {
    pub method: String,
    pub params: String,
    pub ciphertext: Zeroizing<Vec<u8>>,
    pub created_at: i64,
    pub updated_at: i64,
    /// The wallet's authority key, base64url (crate::authority checks it).
    pub authority: Option<String>,
}

/// The Shield store, as handlers see it (an axum substate).
#[derive(Clone)]
pub struct ShieldStore {
    pub db: Db,
    pub keyring: Arc<Keyring>,
    pub metrics: Arc<Metrics>,
}

impl ShieldStore {
    #[tracing::instrument(name = "db.cold_load", skip_all)]
    pub async fn load(&self, id: &Identity, wallet: &WalletId) -> AppResult<Option<Record>> {
        let row = sqlx::query_as::<_, RecordRow>(
            "SELECT method, params, key_id, sealed, created_at, updated_at, authority FROM cold_shares \
             WHERE iss = $1 AND sub = $2 AND wallet = $3",
        )
        .bind(&id.iss)
        .bind(&id.sub)
        .bind(wallet.to_string())
        .fetch_optional(&self.db.pool)
        .untraced(&self.db)
        .await?;
        let Some(r) = row else { return Ok(None) };
        let ciphertext = self
            .keyring
            .open(&aad(&id.iss, &id.sub, &wallet.to_string()), &r.key_id, &r.sealed)
            .map_err(|e| {
                self.metrics.seal_failure();
                tracing::error!(wallet = wallet.to_string(), key_id = %e.key_id,
                "sealed cold share failed to open (tampered, copied from another row, or unknown key)");
                AppError::Internal(anyhow::anyhow!("sealed cold share failed to open"))
            })?;
        Ok(Some(Record {
            method: r.method,
            params: r.params,
            ciphertext,
            created_at: r.created_at,
            updated_at: r.updated_at,
            authority: r.authority,
        }))
    }

    /// The record's authority key without opening the record: `None` when
    /// there is no record, `Some(None)` when it has no key yet.
    #[tracing::instrument(name = "db.cold_load_authority", skip_all)]
    pub async fn load_authority(
        &self,
        id: &Identity,
        wallet: &WalletId,
    ) -> AppResult<Option<Option<String>>> {
        let row: Option<(Option<String>,)> = sqlx::query_as(
            "SELECT authority FROM cold_shares WHERE iss = $1 AND sub = $2 AND wallet = $3",
        )
        .bind(&id.iss)
        .bind(&id.sub)
        .bind(wallet.to_string())
        .fetch_optional(&self.db.pool)
        .untraced(&self.db)
        .await?;
        Ok(row.map(|(a,)| a))
    }

    /// Registers the record's authority key if it has none yet; returns
    /// whether it was stored.
    #[tracing::instrument(name = "db.cold_set_authority", skip_all)]
    pub async fn set_authority(
        &self,
        id: &Identity,
        wallet: &WalletId,
        authority: &str,
    ) -> AppResult<bool> {
        let n = sqlx::query(
            "UPDATE cold_shares SET authority = $4 WHERE iss = $1 AND sub = $2 AND wallet = $3 \
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

    /// Inserts a record; returns whether it was new.
    #[tracing::instrument(name = "db.cold_insert", skip_all)]
    pub async fn insert(
        &self,
        id: &Identity,
        wallet: &WalletId,
        method: &str,
        params: &str,
        ciphertext: &Ciphertext,
        authority: Option<&str>,
    ) -> AppResult<bool> {
        let sealed = self.keyring.seal(
            &aad(&id.iss, &id.sub, &wallet.to_string()),
            ciphertext.as_bytes(),
        )?;
        let n = sqlx::query(
            "INSERT INTO cold_shares (iss, sub, wallet, method, params, key_id, sealed, created_at, updated_at, \
             authority) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9) ON CONFLICT (iss, sub, wallet) DO NOTHING",
        )
        .bind(&id.iss)
        .bind(&id.sub)
        .bind(wallet.to_string())
        .bind(method)
        .bind(params)
        .bind(sealed.key_id)
        .bind(sealed.blob)
        .bind(now_ms())
        .bind(authority.map(str::to_owned))
        .execute(&self.db.pool)
        .untraced(&self.db)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// Replaces a record's method, params and ciphertext; returns whether
    /// it existed.
    #[tracing::instrument(name = "db.cold_replace", skip_all)]
    pub async fn replace(
        &self,
        id: &Identity,
        wallet: &WalletId,
        method: &str,
        params: &str,
        ciphertext: &Ciphertext,
    ) -> AppResult<bool> {
        let sealed = self.keyring.seal(
            &aad(&id.iss, &id.sub, &wallet.to_string()),
            ciphertext.as_bytes(),
        )?;
        let n = sqlx::query(
            "UPDATE cold_shares SET method = $4, params = $5, key_id = $6, sealed = $7, updated_at = $8 \
             WHERE iss = $1 AND sub = $2 AND wallet = $3",
        )
        .bind(&id.iss)
        .bind(&id.sub)
        .bind(wallet.to_string())
        .bind(method)
        .bind(params)
        .bind(sealed.key_id)
        .bind(sealed.blob)
        .bind(now_ms())
        .execute(&self.db.pool)
        .untraced(&self.db)
        .await?
        .rows_affected();
        Ok(n > 0)
    }

    /// Deletes a record; returns whether it existed.
    #[tracing::instrument(name = "db.cold_delete", skip_all)]
    pub async fn delete(&self, id: &Identity, wallet: &WalletId) -> AppResult<bool> {
        let n = sqlx::query("DELETE FROM cold_shares WHERE iss = $1 AND sub = $2 AND wallet = $3")
            .bind(&id.iss)
            .bind(&id.sub)
            .bind(wallet.to_string())
            .execute(&self.db.pool)
            .untraced(&self.db)
            .await?
            .rows_affected();
        Ok(n > 0)
    }
}

#[derive(FromRow)]
struct SealedSlot {
    iss: String,
    sub: String,
    wallet: String,
    key_id: String,
    sealed: Vec<u8>,
}

/// Rewrites every cold record not sealed under the current key, each with a
/// compare-and-swap on its old `(key_id, sealed)`.
pub async fn reseal(db: &Db, ring: &Keyring) -> anyhow::Result<ResealReport> {
    let cur = ring.current_id().to_string();
    let mut rep = ResealReport::default();
    let rows =
        sqlx::query_as::<_, SealedSlot>("SELECT iss, sub, wallet, key_id, sealed FROM cold_shares")
            .fetch_all(&db.pool)
            .untraced(db)
            .await?;
    for r in rows {
        rep.examined += 1;
        if r.key_id == cur {
            continue;
        }
        let aad = aad(&r.iss, &r.sub, &r.wallet);
        let plain = ring
            .open(&aad, &r.key_id, &r.sealed)
            .with_context(|| format!("opening the cold share of wallet {}", r.wallet))?;
        let new = ring.seal(&aad, &plain)?;
        rep.resealed += sqlx::query(
            "UPDATE cold_shares SET key_id = $1, sealed = $2 WHERE iss = $3 AND sub = $4 AND wallet = $5 \
             AND key_id = $6 AND sealed = $7",
        )
        .bind(new.key_id)
        .bind(new.blob)
        .bind(&r.iss)
        .bind(&r.sub)
        .bind(&r.wallet)
        .bind(&r.key_id)
        .bind(&r.sealed)
        .execute(&db.pool)
        .untraced(db)
        .await?
        .rows_affected();
    }
    Ok(rep)
}
