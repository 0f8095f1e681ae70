//! The service answers the signer reads, decoded by hand (keyframe-json):
//! the same answers as their serde derive, which the tests below hold them
//! to, without a copy of serde_json's parser per type in the signer's WASM
//! (bench/SIZE.md). Requests, and everything the services read, keep
//! serde.

use keyframe_json::{DecodeError, Fields, FromJson, Value, one_of, parsed, str_of};

use crate::catalog::{Chain, ChainId, NativeCurrency, TokenInfo, TokenList};
use crate::hot::{
    DeviceInfo, DeviceList, DeviceRef, OkBody, Pending, RecoverResponse, VersionRef, WalletResponse,
};
use crate::policy::{
    ActivityEntry, ActivityList, ApprovalResponse, Decision, PolicyState, SignedUserRules,
};
use crate::shield::{
    AutomaticParams, ColdRecord, ColdRecordResponse, Created, Kdf, PasswordParams, RecoveryMethod,
    Sealing,
};
use crate::{
    Addresses, AuthorityKey, Ciphertext, DeviceId, ShareBlob, SplitId, WalletId, WalletKind,
};

macro_rules! from_str_value {
    ($($t:ty),*) => {$(
        impl FromJson for $t {
            fn from_json(value: &Value) -> Result<Self, DecodeError> {
                parsed(value)
            }
        }
    )*};
}
from_str_value!(WalletId, DeviceId, SplitId, AuthorityKey);

impl FromJson for ShareBlob {
    fn from_json(value: &Value) -> Result<Self, DecodeError> {
        ShareBlob::from_base64(str_of(value)?).map_err(|_| DecodeError::Invalid)
    }
}

impl FromJson for Ciphertext {
    fn from_json(value: &Value) -> Result<Self, DecodeError> {
        Ciphertext::from_base64(str_of(value)?).map_err(|_| DecodeError::Invalid)
    }
}

impl FromJson for ChainId {
    fn from_json(value: &Value) -> Result<Self, DecodeError> {
        ChainId::parse(str_of(value)?).ok_or(DecodeError::Invalid)
    }
}

impl FromJson for WalletKind {
    fn from_json(value: &Value) -> Result<Self, DecodeError> {
        WalletKind::from_wire(str_of(value)?).ok_or(DecodeError::Invalid)
    }
}

impl FromJson for Addresses {
    fn from_json(value: &Value) -> Result<Self, DecodeError> {
        let mut f = Fields::strict(value)?;
        let a = Addresses {
            evm: f.req("evm")?,
            solana: f.opt("solana")?,
        };
        f.end().map(|()| a)
    }
}

impl FromJson for NativeCurrency {
    fn from_json(value: &Value) -> Result<Self, DecodeError> {
        let mut f = Fields::lenient(value)?;
        let n = NativeCurrency {
            name: f.req("name")?,
            symbol: f.req("symbol")?,
            decimals: f.req("decimals")?,
        };
        f.end().map(|()| n)
    }
}

impl FromJson for Chain {
    fn from_json(value: &Value) -> Result<Self, DecodeError> {
        let mut f = Fields::lenient(value)?;
        let c = Chain {
            chain_id: f.req("chainId")?,
            chain_name: f.req("chainName")?,
            native_currency: f.req("nativeCurrency")?,
            rpc_urls: f.or_default("rpcUrls")?,
            block_explorer_urls: f.or_default("blockExplorerUrls")?,
            icon_urls: f.or_default("iconUrls")?,
        };
        f.end().map(|()| c)
    }
}

impl FromJson for TokenInfo {
    fn from_json(value: &Value) -> Result<Self, DecodeError> {
        let mut f = Fields::lenient(value)?;
        let t = TokenInfo {
            chain_id: f.req("chainId")?,
            address: f.req("address")?,
            symbol: f.req("symbol")?,
            decimals: f.req("decimals")?,
            name: f.req("name")?,
        };
        f.end().map(|()| t)
    }
}

impl FromJson for TokenList {
    fn from_json(value: &Value) -> Result<Self, DecodeError> {
        let mut f = Fields::lenient(value)?;
        let t = TokenList {
            name: f.or_default("name")?,
            tokens: f.req("tokens")?,
        };
        f.end().map(|()| t)
    }
}

impl FromJson for WalletResponse {
    fn from_json(value: &Value) -> Result<Self, DecodeError> {
        let mut f = Fields::lenient(value)?;
        let w = WalletResponse {
            wallet: f.req("wallet")?,
            kind: f.req("kind")?,
            addresses: f.req("addresses")?,
            created_at: f.req("createdAt")?,
            authority: f.opt("authority")?,
        };
        f.end().map(|()| w)
    }
}

