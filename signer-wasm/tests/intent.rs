//! The "what you sign" decoders (src/intent/) against known-answer vectors
//! made by independent implementations (tests/vectors/gen/intent.mjs: viem,
//! ethers, @solana/web3.js, @solana/spl-token, and the ERC-4361 examples
//! verbatim), against `fail_*` vectors that must be refused, and against the
//! signer's own vectors: what the signer signs, the decoders describe, and
//! what it refuses, they refuse.

// Tests may panic on unexpected input: that is how they fail.
#![allow(clippy::unwrap_used)]

use alloy_primitives::U256;
use keyframe_signer::intent::{
    self, ChainList, Context, Field, Intent, IntentKind, TokenList, WarningCode, format_units,
    format_unix, parse_rfc3339, parse_siwe,
};
use keyframe_signer::{Error, evm};
use serde_json::Value;

mod common;
#[path = "intent/evm_tx.rs"]
mod evm_tx;
#[path = "intent/policy.rs"]
mod policy;
#[path = "intent/signing.rs"]
mod signing;
#[path = "intent/solana_tx.rs"]
mod solana_tx;

// The lists hot storage serves by default: the decoders are tested against
// what the iFrame is served.
const DEFAULT_TOKENS: &str = include_str!("../../hot-storage-service/defaults/tokens.json");
const DEFAULT_CHAINS: &str = include_str!("../../hot-storage-service/defaults/chains.json");

fn intent_vector(name: &str) -> Value {
    let text = match name {
        "evm_tx.json" => include_str!("vectors/intent/evm_tx.json"),
        "fail_calldata.json" => include_str!("vectors/intent/fail_calldata.json"),
        "typed_data.json" => include_str!("vectors/intent/typed_data.json"),
        "siwe.json" => include_str!("vectors/intent/siwe.json"),
        "fail_siwe.json" => include_str!("vectors/intent/fail_siwe.json"),
        "solana_tx.json" => include_str!("vectors/intent/solana_tx.json"),
        "fail_solana_ix.json" => include_str!("vectors/intent/fail_solana_ix.json"),
        other => panic!("unknown vector file {other}"),
    };
    let v: Value = serde_json::from_str(text).unwrap();
    assert!(
        v["source"].as_str().is_some_and(|s| s.len() > 20),
        "{name} must name its source"
    );
    v
}

fn s(v: &Value) -> &str {
    v.as_str()
        .unwrap_or_else(|| panic!("expected a string, got {v}"))
}

fn list(v: &Value, key: &str) -> Vec<Value> {
    v[key]
        .as_array()
        .unwrap_or_else(|| panic!("no {key}"))
        .clone()
}

fn tokens() -> TokenList {
    TokenList::from_json(DEFAULT_TOKENS).unwrap()
}

fn chains() -> ChainList {
    ChainList::from_json(DEFAULT_CHAINS).unwrap()
}

fn context(c: &Value) -> Context {
    Context {
        origin: s(&c["origin"]).to_owned(),
        evm_address: c["evm_address"]
            .as_str()
            .map(|a| evm::parse_address("ctx", a).unwrap()),
        solana_address: None,
        chain_id: c["chain_id"].as_u64().unwrap(),
        chains: chains(),
        now: c["now"].as_u64().unwrap(),
        tokens: tokens(),
    }
}

