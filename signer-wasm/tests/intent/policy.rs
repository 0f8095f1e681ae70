//! src/intent/policy.rs: real requests (the decoders' own vectors) mapped
//! to the policy's intent, and judged by a policy, so a mapping that drops
//! a token movement, an approval or a domain fails here.

use super::*;
use keyframe_policy::{Effect, Kind, Layers, Policy, evaluate};
use keyframe_signer::intent::policy as pi;

fn evm_vector(file: &str, name: &str) -> Value {
    list(&intent_vector(file), "vectors")
        .into_iter()
        .find(|v| v["name"] == name)
        .unwrap_or_else(|| panic!("no vector {name}"))
}

fn judge(policy: &str, i: &keyframe_policy::Intent) -> (Effect, Option<String>) {
    let p = Policy::from_json(policy).unwrap();
    let e = evaluate(
        &Layers {
            operator: &p,
            user: None,
        },
        i,
        &[],
        1_700_000_000,
    );
    (e.effect, e.deciding_rule.map(|r| r.id))
}

const USDC: &str = "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48";
const SPENDER: &str = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8";

#[test]
fn a_usdc_transfer_maps_to_its_token_movement() {
    let v = evm_vector("evm_tx.json", "erc20-transfer-usdc");
    let i = pi::evm_transaction_intent(&v["tx"], &ctx1()).unwrap();
    assert_eq!(i.kind, Kind::EvmTransaction);
    assert_eq!(i.chain, Some(1));
    assert_eq!(i.origin.as_deref(), Some("https://example.com"));
    assert_eq!(i.to.as_deref(), Some(USDC));
    assert_eq!(i.selector.as_deref(), Some("0xa9059cbb"));
    assert!(i.value.is_zero() && i.approvals.is_empty());
    assert_eq!(i.token_transfers.len(), 1);
    let t = &i.token_transfers[0];
    assert_eq!(
        (
            t.token.as_str(),
            t.to.as_str(),
            t.amount.to_string().as_str()
        ),
        (
            USDC,
            "0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc",
            "1234560000"
        )
    );
    let policy = format!(
        r#"{{"version":1,"default":"ask","rules":[
        {{"id":"small-usdc","effect":"allow","when":{{"token_transfers":[{{"token":"{USDC}","at_most":"1000000000"}}]}}}},
        {{"id":"big-usdc","effect":"approve","when":{{"to_contracts":["0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48"],"selectors":["0xa9059cbb"]}}}}]}}"#
    );
    assert_eq!(
        judge(&policy, &i),
        (Effect::Approve, Some("big-usdc".into()))
    );
}

#[test]
fn approvals_map_with_their_spender_and_amount() {
    let ctx = ctx1();
    let unlimited = pi::evm_transaction_intent(
        &evm_vector("evm_tx.json", "erc20-approve-unlimited")["tx"],
        &ctx,
    )
    .unwrap();
    assert_eq!(unlimited.approvals.len(), 1);
    let a = &unlimited.approvals[0];
    assert_eq!((a.token.as_str(), a.spender.as_str()), (USDC, SPENDER));
    assert_eq!(a.amount, Some(keyframe_policy::Amount::MAX));
    assert!(unlimited.token_transfers.is_empty());

    let zero = pi::evm_transaction_intent(
        &evm_vector("evm_tx.json", "erc20-approve-zero-is-no-approval")["tx"],
        &ctx,
    )
    .unwrap();
    assert!(zero.approvals.is_empty(), "approve(…, 0) revokes");

    let all = pi::evm_transaction_intent(
        &evm_vector("evm_tx.json", "erc721-setApprovalForAll-true")["tx"],
        &ctx,
    )
    .unwrap();
    assert_eq!(all.approvals[0].amount, None);
    assert_eq!(all.approvals[0].spender, SPENDER);

    let p2 = pi::evm_transaction_intent(
        &evm_vector("evm_tx.json", "permit2-approve-unlimited")["tx"],
        &ctx,
    )
    .unwrap();
    assert_eq!(p2.approvals[0].token, USDC);
    assert_eq!(
        p2.approvals[0].amount.unwrap().to_string(),
        "1461501637330902918203684832716283019655932542975"
    );

    let policy = r#"{"version":1,"default":"allow","rules":[
        {"id":"no-unknown-spenders","effect":"deny","when":{"spenders_not_in":["0x3fC91A3afd70395Cd496C647d5a6CC9D4B2b7FAD"]}}]}"#;
    for i in [&unlimited, &all, &p2] {
        assert_eq!(
            judge(policy, i),
            (Effect::Deny, Some("no-unknown-spenders".into()))
        );
    }
    assert_eq!(judge(policy, &zero), (Effect::Allow, None));
}

