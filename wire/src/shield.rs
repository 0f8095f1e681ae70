//! Shield's cold-share API (`/v1/cold-shares`, docs/api.md "Shield") and
//! the cold record: how the cold share C is sealed, as a tagged enum of the
//! recovery methods with their typed parameters.

use serde::{Deserialize, Serialize};

use crate::{AuthorityKey, Ciphertext, WalletId};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// A recovery method's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub enum RecoveryMethod {
    Password,
    Automatic,
}

impl RecoveryMethod {
    /// The wire name (`"password"` / `"automatic"`).
    pub fn as_str(self) -> &'static str {
        match self {
            RecoveryMethod::Password => "password",
            RecoveryMethod::Automatic => "automatic",
        }
    }
}

/// The only password KDF: Argon2id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub enum Kdf {
    Argon2id,
}

/// The password method's parameters (signer-wasm/src/recovery.rs writes
/// and checks them; every one is bound to the ciphertext as AAD).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PasswordParams {
    pub kdf: Kdf,
    /// Argon2id memory, KiB.
    pub m: u32,
    /// Argon2id passes.
    pub t: u32,
    /// Argon2id lanes.
    pub p: u32,
    /// Standard base64, 16 bytes.
    pub salt: String,
    /// Standard base64 `SHA-256(domain || k_v)`: tells a wrong password
    /// apart from an altered ciphertext.
    pub verifier: String,
}

/// The automatic method's parameters: an empty object (not an array, not
/// an object with fields).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AutomaticParams {}

impl<'de> Deserialize<'de> for AutomaticParams {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct EmptyObject;
        impl<'de> serde::de::Visitor<'de> for EmptyObject {
            type Value = AutomaticParams;
            fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str("an empty object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Self::Value, A::Error> {
                match map.next_key::<serde::de::IgnoredAny>()? {
                    None => Ok(AutomaticParams {}),
                    Some(_) => Err(serde::de::Error::custom("expected an empty object")),
                }
            }
        }
        d.deserialize_map(EmptyObject)
    }
}

/// How a cold record is sealed: `{ "method": …, "params": … }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "method", content = "params", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub enum Sealing {
    Password(PasswordParams),
    Automatic(AutomaticParams),
}

impl Sealing {
    /// The method's name.
    pub fn method(&self) -> RecoveryMethod {
        match self {
            Sealing::Password(_) => RecoveryMethod::Password,
            Sealing::Automatic(_) => RecoveryMethod::Automatic,
        }
    }
}

/// A sealed cold share as the signer makes it and Shield keeps it:
/// `{ method, params, ciphertext }`. Unknown fields are refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawRecord")]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ColdRecord {
    #[serde(flatten)]
    pub sealing: Sealing,
    pub ciphertext: Ciphertext,
}

/// `POST /v1/cold-shares`: store a wallet's cold record (once).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "RawCreate")]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ColdCreate {
    pub wallet: WalletId,
    #[serde(flatten)]
    pub record: ColdRecord,
    /// The wallet's authority public key (docs/api.md, "Wallet
    /// authority"); optional like hot storage's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authority: Option<AuthorityKey>,
}

/// `PUT /v1/cold-shares/{wallet}`: replace the record (a recovery change).
/// `wallet` may repeat the path's id and must then be equal.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "RawReplace")]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ColdReplace {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wallet: Option<WalletId>,
    #[serde(flatten)]
    pub record: ColdRecord,
}

// Reading a record: serde cannot refuse unknown fields next to a flattened
// enum, so requests are read through these flat forms first; `params` is
// read as either method's parameters and must then match `method`.

/// Either method's parameters, told apart by their fields.
#[derive(Deserialize)]
#[serde(untagged)]
enum AnyParams {
    Password(PasswordParams),
    Automatic(AutomaticParams),
}