fn codes(i: &Intent) -> Vec<String> {
    i.warnings
        .iter()
        .map(|w| {
            serde_json::to_value(w.code)
                .unwrap()
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

fn expected_codes(e: &Value) -> Vec<String> {
    list(e, "warnings")
        .iter()
        .map(|c| s(c).to_owned())
        .collect()
}

/// The value of the field labelled `label` among `fields`.
fn field<'a>(fields: &'a [Field], label: &str, what: &str) -> &'a Field {
    fields
        .iter()
        .find(|f| f.label == label)
        .unwrap_or_else(|| panic!("{what}: no field {label:?} in {fields:#?}"))
}

fn check_fields(fields: &[Field], want: &Value, what: &str) {
    for (label, value) in want.as_object().unwrap() {
        assert_eq!(
            field(fields, label, what).value,
            s(value),
            "{what}: field {label}"
        );
    }
}

fn is_bad_request(r: &Result<Intent, Error>) -> bool {
    matches!(r, Err(Error::BadRequest(_)))
}

// ---------- amounts, dates, selectors, token list ----------

#[test]
fn amounts_are_exact() {
    let u = |x: &str| U256::from_str_radix(x, 10).unwrap();
    assert_eq!(format_units(u("1500000000000000000"), 18), "1.5");
    assert_eq!(format_units(u("1"), 18), "0.000000000000000001");
    assert_eq!(format_units(u("0"), 18), "0");
    assert_eq!(format_units(u("1000000"), 6), "1");
    assert_eq!(format_units(u("123456789"), 6), "123.456789");
    assert_eq!(format_units(u("100"), 0), "100");
    assert_eq!(format_units(u("10"), 1), "1");
    // 2^256 − 1 has 78 digits; every one of them is kept.
    assert_eq!(
        format_units(U256::MAX, 18),
        "115792089237316195423570985008687907853269984665640564039457.584007913129639935"
    );
}

#[test]
fn dates_are_utc_and_rfc3339_is_strict() {
    assert_eq!(format_unix(0), "1970-01-01 00:00:00 UTC");
    assert_eq!(format_unix(1_700_000_000), "2023-11-14 22:13:20 UTC");
    assert_eq!(format_unix(951_782_400), "2000-02-29 00:00:00 UTC");
    assert_eq!(format_unix(253_402_300_799), "9999-12-31 23:59:59 UTC");
    assert!(format_unix(253_402_300_800).starts_with("after the year 9999"));
    assert_eq!(parse_rfc3339("2021-09-30T16:25:24Z"), Some(1_633_019_124));
    assert_eq!(
        parse_rfc3339("2021-09-30T18:25:24.5+02:00"),
        Some(1_633_019_124)
    );
    assert_eq!(
        parse_rfc3339("2021-09-30T11:25:24-05:00"),
        Some(1_633_019_124)
    );
    for bad in [
        "2021-09-30 16:25:24Z",
        "2021-02-29T00:00:00Z",
        "2021-09-30T24:00:00Z",
        "2021-09-30T16:25:24",
        "2021-09-30T16:25:24.Z",
        "2021-09-30T16:25:24+0200",
        "21-09-30T16:25:24Z",
    ] {
        assert_eq!(parse_rfc3339(bad), None, "{bad}");
    }
}

#[test]
fn selector_constants_are_keccak_of_their_signatures() {
    use sha3::{Digest, Keccak256};
    assert_eq!(intent::KNOWN_SELECTORS.len(), 9);
    for (sel, sig) in intent::KNOWN_SELECTORS {
        let h = Keccak256::digest(sig.as_bytes());
        assert_eq!(&h[..4], sel, "{sig}");
    }
}

#[test]
fn default_token_list_covers_five_networks_and_not_the_local_chain() {
    let raw: Value = serde_json::from_str(DEFAULT_TOKENS).unwrap();
    let t = tokens();
    assert_eq!(t.len(), raw["tokens"].as_array().unwrap().len());
    for chain in [1u64, 8453, 10, 42161, 137] {
        let symbols: Vec<&str> = raw["tokens"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|x| x["chainId"].as_u64() == Some(chain))
            .map(|x| s(&x["symbol"]))
            .collect();
        for want in ["USDC", "USDT", "DAI", "WETH"] {
            assert!(symbols.contains(&want), "chain {chain} lacks {want}");
        }
    }
    assert!(
        !raw["tokens"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["chainId"].as_u64() == Some(31337))
    );
}

#[test]
fn token_lists_that_would_guess_are_refused() {
    let one = |addr: &str, sym: &str, chain: u64| {
        format!(
            r#"{{"chainId":{chain},"address":"{addr}","symbol":"{sym}","decimals":6,"name":"x"}}"#
        )
    };
    let usdc = "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48";
    let ok = format!(r#"{{"tokens":[{}]}}"#, one(usdc, "USDC", 1));
    assert_eq!(TokenList::from_json(&ok).unwrap().len(), 1);
    for bad in [
        // Bad EIP-55 checksum.
        format!(
            r#"{{"tokens":[{}]}}"#,
            one("0xa0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48", "USDC", 1)
        ),
        // One address, two names.
        format!(
            r#"{{"tokens":[{},{}]}}"#,
            one(usdc, "USDC", 1),
            one(usdc, "FAKE", 1)
        ),
        // A symbol that is not short printable ASCII.
        format!(r#"{{"tokens":[{}]}}"#, one(usdc, "US\u{202e}DC", 1)),
        format!(r#"{{"tokens":[{}]}}"#, one(usdc, "", 1)),
        r#"{"tokens":[{"chainId":1}]}"#.to_owned(),
        "[]".to_owned(),
    ] {
        assert!(TokenList::from_json(&bad).is_err(), "{bad}");
    }
    // The same address on two chains is two tokens.
    let two = format!(
        r#"{{"tokens":[{},{}]}}"#,
        one(usdc, "USDC", 1),
        one(usdc, "USDC", 5)
    );
    assert_eq!(TokenList::from_json(&two).unwrap().len(), 2);
}

// ---------- EIP-191 ----------

fn ctx1() -> Context {
    Context {
        origin: "https://example.com".into(),
        evm_address: Some(
            evm::parse_address("me", "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266").unwrap(),
        ),
        chain_id: 1,
        now: 1_700_000_000,
        tokens: tokens(),
        chains: chains(),
        ..Context::default()
    }
}

#[test]
fn personal_sign_text_or_hex() {
    let ctx = ctx1();
    let i = intent::describe_personal_sign("Hello ✓\nline two".as_bytes(), &ctx);
    assert_eq!(i.kind, IntentKind::Message);
    assert_eq!(i.fields[0].value, "Hello ✓\nline two");
    assert!(i.warnings.is_empty());

    for bytes in [
        &[0x00u8, 0xff, 0x19][..],
        &[0xc3, 0x28][..],               // invalid UTF-8
        "a\u{7}b".as_bytes(),            // control character
        "pay \u{202e}evil".as_bytes(),   // right-to-left override
        "a\u{2066}b\u{2069}".as_bytes(), // isolate
    ] {
        let i = intent::describe_personal_sign(bytes, &ctx);
        assert_eq!(i.fields[0].label, "Message (hex)", "{bytes:?}");
        assert_eq!(i.fields[0].value, format!("0x{}", hex::encode(bytes)));
        assert_eq!(codes(&i), ["BINARY_MESSAGE"]);
    }
    let empty = intent::describe_personal_sign(b"", &ctx);
    assert_eq!(empty.fields[0].value, "");
}

#[test]
fn solana_sign_message_text_or_hex() {
    let ctx = ctx1();
    let i = intent::describe_solana_message(b"Sign in to Keyframe", &ctx);
    assert_eq!(i.kind, IntentKind::SolanaMessage);
    assert_eq!(i.fields[0].value, "Sign in to Keyframe");
    let h = intent::describe_solana_message(&[1, 2, 0xff], &ctx);
    assert_eq!(h.fields[0].value, "0x0102ff");
    assert_eq!(codes(&h), ["BINARY_MESSAGE"]);
}

// ---------- EIP-4361 ----------

#[test]
fn siwe_vectors_parse_and_warn() {
    let file = intent_vector("siwe.json");
    let vs = list(&file, "vectors");
    assert!(vs.len() >= 10);
    for v in &vs {
        let name = s(&v["name"]);
        let msg = s(&v["message"]);
        let e = &v["expect"];
        let m = parse_siwe(msg).unwrap_or_else(|err| panic!("{name}: {err}"));
        assert_eq!(m.domain, s(&e["domain"]), "{name}");
        assert_eq!(m.scheme.as_deref(), e["scheme"].as_str(), "{name}");
        assert_eq!(
            evm::checksum_address(&m.address),
            s(&e["address"]),
            "{name}"
        );
        assert_eq!(m.statement.as_deref(), e["statement"].as_str(), "{name}");
        assert_eq!(m.uri, s(&e["uri"]), "{name}");
        assert_eq!(m.version, s(&e["version"]), "{name}");
        assert_eq!(m.chain_id, e["chain_id"].as_u64().unwrap(), "{name}");
        assert_eq!(m.nonce, s(&e["nonce"]), "{name}");
        assert_eq!(m.issued_at, s(&e["issued_at"]), "{name}");
        assert_eq!(
            m.expiration_time.as_deref(),
            e["expiration_time"].as_str(),
            "{name}"
        );
        assert_eq!(m.not_before.as_deref(), e["not_before"].as_str(), "{name}");
        assert_eq!(m.request_id.as_deref(), e["request_id"].as_str(), "{name}");
        let res: Vec<&str> = e["resources"].as_array().unwrap().iter().map(s).collect();
        assert_eq!(m.resources, res, "{name}");

        let i = intent::describe_personal_sign(msg.as_bytes(), &context(&v["context"]));
        assert_eq!(i.kind, IntentKind::SignIn, "{name}");
        assert_eq!(i.title, "Sign in");
        assert_eq!(codes(&i), expected_codes(e), "{name}: {:#?}", i.warnings);
        assert_eq!(field(&i.fields, "Nonce", name).value, m.nonce);
    }
}

#[test]
fn malformed_siwe_is_plain_text_with_a_warning() {
    let file = intent_vector("fail_siwe.json");
    let cases = list(&file, "cases");
    assert!(cases.len() >= 15);
    let ctx = ctx1();
    for c in &cases {
        let name = s(&c["name"]);
        let msg = s(&c["message"]);
        assert!(
            matches!(parse_siwe(msg), Err(Error::BadRequest(_))),
            "{name} must not parse"
        );
        let i = intent::describe_personal_sign(msg.as_bytes(), &ctx);
        assert_eq!(i.kind, IntentKind::Message, "{name}");
        assert_eq!(codes(&i), ["SIWE_MALFORMED"], "{name}");
        assert_eq!(i.fields[0].value, msg, "{name}: shown as the text it is");
    }
}

// ---------- EIP-712 ----------

#[test]
fn typed_data_vectors() {
    let file = intent_vector("typed_data.json");
    let ctx = context(&file["context"]);
    let vs = list(&file, "vectors");
    assert_eq!(vs.len(), 8);
    for v in &vs {
        let name = s(&v["name"]);
        let json = serde_json::to_string(&v["typed_data"]).unwrap();
        // The signer hashes the document exactly as viem and ethers did.
        let h = evm::typed_data_hash(&json, Some(1)).unwrap();
        assert_eq!(format!("0x{}", hex::encode(h)), s(&v["hash"]), "{name}");
        let i = intent::describe_typed_data(&json, &ctx).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(i.kind, IntentKind::TypedData);
        let e = &v["expect"];
        assert_eq!(codes(&i), expected_codes(e), "{name}: {:#?}", i.warnings);
        match e["summary"].as_str() {
            Some(want) => {
                let got = i
                    .summary
                    .as_deref()
                    .unwrap_or_else(|| panic!("{name}: no summary"));
                assert!(
                    got.starts_with(want),
                    "{name}: {got:?} does not start with {want:?}"
                );
            }
            None => assert_eq!(i.summary, None, "{name}"),
        }
        assert_eq!(
            field(&i.fields, "Primary type", name).value,
            s(&v["typed_data"]["primaryType"])
        );
        let domain = field(&i.fields, "Domain", name);
        if let Some(n) = v["typed_data"]["domain"]["name"].as_str() {
            assert_eq!(field(&domain.children, "Name", name).value, n);
        }
    }
}

#[test]
fn typed_data_message_is_a_tree_in_declared_order() {
    let file = intent_vector("typed_data.json");
    let ctx = context(&file["context"]);
    let v = list(&file, "vectors")
        .into_iter()
        .find(|v| v["name"] == "permit2-permit-batch")
        .unwrap();
    let i = intent::describe_typed_data(&serde_json::to_string(&v["typed_data"]).unwrap(), &ctx)
        .unwrap();
    let msg = field(&i.fields, "Message", "batch");
    assert_eq!(msg.value, "PermitBatch");
    let labels: Vec<&str> = msg.children.iter().map(|f| f.label.as_str()).collect();
    assert_eq!(labels, ["details", "spender", "sigDeadline"]);
    let details = &msg.children[0];
    assert_eq!(details.value, "PermitDetails[] (2 items)");
    assert_eq!(details.children[0].children[1].label, "amount");
    assert_eq!(details.children[0].children[1].value, "2500000");
    assert_eq!(
        field(
            &field(&i.fields, "Domain", "batch").children,
            "Verifying contract",
            "batch"
        )
        .value,
        "0x000000000022D473030F116dDEE9F6B43aC78BA3"
    );
}

#[test]
fn a_permit_with_an_extra_field_is_not_said_as_a_permit() {
    let file = intent_vector("typed_data.json");
    let ctx = context(&file["context"]);
    let mut v = list(&file, "vectors")
        .into_iter()
        .find(|v| v["name"] == "erc2612-permit-usdc")
        .unwrap();
    let td = &mut v["typed_data"];
    td["types"]["Permit"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({"name": "memo", "type": "string"}));
    td["message"]["memo"] = "x".into();
    let i = intent::describe_typed_data(&serde_json::to_string(td).unwrap(), &ctx).unwrap();
    assert_eq!(i.summary, None);
    assert!(codes(&i).is_empty());
}

#[test]
fn typed_data_the_signer_refuses_is_refused() {
    let file = common::load("fail_typed_data.json");
    let ctx = ctx1();
    let mut n = 0;
    for c in list(&file, "cases") {
        let json = s(&c["typed_data"]);
        let mut ctx = ctx.clone();
        ctx.chain_id = c["chain_id"].as_u64().unwrap_or(1);
        let signer = evm::typed_data_hash(json, c["chain_id"].as_u64().or(Some(1)));
        let decoded = intent::describe_typed_data(json, &ctx);
        assert_eq!(signer.is_ok(), decoded.is_ok(), "{}", s(&c["name"]));
        n += usize::from(decoded.is_err());
    }
    assert!(n >= 10, "{n}");
}

// ---------- output shape ----------

#[test]
fn intents_serialise_with_stable_codes() {
    let file = intent_vector("evm_tx.json");
    let ctx = context(&file["context"]);
    let v = list(&file, "vectors")
        .into_iter()
        .find(|v| v["name"] == "erc20-approve-unlimited")
        .unwrap();
    let i = intent::describe_evm_transaction(&v["tx"], &ctx).unwrap();
    let j = serde_json::to_value(&i).unwrap();
    assert_eq!(j["kind"], "evm_transaction");
    assert_eq!(j["title"], "Sign transaction");
    assert_eq!(j["warnings"][0]["code"], "UNLIMITED_APPROVAL");
    assert_eq!(j["warnings"][1]["code"], "APPROVAL");
    assert!(
        j["summary"]
            .as_str()
            .unwrap()
            .starts_with("Lets 0x70997970C51812dc3A010C7d01b50e0d17dc79C8 spend Unlimited USDC")
    );
    assert!(j["fields"][0]["label"].is_string() && j["fields"][0].get("children").is_none());
}

#[test]
fn every_warning_code_is_documented() {
    let doc = include_str!("../../docs/intent.md");
    let all = [
        WarningCode::UnlimitedApproval,
        WarningCode::Approval,
        WarningCode::ApprovalForAll,
        WarningCode::SiweDomainMismatch,
        WarningCode::SiweAddressMismatch,
        WarningCode::SiweChainMismatch,
        WarningCode::SiweExpired,
        WarningCode::SiweNotYetValid,
        WarningCode::SiweMalformed,
        WarningCode::NoChainId,
        WarningCode::ContractCreation,
        WarningCode::UnknownContractCall,
        WarningCode::UnknownProgram,
        WarningCode::UnknownInstruction,
        WarningCode::UnresolvedLookupAccounts,
        WarningCode::BinaryMessage,
    ];
    for c in all {
        let code = serde_json::to_value(c).unwrap();
        let code = code.as_str().unwrap();
        assert!(
            doc.contains(&format!("| `{code}` |")),
            "{code} is not in docs/intent.md"
        );
    }
}

#[test]
fn typed_data_strings_with_bidi_controls_are_escaped() {
    let td = r#"{"types":{"EIP712Domain":[{"name":"name","type":"string"},{"name":"chainId","type":"uint256"}],
        "Note":[{"name":"text","type":"string"}]},"primaryType":"Note",
        "domain":{"name":"Safe\u202eevil","chainId":1},"message":{"text":"pay 1\u202e0"}}"#;
    let i = intent::describe_typed_data(td, &ctx1()).unwrap();
    let domain = field(&i.fields, "Domain", "bidi");
    assert_eq!(
        field(&domain.children, "Name", "bidi").value,
        "Safe\\u{202e}evil"
    );
    let msg = field(&i.fields, "Message", "bidi");
    assert_eq!(msg.children[0].value, "pay 1\\u{202e}0");
}