#[test]
fn a_permit_maps_to_its_domain_and_its_approval() {
    let ctx = ctx1();
    let v = evm_vector("typed_data.json", "erc2612-permit-usdc");
    let json = serde_json::to_string(&v["typed_data"]).unwrap();
    let i = pi::typed_data_intent(&json, &ctx).unwrap();
    assert_eq!(i.kind, Kind::EvmTypedData);
    let td = i.typed_data.as_ref().unwrap();
    assert_eq!(td.name.as_deref(), Some("USD Coin"));
    assert_eq!(td.version.as_deref(), Some("2"));
    assert_eq!(td.chain_id, Some(1));
    assert_eq!(td.verifying_contract.as_deref(), Some(USDC));
    assert_eq!(td.primary_type, "Permit");
    assert_eq!(i.approvals.len(), 1);
    assert_eq!(
        (
            i.approvals[0].token.as_str(),
            i.approvals[0].spender.as_str()
        ),
        (USDC, SPENDER)
    );
    assert_eq!(i.approvals[0].amount.unwrap().to_string(), "1000000");

    let single = evm_vector("typed_data.json", "permit2-permit-single");
    let i2 = pi::typed_data_intent(&serde_json::to_string(&single["typed_data"]).unwrap(), &ctx)
        .unwrap();
    assert_eq!(i2.typed_data.as_ref().unwrap().primary_type, "PermitSingle");
    assert_eq!(i2.approvals[0].spender, SPENDER);
    let policy = r#"{"version":1,"default":"ask","rules":[
        {"id":"permit2","effect":"allow","when":{"typed_data":{"names":["Permit2"],"primary_types":["PermitSingle"]},"approval_at_most":"1"}},
        {"id":"usdc-permits","effect":"approve","when":{"typed_data":{"verifying_contracts":["0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48"]}}}]}"#;
    assert_eq!(
        judge(policy, &i),
        (Effect::Approve, Some("usdc-permits".into()))
    );
    assert_eq!(
        judge(policy, &i2),
        (Effect::Ask, None),
        "an unlimited Permit2 grant is over 1"
    );

    // A document the signer refuses is refused here too.
    assert!(pi::typed_data_intent("{}", &ctx).is_err());
}

#[test]
fn siwe_carries_its_domain_and_other_messages_none() {
    let v = evm_vector("siwe.json", "erc4361-example-implicit-scheme");
    let ctx = context(&v["context"]);
    let i = pi::personal_sign_intent(s(&v["message"]).as_bytes(), &ctx);
    assert_eq!(
        (i.kind, i.siwe_domain.as_deref()),
        (Kind::EvmMessage, Some("example.com"))
    );
    let port = evm_vector("siwe.json", "erc4361-example-port");
    let ip = pi::personal_sign_intent(s(&port["message"]).as_bytes(), &context(&port["context"]));
    assert_eq!(ip.siwe_domain.as_deref(), Some("example.com:3388"));
    let plain = pi::personal_sign_intent(b"hello", &ctx);
    assert_eq!(
        (plain.kind, plain.siwe_domain.as_deref(), plain.raw_digest),
        (Kind::EvmMessage, None, false)
    );
    let policy = r#"{"version":1,"default":"ask","rules":[{"id":"sign-in","effect":"allow","when":{"siwe_domains":["example.com"]}}]}"#;
    assert_eq!(judge(policy, &i), (Effect::Allow, Some("sign-in".into())));
    assert_eq!(judge(policy, &ip), (Effect::Ask, None));
    assert_eq!(judge(policy, &plain), (Effect::Ask, None));
}

