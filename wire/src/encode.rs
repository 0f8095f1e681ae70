//! The bodies the signer sends, and the wire values its answers to the
//! page carry, written by hand (keyframe-json's `ToJson`): what their serde
//! derive writes, which the tests below hold them to, without serde_json's
//! serializer and a copy of its map code per field type in the signer's
//! WASM (bench/SIZE.md, "One JSON writer"). The services keep serde.

use keyframe_json::{Object, ToJson, Value, opt};

use crate::authority::RegisterAuthority;
use crate::catalog::{Chain, ChainId, NativeCurrency};
use crate::hot::{
    CommitRequest, CreateRequest, DeviceIn, DeviceInfo, PrimaryIn, RecoverRequest, RefreshRequest,
    RegisterRequest, RevokeRequest, WalletRequest,
};
use crate::policy::{
    ActivityEntry, ActivityReport, ApprovalRequest, Decision, RecoverWithIntent, SignedUserRules,
};
use crate::rpc::Reason;
use crate::shield::{ColdCreate, ColdRecord, ColdReplace, Kdf, PasswordParams, Sealing};
use crate::{
    Addresses, AuthorityKey, Ciphertext, DeviceId, ShareBlob, SplitId, WalletId, WalletKind,
};

macro_rules! as_text {
    ($($t:ty => $text:expr),* $(,)?) => {$(
        impl ToJson for $t {
            fn to_json(&self) -> Value {
                let text: fn(&$t) -> String = $text;
                Value::String(text(self))
            }
        }
    )*};
}
as_text!(
    WalletId => |x| x.to_string(),
    DeviceId => |x| x.to_string(),
    SplitId => |x| x.to_string(),
    ChainId => |x| x.to_string(),
    AuthorityKey => |x| x.to_base64url(),
    // A copy of the text, into the tree `keyframe_json::to_string` wipes;
    // the `Zeroizing` original is wiped here.
    ShareBlob => |x| String::clone(&x.to_base64()),
    Ciphertext => |x| String::clone(&x.to_base64()),
);

macro_rules! as_name {
    ($($t:ty),*) => {$(
        impl ToJson for $t {
            fn to_json(&self) -> Value {
                self.as_str().to_json()
            }
        }
    )*};
}
as_name!(WalletKind, Reason, Decision);

impl ToJson for Addresses {
    fn to_json(&self) -> Value {
        Object::new()
            .field("evm", self.evm.to_json())
            .field("solana", self.solana.to_json())
            .build()
    }
}

impl ToJson for NativeCurrency {
    fn to_json(&self) -> Value {
        Object::new()
            .field("name", self.name.to_json())
            .field("symbol", self.symbol.to_json())
            .field("decimals", self.decimals.to_json())
            .build()
    }
}

impl ToJson for Chain {
    fn to_json(&self) -> Value {
        Object::new()
            .field("chainId", self.chain_id.to_json())
            .field("chainName", self.chain_name.to_json())
            .field("nativeCurrency", self.native_currency.to_json())
            .field("rpcUrls", self.rpc_urls.to_json())
            .field("blockExplorerUrls", self.block_explorer_urls.to_json())
            .field("iconUrls", self.icon_urls.to_json())
            .build()
    }
}

impl ToJson for PrimaryIn {
    fn to_json(&self) -> Value {
        Object::new()
            .field("split", self.split.to_json())
            .field("share", self.share.to_json())
            .build()
    }
}

impl ToJson for DeviceIn {
    fn to_json(&self) -> Value {
        Object::new()
            .field("device", self.device.to_json())
            .field("split", self.split.to_json())
            .field("share", self.share.to_json())
            .field("ephemeral", self.ephemeral.to_json())
            .field("label", self.label.to_json())
            .build()
    }
}

impl ToJson for CreateRequest {
    fn to_json(&self) -> Value {
        Object::new()
            .field("wallet", self.wallet.to_json())
            .field("kind", self.kind.to_json())
            .field("addresses", self.addresses.to_json())
            .field("primary", self.primary.to_json())
            .field("device", self.device.to_json())
            .some("authority", opt(&self.authority))
            .build()
    }
}

impl ToJson for RegisterRequest {
    fn to_json(&self) -> Value {
        Object::new()
            .field("wallet", self.wallet.to_json())
            .field("device", self.device.to_json())
            .field("split", self.split.to_json())
            .field("share", self.share.to_json())
            .field("ephemeral", self.ephemeral.to_json())
            .field("label", self.label.to_json())
            .build()
    }
}

