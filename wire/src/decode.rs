//! The service answers the signer reads, decoded by hand (keyframe-json):
//! the same answers as their serde derive, which the tests below hold them
//! to, without a copy of serde_json's parser per type in the signer's WASM
//! (bench/SIZE.md). Requests, and everything the services read, keep
//! serde.

use keyframe_json::{
    DecodeError, Fields, FromJson, Value, decode_struct, named, one_of, parsed, str_of,
};

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

decode_struct!(
    Addresses,
    strict {
        evm: req("evm"),
        solana: opt("solana"),
    }
);

decode_struct!(
    NativeCurrency,
    lenient {
        name: req("name"),
        symbol: req("symbol"),
        decimals: req("decimals"),
    }
);

decode_struct!(
    Chain,
    lenient {
        chain_id: req("chainId"),
        chain_name: req("chainName"),
        native_currency: req("nativeCurrency"),
        rpc_urls: or_default("rpcUrls"),
        block_explorer_urls: or_default("blockExplorerUrls"),
        icon_urls: or_default("iconUrls"),
    }
);

decode_struct!(
    TokenInfo,
    lenient {
        chain_id: req("chainId"),
        address: req("address"),
        symbol: req("symbol"),
        decimals: req("decimals"),
        name: req("name"),
    }
);

decode_struct!(
    TokenList,
    lenient {
        name: or_default("name"),
        tokens: req("tokens"),
    }
);

decode_struct!(
    WalletResponse,
    lenient {
        wallet: req("wallet"),
        kind: req("kind"),
        addresses: req("addresses"),
        created_at: req("createdAt"),
        authority: opt("authority"),
    }
);

decode_struct!(
    DeviceRef,
    lenient {
        wallet: req("wallet"),
        device: opt("device"),
        version: req("version"),
    }
);

decode_struct!(
    Pending,
    lenient {
        version: req("version"),
        split: req("split"),
    }
);

decode_struct!(
    RecoverResponse,
    lenient {
        wallet: req("wallet"),
        device: req("device"),
        version: req("version"),
        split: req("split"),
        share: req("share"),
        kind: req("kind"),
        addresses: req("addresses"),
        pending: opt("pending"),
    }
);

decode_struct!(
    VersionRef,
    lenient {
        wallet: req("wallet"),
        device: req("device"),
        version: req("version"),
        split: req("split"),
    }
);

decode_struct!(
    DeviceInfo,
    lenient {
        device: req("device"),
        label: opt("label"),
        ephemeral: req("ephemeral"),
        version: req("version"),
        created_at: req("createdAt"),
        last_used_at: req("lastUsedAt"),
        expires_at: opt("expiresAt"),
    }
);

decode_struct!(
    DeviceList,
    lenient {
        devices: req("devices"),
    }
);

decode_struct!(OkBody, lenient { ok: req("ok") });

decode_struct!(
    SignedUserRules,
    strict {
        wallet: req("wallet"),
        version: req("version"),
        rules: req("rules"),
        signature: req("signature"),
    }
);

decode_struct!(
    PolicyState,
    strict {
        operator: req("operator"),
        user_rules: opt("user_rules"),
        usage: or_default("usage"),
        now: req("now"),
    }
);

decode_struct!(
    ApprovalResponse,
    strict {
        evaluation_id: req("evaluation_id"),
        approved: req("approved"),
        silent: or_default("silent"),
    }
);

impl FromJson for Decision {
    fn from_json(value: &Value) -> Result<Self, DecodeError> {
        named(value, &Decision::ALL, Decision::as_str)
    }
}

decode_struct!(
    ActivityEntry,
    strict {
        id: req("id"),
        at: req("at"),
        decision: req("decision"),
        rule: opt("rule"),
        reason: opt("reason"),
        device: opt("device"),
        intent: req("intent"),
    }
);

decode_struct!(
    ActivityList,
    strict {
        entries: req("entries"),
    }
);

impl FromJson for RecoveryMethod {
    fn from_json(value: &Value) -> Result<Self, DecodeError> {
        let all = [RecoveryMethod::Password, RecoveryMethod::Automatic];
        named(value, &all, RecoveryMethod::as_str)
    }
}

impl FromJson for Kdf {
    fn from_json(value: &Value) -> Result<Self, DecodeError> {
        one_of(value, &["argon2id"], &[Kdf::Argon2id])
    }
}

decode_struct!(
    PasswordParams,
    strict {
        kdf: req("kdf"),
        m: req("m"),
        t: req("t"),
        p: req("p"),
        salt: req("salt"),
        verifier: req("verifier"),
    }
);

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

decode_struct!(
    Created,
    lenient {
        wallet: req("wallet"),
        ok: req("ok"),
    }
);

#[cfg(test)]
pub(crate) mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use keyframe_json::parity::{assert_parity, check};

    // Shared with src/encode.rs's tests.
    pub(crate) const WALLET: &str = "0123abcd-4567-89ab-cdef-0123456789ab";
    pub(crate) const DEVICE: &str = "11111111-2222-4333-8444-555555555555";
    pub(crate) const SPLIT: &str = "00112233445566778899aabbccddeeff";
    const KEY: &str = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
    const EVM: &str = "0x52908400098527886e0f7030069857d2e4169ee7";
    const SOL: &str = "7EcDhSYGxXyscszYEp35KHN8vvw3svAuLKTzXwCFLtV";

    pub(crate) fn addresses() -> String {
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
        for d in Decision::ALL
            .map(Decision::as_str)
            .into_iter()
            .chain(["Allowed", ""])
        {
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
