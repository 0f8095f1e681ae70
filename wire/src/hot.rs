//! Hot storage's API (`/v2/...`, docs/api.md "Hot storage"): every request
//! and response body. Requests refuse unknown fields; responses tolerate
//! them, so an older signer reads a newer service.

use serde::{Deserialize, Serialize};

use crate::catalog::Chain;
use crate::{Addresses, AuthorityKey, DeviceId, ShareBlob, SplitId, WalletId, WalletKind};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// `GET /v2/config`: what the iFrame needs before anything else.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ConfigResponse {
    pub allowed_origins: Vec<String>,
    pub shield_url: String,
    pub device_ttl_seconds: u64,
    /// The chains the iFrame serves, in the operator's order; the first is
    /// where a document starts when its host names no chain.
    #[serde(default)]
    pub chains: Vec<Chain>,
}

/// `GET /v2/wallet`: the user's wallet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct WalletResponse {
    pub wallet: WalletId,
    pub kind: WalletKind,
    pub addresses: Addresses,
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub created_at: String,
    /// The wallet's authority key; absent for a wallet created before
    /// authority keys, until its first use registers one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authority: Option<AuthorityKey>,
}

/// The primary device's pair half kept by hot storage (H₀).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PrimaryIn {
    pub split: SplitId,
    pub share: ShareBlob,
}

/// A device registered with its hot share.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct DeviceIn {
    pub device: DeviceId,
    pub split: SplitId,
    pub share: ShareBlob,
    pub ephemeral: bool,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 64))]
    pub label: Option<String>,
}

/// `POST /v2/wallet`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct CreateRequest {
    pub wallet: WalletId,
    pub kind: WalletKind,
    pub addresses: Addresses,
    pub primary: PrimaryIn,
    #[serde(default)]
    pub device: Option<DeviceIn>,
    /// The wallet's authority public key (docs/api.md, "Wallet
    /// authority"). Optional only so an older iFrame can still create a
    /// wallet; such a wallet registers one on its next use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authority: Option<AuthorityKey>,
}

/// A device at version 0 (`device` is null when none was created).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct DeviceRef {
    pub wallet: WalletId,
    pub device: Option<DeviceId>,
    pub version: u64,
}

/// `POST /v2/devices`: a new device after recovery.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct RegisterRequest {
    pub wallet: WalletId,
    pub device: DeviceId,
    pub split: SplitId,
    pub share: ShareBlob,
    pub ephemeral: bool,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 64))]
    pub label: Option<String>,
}

/// `POST /v2/devices/recover`: one hot share, by device (the recovery pair
/// when absent), version and split.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct RecoverRequest {
    pub wallet: WalletId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<DeviceId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub split: Option<SplitId>,
}

impl RecoverRequest {
    /// The request for the recovery pair's hot half, H₀.
    pub fn primary(wallet: WalletId) -> Self {
        RecoverRequest {
            wallet,
            device: None,
            version: None,
            split: None,
        }
    }
}

/// A pending share beside the current one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Pending {
    pub version: u64,
    pub split: SplitId,
}

/// One hot share. `Debug` never prints the share ([`ShareBlob`]).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct RecoverResponse {
    pub wallet: WalletId,
    pub device: DeviceId,
    pub version: u64,
    pub split: SplitId,
    pub share: ShareBlob,
    pub kind: WalletKind,
    pub addresses: Addresses,
    #[serde(default)]
    pub pending: Option<Pending>,
}

/// `POST /v2/devices/refresh`: the device's next share, pending until
/// committed.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct RefreshRequest {
    pub wallet: WalletId,
    pub device: DeviceId,
    pub version: u64,
    pub split: SplitId,
    pub share: ShareBlob,
    #[serde(
        rename = "replacePending",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub replace_pending: Option<SplitId>,
}

/// A device's share at `version` with split `split`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct VersionRef {
    pub wallet: WalletId,
    pub device: DeviceId,
    pub version: u64,
    pub split: SplitId,
}

/// `POST /v2/devices/commit`: makes the pending share current.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct CommitRequest {
    pub wallet: WalletId,
    pub device: DeviceId,
    pub version: u64,
    pub split: SplitId,
}

/// A body that names only the wallet (`POST /v2/devices/list`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct WalletRequest {
    pub wallet: WalletId,
}

/// One registered device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct DeviceInfo {
    #[cfg_attr(test, ts(type = "string"))]
    pub device: DeviceId,
    #[serde(default)]
    pub label: Option<String>,
    pub ephemeral: bool,
    #[cfg_attr(test, ts(type = "number"))]
    pub version: u64,
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub created_at: String,
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub last_used_at: String,
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub expires_at: Option<String>,
}

/// `POST /v2/devices/list`'s answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct DeviceList {
    pub devices: Vec<DeviceInfo>,
}

/// `POST /v2/devices/revoke`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct RevokeRequest {
    pub wallet: WalletId,
    pub device: DeviceId,
}

/// `{ "ok": true }`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct OkBody {
    pub ok: bool,
}
