//! The policy's JSON types decoded by hand (keyframe-json), for the
//! signer's WASM: the same answers as their serde derive, which the tests
//! below hold them to, without a copy of serde_json's parser per type
//! (bench/SIZE.md). The services and the CLI keep serde.

use keyframe_json::{DecodeError, FromJson, Value, decode_struct, named, one_of, str_of};

use crate::document::{Limit, Rule, TimeOfDay, TokenMatch, TypedMatch, When};
use crate::{
    Amount, Approval, Document, Effect, Intent, Kind, Layer, RuleRef, TokenAmount, TokenTransfer,
    TypedData, Usage,
};

impl FromJson for Amount {
    fn from_json(value: &Value) -> Result<Self, DecodeError> {
        Amount::parse(str_of(value)?).ok_or(DecodeError::Invalid)
    }
}

impl FromJson for Effect {
    fn from_json(value: &Value) -> Result<Self, DecodeError> {
        use Effect::*;
        named(value, &[Allow, Ask, Approve, Deny], Effect::as_str)
    }
}

impl FromJson for Kind {
    fn from_json(value: &Value) -> Result<Self, DecodeError> {
        use Kind::*;
        let all = [
            EvmMessage,
            EvmTypedData,
            EvmTransaction,
            SolanaMessage,
            SolanaTransaction,
        ];
        named(value, &all, Kind::as_str)
    }
}

impl FromJson for Layer {
    fn from_json(value: &Value) -> Result<Self, DecodeError> {
        one_of(
            value,
            &["operator", "user"],
            &[Layer::Operator, Layer::User],
        )
    }
}

decode_struct!(
    Document,
    strict {
        version: req("version"),
        default: req("default"),
        rules: or_default("rules"),
    }
);

decode_struct!(
    Rule,
    strict {
        id: req("id"),
        effect: req("effect"),
        silent: or_default("silent"),
        when: or_default("when"),
        limits: or_default("limits"),
    }
);

decode_struct!(
    When,
    strict {
        kinds: opt("kinds"),
        chains: opt("chains"),
        origins: opt("origins"),
        to: opt("to"),
        not_to: opt("not_to"),
        to_contracts: opt("to_contracts"),
        selectors: opt("selectors"),
        contract_call: opt("contract_call"),
        value_at_most: opt("value_at_most"),
        value_at_least: opt("value_at_least"),
        token_transfers: opt("token_transfers"),
        token_transfer_count_at_most: opt("token_transfer_count_at_most"),
        approvals: opt("approvals"),
        spenders: opt("spenders"),
        spenders_not_in: opt("spenders_not_in"),
        approval_at_most: opt("approval_at_most"),
        typed_data: opt("typed_data"),
        siwe_domains: opt("siwe_domains"),
        siwe: opt("siwe"),
        programs: opt("programs"),
        lamports_at_most: opt("lamports_at_most"),
        lamports_at_least: opt("lamports_at_least"),
        fee_at_most: opt("fee_at_most"),
        time_of_day: opt("time_of_day"),
        until: opt("until"),
    }
);

decode_struct!(
    TokenMatch,
    strict {
        token: opt("token"),
        to: opt("to"),
        at_most: opt("at_most"),
        at_least: opt("at_least"),
    }
);

decode_struct!(
    TypedMatch,
    strict {
        names: opt("names"),
        verifying_contracts: opt("verifying_contracts"),
        primary_types: opt("primary_types"),
    }
);

decode_struct!(
    TimeOfDay,
    strict {
        from: req("from"),
        to: req("to"),
    }
);

decode_struct!(
    Limit,
    strict {
        window: req("window"),
        value_at_most: opt("value_at_most"),
        lamports_at_most: opt("lamports_at_most"),
        count_at_most: opt("count_at_most"),
        token: opt("token"),
        amount_at_most: opt("amount_at_most"),
    }
);

decode_struct!(
    TokenTransfer,
    strict {
        token: req("token"),
        to: req("to"),
        amount: req("amount"),
    }
);

decode_struct!(
    Approval,
    strict {
        token: req("token"),
        spender: req("spender"),
        amount: opt("amount"),
    }
);

decode_struct!(
    TypedData,
    strict {
        name: opt("name"),
        version: opt("version"),
        chain_id: opt("chain_id"),
        verifying_contract: opt("verifying_contract"),
        primary_type: req("primary_type"),
    }
);

decode_struct!(
    Intent,
    strict {
        kind: req("kind"),
        chain: opt("chain"),
        origin: opt("origin"),
        to: opt("to"),
        value: or_default("value"),
        selector: opt("selector"),
        token_transfers: or_default("token_transfers"),
        approvals: or_default("approvals"),
        typed_data: opt("typed_data"),
        siwe_domain: opt("siwe_domain"),
        programs: or_default("programs"),
        lamports: or_default("lamports"),
        max_fee: opt("max_fee"),
        raw_digest: or_default("raw_digest"),
    }
);

decode_struct!(
    TokenAmount,
    strict {
        token: req("token"),
        amount: req("amount"),
    }
);

decode_struct!(
    Usage,
    strict {
        layer: req("layer"),
        rule: req("rule"),
        at: req("at"),
        value: or_default("value"),
        lamports: or_default("lamports"),
        tokens: or_default("tokens"),
        count: or_else("count", || 1),
    }
);

