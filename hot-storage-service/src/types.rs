//! Validated wire types: ids, split ids, base64 blobs, addresses.
//! Each rejects bad input during deserialisation, so a handler never sees it
//! (and the client gets 400 `BAD_REQUEST` naming the field).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaFormat, Type};
use utoipa::{PartialSchema, ToSchema};
use zeroize::Zeroizing;

/// The nil UUID: the recovery pair's device id.
pub const NIL_DEVICE: &str = "00000000-0000-0000-0000-000000000000";

/// Largest share blob accepted (docs/api.md).
pub const MAX_SHARE_BYTES: usize = 512;
/// Largest cold-share ciphertext accepted by Shield.
pub const MAX_COLD_CIPHERTEXT_BYTES: usize = 4096;
/// Largest integer a JSON number carries exactly.
pub const MAX_VERSION: u64 = (1 << 53) - 1;

/// A lowercase hyphenated UUID.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Id(String);

impl TryFrom<String> for Id {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        if s.len() != 36 {
            return Err("expected a hyphenated UUID".into());
        }
        let u = uuid::Uuid::try_parse(&s).map_err(|_| "expected a hyphenated UUID".to_string())?;
        Ok(Id(u.hyphenated().to_string()))
    }
}

impl From<Id> for String {
    fn from(id: Id) -> String {
        id.0
    }
}

impl Id {
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn is_nil(&self) -> bool {
        self.0 == NIL_DEVICE
    }
    /// Parses a path segment (400 on failure).
    pub fn parse(s: &str) -> Result<Id, crate::error::AppError> {
        Id::try_from(s.to_string())
            .map_err(|_| crate::error::AppError::BadRequest("invalid wallet id".into()))
    }
}

/// A string schema with a pattern (and a format, a description).
fn string_schema(
    pattern: Option<&str>,
    format: Option<SchemaFormat>,
    description: Option<&str>,
) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(pattern)
        .format(format)
        .description(description)
        .into()
}

impl PartialSchema for Id {
    fn schema() -> RefOr<Schema> {
        string_schema(
            Some("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"),
            Some(SchemaFormat::Custom("uuid".into())),
            None,
        )
    }
}
impl ToSchema for Id {
    fn name() -> std::borrow::Cow<'static, str> {
        "Uuid".into()
    }
}

/// A split id: 32 lowercase hex characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Split(String);

impl TryFrom<String> for Split {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        if s.len() == 32
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            Ok(Split(s))
        } else {
            Err("expected 32 lowercase hex characters".into())
        }
    }
}

impl From<Split> for String {
    fn from(s: Split) -> String {
        s.0
    }
}

impl Split {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl PartialSchema for Split {
    fn schema() -> RefOr<Schema> {
        string_schema(Some("^[0-9a-f]{32}$"), None, None)
    }
}
impl ToSchema for Split {}

fn decode_b64(s: &str, max: usize) -> Result<Zeroizing<Vec<u8>>, String> {
    if s.len() > max.div_ceil(3) * 4 + 4 {
        return Err("too long".into());
    }
    let bytes = Zeroizing::new(
        STANDARD
            .decode(s)
            .map_err(|_| "expected standard base64 with padding".to_string())?,
    );
    if bytes.is_empty() || bytes.len() > max {
        return Err(format!("must be 1 to {max} bytes"));
    }
    Ok(bytes)
}

/// A share blob (base64 in JSON, at most 512 bytes). `Debug` hides it.
#[derive(Clone, Deserialize)]
#[serde(try_from = "String")]
pub struct ShareBytes(pub Zeroizing<Vec<u8>>);

impl TryFrom<String> for ShareBytes {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        let s = Zeroizing::new(s);
        decode_b64(&s, MAX_SHARE_BYTES).map(ShareBytes)
    }
}

impl std::fmt::Debug for ShareBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ShareBytes(<{} bytes>)", self.0.len())
    }
}

impl PartialSchema for ShareBytes {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .content_encoding("base64")
            .description(Some("share envelope, at most 512 bytes"))
            .into()
    }
}
impl ToSchema for ShareBytes {
    fn name() -> std::borrow::Cow<'static, str> {
        "Share".into()
    }
}

/// A cold-share ciphertext (base64 in JSON, at most 4 KiB). `Debug` hides it.
#[derive(Clone, Deserialize)]
#[serde(try_from = "String")]
pub struct CipherBytes(pub Zeroizing<Vec<u8>>);

impl TryFrom<String> for CipherBytes {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        decode_b64(&s, MAX_COLD_CIPHERTEXT_BYTES).map(CipherBytes)
    }
}

impl std::fmt::Debug for CipherBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CipherBytes(<{} bytes>)", self.0.len())
    }
}

impl PartialSchema for CipherBytes {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .content_encoding("base64")
            .description(Some("at most 4096 bytes"))
            .into()
    }
}
impl ToSchema for CipherBytes {
    fn name() -> std::borrow::Cow<'static, str> {
        "Ciphertext".into()
    }
}

pub fn b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// `{ evm, solana }`: `evm` is `0x` + 40 hex, `solana` base58 (32–44) or null.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Addresses {
    #[schema(pattern = "^0x[0-9a-fA-F]{40}$")]
    pub evm: String,
    #[serde(default)]
    pub solana: Option<String>,
}

impl Addresses {
    pub fn validate(&self) -> Result<(), crate::error::AppError> {
        let evm_ok = self.evm.len() == 42
            && self.evm.starts_with("0x")
            && self.evm[2..].bytes().all(|b| b.is_ascii_hexdigit());
        if !evm_ok {
            return Err(crate::error::AppError::BadRequest(
                "invalid value at `addresses.evm`".into(),
            ));
        }
        if let Some(s) = &self.solana {
            const B58: &str = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
            if !(32..=44).contains(&s.len()) || !s.chars().all(|c| B58.contains(c)) {
                return Err(crate::error::AppError::BadRequest(
                    "invalid value at `addresses.solana`".into(),
                ));
            }
        }
        Ok(())
    }
}

/// `"mnemonic"` or `"evm_private_key"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Mnemonic,
    EvmPrivateKey,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Mnemonic => "mnemonic",
            Kind::EvmPrivateKey => "evm_private_key",
        }
    }
}

/// Checks a label: at most 64 characters, no control characters.
pub fn validate_label(label: &Option<String>) -> Result<(), crate::error::AppError> {
    if let Some(l) = label
        && (l.chars().count() > 64 || l.chars().any(char::is_control))
    {
        return Err(crate::error::AppError::BadRequest(
            "invalid value at `label` (at most 64 printable characters)".into(),
        ));
    }
    Ok(())
}

/// `{ "ok": true }`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OkBody {
    pub ok: bool,
}
