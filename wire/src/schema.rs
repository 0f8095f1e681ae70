//! OpenAPI schemas of the types whose JSON form is a checked string (ids,
//! base64 blobs): utoipa cannot derive them from the byte arrays inside.

use std::borrow::Cow;

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaFormat, Type};
use utoipa::{PartialSchema, ToSchema};

use crate::{AuthorityKey, Ciphertext, DeviceId, ShareBlob, SplitId, WalletId};

const UUID_PATTERN: &str = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$";

fn uuid_schema(description: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(UUID_PATTERN))
        .format(Some(SchemaFormat::Custom("uuid".into())))
        .description(Some(description))
        .into()
}

fn base64_schema(description: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .content_encoding("base64")
        .description(Some(description))
        .into()
}

impl PartialSchema for WalletId {
    fn schema() -> RefOr<Schema> {
        uuid_schema("a wallet id")
    }
}
impl ToSchema for WalletId {}

impl PartialSchema for DeviceId {
    fn schema() -> RefOr<Schema> {
        uuid_schema("a device id; the nil UUID names the recovery pair")
    }
}
impl ToSchema for DeviceId {}

impl PartialSchema for SplitId {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some("^[0-9a-f]{32}$"))
            .description(Some("a split id: 32 lowercase hex characters"))
            .into()
    }
}
impl ToSchema for SplitId {}

impl PartialSchema for ShareBlob {
    fn schema() -> RefOr<Schema> {
        base64_schema("share envelope, at most 512 bytes")
    }
}
impl ToSchema for ShareBlob {
    fn name() -> Cow<'static, str> {
        "Share".into()
    }
}

impl PartialSchema for Ciphertext {
    fn schema() -> RefOr<Schema> {
        base64_schema("sealed cold share, at most 4096 bytes")
    }
}
impl ToSchema for Ciphertext {}

impl PartialSchema for AuthorityKey {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some("^[A-Za-z0-9_-]{43}$"))
            .content_encoding("base64url")
            .description(Some(
                "a wallet's authority public key: 32 bytes of ed25519, base64url without padding",
            ))
            .into()
    }
}
impl ToSchema for AuthorityKey {}