impl FromJson for DeviceRef {
    fn from_json(value: &Value) -> Result<Self, DecodeError> {
        let mut f = Fields::lenient(value)?;
        let d = DeviceRef {
            wallet: f.req("wallet")?,
            device: f.opt("device")?,
            version: f.req("version")?,
        };
        f.end().map(|()| d)
    }
}

impl FromJson for Pending {
    fn from_json(value: &Value) -> Result<Self, DecodeError> {
        let mut f = Fields::lenient(value)?;
        let p = Pending {
            version: f.req("version")?,
            split: f.req("split")?,
        };
        f.end().map(|()| p)
    }
}

impl FromJson for RecoverResponse {
    fn from_json(value: &Value) -> Result<Self, DecodeError> {
        let mut f = Fields::lenient(value)?;
        let r = RecoverResponse {
            wallet: f.req("wallet")?,
            device: f.req("device")?,
            version: f.req("version")?,
            split: f.req("split")?,
            share: f.req("share")?,
            kind: f.req("kind")?,
            addresses: f.req("addresses")?,
            pending: f.opt("pending")?,
        };
        f.end().map(|()| r)
    }
}

impl FromJson for VersionRef {
    fn from_json(value: &Value) -> Result<Self, DecodeError> {
        let mut f = Fields::lenient(value)?;
        let v = VersionRef {
            wallet: f.req("wallet")?,
            device: f.req("device")?,
            version: f.req("version")?,
            split: f.req("split")?,
        };
        f.end().map(|()| v)
    }
}

impl FromJson for DeviceInfo {
    fn from_json(value: &Value) -> Result<Self, DecodeError> {
        let mut f = Fields::lenient(value)?;
        let d = DeviceInfo {
            device: f.req("device")?,
            label: f.opt("label")?,
            ephemeral: f.req("ephemeral")?,
            version: f.req("version")?,
            created_at: f.req("createdAt")?,
            last_used_at: f.req("lastUsedAt")?,
            expires_at: f.opt("expiresAt")?,
        };
        f.end().map(|()| d)
    }
}

impl FromJson for DeviceList {
    fn from_json(value: &Value) -> Result<Self, DecodeError> {
        let mut f = Fields::lenient(value)?;
        let d = DeviceList {
            devices: f.req("devices")?,
        };
        f.end().map(|()| d)
    }
}

impl FromJson for OkBody {
    fn from_json(value: &Value) -> Result<Self, DecodeError> {
        let mut f = Fields::lenient(value)?;
        let o = OkBody { ok: f.req("ok")? };
        f.end().map(|()| o)
    }
}

impl FromJson for SignedUserRules {
    fn from_json(value: &Value) -> Result<Self, DecodeError> {
        let mut f = Fields::strict(value)?;
        let s = SignedUserRules {
            wallet: f.req("wallet")?,
            version: f.req("version")?,
            rules: f.req("rules")?,
            signature: f.req("signature")?,
        };
        f.end().map(|()| s)
    }
}

impl FromJson for PolicyState {
    fn from_json(value: &Value) -> Result<Self, DecodeError> {
        let mut f = Fields::strict(value)?;
        let p = PolicyState {
            operator: f.req("operator")?,
            user_rules: f.opt("user_rules")?,
            usage: f.or_default("usage")?,
            now: f.req("now")?,
        };
        f.end().map(|()| p)
    }
}

impl FromJson for ApprovalResponse {
    fn from_json(value: &Value) -> Result<Self, DecodeError> {
        let mut f = Fields::strict(value)?;
        let a = ApprovalResponse {
            evaluation_id: f.req("evaluation_id")?,
            approved: f.req("approved")?,
            silent: f.or_default("silent")?,
        };
        f.end().map(|()| a)
    }
}

impl FromJson for Decision {
    fn from_json(value: &Value) -> Result<Self, DecodeError> {
        use Decision::*;
        one_of(
            value,
            &[
                "allowed",
                "approved_on_screen",
                "approved_by_webhook",
                "rejected",
                "denied",
                "refused_by_webhook",
                "webhook_timed_out",
            ],
            &[
                Allowed,
                ApprovedOnScreen,
                ApprovedByWebhook,
                Rejected,
                Denied,
                RefusedByWebhook,
                WebhookTimedOut,
            ],
        )
    }
}

impl FromJson for ActivityEntry {
    fn from_json(value: &Value) -> Result<Self, DecodeError> {
        let mut f = Fields::strict(value)?;
        let e = ActivityEntry {
            id: f.req("id")?,
            at: f.req("at")?,
            decision: f.req("decision")?,
            rule: f.opt("rule")?,
            reason: f.opt("reason")?,
            device: f.opt("device")?,
            intent: f.req("intent")?,
        };
        f.end().map(|()| e)
    }
}