decode_struct!(
    RuleRef,
    strict {
        layer: req("layer"),
        id: req("id"),
    }
);

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use keyframe_json::parity::assert_parity;

    /// Every field of a document set, each list non-empty.
    const DOCUMENT: &str = r#"{"version":1,"default":"ask","rules":[
        {"id":"no-mainnet","effect":"deny","when":{"chains":[1]}},
        {"id":"all","effect":"approve","silent":true,"when":{
            "kinds":["evm_transaction","solana_message"],"chains":[8453],
            "origins":["https://app.example"],"to":["0x1"],"not_to":["0x2"],
            "to_contracts":["0x3"],"selectors":["0xa9059cbb"],"contract_call":true,
            "value_at_most":"10","value_at_least":"1",
            "token_transfers":[{"token":"0x4","to":["0x5"],"at_most":"9","at_least":"2"}],
            "token_transfer_count_at_most":2,"approvals":false,"spenders":["0x6"],"spenders_not_in":["0x7"],
            "approval_at_most":"8",
            "typed_data":{"names":["Permit2"],"verifying_contracts":["0x8"],"primary_types":["PermitSingle"]},
            "siwe_domains":["example.com"],"siwe":true,"programs":["11111111111111111111111111111111"],
            "lamports_at_most":"5","lamports_at_least":"1","fee_at_most":"21000",
            "time_of_day":{"from":"22:00","to":"06:00"},"until":1900000000},
         "limits":[{"window":"24h","value_at_most":"200"},{"window":"7d","count_at_most":3},
                   {"window":"1h","token":"0x4","amount_at_most":"7","lamports_at_most":"1"}]}]}"#;

    const INTENT: &str = r#"{"kind":"evm_transaction","chain":1,"origin":"https://app.example",
        "to":"0x1","value":"5","selector":"0xa9059cbb",
        "token_transfers":[{"token":"0x4","to":"0x5","amount":"12"}],
        "approvals":[{"token":"0x4","spender":"0x6","amount":"3"},{"token":"0x9","spender":"0x6"}],
        "typed_data":{"name":"Permit2","version":"1","chain_id":1,"verifying_contract":"0x8","primary_type":"PermitSingle"},
        "siwe_domain":"example.com","programs":["p"],"lamports":"7","max_fee":"42000","raw_digest":true}"#;

    const USAGE: &str = r#"{"layer":"user","rule":"small","at":1700000000,"value":"5",
        "lamports":"6","tokens":[{"token":"0x4","amount":"7"}],"count":3}"#;

    #[test]
    fn documents_decode_as_serde_does() {
        assert!(assert_parity::<Document>(DOCUMENT) > 1000);
        assert_parity::<Document>(r#"{"version":1,"default":"deny"}"#);
        let by_hand: Document = keyframe_json::decode(DOCUMENT).unwrap();
        assert_eq!(by_hand, serde_json::from_str(DOCUMENT).unwrap());
    }

    #[test]
    fn intents_decode_as_serde_does() {
        assert!(assert_parity::<Intent>(INTENT) > 500);
        assert_parity::<Intent>(r#"{"kind":"solana_message"}"#);
        let by_hand: Intent = keyframe_json::decode(INTENT).unwrap();
        assert_eq!(by_hand, serde_json::from_str(INTENT).unwrap());
    }

    #[test]
    fn usage_and_rule_refs_decode_as_serde_does() {
        assert_parity::<Usage>(USAGE);
        assert_parity::<Usage>(r#"{"layer":"operator","rule":"r","at":0}"#);
        let by_hand: Usage =
            keyframe_json::decode(r#"{"layer":"operator","rule":"r","at":0}"#).unwrap();
        assert_eq!(by_hand.count, 1);
        assert_parity::<RuleRef>(r#"{"layer":"operator","id":"no-mainnet"}"#);
    }

    #[test]
    fn amounts_decode_as_serde_does() {
        for text in [
            r#""0""#,
            r#""115792089237316195423570985008687907853269984665640564039457584007913129639935""#,
            r#""115792089237316195423570985008687907853269984665640564039457584007913129639936""#,
            r#""-1""#,
            r#""01""#,
            r#""1e3""#,
            r#""""#,
            "1",
            "null",
        ] {
            keyframe_json::parity::check::<Amount>(text);
        }
    }

    /// The documents and intents of tests/vectors/policy (the refused
    /// documents of `fail_*.json` among them) decode the same both ways.
    #[test]
    fn the_policy_vectors_decode_as_serde_does() {
        use keyframe_json::parity::check;
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/vectors/policy");
        let mut seen = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "json") {
                continue;
            }
            let v: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            let cases = v["cases"].as_array().unwrap();
            for doc in [&v["policy"], &v["user_policy"]]
                .into_iter()
                .chain(cases.iter().map(|c| &c["policy"]))
                .filter(|d| !d.is_null())
            {
                check::<Document>(&doc.to_string());
                seen += 1;
            }
            for intent in cases.iter().map(|c| &c["intent"]).filter(|i| !i.is_null()) {
                check::<Intent>(&intent.to_string());
                seen += 1;
            }
        }
        assert!(seen > 40, "only {seen} documents and intents read");
    }
}
