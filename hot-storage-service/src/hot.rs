//! Hot-storage routes (`/v2/...`), exactly as `docs/api.md` specifies.
//!
//! Storage model: one `hot_wallets` row per (iss, sub) holding the primary
//! share H₀, and one `hot_devices` row per device holding the *current*
//! share and, beside it, an optional *pending* share (`version + 1`). Every
//! state change of the refresh protocol is one conditional `UPDATE` on that
//! row; its affected-row count is the compare-and-swap.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json as JsonOut, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use sqlx::Row;
use sqlx::any::AnyRow;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::auth::{Identity, User};
use crate::db::{Migration, now_ms, rfc3339};
use crate::error::{AppError, AppResult};
use crate::extract::Json;
use crate::seal::Aad;
use crate::server::{AppState, healthz, method_not_allowed, with_common_layers};
use crate::types::{
    Addresses, Id, Kind, MAX_VERSION, NIL_DEVICE, ShareBytes, Split, b64, validate_label,
};

pub const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    statements: &[
        "CREATE TABLE hot_wallets (
            iss TEXT NOT NULL,
            sub TEXT NOT NULL,
            wallet TEXT NOT NULL,
            kind TEXT NOT NULL,
            addresses TEXT NOT NULL,
            primary_split TEXT NOT NULL,
            primary_key_id TEXT NOT NULL,
            primary_sealed {blob} NOT NULL,
            created_at BIGINT NOT NULL,
            PRIMARY KEY (iss, sub)
        )",
        "CREATE TABLE hot_devices (
            iss TEXT NOT NULL,
            sub TEXT NOT NULL,
            wallet TEXT NOT NULL,
            device TEXT NOT NULL,
            label TEXT,
            ephemeral BIGINT NOT NULL,
            version BIGINT NOT NULL,
            split TEXT NOT NULL,
            key_id TEXT NOT NULL,
            sealed {blob} NOT NULL,
            pending_version BIGINT,
            pending_split TEXT,
            pending_key_id TEXT,
            pending_sealed {blob},
            created_at BIGINT NOT NULL,
            last_used_at BIGINT NOT NULL,
            expires_at BIGINT,
            PRIMARY KEY (iss, sub, wallet, device)
        )",
        "CREATE INDEX hot_devices_expires_at ON hot_devices (expires_at)",
    ],
}];

/// Every route of the hot-storage API (method, path). The OpenAPI test
/// checks each appears in `/openapi.json`.
pub const ROUTES: &[(&str, &str)] = &[
    ("get", "/v2/config"),
    ("get", "/v2/wallet"),
    ("post", "/v2/devices/create"),
    ("post", "/v2/devices/register"),
    ("post", "/v2/devices/recover"),
    ("post", "/v2/devices/refresh"),
    ("post", "/v2/devices/commit"),
    ("post", "/v2/devices/list"),
    ("post", "/v2/devices/revoke"),
    ("get", "/healthz"),
    ("get", "/metrics"),
    ("get", "/openapi.json"),
];

/// The hot-storage router: API, health, metrics, OpenAPI, and the iFrame's
/// static files as the fallback.
pub fn app(state: AppState) -> Router {
    let api = Router::new()
        .route("/v2/config", get(config))
        .route("/v2/wallet", get(wallet))
        .route("/v2/devices/create", post(create))
        .route("/v2/devices/register", post(register))
        .route("/v2/devices/recover", post(recover))
        .route("/v2/devices/refresh", post(refresh))
        .route("/v2/devices/commit", post(commit))
        .route("/v2/devices/list", post(list))
        .route("/v2/devices/revoke", post(revoke))
        .route("/healthz", get(healthz))
        .route("/metrics", get(crate::metrics::handler))
        .route(
            "/openapi.json",
            get(|| async { JsonOut(crate::openapi::hot_document()) }),
        )
        .method_not_allowed_fallback(method_not_allowed)
        .fallback_service(crate::static_files::service(&state.settings.static_dir));
    let router = with_common_layers(api, &state);
    crate::static_files::with_headers(router, &state.settings)
}

