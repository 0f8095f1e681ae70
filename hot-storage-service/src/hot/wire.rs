//! Hot storage's wire types: every request and response body of `/v2/...`
//! (docs/api.md). The OpenAPI document is generated from them.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::types::{Addresses, Id, Kind, ShareBytes, Split};

/// What the iFrame needs before anything else.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConfigResponse {
    pub allowed_origins: Vec<String>,
    pub shield_url: String,
    pub device_ttl_seconds: u64,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WalletResponse {
    #[schema(value_type = Id)]
    pub wallet: String,
    #[schema(value_type = Kind)]
    pub kind: String,
    #[schema(value_type = Addresses)]
    pub addresses: Value,
    #[schema(format = DateTime)]
    pub created_at: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PrimaryIn {
    pub split: Split,
    pub share: ShareBytes,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceIn {
    pub device: Id,
    pub split: Split,
    pub share: ShareBytes,
    pub ephemeral: bool,
    #[serde(default)]
    #[schema(max_length = 64)]
    pub label: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRequest {
    pub wallet: Id,
    pub kind: Kind,
    pub addresses: Addresses,
    pub primary: PrimaryIn,
    #[serde(default)]
    pub device: Option<DeviceIn>,
}

/// A device at version 0 (`device` is null when none was created).
#[derive(Serialize, ToSchema)]
pub struct DeviceRef {
    pub wallet: Id,
    pub device: Option<Id>,
    pub version: u64,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    pub wallet: Id,
    pub device: Id,
    pub split: Split,
    pub share: ShareBytes,
    pub ephemeral: bool,
    #[serde(default)]
    #[schema(max_length = 64)]
    pub label: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecoverRequest {
    pub wallet: Id,
    #[serde(default)]
    pub device: Option<Id>,
    #[serde(default)]
    pub version: Option<u64>,
    #[serde(default)]
    pub split: Option<Split>,
}

/// A pending share beside the current one.
#[derive(Serialize, ToSchema)]
pub struct Pending {
    pub version: i64,
    #[schema(value_type = Split)]
    pub split: String,
}

#[derive(Serialize, ToSchema)]
pub struct RecoverResponse {
    #[schema(value_type = Id)]
    pub wallet: String,
    #[schema(value_type = Id)]
    pub device: String,
    pub version: i64,
    #[schema(value_type = Split)]
    pub split: String,
    #[schema(value_type = ShareBytes)]
    pub share: String,
    #[schema(value_type = Kind)]
    pub kind: String,
    #[schema(value_type = Addresses)]
    pub addresses: Value,
    pub pending: Option<Pending>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub wallet: Id,
    pub device: Id,
    pub version: u64,
    pub split: Split,
    pub share: ShareBytes,
    #[serde(rename = "replacePending", default)]
    pub replace_pending: Option<Split>,
}

/// A device's share at `version` with split `split`.
#[derive(Serialize, ToSchema)]
pub struct VersionRef {
    pub wallet: Id,
    pub device: Id,
    pub version: i64,
    pub split: Split,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommitRequest {
    pub wallet: Id,
    pub device: Id,
    pub version: u64,
    pub split: Split,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WalletRequest {
    pub wallet: Id,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeviceInfo {
    #[schema(value_type = Id)]
    pub device: String,
    pub label: Option<String>,
    pub ephemeral: bool,
    pub version: i64,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub last_used_at: String,
    #[schema(format = DateTime)]
    pub expires_at: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct DeviceList {
    pub devices: Vec<DeviceInfo>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevokeRequest {
    pub wallet: Id,
    pub device: Id,
}
