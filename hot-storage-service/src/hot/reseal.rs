//! `reseal` for hot storage: rewrites every hot share (H₀ and its pending
//! successor, current and pending device shares) not sealed under the
//! current key. Each row is
//! rewritten with a compare-and-swap on its old `(key_id, sealed)`, so a
//! concurrent refresh is never overwritten.

use anyhow::Context;
use sqlx::FromRow;

use super::store::aad;
use crate::db::Db;
use crate::seal::{Keyring, ResealReport};
use crate::types::NIL_DEVICE;

#[derive(FromRow)]
struct PrimarySlot {
    iss: String,
    sub: String,
    wallet: String,
    primary_version: i64,
    primary_split: String,
    primary_key_id: String,
    primary_sealed: Vec<u8>,
    pending_version: Option<i64>,
    pending_split: Option<String>,
    pending_key_id: Option<String>,
    pending_sealed: Option<Vec<u8>>,
}

#[derive(FromRow)]
struct DeviceSlots {
    iss: String,
    sub: String,
    wallet: String,
    device: String,
    version: i64,
    split: String,
    key_id: String,
    sealed: Vec<u8>,
    pending_version: Option<i64>,
    pending_split: Option<String>,
    pending_key_id: Option<String>,
    pending_sealed: Option<Vec<u8>>,
}

/// Rewrites every hot share not sealed under the current key.
pub async fn reseal(db: &Db, ring: &Keyring) -> anyhow::Result<ResealReport> {
    let cur = ring.current_id().to_string();
    let mut rep = ResealReport::default();
    let rows = sqlx::query_as::<_, PrimarySlot>(
        "SELECT iss, sub, wallet, primary_version, primary_split, primary_key_id, primary_sealed, \
         pending_version, pending_split, pending_key_id, pending_sealed FROM hot_wallets",
    )
    .fetch_all(&db.pool)
    .await?;
    for r in rows {
        if let (Some(v), Some(split), Some(key_id), Some(sealed)) = (
            r.pending_version,
            &r.pending_split,
            &r.pending_key_id,
            &r.pending_sealed,
        ) {
            rep.examined += 1;
            if *key_id != cur {
                let aad = aad(&r.iss, &r.sub, &r.wallet, NIL_DEVICE, v as u64, split);
                let plain = ring.open(&aad, key_id, sealed).with_context(|| {
                    format!("opening the pending primary share of wallet {}", r.wallet)
                })?;
                let new = ring.seal(&aad, &plain)?;
                rep.resealed += sqlx::query(
                    "UPDATE hot_wallets SET pending_key_id = $1, pending_sealed = $2 \
                     WHERE iss = $3 AND sub = $4 AND pending_key_id = $5 AND pending_sealed = $6",
                )
                .bind(new.key_id)
                .bind(new.blob)
                .bind(&r.iss)
                .bind(&r.sub)
                .bind(key_id)
                .bind(sealed)
                .execute(&db.pool)
                .await?
                .rows_affected();
            }
        }
        rep.examined += 1;
        if r.primary_key_id == cur {
            continue;
        }
        let aad = aad(
            &r.iss,
            &r.sub,
            &r.wallet,
            NIL_DEVICE,
            r.primary_version as u64,
            &r.primary_split,
        );
        let plain = ring
            .open(&aad, &r.primary_key_id, &r.primary_sealed)
            .with_context(|| format!("opening the primary share of wallet {}", r.wallet))?;
        let new = ring.seal(&aad, &plain)?;
        rep.resealed += sqlx::query(
            "UPDATE hot_wallets SET primary_key_id = $1, primary_sealed = $2 \
             WHERE iss = $3 AND sub = $4 AND primary_key_id = $5 AND primary_sealed = $6",
        )
        .bind(new.key_id)
        .bind(new.blob)
        .bind(&r.iss)
        .bind(&r.sub)
        .bind(&r.primary_key_id)
        .bind(&r.primary_sealed)
        .execute(&db.pool)
        .await?
        .rows_affected();
    }
    let rows = sqlx::query_as::<_, DeviceSlots>(
        "SELECT iss, sub, wallet, device, version, split, key_id, sealed, pending_version, pending_split, \
         pending_key_id, pending_sealed FROM hot_devices",
    )
    .fetch_all(&db.pool)
    .await?;
    for r in rows {
        let slots = [
            (
                ("key_id", "sealed", "version", "split"),
                Some(r.version),
                Some(r.split.clone()),
                Some(r.key_id.clone()),
                Some(r.sealed.clone()),
            ),
            (
                (
                    "pending_key_id",
                    "pending_sealed",
                    "pending_version",
                    "pending_split",
                ),
                r.pending_version,
                r.pending_split.clone(),
                r.pending_key_id.clone(),
                r.pending_sealed.clone(),
            ),
        ];
        for ((kcol, scol, vcol, spcol), version, split, key_id, blob) in slots {
            let (Some(version), Some(split), Some(key_id), Some(blob)) =
                (version, split, key_id, blob)
            else {
                continue;
            };
            rep.examined += 1;
            if key_id == cur {
                continue;
            }
            let aad = aad(&r.iss, &r.sub, &r.wallet, &r.device, version as u64, &split);
            let plain = ring.open(&aad, &key_id, &blob).with_context(|| {
                format!(
                    "opening the share of wallet {} device {} version {version}",
                    r.wallet, r.device
                )
            })?;
            let new = ring.seal(&aad, &plain)?;
            rep.resealed += sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE hot_devices SET {kcol} = $1, {scol} = $2 WHERE iss = $3 AND sub = $4 AND wallet = $5 \
                 AND device = $6 AND {vcol} = $7 AND {spcol} = $8 AND {kcol} = $9 AND {scol} = $10"
            )))
            .bind(new.key_id)
            .bind(new.blob)
            .bind(&r.iss)
            .bind(&r.sub)
            .bind(&r.wallet)
            .bind(&r.device)
            .bind(version)
            .bind(&split)
            .bind(&key_id)
            .bind(blob)
            .execute(&db.pool)
            .await?
            .rows_affected();
        }
    }
    Ok(rep)
}