const DEVICE_COLS: &str = "device, label, ephemeral, version, split, key_id, sealed, pending_version, \
     pending_split, created_at, last_used_at, expires_at";

struct WalletRow {
    wallet: String,
    kind: String,
    addresses: String,
    primary_split: String,
    primary_key_id: String,
    primary_sealed: Vec<u8>,
    created_at: i64,
}

struct DeviceRow {
    device: String,
    label: Option<String>,
    ephemeral: bool,
    version: i64,
    split: String,
    key_id: String,
    sealed: Vec<u8>,
    pending_version: Option<i64>,
    pending_split: Option<String>,
    created_at: i64,
    last_used_at: i64,
    expires_at: Option<i64>,
}

fn device_row(r: &AnyRow) -> Result<DeviceRow, sqlx::Error> {
    Ok(DeviceRow {
        device: r.try_get("device")?,
        label: r.try_get("label")?,
        ephemeral: r.try_get::<i64, _>("ephemeral")? != 0,
        version: r.try_get("version")?,
        split: r.try_get("split")?,
        key_id: r.try_get("key_id")?,
        sealed: r.try_get("sealed")?,
        pending_version: r.try_get("pending_version")?,
        pending_split: r.try_get("pending_split")?,
        created_at: r.try_get("created_at")?,
        last_used_at: r.try_get("last_used_at")?,
        expires_at: r.try_get("expires_at")?,
    })
}

impl DeviceRow {
    fn pending_json(&self) -> Value {
        match (self.pending_version, &self.pending_split) {
            (Some(v), Some(s)) => json!({ "version": v, "split": s }),
            _ => Value::Null,
        }
    }
}

async fn load_wallet(st: &AppState, id: &Identity) -> AppResult<Option<WalletRow>> {
    let row = sqlx::query(
        "SELECT wallet, kind, addresses, primary_split, primary_key_id, primary_sealed, created_at \
         FROM hot_wallets WHERE iss = $1 AND sub = $2",
    )
    .bind(&id.iss)
    .bind(&id.sub)
    .fetch_optional(&st.db.pool)
    .await?;
    row.map(|r| {
        Ok(WalletRow {
            wallet: r.try_get("wallet")?,
            kind: r.try_get("kind")?,
            addresses: r.try_get("addresses")?,
            primary_split: r.try_get("primary_split")?,
            primary_key_id: r.try_get("primary_key_id")?,
            primary_sealed: r.try_get("primary_sealed")?,
            created_at: r.try_get("created_at")?,
        })
    })
    .transpose()
    .map_err(|e: sqlx::Error| e.into())
}

/// The caller's wallet with this id, or 404 `NO_WALLET` (also when the id
/// belongs to someone else: existence never leaks).
async fn require_wallet(st: &AppState, id: &Identity, wallet: &Id) -> AppResult<WalletRow> {
    match load_wallet(st, id).await? {
        Some(w) if w.wallet == wallet.as_str() => Ok(w),
        _ => Err(AppError::NoWallet),
    }
}

async fn load_device(
    st: &AppState,
    id: &Identity,
    wallet: &Id,
    device: &Id,
) -> AppResult<Option<DeviceRow>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {DEVICE_COLS} FROM hot_devices WHERE iss = $1 AND sub = $2 AND wallet = $3 AND device = $4 \
         AND (expires_at IS NULL OR expires_at > $5)"
    )))
    .bind(&id.iss)
    .bind(&id.sub)
    .bind(wallet.as_str())
    .bind(device.as_str())
    .bind(now_ms())
    .fetch_optional(&st.db.pool)
    .await?;
    Ok(row.as_ref().map(device_row).transpose()?)
}

fn ttl_ms(st: &AppState) -> i64 {
    st.settings.device_ttl.as_millis() as i64
}

