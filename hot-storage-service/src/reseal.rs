//! `reseal`: rewrites every sealed value under the current (first) key.
//!
//! Rotation: start the service (or run `reseal`) with
//! `--sealing-key NEW:… --sealing-key OLD:…`; run `reseal`; then drop OLD.
//! Each row is rewritten with a compare-and-swap on its old `(key_id,
//! sealed)` so a concurrent refresh is never overwritten; rows that change
//! under it are simply left for the next run. A row that does not open
//! aborts the run with an error (nothing is rewritten for it).

use anyhow::Context;
use sqlx::Row;

use crate::db::Db;
use crate::seal::{Aad, Keyring};
use crate::server::Service;
use crate::types::NIL_DEVICE;

/// What a run rewrote.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ResealReport {
    pub examined: u64,
    pub resealed: u64,
}

pub async fn reseal(service: Service, db: &Db, keyring: &Keyring) -> anyhow::Result<ResealReport> {
    match service {
        Service::Hot => reseal_hot(db, keyring).await,
        Service::Shield => reseal_shield(db, keyring).await,
    }
}

async fn reseal_hot(db: &Db, ring: &Keyring) -> anyhow::Result<ResealReport> {
    let cur = ring.current_id().to_string();
    let mut rep = ResealReport::default();
    let rows = sqlx::query(
        "SELECT iss, sub, wallet, primary_split, primary_key_id, primary_sealed FROM hot_wallets",
    )
    .fetch_all(&db.pool)
    .await?;
    for r in rows {
        rep.examined += 1;
        let (iss, sub, wallet): (String, String, String) =
            (r.try_get("iss")?, r.try_get("sub")?, r.try_get("wallet")?);
        let split: String = r.try_get("primary_split")?;
        let key_id: String = r.try_get("primary_key_id")?;
        if key_id == cur {
            continue;
        }
        let blob: Vec<u8> = r.try_get("primary_sealed")?;
        let aad = Aad {
            service: "hot",
            iss: &iss,
            sub: &sub,
            wallet: &wallet,
            device: NIL_DEVICE,
            version: 0,
            split: &split,
        };
        let plain = ring
            .open(&aad, &key_id, &blob)
            .with_context(|| format!("opening the primary share of wallet {wallet}"))?;
        let new = ring.seal(&aad, &plain)?;
        let n = sqlx::query(
            "UPDATE hot_wallets SET primary_key_id = $1, primary_sealed = $2 \
             WHERE iss = $3 AND sub = $4 AND primary_key_id = $5 AND primary_sealed = $6",
        )
        .bind(new.key_id)
        .bind(new.blob)
        .bind(&iss)
        .bind(&sub)
        .bind(&key_id)
        .bind(blob)
        .execute(&db.pool)
        .await?
        .rows_affected();
        rep.resealed += n;
    }
    let rows = sqlx::query(
        "SELECT iss, sub, wallet, device, version, split, key_id, sealed, pending_version, pending_split, \
         pending_key_id, pending_sealed FROM hot_devices",
    )
    .fetch_all(&db.pool)
    .await?;
    for r in rows {
        let (iss, sub, wallet, device): (String, String, String, String) = (
            r.try_get("iss")?,
            r.try_get("sub")?,
            r.try_get("wallet")?,
            r.try_get("device")?,
        );
        let slots = [
            (
                "key_id",
                "sealed",
                "version",
                "split",
                Some(r.try_get::<i64, _>("version")?),
                Some(r.try_get::<String, _>("split")?),
                Some(r.try_get::<String, _>("key_id")?),
                Some(r.try_get::<Vec<u8>, _>("sealed")?),
            ),
            (
                "pending_key_id",
                "pending_sealed",
                "pending_version",
                "pending_split",
                r.try_get::<Option<i64>, _>("pending_version")?,
                r.try_get::<Option<String>, _>("pending_split")?,
                r.try_get::<Option<String>, _>("pending_key_id")?,
                r.try_get::<Option<Vec<u8>>, _>("pending_sealed")?,
            ),
        ];
        for (kcol, scol, vcol, spcol, version, split, key_id, blob) in slots {
            let (Some(version), Some(split), Some(key_id), Some(blob)) =
                (version, split, key_id, blob)
            else {
                continue;
            };
            rep.examined += 1;
            if key_id == cur {
                continue;
            }
            let aad = Aad {
                service: "hot",
                iss: &iss,
                sub: &sub,
                wallet: &wallet,
                device: &device,
                version: version as u64,
                split: &split,
            };
            let plain = ring.open(&aad, &key_id, &blob).with_context(|| {
                format!("opening the share of wallet {wallet} device {device} version {version}")
            })?;
            let new = ring.seal(&aad, &plain)?;
            let n = sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE hot_devices SET {kcol} = $1, {scol} = $2 WHERE iss = $3 AND sub = $4 AND wallet = $5 \
                 AND device = $6 AND {vcol} = $7 AND {spcol} = $8 AND {kcol} = $9 AND {scol} = $10"
            )))
            .bind(new.key_id)
            .bind(new.blob)
            .bind(&iss)
            .bind(&sub)
            .bind(&wallet)
            .bind(&device)
            .bind(version)
            .bind(&split)
            .bind(&key_id)
            .bind(blob)
            .execute(&db.pool)
            .await?
            .rows_affected();
            rep.resealed += n;
        }
    }
    Ok(rep)
}

async fn reseal_shield(db: &Db, ring: &Keyring) -> anyhow::Result<ResealReport> {
    let cur = ring.current_id().to_string();
    let mut rep = ResealReport::default();
    let rows = sqlx::query("SELECT iss, sub, wallet, key_id, sealed FROM cold_shares")
        .fetch_all(&db.pool)
        .await?;
    for r in rows {
        rep.examined += 1;
        let (iss, sub, wallet): (String, String, String) =
            (r.try_get("iss")?, r.try_get("sub")?, r.try_get("wallet")?);
        let key_id: String = r.try_get("key_id")?;
        if key_id == cur {
            continue;
        }
        let blob: Vec<u8> = r.try_get("sealed")?;
        let aad = Aad {
            service: "shield",
            iss: &iss,
            sub: &sub,
            wallet: &wallet,
            device: NIL_DEVICE,
            version: 0,
            split: "",
        };
        let plain = ring
            .open(&aad, &key_id, &blob)
            .with_context(|| format!("opening the cold share of wallet {wallet}"))?;
        let new = ring.seal(&aad, &plain)?;
        rep.resealed += sqlx::query(
            "UPDATE cold_shares SET key_id = $1, sealed = $2 WHERE iss = $3 AND sub = $4 AND wallet = $5 \
             AND key_id = $6 AND sealed = $7",
        )
        .bind(new.key_id)
        .bind(new.blob)
        .bind(&iss)
        .bind(&sub)
        .bind(&wallet)
        .bind(&key_id)
        .bind(blob)
        .execute(&db.pool)
        .await?
        .rows_affected();
    }
    Ok(rep)
}