impl FromJson for ActivityList {
    fn from_json(value: &Value) -> Result<Self, DecodeError> {
        let mut f = Fields::strict(value)?;
        let l = ActivityList {
            entries: f.req("entries")?,
        };
        f.end().map(|()| l)
    }
}

impl FromJson for RecoveryMethod {
    fn from_json(value: &Value) -> Result<Self, DecodeError> {
        one_of(
            value,
            &["password", "automatic"],
            &[RecoveryMethod::Password, RecoveryMethod::Automatic],
        )
    }
}

impl FromJson for Kdf {
    fn from_json(value: &Value) -> Result<Self, DecodeError> {
        one_of(value, &["argon2id"], &[Kdf::Argon2id])
    }
}

impl FromJson for PasswordParams {
    fn from_json(value: &Value) -> Result<Self, DecodeError> {
        let mut f = Fields::strict(value)?;
        let p = PasswordParams {
            kdf: f.req("kdf")?,
            m: f.req("m")?,
            t: f.req("t")?,
            p: f.req("p")?,
            salt: f.req("salt")?,
            verifier: f.req("verifier")?,
        };
        f.end().map(|()| p)
    }
}

/// `params` must be `method`'s: as `shield::record`, which reads either
/// method's parameters (password's first) and then requires they match.
fn sealing(method: RecoveryMethod, params: &Value) -> Result<Sealing, DecodeError> {
    let as_password = PasswordParams::from_json(params);
    let is_empty_object = params.as_object().is_some_and(|m| m.is_empty());
    match (method, as_password) {
        (RecoveryMethod::Password, Ok(p)) => Ok(Sealing::Password(p)),
        (RecoveryMethod::Automatic, Err(_)) if is_empty_object => {
            Ok(Sealing::Automatic(AutomaticParams {}))
        }
        _ => Err(DecodeError::Field("params", Box::new(DecodeError::Invalid))),
    }
}

impl FromJson for ColdRecordResponse {
    fn from_json(value: &Value) -> Result<Self, DecodeError> {
        let mut f = Fields::lenient(value)?;
        let wallet = f.req("wallet")?;
        let method = f.req("method")?;
        let params = f.raw("params").ok_or(DecodeError::Missing("params"))?;
        let ciphertext = f.req("ciphertext")?;
        let r = ColdRecordResponse {
            wallet,
            record: ColdRecord {
                sealing: sealing(method, params)?,
                ciphertext,
            },
            created_at: f.req("createdAt")?,
            updated_at: f.req("updatedAt")?,
            authority: f.opt("authority")?,
        };
        f.end().map(|()| r)
    }
}