impl ToJson for RecoverRequest {
    fn to_json(&self) -> Value {
        Object::new()
            .field("wallet", self.wallet.to_json())
            .some("device", opt(&self.device))
            .some("version", opt(&self.version))
            .some("split", opt(&self.split))
            .build()
    }
}

impl ToJson for RefreshRequest {
    fn to_json(&self) -> Value {
        Object::new()
            .field("wallet", self.wallet.to_json())
            .field("device", self.device.to_json())
            .field("version", self.version.to_json())
            .field("split", self.split.to_json())
            .field("share", self.share.to_json())
            .some("replacePending", opt(&self.replace_pending))
            .build()
    }
}

impl ToJson for CommitRequest {
    fn to_json(&self) -> Value {
        Object::new()
            .field("wallet", self.wallet.to_json())
            .field("device", self.device.to_json())
            .field("version", self.version.to_json())
            .field("split", self.split.to_json())
            .build()
    }
}

impl ToJson for WalletRequest {
    fn to_json(&self) -> Value {
        Object::new().field("wallet", self.wallet.to_json()).build()
    }
}

impl ToJson for RevokeRequest {
    fn to_json(&self) -> Value {
        Object::new()
            .field("wallet", self.wallet.to_json())
            .field("device", self.device.to_json())
            .build()
    }
}

impl ToJson for RegisterAuthority {
    fn to_json(&self) -> Value {
        Object::new()
            .some("wallet", opt(&self.wallet))
            .field("authority", self.authority.to_json())
            .build()
    }
}

impl ToJson for RecoverWithIntent {
    fn to_json(&self) -> Value {
        Object::new()
            .field("wallet", self.wallet.to_json())
            .some("device", opt(&self.device))
            .some("version", opt(&self.version))
            .some("split", opt(&self.split))
            .some("intent", opt(&self.intent))
            .some("parts", nonempty(&self.parts))
            .some("approval", opt(&self.approval))
            .some("on_screen", opt(&self.on_screen))
            .build()
    }
}

impl ToJson for ApprovalRequest {
    fn to_json(&self) -> Value {
        Object::new()
            .field("wallet", self.wallet.to_json())
            .some("device", opt(&self.device))
            .field("intent", self.intent.to_json())
            .some("parts", nonempty(&self.parts))
            .build()
    }
}

impl ToJson for ActivityReport {
    fn to_json(&self) -> Value {
        Object::new()
            .field("wallet", self.wallet.to_json())
            .some("device", opt(&self.device))
            .field("intent", self.intent.to_json())
            .field("decision", self.decision.to_json())
            .some("rule", opt(&self.rule))
            .build()
    }
}

impl ToJson for SignedUserRules {
    fn to_json(&self) -> Value {
        Object::new()
            .field("wallet", self.wallet.to_json())
            .field("version", self.version.to_json())
            .field("rules", self.rules.to_json())
            .field("signature", self.signature.to_json())
            .build()
    }
}

impl ToJson for DeviceInfo {
    fn to_json(&self) -> Value {
        Object::new()
            .field("device", self.device.to_json())
            .field("label", self.label.to_json())
            .field("ephemeral", self.ephemeral.to_json())
            .field("version", self.version.to_json())
            .field("createdAt", self.created_at.to_json())
            .field("lastUsedAt", self.last_used_at.to_json())
            .field("expiresAt", self.expires_at.to_json())
            .build()
    }
}

impl ToJson for ActivityEntry {
    fn to_json(&self) -> Value {
        Object::new()
            .field("id", self.id.to_json())
            .field("at", self.at.to_json())
            .field("decision", self.decision.to_json())
            .some("rule", opt(&self.rule))
            .some("reason", opt(&self.reason))
            .some("device", opt(&self.device))
            .field("intent", self.intent.to_json())
            .build()
    }
}

impl ToJson for Kdf {
    fn to_json(&self) -> Value {
        match self {
            Kdf::Argon2id => "argon2id",
        }
        .to_json()
    }
}

impl ToJson for PasswordParams {
    fn to_json(&self) -> Value {
        Object::new()
            .field("kdf", self.kdf.to_json())
            .field("m", self.m.to_json())
            .field("t", self.t.to_json())
            .field("p", self.p.to_json())
            .field("salt", self.salt.to_json())
            .field("verifier", self.verifier.to_json())
            .build()
    }
}