/// The record from its flat parts; `params` must be `method`'s.
fn record(
    method: RecoveryMethod,
    params: AnyParams,
    ciphertext: Ciphertext,
) -> Result<ColdRecord, String> {
    let sealing = match (method, params) {
        (RecoveryMethod::Password, AnyParams::Password(p)) => Sealing::Password(p),
        (RecoveryMethod::Automatic, AnyParams::Automatic(p)) => Sealing::Automatic(p),
        (m, _) => {
            return Err(format!(
                "invalid value at `params` for method {}",
                m.as_str()
            ));
        }
    };
    Ok(ColdRecord {
        sealing,
        ciphertext,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRecord {
    method: RecoveryMethod,
    params: AnyParams,
    ciphertext: Ciphertext,
}

impl TryFrom<RawRecord> for ColdRecord {
    type Error = String;
    fn try_from(r: RawRecord) -> Result<Self, String> {
        record(r.method, r.params, r.ciphertext)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCreate {
    wallet: WalletId,
    method: RecoveryMethod,
    params: AnyParams,
    ciphertext: Ciphertext,
    #[serde(default)]
    authority: Option<AuthorityKey>,
}

impl TryFrom<RawCreate> for ColdCreate {
    type Error = String;
    fn try_from(r: RawCreate) -> Result<Self, String> {
        Ok(ColdCreate {
            wallet: r.wallet,
            record: record(r.method, r.params, r.ciphertext)?,
            authority: r.authority,
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReplace {
    #[serde(default)]
    wallet: Option<WalletId>,
    method: RecoveryMethod,
    params: AnyParams,
    ciphertext: Ciphertext,
}

impl TryFrom<RawReplace> for ColdReplace {
    type Error = String;
    fn try_from(r: RawReplace) -> Result<Self, String> {
        Ok(ColdReplace {
            wallet: r.wallet,
            record: record(r.method, r.params, r.ciphertext)?,
        })
    }
}

/// `POST /v1/cold-shares`' answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Created {
    pub wallet: WalletId,
    pub ok: bool,
}

/// `GET /v1/cold-shares/{wallet}`: the record with its times.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", try_from = "RawResponse")]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ColdRecordResponse {
    pub wallet: WalletId,
    #[serde(flatten)]
    pub record: ColdRecord,
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub created_at: String,
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub updated_at: String,
    /// The wallet's authority key at Shield; absent until registered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authority: Option<AuthorityKey>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawResponse {
    wallet: WalletId,
    method: RecoveryMethod,
    params: AnyParams,
    ciphertext: Ciphertext,
    created_at: String,
    updated_at: String,
    #[serde(default)]
    authority: Option<AuthorityKey>,
}

impl TryFrom<RawResponse> for ColdRecordResponse {
    type Error = String;
    fn try_from(r: RawResponse) -> Result<Self, String> {
        Ok(ColdRecordResponse {
            wallet: r.wallet,
            record: record(r.method, r.params, r.ciphertext)?,
            created_at: r.created_at,
            updated_at: r.updated_at,
            authority: r.authority,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn record_reads_and_writes_the_flat_form() {
        let body = json!({
            "wallet": "0123abcd-4567-89ab-cdef-0123456789ab",
            "method": "password",
            "params": { "kdf": "argon2id", "m": 65536, "t": 3, "p": 1,
                        "salt": "AAAAAAAAAAAAAAAAAAAAAA==", "verifier": "AA==" },
            "ciphertext": "AQID"
        });
        let create: ColdCreate = serde_json::from_value(body.clone()).expect("parse");
        assert_eq!(create.record.sealing.method(), RecoveryMethod::Password);
        assert_eq!(serde_json::to_value(&create).expect("serialise"), body);

        let answer = json!({
            "wallet": "0123abcd-4567-89ab-cdef-0123456789ab",
            "method": "automatic", "params": {}, "ciphertext": "AQID",
            "createdAt": "2026-12-01T00:00:00Z", "updatedAt": "2026-12-01T00:00:00Z"
        });
        let read: ColdRecordResponse = serde_json::from_value(answer.clone()).expect("parse");
        assert_eq!(serde_json::to_value(&read).expect("serialise"), answer);

        let auto = json!({ "method": "automatic", "params": {}, "ciphertext": "AQID" });
        let record: ColdRecord = serde_json::from_value(auto.clone()).expect("parse");
        assert_eq!(record.sealing, Sealing::Automatic(AutomaticParams {}));
        assert_eq!(serde_json::to_value(&record).expect("serialise"), auto);
    }

    #[test]
    fn refuses_what_the_methods_do_not_define() {
        for bad in [
            json!({ "method": "automatic", "params": { "x": 1 }, "ciphertext": "AQID" }),
            json!({ "method": "password", "params": {}, "ciphertext": "AQID" }),
            json!({ "method": "magic", "params": {}, "ciphertext": "AQID" }),
            json!({ "method": "automatic", "params": {}, "ciphertext": "" }),
            json!({ "method": "automatic", "params": {}, "ciphertext": "AQID", "extra": 1 }),
            json!({ "method": "automatic", "params": [], "ciphertext": "AQID" }),
            json!({ "method": "password", "params": { "kdf": "scrypt", "m": 1, "t": 1, "p": 1,
                    "salt": "", "verifier": "" }, "ciphertext": "AQID" }),
        ] {
            assert!(
                serde_json::from_value::<ColdRecord>(bad.clone()).is_err(),
                "{bad}"
            );
        }
    }
}