/// Updates last use (and an ephemeral device's expiry).
async fn touch(st: &AppState, id: &Identity, wallet: &Id, device: &Id) -> AppResult<()> {
    let now = now_ms();
    sqlx::query(
        "UPDATE hot_devices SET last_used_at = $5, expires_at = CASE WHEN ephemeral = 1 THEN $6 ELSE NULL END \
         WHERE iss = $1 AND sub = $2 AND wallet = $3 AND device = $4",
    )
    .bind(&id.iss)
    .bind(&id.sub)
    .bind(wallet.as_str())
    .bind(device.as_str())
    .bind(now)
    .bind(now + ttl_ms(st))
    .execute(&st.db.pool)
    .await?;
    Ok(())
}

fn aad<'a>(
    id: &'a Identity,
    wallet: &'a str,
    device: &'a str,
    version: u64,
    split: &'a str,
) -> Aad<'a> {
    Aad {
        service: "hot",
        iss: &id.iss,
        sub: &id.sub,
        wallet,
        device,
        version,
        split,
    }
}

/// Opens a sealed share; a failure is logged (never with bytes), counted,
/// and answered 500 `INTERNAL`.
#[allow(clippy::too_many_arguments)]
fn open_share(
    st: &AppState,
    id: &Identity,
    wallet: &str,
    device: &str,
    version: i64,
    split: &str,
    key_id: &str,
    blob: &[u8],
) -> AppResult<Zeroizing<Vec<u8>>> {
    st.keyring
        .open(
            &aad(id, wallet, device, version as u64, split),
            key_id,
            blob,
        )
        .map_err(|e| {
            st.metrics.seal_failure();
            tracing::error!(wallet, device, version, key_id = %e.key_id,
                "sealed share failed to open (tampered, copied from another row, or unknown key)");
            AppError::Internal(anyhow::anyhow!("sealed share failed to open"))
        })
}

/// Opens the wallet's primary hot share H₀ (device nil, version 0).
fn open_primary(st: &AppState, id: &Identity, w: &WalletRow) -> AppResult<Zeroizing<Vec<u8>>> {
    open_share(
        st,
        id,
        &w.wallet,
        NIL_DEVICE,
        0,
        &w.primary_split,
        &w.primary_key_id,
        &w.primary_sealed,
    )
}

fn check_version(v: u64) -> AppResult<i64> {
    if v >= MAX_VERSION {
        return Err(AppError::BadRequest("invalid value at `version`".into()));
    }
    Ok(v as i64)
}

fn check_device(d: &Id) -> AppResult<()> {
    if d.is_nil() {
        return Err(AppError::BadRequest(
            "the nil device id is reserved for the recovery pair".into(),
        ));
    }
    Ok(())
}

fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

// ---------------------------------------------------------------- handlers

async fn config(State(st): State<AppState>) -> JsonOut<Value> {
    JsonOut(json!({
        "allowedOrigins": st.settings.allowed_origins,
        "shieldUrl": st.settings.shield_url,
        "deviceTtlSeconds": st.settings.device_ttl.as_secs(),
    }))
}

fn addresses_json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or(Value::Null)
}