/// A cold record's fields (`#[serde(flatten)]` into the bodies that carry
/// it): the sealing as `method` and `params`, then the ciphertext.
fn cold_record(record: &ColdRecord, into: Object) -> Object {
    let params = match &record.sealing {
        Sealing::Password(p) => p.to_json(),
        Sealing::Automatic(_) => Object::new().build(),
    };
    into.field("method", record.sealing.method().as_str().to_json())
        .field("params", params)
        .field("ciphertext", record.ciphertext.to_json())
}

impl ToJson for ColdRecord {
    fn to_json(&self) -> Value {
        cold_record(self, Object::new()).build()
    }
}

impl ToJson for ColdCreate {
    fn to_json(&self) -> Value {
        let object = Object::new().field("wallet", self.wallet.to_json());
        cold_record(&self.record, object)
            .some("authority", opt(&self.authority))
            .build()
    }
}

impl ToJson for ColdReplace {
    fn to_json(&self) -> Value {
        let object = Object::new().some("wallet", opt(&self.wallet));
        cold_record(&self.record, object).build()
    }
}

/// A list, unless it is empty (`skip_serializing_if = "Vec::is_empty"`).
fn nonempty<T: ToJson>(list: &[T]) -> Option<Value> {
    (!list.is_empty()).then(|| list.to_json())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use keyframe_json::parity::assert_writes_as_serde;

    use crate::decode::tests::{DEVICE, SPLIT, WALLET, addresses};

    const SHARE: &str = "S0ZTSAEBAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    const INTENT: &str = r#"{"kind":"evm_transaction","chain":1,"origin":"https://app.example","to":"0x52908400098527886e0f7030069857d2e4169ee7","value":"5","selector":"0xa9059cbb","token_transfers":[{"token":"0xab","to":"0xcd","amount":"7"}],"approvals":[{"token":"0xab","spender":"0xef"}]}"#;

    fn authority() -> String {
        AuthorityKey::from_bytes([0xfb; 32]).to_base64url()
    }

    /// Each body and value the signer writes, from a sample with every
    /// field set, and every single mutation of it serde reads: written by
    /// hand as serde writes it.
    #[test]
    fn every_body_writes_as_serde_writes() {
        let a = authority();
        let addr = addresses();
        let device_in = format!(
            r#"{{"device":"{DEVICE}","split":"{SPLIT}","share":"{SHARE}","ephemeral":true,"label":"phone"}}"#
        );
        let cold = r#""method":"password","params":{"kdf":"argon2id","m":65536,"t":3,"p":1,"salt":"AAAAAAAAAAAAAAAAAAAAAA==","verifier":"AA=="},"ciphertext":"AQID""#;
        type Check = fn(&str) -> usize;
        let cases: Vec<(&str, Check, String)> = vec![
            ("Addresses", assert_writes_as_serde::<Addresses>, addr.clone()),
            (
                "Chain",
                assert_writes_as_serde::<Chain>,
                r#"{"chainId":"0x2105","chainName":"Base","nativeCurrency":{"name":"Ether","symbol":"ETH","decimals":18},"rpcUrls":["https://rpc"],"blockExplorerUrls":["https://scan"],"iconUrls":[]}"#.into(),
            ),
            (
                "CreateRequest",
                assert_writes_as_serde::<CreateRequest>,
                format!(
                    r#"{{"wallet":"{WALLET}","kind":"mnemonic","addresses":{addr},"primary":{{"split":"{SPLIT}","share":"{SHARE}"}},"device":{device_in},"authority":"{a}"}}"#
                ),
            ),
            (
                "RegisterRequest",
                assert_writes_as_serde::<RegisterRequest>,
                format!(
                    r#"{{"wallet":"{WALLET}","device":"{DEVICE}","split":"{SPLIT}","share":"{SHARE}","ephemeral":false,"label":"laptop"}}"#
                ),
            ),
            (
                "RecoverRequest",
                assert_writes_as_serde::<RecoverRequest>,
                format!(r#"{{"wallet":"{WALLET}","device":"{DEVICE}","version":3,"split":"{SPLIT}"}}"#),
            ),
            (
                "RefreshRequest",
                assert_writes_as_serde::<RefreshRequest>,
                format!(
                    r#"{{"wallet":"{WALLET}","device":"{DEVICE}","version":3,"split":"{SPLIT}","share":"{SHARE}","replacePending":"{SPLIT}"}}"#
                ),
            ),
            (
                "CommitRequest",
                assert_writes_as_serde::<CommitRequest>,
                format!(r#"{{"wallet":"{WALLET}","device":"{DEVICE}","version":3,"split":"{SPLIT}"}}"#),
            ),
            (
                "WalletRequest",
                assert_writes_as_serde::<WalletRequest>,
                format!(r#"{{"wallet":"{WALLET}"}}"#),
            ),
            (
                "RevokeRequest",
                assert_writes_as_serde::<RevokeRequest>,
                format!(r#"{{"wallet":"{WALLET}","device":"{DEVICE}"}}"#),
            ),
            (
                "RegisterAuthority",
                assert_writes_as_serde::<RegisterAuthority>,
                format!(r#"{{"wallet":"{WALLET}","authority":"{a}"}}"#),
            ),
            (
                "RecoverWithIntent",
                assert_writes_as_serde::<RecoverWithIntent>,
                format!(
                    r#"{{"wallet":"{WALLET}","device":"{DEVICE}","version":3,"split":"{SPLIT}","intent":{INTENT},"parts":[{INTENT}],"approval":"ev-1","on_screen":true}}"#
                ),
            ),
            (
                "ApprovalRequest",
                assert_writes_as_serde::<ApprovalRequest>,
                format!(r#"{{"wallet":"{WALLET}","device":"{DEVICE}","intent":{INTENT},"parts":[{INTENT}]}}"#),
            ),
            (
                "ActivityReport",
                assert_writes_as_serde::<ActivityReport>,
                format!(
                    r#"{{"wallet":"{WALLET}","device":"{DEVICE}","intent":{INTENT},"decision":"approved_on_screen","rule":{{"layer":"user","id":"r"}}}}"#
                ),
            ),
            (
                "SignedUserRules",
                assert_writes_as_serde::<SignedUserRules>,
                format!(r#"{{"wallet":"{WALLET}","version":2,"rules":"{{}}","signature":"c2ln"}}"#),
            ),
            (
                "ColdCreate (password)",
                assert_writes_as_serde::<ColdCreate>,
                format!(r#"{{"wallet":"{WALLET}",{cold},"authority":"{a}"}}"#),
            ),
            (
                "ColdCreate (automatic)",
                assert_writes_as_serde::<ColdCreate>,
                format!(r#"{{"wallet":"{WALLET}","method":"automatic","params":{{}},"ciphertext":"AQID"}}"#),
            ),
            (
                "ColdReplace",
                assert_writes_as_serde::<ColdReplace>,
                format!(r#"{{"wallet":"{WALLET}",{cold}}}"#),
            ),
            ("ColdRecord", assert_writes_as_serde::<ColdRecord>, format!("{{{cold}}}")),
            (
                "DeviceInfo",
                assert_writes_as_serde::<DeviceInfo>,
                format!(
                    r#"{{"device":"{DEVICE}","label":"phone","ephemeral":false,"version":4,"createdAt":"2026-12-01T00:00:00Z","lastUsedAt":"2026-12-02T00:00:00Z","expiresAt":"2026-12-03T00:00:00Z"}}"#
                ),
            ),
            (
                "ActivityEntry",
                assert_writes_as_serde::<ActivityEntry>,
                format!(
                    r#"{{"id":"a1","at":-5,"decision":"denied","rule":{{"layer":"operator","id":"no-mainnet"}},"reason":"chain 1","device":"{DEVICE}","intent":{INTENT}}}"#
                ),
            ),
        ];
        for (name, check, sample) in cases {
            // A one-field body has no mutation serde reads; the sample is
            // always checked.
            let checked = check(&sample);
            assert!(checked >= 1, "{name}: nothing checked");
        }
    }

    /// Every reason and decision by name, as serde writes it.
    #[test]
    fn names_write_as_serde_writes() {
        for r in Reason::ALL {
            assert_eq!(r.to_json(), serde_json::to_value(r).unwrap());
        }
        for d in Decision::ALL {
            assert_eq!(d.to_json(), serde_json::to_value(d).unwrap());
        }
        for k in [WalletKind::Mnemonic, WalletKind::EvmPrivateKey] {
            assert_eq!(k.to_json(), serde_json::to_value(k).unwrap());
        }
    }
}