impl FromJson for Created {
    fn from_json(value: &Value) -> Result<Self, DecodeError> {
        let mut f = Fields::lenient(value)?;
        let c = Created {
            wallet: f.req("wallet")?,
            ok: f.req("ok")?,
        };
        f.end().map(|()| c)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use keyframe_json::parity::{assert_parity, check};

    const WALLET: &str = "0123abcd-4567-89ab-cdef-0123456789ab";
    const DEVICE: &str = "11111111-2222-4333-8444-555555555555";
    const SPLIT: &str = "00112233445566778899aabbccddeeff";
    const KEY: &str = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
    const EVM: &str = "0x52908400098527886e0f7030069857d2e4169ee7";
    const SOL: &str = "7EcDhSYGxXyscszYEp35KHN8vvw3svAuLKTzXwCFLtV";

    fn addresses() -> String {
        format!(r#"{{"evm":"{EVM}","solana":"{SOL}"}}"#)
    }

    #[test]
    fn hot_storage_answers_decode_as_serde_does() {
        let a = addresses();
        assert_parity::<WalletResponse>(&format!(
            r#"{{"wallet":"{WALLET}","kind":"mnemonic","addresses":{a},
                "createdAt":"2026-01-01T00:00:00Z","authority":"{KEY}"}}"#
        ));
        assert_parity::<DeviceRef>(&format!(
            r#"{{"wallet":"{WALLET}","device":"{DEVICE}","version":0}}"#
        ));
        assert_parity::<RecoverResponse>(&format!(
            r#"{{"wallet":"{WALLET}","device":"{DEVICE}","version":3,"split":"{SPLIT}",
                "share":"AQID","kind":"evm_private_key","addresses":{a},
                "pending":{{"version":4,"split":"{SPLIT}"}}}}"#
        ));
        assert_parity::<VersionRef>(&format!(
            r#"{{"wallet":"{WALLET}","device":"{DEVICE}","version":3,"split":"{SPLIT}"}}"#
        ));
        assert_parity::<DeviceList>(&format!(
            r#"{{"devices":[{{"device":"{DEVICE}","label":"Phone","ephemeral":true,"version":2,
                "createdAt":"a","lastUsedAt":"b","expiresAt":"c"}}]}}"#
        ));
        assert_parity::<OkBody>(r#"{"ok":true}"#);
    }

    #[test]
    fn policy_answers_decode_as_serde_does() {
        let rules = r#"{\"version\":1,\"default\":\"ask\"}"#;
        assert_parity::<PolicyState>(&format!(
            r#"{{"operator":{{"version":1,"default":"ask","rules":[{{"id":"a","effect":"deny","when":{{"chains":[1]}}}}]}},
                "user_rules":{{"wallet":"{WALLET}","version":2,"rules":"{rules}","signature":"c2ln"}},
                "usage":[{{"layer":"user","rule":"a","at":5,"value":"7"}}],"now":1700000000}}"#
        ));
        assert_parity::<ApprovalResponse>(
            r#"{"evaluation_id":"e1","approved":true,"silent":true}"#,
        );
        assert_parity::<ActivityList>(&format!(
            r#"{{"entries":[{{"id":"x","at":-5,"decision":"webhook_timed_out",
                "rule":{{"layer":"operator","id":"big"}},"reason":"late","device":"{DEVICE}",
                "intent":{{"kind":"evm_transaction","chain":1,"to":"0x1","value":"9"}}}}]}}"#
        ));
        for d in [
            "allowed",
            "approved_on_screen",
            "approved_by_webhook",
            "rejected",
            "denied",
            "refused_by_webhook",
            "webhook_timed_out",
            "Allowed",
        ] {
            check::<Decision>(&format!("\"{d}\""));
        }
    }

    #[test]
    fn shield_answers_decode_as_serde_does() {
        let password = r#""method":"password","params":{"kdf":"argon2id","m":65536,"t":3,"p":1,
            "salt":"AAAAAAAAAAAAAAAAAAAAAA==","verifier":"AA=="}"#;
        for sealing in [password, r#""method":"automatic","params":{}"#] {
            assert_parity::<ColdRecordResponse>(&format!(
                r#"{{"wallet":"{WALLET}",{sealing},"ciphertext":"AQID",
                    "createdAt":"a","updatedAt":"b","authority":"{KEY}"}}"#
            ));
        }
        // Params of the other method, and the parameters as an array.
        for (method, params) in [
            (
                "automatic",
                r#"{"kdf":"argon2id","m":1,"t":1,"p":1,"salt":"","verifier":""}"#,
            ),
            ("password", "{}"),
            ("password", r#"["argon2id",1,1,1,"s","v"]"#),
            ("automatic", "[]"),
        ] {
            check::<ColdRecordResponse>(&format!(
                r#"{{"wallet":"{WALLET}","method":"{method}","params":{params},"ciphertext":"AQID",
                    "createdAt":"a","updatedAt":"b"}}"#
            ));
        }
        assert_parity::<Created>(&format!(r#"{{"wallet":"{WALLET}","ok":true}}"#));
    }

    #[test]
    fn catalog_answers_decode_as_serde_does() {
        assert_parity::<Chain>(
            r#"{"chainId":"0x2105","chainName":"Base","nativeCurrency":{"name":"Ether","symbol":"ETH","decimals":18},
                "rpcUrls":["https://mainnet.base.org"],"blockExplorerUrls":["https://basescan.org"],
                "iconUrls":["https://x.example/i.png"]}"#,
        );
        assert_parity::<TokenList>(&format!(
            r#"{{"name":"Keyframe","tokens":[{{"chainId":8453,"address":"{EVM}","symbol":"USDC",
                "decimals":6,"name":"USD Coin"}}]}}"#
        ));
        for id in [
            r#""0x1""#,
            r#""0x01""#,
            r#""1""#,
            r#""0x20000000000000""#,
            "1",
        ] {
            check::<ChainId>(id);
        }
    }

    #[test]
    fn ids_keys_and_blobs_decode_as_serde_does() {
        for text in [
            format!("\"{WALLET}\""),
            format!("\"{}\"", WALLET.to_uppercase()),
            format!("\"{}\"", WALLET.replace('-', "")),
            "\"\"".into(),
            "7".into(),
        ] {
            check::<WalletId>(&text);
            check::<DeviceId>(&text);
        }
        for text in [
            format!("\"{SPLIT}\""),
            format!("\"{}\"", &SPLIT[1..]),
            "null".into(),
        ] {
            check::<SplitId>(&text);
        }
        for text in [
            format!("\"{KEY}\""),
            format!("\"{}\"", &KEY[1..]),
            "\"AQID\"".into(),
        ] {
            check::<AuthorityKey>(&text);
        }
        let long = format!("\"{}\"", "A".repeat(4 * 200));
        for text in ["\"AQID\"", "\"AQI\"", "\"!!\"", "\"\"", long.as_str()] {
            check::<ShareBlob>(text);
            check::<Ciphertext>(text);
        }
    }
}