#[test]
fn a_raw_digest_is_never_allowed() {
    let i = pi::raw_digest_intent(&ctx1());
    assert!(i.raw_digest);
    let policy = r#"{"version":1,"default":"allow","rules":[{"id":"all","effect":"allow"}]}"#;
    assert_eq!(judge(policy, &i), (Effect::Deny, None));
}

fn sol_ctx(file: &Value) -> Context {
    let mut ctx = ctx1();
    let me = bs58::decode(s(&file["signer"])).into_vec().unwrap();
    ctx.solana_address = Some(me.try_into().unwrap());
    ctx
}

fn sol_intent(name: &str) -> keyframe_policy::Intent {
    let file = intent_vector("solana_tx.json");
    let v = list(&file, "vectors")
        .into_iter()
        .find(|v| v["name"] == name)
        .unwrap();
    use base64::Engine;
    let tx = base64::engine::general_purpose::STANDARD
        .decode(s(&v["tx"]))
        .unwrap();
    pi::solana_transaction_intent(&tx, &sol_ctx(&file)).unwrap()
}

#[test]
fn solana_transactions_map_programs_lamports_and_tokens() {
    const SYSTEM: &str = "11111111111111111111111111111111";
    let t = sol_intent("system-transfer-1.5-sol");
    assert_eq!(t.kind, Kind::SolanaTransaction);
    assert_eq!(t.chain, None);
    assert_eq!(t.programs, vec![SYSTEM.to_owned()]);
    assert_eq!(t.lamports.to_string(), "1500000000");
    assert_eq!(
        t.to.as_deref(),
        Some("7UnjK7Fm3vESHWx2E3vYb3UertASJ7fppyq6tYcBjw3n")
    );

    let create = sol_intent("system-create-account");
    assert_eq!(create.lamports.to_string(), "2039280");

    let spl = sol_intent("spl-transfer-checked");
    assert_eq!(spl.token_transfers.len(), 1);
    assert_eq!(
        spl.token_transfers[0].token,
        "BiycC4uPsjWz9MkWaso5htuTsCTP4hMgYZpLRbrYhtKv"
    );
    assert!(spl.lamports.is_zero());

    let approve = sol_intent("spl-approve-unlimited");
    assert_eq!(
        approve.approvals[0].spender,
        "7UnjK7Fm3vESHWx2E3vYb3UertASJ7fppyq6tYcBjw3n"
    );
    assert_eq!(
        approve.approvals[0].amount,
        Some(keyframe_policy::Amount::from(u64::MAX))
    );

    let budget = sol_intent("compute-budget-and-spl-transfer");
    assert_eq!(budget.programs.len(), 2, "{:?}", budget.programs);

    // A destination from a lookup table cannot be named: no address list
    // matches it.
    let lookup = sol_intent("v0-transfer-to-lookup-account");
    assert!(
        lookup
            .to
            .as_deref()
            .is_some_and(|t| t.starts_with("unresolved:"))
    );

    let policy = format!(
        r#"{{"version":1,"default":"ask","rules":[
        {{"id":"small-sol","effect":"allow","when":{{"programs":["{SYSTEM}"],"lamports_at_most":"1000000000"}}}},
        {{"id":"friends","effect":"allow","when":{{"programs":["{SYSTEM}"],"to":["7UnjK7Fm3vESHWx2E3vYb3UertASJ7fppyq6tYcBjw3n"]}}}}]}}"#
    );
    assert_eq!(judge(&policy, &t), (Effect::Allow, Some("friends".into())));
    assert_eq!(
        judge(&policy, &create),
        (Effect::Allow, Some("small-sol".into()))
    );
    assert_eq!(
        judge(&policy, &lookup),
        (Effect::Allow, Some("small-sol".into()))
    );
    assert_eq!(judge(&policy, &spl), (Effect::Ask, None));
    let m = pi::solana_message_intent(&ctx1());
    assert_eq!(m.kind, Kind::SolanaMessage);
    assert_eq!(judge(&policy, &m), (Effect::Ask, None));
}