async fn wallet(State(st): State<AppState>, User(id): User) -> AppResult<JsonOut<Value>> {
    let w = load_wallet(&st, &id).await?.ok_or(AppError::NoWallet)?;
    Ok(JsonOut(json!({
        "wallet": w.wallet,
        "kind": w.kind,
        "addresses": addresses_json(&w.addresses),
        "createdAt": rfc3339(w.created_at),
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PrimaryIn {
    split: Split,
    share: ShareBytes,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeviceIn {
    device: Id,
    split: Split,
    share: ShareBytes,
    ephemeral: bool,
    #[serde(default)]
    label: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateReq {
    wallet: Id,
    kind: Kind,
    addresses: Addresses,
    primary: PrimaryIn,
    #[serde(default)]
    device: Option<DeviceIn>,
}

async fn insert_device(
    st: &AppState,
    exec: impl sqlx::Executor<'_, Database = sqlx::Any>,
    id: &Identity,
    wallet: &Id,
    d: &DeviceIn,
) -> AppResult<u64> {
    let sealed = st.keyring.seal(
        &aad(id, wallet.as_str(), d.device.as_str(), 0, d.split.as_str()),
        &d.share.0,
    )?;
    let now = now_ms();
    let expires = d.ephemeral.then(|| now + ttl_ms(st));
    let res = sqlx::query(
        "INSERT INTO hot_devices (iss, sub, wallet, device, label, ephemeral, version, split, key_id, sealed, \
         created_at, last_used_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $8, $9, $10, $10, $11) \
         ON CONFLICT (iss, sub, wallet, device) DO NOTHING",
    )
    .bind(&id.iss)
    .bind(&id.sub)
    .bind(wallet.as_str())
    .bind(d.device.as_str())
    .bind(d.label.clone())
    .bind(i64::from(d.ephemeral))
    .bind(d.split.as_str())
    .bind(sealed.key_id)
    .bind(sealed.blob)
    .bind(now)
    .bind(expires)
    .execute(exec)
    .await?;
    Ok(res.rows_affected())
}

/// Is the stored device exactly what `d` would have registered?
fn device_identical(
    st: &AppState,
    id: &Identity,
    wallet: &Id,
    row: &DeviceRow,
    d: &DeviceIn,
) -> AppResult<bool> {
    if row.version != 0
        || row.split != d.split.as_str()
        || row.ephemeral != d.ephemeral
        || row.label != d.label
    {
        return Ok(false);
    }
    let share = open_share(
        st,
        id,
        wallet.as_str(),
        &row.device,
        0,
        &row.split,
        &row.key_id,
        &row.sealed,
    )?;
    Ok(ct_eq(&share, &d.share.0))
}

async fn create(
    State(st): State<AppState>,
    User(id): User,
    Json(req): Json<CreateReq>,
) -> AppResult<Response> {
    if req.wallet.is_nil() {
        return Err(AppError::BadRequest("invalid value at `wallet`".into()));
    }
    req.addresses.validate()?;
    if let Some(d) = &req.device {
        check_device(&d.device)?;
        validate_label(&d.label)?;
    }
    let addresses = serde_json::to_string(&req.addresses).map_err(anyhow::Error::from)?;
    let primary = st.keyring.seal(
        &aad(
            &id,
            req.wallet.as_str(),
            NIL_DEVICE,
            0,
            req.primary.split.as_str(),
        ),
        &req.primary.share.0,
    )?;
    let mut tx = st.db.pool.begin().await?;
    let inserted = sqlx::query(
        "INSERT INTO hot_wallets (iss, sub, wallet, kind, addresses, primary_split, primary_key_id, primary_sealed, \
         created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (iss, sub) DO NOTHING",
    )
    .bind(&id.iss)
    .bind(&id.sub)
    .bind(req.wallet.as_str())
    .bind(req.kind.as_str())
    .bind(&addresses)
    .bind(req.primary.split.as_str())
    .bind(primary.key_id)
    .bind(primary.blob)
    .bind(now_ms())
    .execute(&mut *tx)
    .await?
    .rows_affected();
    let device_id = req.device.as_ref().map(|d| d.device.as_str().to_string());
    if inserted == 1 {
        if let Some(d) = &req.device {
            insert_device(&st, &mut *tx, &id, &req.wallet, d).await?;
        }
        tx.commit().await?;
        st.metrics.share_op("create", "ok");
        tracing::info!(wallet = req.wallet.as_str(), "wallet created");
        return Ok((
            StatusCode::CREATED,
            JsonOut(json!({ "wallet": req.wallet, "device": device_id, "version": 0 })),
        )
            .into_response());
    }
    tx.rollback().await?;
    // The user has a wallet: a repeat of this very request is 200.
    let w = load_wallet(&st, &id).await?.ok_or(AppError::WalletExists)?;
    let mut identical = w.wallet == req.wallet.as_str()
        && w.kind == req.kind.as_str()
        && w.addresses == addresses
        && w.primary_split == req.primary.split.as_str();
    if identical {
        let share = open_primary(&st, &id, &w)?;
        identical = ct_eq(&share, &req.primary.share.0);
    }
    if identical && let Some(d) = &req.device {
        identical = match load_device(&st, &id, &req.wallet, &d.device).await? {
            Some(row) => device_identical(&st, &id, &req.wallet, &row, d)?,
            None => false,
        };
    }
    if !identical {
        st.metrics.share_op("create", "conflict");
        return Err(AppError::WalletExists);
    }
    st.metrics.share_op("create", "idempotent");
    Ok((
        StatusCode::OK,
        JsonOut(json!({ "wallet": req.wallet, "device": device_id, "version": 0 })),
    )
        .into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegisterReq {
    wallet: Id,
    device: Id,
    split: Split,
    share: ShareBytes,
    ephemeral: bool,
    #[serde(default)]
    label: Option<String>,
}

async fn register(
    State(st): State<AppState>,
    User(id): User,
    Json(req): Json<RegisterReq>,
) -> AppResult<Response> {
    check_device(&req.device)?;
    validate_label(&req.label)?;
    require_wallet(&st, &id, &req.wallet).await?;
    // An expired row (not yet swept) must not block its id.
    sqlx::query(
        "DELETE FROM hot_devices WHERE iss = $1 AND sub = $2 AND wallet = $3 AND device = $4 \
         AND expires_at IS NOT NULL AND expires_at <= $5",
    )
    .bind(&id.iss)
    .bind(&id.sub)
    .bind(req.wallet.as_str())
    .bind(req.device.as_str())
    .bind(now_ms())
    .execute(&st.db.pool)
    .await?;
    let d = DeviceIn {
        device: req.device.clone(),
        split: req.split,
        share: req.share,
        ephemeral: req.ephemeral,
        label: req.label,
    };
    let body = json!({ "wallet": req.wallet, "device": req.device, "version": 0 });
    if insert_device(&st, &st.db.pool, &id, &req.wallet, &d).await? == 1 {
        st.metrics.share_op("register", "ok");
        return Ok((StatusCode::CREATED, JsonOut(body)).into_response());
    }
    let identical = match load_device(&st, &id, &req.wallet, &req.device).await? {
        Some(row) => device_identical(&st, &id, &req.wallet, &row, &d)?,
        None => false,
    };
    if identical {
        st.metrics.share_op("register", "idempotent");
        Ok((StatusCode::OK, JsonOut(body)).into_response())
    } else {
        st.metrics.share_op("register", "conflict");
        Err(AppError::DeviceExists)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RecoverReq {
    wallet: Id,
    #[serde(default)]
    device: Option<Id>,
    #[serde(default)]
    version: Option<u64>,
    #[serde(default)]
    split: Option<Split>,
}

const PROMOTE_SET: &str = "version = pending_version, split = pending_split, key_id = pending_key_id, \
     sealed = pending_sealed, pending_version = NULL, pending_split = NULL, pending_key_id = NULL, \
     pending_sealed = NULL";

/// Promotes the pending share (version, split) to current. Returns whether a
/// row changed.
async fn promote(
    st: &AppState,
    id: &Identity,
    wallet: &Id,
    device: &Id,
    version: i64,
    split: &Split,
) -> AppResult<bool> {
    let res = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE hot_devices SET {PROMOTE_SET} WHERE iss = $1 AND sub = $2 AND wallet = $3 AND device = $4 \
         AND pending_version = $5 AND pending_split = $6 AND (expires_at IS NULL OR expires_at > $7)"
    )))
    .bind(&id.iss)
    .bind(&id.sub)
    .bind(wallet.as_str())
    .bind(device.as_str())
    .bind(version)
    .bind(split.as_str())
    .bind(now_ms())
    .execute(&st.db.pool)
    .await?;
    Ok(res.rows_affected() == 1)
}

/// The wallet's kind and addresses plus one live device row, in one query
/// (the hot read path). `Err(NoWallet)` if the wallet is not the caller's.
async fn load_wallet_device(
    st: &AppState,
    id: &Identity,
    wallet: &Id,
    device: &Id,
) -> AppResult<(String, String, Option<DeviceRow>)> {
    let row = sqlx::query(
        "SELECT w.kind AS kind, w.addresses AS addresses, d.device AS device, d.label AS label, \
         d.ephemeral AS ephemeral, d.version AS version, d.split AS split, d.key_id AS key_id, d.sealed AS sealed, \
         d.pending_version AS pending_version, d.pending_split AS pending_split, d.created_at AS created_at, \
         d.last_used_at AS last_used_at, d.expires_at AS expires_at \
         FROM hot_wallets w LEFT JOIN hot_devices d ON d.iss = w.iss AND d.sub = w.sub AND d.wallet = w.wallet \
         AND d.device = $4 AND (d.expires_at IS NULL OR d.expires_at > $5) \
         WHERE w.iss = $1 AND w.sub = $2 AND w.wallet = $3",
    )
    .bind(&id.iss)
    .bind(&id.sub)
    .bind(wallet.as_str())
    .bind(device.as_str())
    .bind(now_ms())
    .fetch_optional(&st.db.pool)
    .await?
    .ok_or(AppError::NoWallet)?;
    let kind: String = row.try_get("kind")?;
    let addresses: String = row.try_get("addresses")?;
    let dev = match row.try_get::<Option<String>, _>("device")? {
        Some(_) => Some(device_row(&row)?),
        None => None,
    };
    Ok((kind, addresses, dev))
}

async fn recover(
    State(st): State<AppState>,
    User(id): User,
    Json(req): Json<RecoverReq>,
) -> AppResult<JsonOut<Value>> {
    let version = req.version.map(check_version).transpose()?;
    let device = req.device.filter(|d| !d.is_nil());
    let Some(device) = device else {
        let w = require_wallet(&st, &id, &req.wallet).await?;
        // The primary share H₀ (version 0).
        if version.is_some_and(|v| v != 0)
            || req
                .split
                .as_ref()
                .is_some_and(|s| s.as_str() != w.primary_split)
        {
            st.metrics.share_op("recover", "missing");
            return Err(AppError::ShareUnavailable);
        }
        let share = open_primary(&st, &id, &w)?;
        st.metrics.share_op("recover", "ok");
        return Ok(JsonOut(json!({
            "wallet": w.wallet, "device": NIL_DEVICE, "version": 0, "split": w.primary_split,
            "share": b64(&share), "kind": w.kind, "addresses": addresses_json(&w.addresses), "pending": null,
        })));
    };
    if let (Some(v), Some(s)) = (version, &req.split)
        && promote(&st, &id, &req.wallet, &device, v, s).await?
    {
        tracing::info!(
            wallet = req.wallet.as_str(),
            device = device.as_str(),
            version = v,
            "pending share promoted by recover"
        );
    }
    let (kind, addresses, row) = load_wallet_device(&st, &id, &req.wallet, &device).await?;
    let Some(row) = row else {
        st.metrics.share_op("recover", "missing");
        return Err(AppError::ShareUnavailable);
    };
    let version_ok = version.is_none_or(|v| v == row.version);
    let split_ok = req.split.as_ref().is_none_or(|s| s.as_str() == row.split);
    if !(version_ok && split_ok) {
        st.metrics.share_op("recover", "missing");
        return Err(AppError::ShareUnavailable);
    }
    let share = open_share(
        &st,
        &id,
        req.wallet.as_str(),
        &row.device,
        row.version,
        &row.split,
        &row.key_id,
        &row.sealed,
    )?;
    // Last use is recorded with a granularity of min(TTL/10, 60 s), so a hot
    // read path does not write on every request.
    let granularity = (ttl_ms(&st) / 10).min(60_000);
    if now_ms() - row.last_used_at >= granularity {
        touch(&st, &id, &req.wallet, &device).await?;
    }
    st.metrics.share_op("recover", "ok");
    Ok(JsonOut(json!({
        "wallet": req.wallet, "device": row.device, "version": row.version, "split": row.split,
        "share": b64(&share), "kind": kind, "addresses": addresses_json(&addresses),
        "pending": row.pending_json(),
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RefreshReq {
    wallet: Id,
    device: Id,
    version: u64,
    split: Split,
    share: ShareBytes,
    #[serde(rename = "replacePending", default)]
    replace_pending: Option<Split>,
}

async fn refresh(
    State(st): State<AppState>,
    User(id): User,
    Json(req): Json<RefreshReq>,
) -> AppResult<JsonOut<Value>> {
    check_device(&req.device)?;
    let v = check_version(req.version)?;
    let next = v + 1;
    require_wallet(&st, &id, &req.wallet).await?;
    let sealed = st.keyring.seal(
        &aad(
            &id,
            req.wallet.as_str(),
            req.device.as_str(),
            next as u64,
            req.split.as_str(),
        ),
        &req.share.0,
    )?;
    let now = now_ms();
    let pending_cond = if req.replace_pending.is_some() {
        "(pending_split IS NULL OR pending_split = $12)"
    } else {
        "pending_split IS NULL"
    };
    let sql = format!(
        "UPDATE hot_devices SET pending_version = $5, pending_split = $6, pending_key_id = $7, pending_sealed = $8, \
         last_used_at = $9, expires_at = CASE WHEN ephemeral = 1 THEN $10 ELSE NULL END \
         WHERE iss = $1 AND sub = $2 AND wallet = $3 AND device = $4 AND version = $11 \
         AND (expires_at IS NULL OR expires_at > $9) AND {pending_cond}"
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(&id.iss)
        .bind(&id.sub)
        .bind(req.wallet.as_str())
        .bind(req.device.as_str())
        .bind(next)
        .bind(req.split.as_str())
        .bind(sealed.key_id)
        .bind(sealed.blob)
        .bind(now)
        .bind(now + ttl_ms(&st))
        .bind(v);
    if let Some(rp) = &req.replace_pending {
        q = q.bind(rp.as_str());
    }
    let body =
        json!({ "wallet": req.wallet, "device": req.device, "version": next, "split": req.split });
    // A repeat of an already-pending split must not overwrite it.
    let row = load_device(&st, &id, &req.wallet, &req.device).await?;
    let Some(row) = row else {
        st.metrics.share_op("refresh", "missing");
        return Err(AppError::ShareUnavailable);
    };
    let already = |r: &DeviceRow| {
        (r.pending_version == Some(next) && r.pending_split.as_deref() == Some(req.split.as_str()))
            || (r.version == next && r.split == req.split.as_str())
    };
    if already(&row) {
        st.metrics.share_op("refresh", "idempotent");
        return Ok(JsonOut(body));
    }
    if q.execute(&st.db.pool).await?.rows_affected() == 1 {
        st.metrics.share_op("refresh", "ok");
        return Ok(JsonOut(body));
    }
    match load_device(&st, &id, &req.wallet, &req.device).await? {
        None => {
            st.metrics.share_op("refresh", "missing");
            Err(AppError::ShareUnavailable)
        }
        Some(r) if already(&r) => {
            st.metrics.share_op("refresh", "idempotent");
            Ok(JsonOut(body))
        }
        Some(_) => {
            st.metrics.share_op("refresh", "conflict");
            Err(AppError::VersionConflict)
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CommitReq {
    wallet: Id,
    device: Id,
    version: u64,
    split: Split,
}

async fn commit(
    State(st): State<AppState>,
    User(id): User,
    Json(req): Json<CommitReq>,
) -> AppResult<JsonOut<Value>> {
    check_device(&req.device)?;
    let v = check_version(req.version)?;
    require_wallet(&st, &id, &req.wallet).await?;
    let body =
        json!({ "wallet": req.wallet, "device": req.device, "version": v, "split": req.split });
    if promote(&st, &id, &req.wallet, &req.device, v, &req.split).await? {
        touch(&st, &id, &req.wallet, &req.device).await?;
        st.metrics.share_op("commit", "ok");
        return Ok(JsonOut(body));
    }
    match load_device(&st, &id, &req.wallet, &req.device).await? {
        Some(r) if r.version == v && r.split == req.split.as_str() => {
            touch(&st, &id, &req.wallet, &req.device).await?;
            st.metrics.share_op("commit", "idempotent");
            Ok(JsonOut(body))
        }
        _ => {
            st.metrics.share_op("commit", "missing");
            Err(AppError::ShareUnavailable)
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WalletReq {
    wallet: Id,
}

async fn list(
    State(st): State<AppState>,
    User(id): User,
    Json(req): Json<WalletReq>,
) -> AppResult<JsonOut<Value>> {
    require_wallet(&st, &id, &req.wallet).await?;
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {DEVICE_COLS} FROM hot_devices WHERE iss = $1 AND sub = $2 AND wallet = $3 \
         AND (expires_at IS NULL OR expires_at > $4) ORDER BY created_at, device"
    )))
    .bind(&id.iss)
    .bind(&id.sub)
    .bind(req.wallet.as_str())
    .bind(now_ms())
    .fetch_all(&st.db.pool)
    .await?;
    let mut devices = Vec::with_capacity(rows.len());
    for r in &rows {
        let d = device_row(r)?;
        devices.push(json!({
            "device": d.device, "label": d.label, "ephemeral": d.ephemeral, "version": d.version,
            "createdAt": rfc3339(d.created_at), "lastUsedAt": rfc3339(d.last_used_at),
            "expiresAt": d.expires_at.map(rfc3339),
        }));
    }
    Ok(JsonOut(json!({ "devices": devices })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RevokeReq {
    wallet: Id,
    device: Id,
}

async fn revoke(
    State(st): State<AppState>,
    User(id): User,
    Json(req): Json<RevokeReq>,
) -> AppResult<JsonOut<Value>> {
    check_device(&req.device)?;
    require_wallet(&st, &id, &req.wallet).await?;
    let n = sqlx::query(
        "DELETE FROM hot_devices WHERE iss = $1 AND sub = $2 AND wallet = $3 AND device = $4 \
         AND (expires_at IS NULL OR expires_at > $5)",
    )
    .bind(&id.iss)
    .bind(&id.sub)
    .bind(req.wallet.as_str())
    .bind(req.device.as_str())
    .bind(now_ms())
    .execute(&st.db.pool)
    .await?
    .rows_affected();
    if n == 0 {
        st.metrics.share_op("revoke", "missing");
        return Err(AppError::ShareUnavailable);
    }
    st.metrics.share_op("revoke", "ok");
    tracing::info!(
        wallet = req.wallet.as_str(),
        device = req.device.as_str(),
        "device revoked"
    );
    Ok(JsonOut(json!({ "ok": true })))
}

/// Deletes expired ephemeral devices; returns how many.
pub async fn sweep_expired(st: &AppState) -> anyhow::Result<u64> {
    let n =
        sqlx::query("DELETE FROM hot_devices WHERE expires_at IS NOT NULL AND expires_at <= $1")
            .bind(now_ms())
            .execute(&st.db.pool)
            .await?
            .rows_affected();
    if n > 0 {
        tracing::info!(deleted = n, "expired devices swept");
    }
    Ok(n)
}

/// Runs [`sweep_expired`] (and the rate limiters' cleanup) every
/// `sweep_interval` until the task is dropped.
pub fn spawn_sweeper(st: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(st.settings.sweep_interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = sweep_expired(&st).await {
                tracing::warn!(error = format!("{e:#}"), "sweep failed");
            }
            st.limits.retain_recent();
        }
    })
}
