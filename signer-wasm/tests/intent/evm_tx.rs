//! EVM transactions: known answers, malformed calldata, and agreement with
//! the signer on what it refuses.

use super::*;

// ---------- EVM transactions ----------

#[test]
fn evm_transaction_vectors() {
    let file = intent_vector("evm_tx.json");
    let base = context(&file["context"]);
    let key = common::evm_key("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80");
    let vs = list(&file, "vectors");
    assert!(vs.len() >= 19);
    for v in &vs {
        let name = s(&v["name"]);
        let mut ctx = base.clone();
        ctx.chain_id = v["chain_id"].as_u64().unwrap();
        // The signer accepts every vector: what is described can be signed.
        evm::sign_transaction(&key, &v["tx"], ctx.chain_id)
            .unwrap_or_else(|e| panic!("{name}: signer: {e}"));
        let i = intent::describe_evm_transaction(&v["tx"], &ctx)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(i.kind, IntentKind::EvmTransaction);
        assert_eq!(
            codes(&i),
            expected_codes(&v["expect"]),
            "{name}: {:#?}",
            i.warnings
        );
        check_fields(&i.fields, &v["expect"]["fields"], name);
        let data = v["tx"]["data"].as_str().unwrap_or("0x");
        assert_eq!(
            i.raw.as_deref(),
            (data != "0x").then_some(data),
            "{name}: raw data"
        );
    }
}

#[test]
fn truncated_or_malformed_calldata_is_refused() {
    let file = intent_vector("fail_calldata.json");
    let ctx = context(&file["context"]);
    let cases = list(&file, "cases");
    assert!(cases.len() >= 8);
    for c in &cases {
        let r = intent::describe_evm_transaction(&c["tx"], &ctx);
        assert!(is_bad_request(&r), "{}: {r:?}", s(&c["name"]));
    }
}

#[test]
fn every_truncation_of_known_calldata_is_refused() {
    let file = intent_vector("evm_tx.json");
    let ctx = context(&file["context"]);
    let mut checked = 0;
    for v in list(&file, "vectors") {
        let data = v["tx"]["data"].as_str().unwrap_or("0x");
        let bytes = hex::decode(&data[2..]).unwrap();
        let known = bytes.len() >= 4
            && intent::KNOWN_SELECTORS
                .iter()
                .any(|(sel, _)| sel[..] == bytes[..4]);
        if !known {
            continue;
        }
        // Cutting into the head words must fail, whatever the cut.
        for len in 4..4 + 32 * min_words(&bytes[..4]) {
            let mut tx = v["tx"].clone();
            tx["data"] = format!("0x{}", hex::encode(&bytes[..len])).into();
            let r = intent::describe_evm_transaction(&tx, &ctx);
            assert!(is_bad_request(&r), "{} cut to {len}: {r:?}", s(&v["name"]));
            checked += 1;
        }
    }
    assert!(checked > 1000, "{checked}");
}

/// Head words of each known selector.
fn min_words(sel: &[u8]) -> usize {
    match hex::encode(sel).as_str() {
        "a9059cbb" | "095ea7b3" | "39509351" | "a22cb465" => 2,
        "23b872dd" | "42842e0e" => 3,
        "b88d4fde" | "87517c45" => 4,
        "f242432a" => 5,
        other => panic!("{other}"),
    }
}

#[test]
fn transactions_the_signer_refuses_are_refused() {
    let file = common::load("fail_tx.json");
    let mut refused = 0;
    for c in list(&file, "cases") {
        let mut ctx = ctx1();
        ctx.chain_id = c["chain_id"].as_u64().unwrap();
        let r = intent::describe_evm_transaction(&c["request"], &ctx);
        if s(&c["error"]) == "none" {
            assert!(r.is_ok(), "{}: {r:?}", s(&c["name"]));
        } else {
            assert!(is_bad_request(&r), "{}: {r:?}", s(&c["name"]));
            refused += 1;
        }
    }
    assert!(refused >= 20, "{refused}");
}

#[test]
fn signed_transaction_vectors_are_all_described() {
    // Every request the signer's own vectors sign is described, except one
    // whose calldata is a bare `approve` selector: the decoder refuses
    // truncated calldata of a known selector (a Solidity token would revert).
    let mut truncated = Vec::new();
    for name in [
        "tx_eip1559.json",
        "tx_eip2930.json",
        "tx_legacy_eip155.json",
        "tx_legacy_viem.json",
    ] {
        let file = common::load(name);
        for v in list(&file, "vectors") {
            let mut ctx = ctx1();
            ctx.chain_id = v["chain_id"].as_u64().unwrap();
            match intent::describe_evm_transaction(&v["request"], &ctx) {
                Ok(_) => {}
                Err(Error::BadRequest(m)) if m.contains("calldata truncated") => {
                    truncated.push(s(&v["name"]).to_owned());
                }
                Err(e) => panic!("{name} {}: {e}", s(&v["name"])),
            }
        }
    }
    assert_eq!(truncated, ["legacy-polygon-with-data"]);
}

#[test]
fn value_and_fee_without_a_known_network_are_in_wei() {
    let mut ctx = ctx1();
    ctx.chain_id = 999_999;
    let tx = serde_json::json!({"type": "0x2", "nonce": "0x0", "gas": "0x5208", "maxFeePerGas": "0x2", "maxPriorityFeePerGas": "0x1", "to": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", "value": "0xde0b6b3a7640000"});
    let i = intent::describe_evm_transaction(&tx, &ctx).unwrap();
    assert_eq!(
        field(&i.fields, "Value", "wei").value,
        "1000000000000000000 wei"
    );
    assert_eq!(field(&i.fields, "Max fee", "wei").value, "42000 wei");
    assert_eq!(field(&i.fields, "Network", "wei").value, "Chain 999999");
    ctx.chains = intent::ChainList::from_json(
        r#"{"chains":[{"chainId":"0xf423f","chainName":"Test","nativeCurrency":{"name":"Test","symbol":"TST","decimals":18}}]}"#,
    )
    .unwrap();
    let i = intent::describe_evm_transaction(&tx, &ctx).unwrap();
    assert_eq!(field(&i.fields, "Value", "named").value, "1 TST");
}
