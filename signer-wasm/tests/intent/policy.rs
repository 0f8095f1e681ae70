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

// Legacy transactions built by @solana/web3.js 1.98.4 (`SystemProgram`,
// `TransactionInstruction`) with the keys of tests/vectors/gen/intent.mjs:
// fee payer the wallet (its seed 1), ALICE seed 2, ATTACKER seed 9 (a
// program id or new authority), NONCE seed 10, token account SRC seed 6.
// The SPL Token data are written by hand from the program's layout:
// SetAuthority [6, AccountOwner = 2, Some = 1, new authority], CloseAccount [9].
const ALICE: &str = "7UnjK7Fm3vESHWx2E3vYb3UertASJ7fppyq6tYcBjw3n";
const ATTACKER: &str = "3y3f4Hia3hhwEt3ZwW2wu2xYzG69bAHwUYSjz7K89gcs";
const SRC: &str = "51qQCs4RsWT5Kudso5k8GYFZ35hbpWAw2xy5eUioNdNG";
/// `SystemProgram.assign({ accountPubkey: wallet, programId: ATTACKER })`.
const SOL_ASSIGN: &str = "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABAAECC9NqXXwlhxk4a38wfaOQRnXj/d9JmBjRdQl6Qj073M8AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAMjHxsXEw8LBwL++vby7urm4t7a1tLOysbCvrq2sq6qpAQEBACQBAAAALBLnCN/IeiG7mt5aeuu5tx5WBSXYNdItAK3gjWvePow=";
/// `SystemProgram.allocate({ accountPubkey: wallet, space: 80 })`.
const SOL_ALLOCATE: &str = "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABAAECC9NqXXwlhxk4a38wfaOQRnXj/d9JmBjRdQl6Qj073M8AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAMjHxsXEw8LBwL++vby7urm4t7a1tLOysbCvrq2sq6qpAQEBAAwIAAAAUAAAAAAAAAA=";
/// A transfer of 0.1 SOL to ALICE, then the wallet assigned to ATTACKER.
const SOL_TRANSFER_AND_ASSIGN: &str = "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABAAEDC9NqXXwlhxk4a38wfaOQRnXj/d9JmBjRdQl6Qj073M9gRIKLPPuKvjPHCYapUf+7Tq79h2T8wFP5b9XSvuRuiQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAyMfGxcTDwsHAv769vLu6ubi3trW0s7KxsK+urayrqqkCAgIAAQwCAAAAAOH1BQAAAAACAQAkAQAAACwS5wjfyHohu5reWnrrubceVgUl2DXSLQCt4I1r3j6M";
/// `SystemProgram.createAccountWithSeed`: 5 SOL from the wallet to ALICE,
/// base the wallet, seed "vault-7", 165 bytes, owner ATTACKER.
const SOL_CREATE_WITH_SEED: &str = "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABAAEDC9NqXXwlhxk4a38wfaOQRnXj/d9JmBjRdQl6Qj073M9gRIKLPPuKvjPHCYapUf+7Tq79h2T8wFP5b9XSvuRuiQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAyMfGxcTDwsHAv769vLu6ubi3trW0s7KxsK+urayrqqkBAgIAAWMDAAAAC9NqXXwlhxk4a38wfaOQRnXj/d9JmBjRdQl6Qj073M8HAAAAAAAAAHZhdWx0LTcA8gUqAQAAAKUAAAAAAAAALBLnCN/IeiG7mt5aeuu5tx5WBSXYNdItAK3gjWvePow=";
/// `SystemProgram.transfer` with a seed: 0.25 SOL from NONCE (base the
/// wallet, seed "stash", owner ATTACKER) to ALICE.
const SOL_TRANSFER_WITH_SEED: &str = "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABAAEEC9NqXXwlhxk4a38wfaOQRnXj/d9JmBjRdQl6Qj073M9gRIKLPPuKvjPHCYapUf+7Tq79h2T8wFP5b9XSvuRuiYN0v8dlOjUUkx7Z+lpbPgaTsd7iVuHydA4g8cm6Ml2YAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAADIx8bFxMPCwcC/vr28u7q5uLe2tbSzsrGwr66trKuqqQEDAwIAATkLAAAAgLLmDgAAAAAFAAAAAAAAAHN0YXNoLBLnCN/IeiG7mt5aeuu5tx5WBSXYNdItAK3gjWvePow=";
/// `SystemProgram.nonceWithdraw`: 3 SOL from NONCE (authority the wallet)
/// to ALICE.
const SOL_WITHDRAW_NONCE: &str = "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABAAMGC9NqXXwlhxk4a38wfaOQRnXj/d9JmBjRdQl6Qj073M9gRIKLPPuKvjPHCYapUf+7Tq79h2T8wFP5b9XSvuRuiYN0v8dlOjUUkx7Z+lpbPgaTsd7iVuHydA4g8cm6Ml2YAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAGp9UXGSxWjuCKhF9z0peIzwNcMUWyGrNE2AYuqUAAAAan1RcZLFxRIYzJTD1K8X9Y2u4Im6H9ROPb2YoAAAAAyMfGxcTDwsHAv769vLu6ubi3trW0s7KxsK+urayrqqkBAwUCAQQFAAwFAAAAAF7QsgAAAAA=";
/// `SystemProgram.nonceAdvance` (NONCE, authority the wallet), then a
/// transfer of 0.5 SOL to ALICE: a durable-nonce transaction.
const SOL_ADVANCE_AND_TRANSFER: &str = "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABAAIFC9NqXXwlhxk4a38wfaOQRnXj/d9JmBjRdQl6Qj073M9gRIKLPPuKvjPHCYapUf+7Tq79h2T8wFP5b9XSvuRuiYN0v8dlOjUUkx7Z+lpbPgaTsd7iVuHydA4g8cm6Ml2YAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAGp9UXGSxWjuCKhF9z0peIzwNcMUWyGrNE2AYuqUAAAMjHxsXEw8LBwL++vby7urm4t7a1tLOysbCvrq2sq6qpAgMDAgQABAQAAAADAgABDAIAAAAAZc0dAAAAAA==";
/// SPL Token SetAuthority: the owner of token account SRC becomes ATTACKER.
const SPL_SET_AUTHORITY: &str = "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABAAEDC9NqXXwlhxk4a38wfaOQRnXj/d9JmBjRdQl6Qj073M87pXlOH2nF0riDCdU1bmb7HmMDEMm0cpQ57MP9KE8X6Qbd9uHXZaGT2cvhRs7reawctIXtX1s3kTqM9YV+/wCpyMfGxcTDwsHAv769vLu6ubi3trW0s7KxsK+urayrqqkBAgIBACMGAgEsEucI38h6Ibua3lp667m3HlYFJdg10i0AreCNa94+jA==";
/// SPL Token CloseAccount of SRC, its lamports to ATTACKER.
const SPL_CLOSE_TO_ATTACKER: &str = "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABAAEEC9NqXXwlhxk4a38wfaOQRnXj/d9JmBjRdQl6Qj073M8sEucI38h6Ibua3lp667m3HlYFJdg10i0AreCNa94+jDuleU4facXSuIMJ1TVuZvseYwMQybRylDnsw/0oTxfpBt324ddloZPZy+FGzut5rBy0he1fWzeROoz1hX7/AKnIx8bFxMPCwcC/vr28u7q5uLe2tbSzsrGwr66trKuqqQEDAwIBAAEJ";
/// SPL Token CloseAccount of SRC, its lamports to the wallet (unwrapping
/// wrapped SOL after a swap looks like this).
const SPL_CLOSE_TO_ME: &str = "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABAAEDC9NqXXwlhxk4a38wfaOQRnXj/d9JmBjRdQl6Qj073M87pXlOH2nF0riDCdU1bmb7HmMDEMm0cpQ57MP9KE8X6Qbd9uHXZaGT2cvhRs7reawctIXtX1s3kTqM9YV+/wCpyMfGxcTDwsHAv769vLu6ubi3trW0s7KxsK+urayrqqkBAgMBAAABCQ==";

fn sol_tx_intent(b64: &str) -> keyframe_policy::Intent {
    use base64::Engine;
    let tx = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    pi::solana_transaction_intent(&tx, &sol_ctx(&intent_vector("solana_tx.json"))).unwrap()
}

/// The operator policy of tests/vectors/policy/solana.json: `small-sol`
/// allows System and Compute Budget up to 1 SOL, `big-sol` sends 10 SOL
/// and more to the webhook.
fn solana_vector_policy() -> String {
    let v: Value =
        serde_json::from_str(include_str!("../../../tests/vectors/policy/solana.json")).unwrap();
    v["policy"].to_string()
}

#[test]
fn a_system_assign_of_the_wallet_is_not_a_free_instruction() {
    let policy = solana_vector_policy();
    for (name, tx) in [("assign", SOL_ASSIGN), ("allocate", SOL_ALLOCATE)] {
        let i = sol_tx_intent(tx);
        assert_eq!(
            i.programs,
            vec!["11111111111111111111111111111111".to_owned()]
        );
        assert_eq!(i.lamports, keyframe_policy::Amount::MAX, "{name}");
        assert_eq!(i.to.as_deref(), Some("unknown"), "{name}");
        let (effect, rule) = judge(&policy, &i);
        assert_ne!(effect, Effect::Allow, "{name}");
        assert_eq!((effect, rule), (Effect::Approve, Some("big-sol".into())));
    }
    // Beside a transfer to a friend, the assignment still counts: no
    // `lamports_at_most` and no `to` rule matches.
    let both = sol_tx_intent(SOL_TRANSFER_AND_ASSIGN);
    assert_eq!(both.lamports, keyframe_policy::Amount::MAX);
    assert_eq!(both.to, None);
    let friends = format!(
        r#"{{"version":1,"default":"ask","rules":[
        {{"id":"friends","effect":"allow","when":{{"programs":["11111111111111111111111111111111"],"to":["{ALICE}"]}}}}]}}"#
    );
    assert_eq!(judge(&friends, &both), (Effect::Ask, None));
}

#[test]
fn system_instructions_with_seeds_and_nonces_count_their_lamports() {
    let create = sol_tx_intent(SOL_CREATE_WITH_SEED);
    assert_eq!(create.lamports.to_string(), "5000000000");
    assert_eq!(create.to.as_deref(), Some(ALICE));
    let transfer = sol_tx_intent(SOL_TRANSFER_WITH_SEED);
    assert_eq!(transfer.lamports.to_string(), "250000000");
    assert_eq!(transfer.to.as_deref(), Some(ALICE));
    let withdraw = sol_tx_intent(SOL_WITHDRAW_NONCE);
    assert_eq!(withdraw.lamports.to_string(), "3000000000");
    assert_eq!(withdraw.to.as_deref(), Some(ALICE));
    let policy = solana_vector_policy();
    assert_eq!(
        judge(&policy, &transfer),
        (Effect::Allow, Some("small-sol".into()))
    );
    assert_eq!(judge(&policy, &create), (Effect::Ask, None));
    assert_eq!(judge(&policy, &withdraw), (Effect::Ask, None));
}

#[test]
fn a_durable_nonce_transfer_is_judged_by_its_transfer() {
    let i = sol_tx_intent(SOL_ADVANCE_AND_TRANSFER);
    assert_eq!(i.lamports.to_string(), "500000000");
    assert_eq!(i.to.as_deref(), Some(ALICE));
    assert_eq!(
        judge(&solana_vector_policy(), &i),
        (Effect::Allow, Some("small-sol".into()))
    );
}

#[test]
fn spl_set_authority_and_close_account_hand_over_the_account() {
    const TOKEN: &str = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA";
    let policy = format!(
        r#"{{"version":1,"default":"ask","rules":[
        {{"id":"token-ops","effect":"allow","when":{{"programs":["{TOKEN}"],"approvals":false}}}}]}}"#
    );
    let deny = r#"{"version":1,"default":"allow","rules":[
        {"id":"no-unknown-spenders","effect":"deny","when":{"spenders_not_in":["7UnjK7Fm3vESHWx2E3vYb3UertASJ7fppyq6tYcBjw3n"]}}]}"#;
    for tx in [SPL_SET_AUTHORITY, SPL_CLOSE_TO_ATTACKER] {
        let i = sol_tx_intent(tx);
        assert_eq!(i.approvals.len(), 1);
        let a = &i.approvals[0];
        assert_eq!(
            (a.token.as_str(), a.spender.as_str(), a.amount),
            (SRC, ATTACKER, None)
        );
        assert_eq!(judge(&policy, &i), (Effect::Ask, None));
        assert_eq!(
            judge(deny, &i),
            (Effect::Deny, Some("no-unknown-spenders".into()))
        );
    }
    // Closing into the wallet itself hands nothing over.
    let home = sol_tx_intent(SPL_CLOSE_TO_ME);
    assert!(home.approvals.is_empty());
    assert_eq!(
        judge(&policy, &home),
        (Effect::Allow, Some("token-ops".into()))
    );
}

// ---------- SPL Token and Token-2022: what moves tokens counts ----------

// Legacy transactions built by @solana/web3.js 1.99.0 and @solana/spl-token
// 0.4.15 with the keys of tests/vectors/gen/intent.mjs (the wallet seed 1,
// ALICE seed 2, MINT seed 5, ATTACKER seed 9); token accounts are the
// associated ones of MINT (`getAssociatedTokenAddressSync`). The Batch
// data are written by hand from the Token program's layout: [255, then per
// instruction its number of accounts, its data length and its data].
const MINT: &str = "BiycC4uPsjWz9MkWaso5htuTsCTP4hMgYZpLRbrYhtKv";
/// ALICE's token account of MINT under the Token program.
const ALICE_ATA: &str = "5QU1cUq1aPRa5xx8Lvm5P3AUfpzdDhmX4svZzAkdfa1U";
/// ALICE's token account of MINT under Token-2022.
const ALICE_ATA_2022: &str = "DRJasSXkBby8kh491ghrSnwyLJhBr6bfqJrugtyr6VP7";
const COMPUTE_BUDGET: &str = "ComputeBudget111111111111111111111111111111";
const ATA_PROGRAM: &str = "ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL";
const TOKEN: &str = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA";
const TOKEN_2022: &str = "TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb";
/// Compute budget, `createAssociatedTokenAccountIdempotentInstruction` of
/// ALICE_ATA, then `createTransferCheckedInstruction` of 2.5 MINT (6
/// decimals) from the wallet's token account to it: a wallet's ordinary
/// token send.
const SPL_CREATE_ATA_AND_TRANSFER: &str = "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABAAYJC9NqXXwlhxk4a38wfaOQRnXj/d9JmBjRdQl6Qj073M9BcaWxUQ8VqTjB9tgWXYZqjcYYWGyxqb8AlVHgPMi8j7fR7cgpSX+MG057lm6zjg2FIyxOhe5/S4t1DHhP6kh8AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABgRIKLPPuKvjPHCYapUf+7Tq79h2T8wFP5b9XSvuRuiYyXJY9OJInxuz0QKRSODYMLWhOZ2v8QhASOe9jb6fhZn1WwGM6/DJoRsKoFxHADt4I70ewIDS+POhfgMZsbIsUDBkZv5SEXMv/srbpyw5vnvIzlu8X3EmssQ5s6QAAAAAbd9uHXZaGT2cvhRs7reawctIXtX1s3kTqM9YV+/wCpyMfGxcTDwsHAv769vLu6ubi3trW0s7KxsK+urayrqqkEBwAFAkANAwAHAAkDiBMAAAAAAAAFBgABBAYDCAEBCAQCBgEACgygJSYAAAAAAAY=";
/// The same under Token-2022, the transfer a
/// `createTransferCheckedWithFeeInstruction` of 50 MINT (fee 0.05).
const T22_CREATE_ATA_AND_TRANSFER_WITH_FEE_50: &str = "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABAAYJC9NqXXwlhxk4a38wfaOQRnXj/d9JmBjRdQl6Qj073M+4hhCVdXkuJCWU1t+WZWVnZQbgTAegVBtvA+rJw/2dCtvT7CEjN69OWJoFUw9AiFVHjE/tDUBTOHkznubn80i2AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABgRIKLPPuKvjPHCYapUf+7Tq79h2T8wFP5b9XSvuRuiYyXJY9OJInxuz0QKRSODYMLWhOZ2v8QhASOe9jb6fhZn1WwGM6/DJoRsKoFxHADt4I70ewIDS+POhfgMZsbIsUDBkZv5SEXMv/srbpyw5vnvIzlu8X3EmssQ5s6QAAAAAbd9uHudY/eGEJdvORszdq2GvxNg7kNJ/69+SjYoYv8yMfGxcTDwsHAv769vLu6ubi3trW0s7KxsK+urayrqqkEBwAFAkANAwAHAAkDiBMAAAAAAAAFBgABBAYDCAEBCAQCBgEAExoBgPD6AgAAAAAGUMMAAAAAAAA=";
/// `createTransferCheckedWithFeeInstruction` of 2.5 MINT (fee 0.0025) to
/// ALICE_ATA_2022.
const T22_TRANSFER_WITH_FEE_2_5: &str = "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABAAIFC9NqXXwlhxk4a38wfaOQRnXj/d9JmBjRdQl6Qj073M+4hhCVdXkuJCWU1t+WZWVnZQbgTAegVBtvA+rJw/2dCtvT7CEjN69OWJoFUw9AiFVHjE/tDUBTOHkznubn80i2n1WwGM6/DJoRsKoFxHADt4I70ewIDS+POhfgMZsbIsUG3fbh7nWP3hhCXbzkbM3athr8TYO5DSf+vfko2KGL/MjHxsXEw8LBwL++vby7urm4t7a1tLOysbCvrq2sq6qpAQQEAgMBABMaAaAlJgAAAAAABsQJAAAAAAAA";
/// `createWithdrawWithheldTokensFromMintInstruction` (Token-2022): MINT's
/// withheld fees to ATTACKER, the wallet the withdraw authority.
const T22_WITHDRAW_WITHHELD_FROM_MINT: &str = "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABAAEEC9NqXXwlhxk4a38wfaOQRnXj/d9JmBjRdQl6Qj073M8sEucI38h6Ibua3lp667m3HlYFJdg10i0AreCNa94+jJ9VsBjOvwyaEbCqBcRwA7eCO9HsCA0vjzoX4DGbGyLFBt324e51j94YQl285GzN2rYa/E2DuQ0n/r35KNihi/zIx8bFxMPCwcC/vr28u7q5uLe2tbSzsrGwr66trKuqqQEDAwIBAAIaAg==";
/// A Token program Batch (tag 255) holding one TransferChecked of 50 MINT
/// from the wallet's token account to ATTACKER.
const SPL_BATCH_TRANSFER_CHECKED: &str = "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABAAIFC9NqXXwlhxk4a38wfaOQRnXj/d9JmBjRdQl6Qj073M8sEucI38h6Ibua3lp667m3HlYFJdg10i0AreCNa94+jLfR7cgpSX+MG057lm6zjg2FIyxOhe5/S4t1DHhP6kh8n1WwGM6/DJoRsKoFxHADt4I70ewIDS+POhfgMZsbIsUG3fbh12Whk9nL4UbO63msHLSF7V9bN5E6jPWFfv8AqcjHxsXEw8LBwL++vby7urm4t7a1tLOysbCvrq2sq6qpAQQEAgMBAA3/BAoMgPD6AgAAAAAG";
/// Wrapping 0.1 SOL: the wallet's wrapped-SOL account created
/// (idempotent), 0.1 SOL sent to it, `createSyncNativeInstruction`.
const SPL_WRAP_SOL: &str = "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABAAQGC9NqXXwlhxk4a38wfaOQRnXj/d9JmBjRdQl6Qj073M+rfSly7/WDOpzPM+UqbmkTVDtL9eCPtrlqB4z47o1wDQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAjJclj04kifG7PRApFI4NgwtaE5na/xCEBI572Nvp+FkGm4hX/quBhPtof2NGGMA12sQ53BrrO1WYoPAAAAAAAQbd9uHXZaGT2cvhRs7reawctIXtX1s3kTqM9YV+/wCpyMfGxcTDwsHAv769vLu6ubi3trW0s7KxsK+urayrqqkDAwYAAQAEAgUBAQICAAEMAgAAAADh9QUAAAAABQEBARE=";
/// SyncNative of the wrapped-SOL account with data [17, 0]: not its layout.
const SPL_SYNC_NATIVE_WITH_A_TRAILING_BYTE: &str = "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABAAEDC9NqXXwlhxk4a38wfaOQRnXj/d9JmBjRdQl6Qj073M+rfSly7/WDOpzPM+UqbmkTVDtL9eCPtrlqB4z47o1wDQbd9uHXZaGT2cvhRs7reawctIXtX1s3kTqM9YV+/wCpyMfGxcTDwsHAv769vLu6ubi3trW0s7KxsK+urayrqqkBAgEBAhEA";
/// `createBurnCheckedInstruction` of 7 MINT from the wallet's token
/// account, then `createMintToInstruction` of 3 MINT to ALICE_ATA.
const SPL_BURN_AND_MINT: &str = "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABAAEFC9NqXXwlhxk4a38wfaOQRnXj/d9JmBjRdQl6Qj073M9BcaWxUQ8VqTjB9tgWXYZqjcYYWGyxqb8AlVHgPMi8j59VsBjOvwyaEbCqBcRwA7eCO9HsCA0vjzoX4DGbGyLFt9HtyClJf4wbTnuWbrOODYUjLE6F7n9Li3UMeE/qSHwG3fbh12Whk9nL4UbO63msHLSF7V9bN5E6jPWFfv8AqcjHxsXEw8LBwL++vby7urm4t7a1tLOysbCvrq2sq6qpAgQDAwIACg/Az2oAAAAAAAYEAwIBAAkHwMYtAAAAAAA=";

/// Rules that allow small movements of MINT only: up to 5 MINT per
/// request to ALICE's accounts (`small-to-alice`), or to anyone within
/// 20 MINT a day (`daily-mint`, a token limit and nothing else).
fn small_mint_policies() -> [String; 2] {
    let programs = format!(r#"["{COMPUTE_BUDGET}","{ATA_PROGRAM}","{TOKEN}","{TOKEN_2022}"]"#);
    [
        format!(
            r#"{{"version":1,"default":"ask","rules":[
            {{"id":"small-to-alice","effect":"allow","when":{{"programs":{programs},
              "token_transfers":[{{"token":"{MINT}","to":["{ALICE_ATA}","{ALICE_ATA_2022}"],"at_most":"5000000"}}]}}}}]}}"#
        ),
        format!(
            r#"{{"version":1,"default":"ask","rules":[
            {{"id":"daily-mint","effect":"allow","when":{{"programs":{programs}}},
              "limits":[{{"window":"1d","token":"{MINT}","amount_at_most":"20000000"}}]}}]}}"#
        ),
    ]
}

fn transfers_of(i: &keyframe_policy::Intent) -> Vec<(String, String, String)> {
    i.token_transfers
        .iter()
        .map(|t| (t.token.clone(), t.to.clone(), t.amount.to_string()))
        .collect()
}

fn sol_screen(b64: &str) -> Intent {
    use base64::Engine;
    let tx = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    intent::describe_solana_transaction(&tx, &sol_ctx(&intent_vector("solana_tx.json"))).unwrap()
}

#[test]
fn token2022_transfer_checked_with_fee_is_a_token_transfer() {
    let [small, daily] = small_mint_policies();
    // 50 MINT with a fee is over both rules' bounds.
    let fee_big = sol_tx_intent(T22_CREATE_ATA_AND_TRANSFER_WITH_FEE_50);
    for p in [&small, &daily] {
        assert_eq!(judge(p, &fee_big), (Effect::Ask, None), "{p}");
    }
    assert_eq!(
        transfers_of(&fee_big),
        [(MINT.into(), ALICE_ATA_2022.into(), "50000000".into())]
    );
    // The recipient's Token-2022 account, created with the wallet as
    // payer: its rent, bounded (`sol_ix::ata_rent_bound`), in lamports.
    assert!(fee_big.approvals.is_empty());
    assert_eq!(fee_big.lamports.to_string(), "10000000");
    // The ordinary send, create the recipient's account and
    // TransferChecked, passes both rules.
    let plain = sol_tx_intent(SPL_CREATE_ATA_AND_TRANSFER);
    assert_eq!(
        transfers_of(&plain),
        [(MINT.into(), ALICE_ATA.into(), "2500000".into())]
    );
    assert!(plain.approvals.is_empty());
    assert_eq!(
        plain.lamports.to_string(),
        "2039280",
        "the new account's rent"
    );
    assert_eq!(
        judge(&small, &plain),
        (Effect::Allow, Some("small-to-alice".into()))
    );
    assert_eq!(
        judge(&daily, &plain),
        (Effect::Allow, Some("daily-mint".into()))
    );
    // TransferCheckedWithFee is read as TransferChecked is: the mint, the
    // destination token account and the amount the source gives up.
    let fee_small = sol_tx_intent(T22_TRANSFER_WITH_FEE_2_5);
    assert_eq!(
        transfers_of(&fee_small),
        [(MINT.into(), ALICE_ATA_2022.into(), "2500000".into())]
    );
    assert_eq!(
        judge(&small, &fee_small),
        (Effect::Allow, Some("small-to-alice".into()))
    );
    // The screen says it as a transfer, with its fee.
    let screen = sol_screen(T22_CREATE_ATA_AND_TRANSFER_WITH_FEE_50);
    assert!(codes(&screen).is_empty(), "{:?}", codes(&screen));
    let ix = field(&screen.fields, "Instruction 4", "with fee");
    assert_eq!(ix.value, "Token-2022: transfer (checked, with fee)");
    assert_eq!(
        field(&ix.children, "Amount", "with fee").value,
        format!("50 of mint {MINT}")
    );
    assert_eq!(
        field(&ix.children, "Transfer fee", "with fee").value,
        format!("0.05 of mint {MINT}")
    );
    assert_eq!(
        field(&ix.children, "To token account", "with fee").value,
        ALICE_ATA_2022
    );
}

#[test]
fn token_instructions_not_read_count_as_everything() {
    let [small, daily] = small_mint_policies();
    let friends = format!(
        r#"{{"version":1,"default":"ask","rules":[
        {{"id":"friends","effect":"allow","when":{{"programs":["11111111111111111111111111111111","{TOKEN}","{TOKEN_2022}"],"to":["{ALICE}"]}}}}]}}"#
    );
    let no_approvals = format!(
        r#"{{"version":1,"default":"ask","rules":[
        {{"id":"token-ops","effect":"allow","when":{{"programs":["{TOKEN}","{TOKEN_2022}"],"approvals":false,"lamports_at_most":"1000000000"}}}}]}}"#
    );
    let deny = format!(
        r#"{{"version":1,"default":"allow","rules":[
        {{"id":"no-unknown-spenders","effect":"deny","when":{{"spenders_not_in":["{ALICE}"]}}}}]}}"#
    );
    for (name, tx) in [
        ("withdraw withheld fees", T22_WITHDRAW_WITHHELD_FROM_MINT),
        ("batch", SPL_BATCH_TRANSFER_CHECKED),
        ("sync native [17, 0]", SPL_SYNC_NATIVE_WITH_A_TRAILING_BYTE),
    ] {
        let i = sol_tx_intent(tx);
        for p in [&small, &friends, &no_approvals] {
            assert_eq!(judge(p, &i), (Effect::Ask, None), "{name}: {p}");
        }
        assert_eq!(
            judge(&deny, &i),
            (Effect::Deny, Some("no-unknown-spenders".into())),
            "{name}"
        );
        assert_eq!(i.lamports, keyframe_policy::Amount::MAX, "{name}");
        assert_eq!(i.to.as_deref(), Some("unknown"), "{name}");
        assert_eq!(
            approvals_of(&i),
            [("unknown".into(), "unknown".into(), None)],
            "{name}"
        );
        let max = keyframe_policy::Amount::MAX.to_string();
        assert!(!i.token_transfers.is_empty(), "{name}");
        assert!(
            i.token_transfers
                .iter()
                .all(|t| t.to == "unknown" && t.amount.to_string() == max),
            "{name}"
        );
    }
    // The instructions that name MINT use up a limit on it.
    for tx in [T22_WITHDRAW_WITHHELD_FROM_MINT, SPL_BATCH_TRANSFER_CHECKED] {
        let i = sol_tx_intent(tx);
        assert!(i.token_transfers.iter().any(|t| t.token == MINT));
        assert_eq!(judge(&daily, &i), (Effect::Ask, None));
    }
    // SyncNative in its layout moves nothing: wrapping SOL is judged by the
    // lamports it sends.
    let wrap = sol_tx_intent(SPL_WRAP_SOL);
    // The lamports sent, and the rent of the wrapped-SOL account created.
    assert_eq!(wrap.lamports.to_string(), "102039280");
    assert!(wrap.token_transfers.is_empty() && wrap.approvals.is_empty());
    let wrap_rule = format!(
        r#"{{"version":1,"default":"ask","rules":[
        {{"id":"wrap","effect":"allow","when":{{"programs":["11111111111111111111111111111111","{ATA_PROGRAM}","{TOKEN}"],"approvals":false,"lamports_at_most":"1000000000"}}}}]}}"#
    );
    assert_eq!(
        judge(&wrap_rule, &wrap),
        (Effect::Allow, Some("wrap".into()))
    );
    let odd = sol_tx_intent(SPL_SYNC_NATIVE_WITH_A_TRAILING_BYTE);
    assert_eq!(judge(&wrap_rule, &odd), (Effect::Ask, None));
}

#[test]
fn burns_and_mints_count_as_movements_of_the_mint() {
    let i = sol_tx_intent(SPL_BURN_AND_MINT);
    // A burn is sent where no address list names it; a mint goes to its
    // destination.
    assert_eq!(
        transfers_of(&i),
        [
            (MINT.into(), "unknown".into(), "7000000".into()),
            (MINT.into(), ALICE_ATA.into(), "3000000".into())
        ]
    );
    assert!(i.approvals.is_empty() && i.lamports.is_zero());
    let [small, daily] = small_mint_policies();
    assert_eq!(judge(&small, &i), (Effect::Ask, None));
    assert_eq!(
        judge(&daily, &i),
        (Effect::Allow, Some("daily-mint".into()))
    );
    let tiny = format!(
        r#"{{"version":1,"default":"ask","rules":[
        {{"id":"tiny","effect":"allow","when":{{"token_transfers":[{{"token":"{MINT}","at_most":"7000000"}}]}},
          "limits":[{{"window":"1d","token":"{MINT}","amount_at_most":"9000000"}}]}}]}}"#
    );
    assert_eq!(judge(&tiny, &i), (Effect::Ask, None), "7 + 3 is over 9");
}

#[test]
fn approve_zero_revokes_only_on_a_listed_erc20() {
    let ctx = ctx1();
    // approve(0x5555…, 0): on an ERC-721 this approves token #0.
    let mut tx = evm_vector("evm_tx.json", "erc20-approve-zero-is-no-approval")["tx"].clone();
    tx["data"] = Value::from(format!(
        "0x095ea7b3{:0>64}{:0>64}",
        "5555555555555555555555555555555555555555", "0"
    ));
    let dai = pi::evm_transaction_intent(&tx, &ctx).unwrap();
    assert!(dai.approvals.is_empty(), "DAI is a listed ERC-20: revokes");
    // The same call to a contract not in the token list.
    tx["to"] = Value::from("0x5FbDB2315678afecb367f032d93F642f64180aa3");
    let nft = pi::evm_transaction_intent(&tx, &ctx).unwrap();
    assert_eq!(nft.approvals.len(), 1);
    let a = &nft.approvals[0];
    assert_eq!(
        (a.token.as_str(), a.spender.as_str(), a.amount),
        (
            "0x5fbdb2315678afecb367f032d93f642f64180aa3",
            "0x5555555555555555555555555555555555555555",
            None
        )
    );
    let deny = r#"{"version":1,"default":"allow","rules":[
        {"id":"no-unknown-spenders","effect":"deny","when":{"spenders_not_in":["0x70997970C51812dc3A010C7d01b50e0d17dc79C8"]}}]}"#;
    assert_eq!(
        judge(deny, &nft),
        (Effect::Deny, Some("no-unknown-spenders".into()))
    );
    assert_eq!(judge(deny, &dai), (Effect::Allow, None));
    let no_approvals = r#"{"version":1,"default":"ask","rules":[
        {"id":"calls","effect":"allow","when":{"approvals":false}}]}"#;
    assert_eq!(judge(no_approvals, &nft), (Effect::Ask, None));
    assert_eq!(
        judge(no_approvals, &dai),
        (Effect::Allow, Some("calls".into()))
    );
}

// ---------- permits: what is signed is what is judged and shown ----------

const DAI: &str = "0x6b175474e89094c44da98b954eedeac495271d0f";
const WETH: &str = "0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2";
const ZERO: &str = "0x0000000000000000000000000000000000000000";

/// The operator policy of tests/vectors/policy/approvals.json (its
/// `unknown-spenders` deny lists the router and Permit2 only).
fn approvals_policy() -> String {
    let file: Value =
        serde_json::from_str(include_str!("../../../tests/vectors/policy/approvals.json")).unwrap();
    file["policy"].to_string()
}

/// The signer's digest, the policy's intent and the screen's intent.
type Three = (
    Result<[u8; 32], Error>,
    Result<keyframe_policy::Intent, Error>,
    Result<Intent, Error>,
);

/// The signer's digest, the policy's intent and the screen's intent of one
/// typed-data document.
fn typed_three(td: &Value) -> Three {
    let json = serde_json::to_string(td).unwrap();
    (
        evm::typed_data_hash(&json, Some(1)),
        pi::typed_data_intent(&json, &ctx1()),
        intent::describe_typed_data(&json, &ctx1()),
    )
}

fn approvals_of(i: &keyframe_policy::Intent) -> Vec<(String, String, Option<String>)> {
    i.approvals
        .iter()
        .map(|a| {
            (
                a.token.clone(),
                a.spender.clone(),
                a.amount.map(|x| x.to_string()),
            )
        })
        .collect()
}

#[test]
fn a_dai_permit_with_allowed_as_a_string_is_the_bool_it_is_signed_as() {
    let v = evm_vector("typed_data.json", "dai-permit-allowed");
    let unlimited = U256::MAX.to_string();
    for (allowed, granted) in [("true", true), ("false", false)] {
        let mut as_bool = v["typed_data"].clone();
        as_bool["message"]["allowed"] = Value::Bool(granted);
        let mut as_string = v["typed_data"].clone();
        as_string["message"]["allowed"] = allowed.into();
        let (h_bool, p_bool, s_bool) = typed_three(&as_bool);
        let (h_str, p_str, s_str) = typed_three(&as_string);
        // The signer signs the string as the bool: one digest.
        assert_eq!(h_str.unwrap(), h_bool.unwrap(), "allowed {allowed:?}");
        let (p_str, p_bool) = (p_str.unwrap(), p_bool.unwrap());
        let (s_str, s_bool) = (s_str.unwrap(), s_bool.unwrap());
        assert_eq!(p_str, p_bool, "allowed {allowed:?}: the policy's intent");
        assert_eq!(
            s_str.summary, s_bool.summary,
            "allowed {allowed:?}: the sentence"
        );
        assert_eq!(
            codes(&s_str),
            codes(&s_bool),
            "allowed {allowed:?}: the warnings"
        );
        if granted {
            assert_eq!(
                approvals_of(&p_str),
                [(DAI.to_owned(), SPENDER.to_owned(), Some(unlimited.clone()))]
            );
            assert_eq!(codes(&s_str), ["UNLIMITED_APPROVAL", "APPROVAL"]);
            assert_eq!(
                judge(&approvals_policy(), &p_str),
                (Effect::Deny, Some("unknown-spenders".into()))
            );
        } else {
            // A revocation: no approval, no warning, as with JSON false.
            assert!(p_str.approvals.is_empty());
            assert!(codes(&s_str).is_empty());
            assert!(s_str.summary.as_deref().unwrap().starts_with("Revokes "));
            assert_eq!(judge(&approvals_policy(), &p_str), (Effect::Ask, None));
        }
    }
}

#[test]
fn a_permit_field_the_signer_cannot_read_is_refused_by_all_three() {
    let cases: [(&str, &str, Value); 6] = [
        ("dai-permit-allowed", "allowed", "maybe".into()),
        ("dai-permit-allowed", "allowed", "True".into()),
        ("dai-permit-allowed", "allowed", 1.into()),
        ("dai-permit-allowed", "expiry", "1_767_225_600".into()),
        ("erc2612-permit-usdc", "value", "0o17".into()),
        ("erc2612-permit-usdc", "deadline", "".into()),
    ];
    for (name, key, bad) in cases {
        let mut td = evm_vector("typed_data.json", name)["typed_data"].clone();
        td["message"][key] = bad.clone();
        let (h, p, s) = typed_three(&td);
        let what = format!("{name}: {key} = {bad}");
        assert!(matches!(h, Err(Error::BadRequest(_))), "{what}: the signer");
        assert!(matches!(p, Err(Error::BadRequest(_))), "{what}: the policy");
        assert!(is_bad_request(&s), "{what}: the screen");
    }
    // What the signer reads, the decoders read the same: a 0X hex amount.
    let mut td = evm_vector("typed_data.json", "erc2612-permit-usdc")["typed_data"].clone();
    td["message"]["value"] = "0XF4240".into();
    let (h, p, s) = typed_three(&td);
    h.unwrap();
    assert_eq!(
        approvals_of(&p.unwrap()),
        [(USDC.to_owned(), SPENDER.to_owned(), Some("1000000".into()))]
    );
    assert!(s.unwrap().summary.unwrap().contains("spend 1 USDC"));
}

/// A Permit2 transfer vector turned into its witness form: `witness` of
/// type `witness_type` (declared by `decl`, if a struct) added last.
fn with_witness(name: &str, witness_type: &str, decl: Option<Value>, witness: Value) -> Value {
    let mut td = evm_vector("typed_data.json", name)["typed_data"].clone();
    let primary = s(&td["primaryType"]).to_owned();
    let witness_primary = primary.replace("TransferFrom", "WitnessTransferFrom");
    let mut fields = td["types"][&primary].clone();
    fields
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({"name": "witness", "type": witness_type}));
    let types = td["types"].as_object_mut().unwrap();
    types.remove(&primary);
    types.insert(witness_primary.clone(), fields);
    if let Some(d) = decl {
        types.insert(witness_type.to_owned(), d);
    }
    td["primaryType"] = witness_primary.into();
    td["message"]["witness"] = witness;
    td
}

#[test]
fn permit2_witness_transfers_show_and_judge_their_spender() {
    let order = || {
        (
            Some(
                serde_json::json!([{"name": "user", "type": "address"}, {"name": "minOut", "type": "uint256"}]),
            ),
            serde_json::json!({"user": "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC", "minOut": "7"}),
        )
    };
    for name in [
        "permit2-permit-transfer-from",
        "permit2-permit-batch-transfer-from",
    ] {
        let plain = evm_vector("typed_data.json", name)["typed_data"].clone();
        let (_, p_plain, s_plain) = typed_three(&plain);
        let (p_plain, s_plain) = (p_plain.unwrap(), s_plain.unwrap());
        for (witness_type, (decl, value)) in [
            ("ExampleWitness", order()),
            ("bytes32", (None, format!("0x{}", "ab".repeat(32)).into())),
        ] {
            let td = with_witness(name, witness_type, decl, value);
            let what = format!("{name} with a {witness_type} witness");
            let (h, p, s) = typed_three(&td);
            h.unwrap_or_else(|e| panic!("{what}: {e}"));
            let (p, s) = (p.unwrap(), s.unwrap());
            // The same grants to the same spender as the form without a
            // witness, denied to an unknown spender alike.
            assert_eq!(approvals_of(&p), approvals_of(&p_plain), "{what}");
            assert_eq!(p.approvals[0].spender, SPENDER, "{what}");
            assert_eq!(
                judge(&approvals_policy(), &p),
                (Effect::Deny, Some("unknown-spenders".into())),
                "{what}"
            );
            // The screen says it as it says the plain form, with its warnings.
            assert_eq!(codes(&s), codes(&s_plain), "{what}");
            assert!(codes(&s).contains(&"APPROVAL".to_owned()), "{what}");
            let said = s.summary.unwrap_or_else(|| panic!("{what}: no sentence"));
            assert!(
                said.starts_with(s_plain.summary.as_deref().unwrap()),
                "{what}: {said}"
            );
            assert!(said.contains(witness_type), "{what}: {said}");
        }
    }
    let single = approvals_of(
        &pi::typed_data_intent(
            &serde_json::to_string(&with_witness(
                "permit2-permit-transfer-from",
                "ExampleWitness",
                order().0,
                order().1,
            ))
            .unwrap(),
            &ctx1(),
        )
        .unwrap(),
    );
    assert_eq!(
        single,
        [(
            WETH.to_owned(),
            SPENDER.to_owned(),
            Some("500000000000000000".into())
        )]
    );
}

#[test]
fn typed_data_on_permit2s_domain_that_is_no_permit_fails_closed() {
    let base = evm_vector("typed_data.json", "permit2-permit-transfer-from")["typed_data"].clone();
    // A primary type Permit2 does not have.
    let mut renamed = base.clone();
    let fields = renamed["types"]["PermitTransferFrom"].clone();
    renamed["types"]
        .as_object_mut()
        .unwrap()
        .insert("PermitTransferFromV2".into(), fields);
    renamed["types"]
        .as_object_mut()
        .unwrap()
        .remove("PermitTransferFrom");
    renamed["primaryType"] = "PermitTransferFromV2".into();
    // A witness form with two extra fields (Permit2 signs one witness word).
    let two = with_witness("permit2-permit-transfer-from", "uint256", None, "1".into());
    let mut two_extra = two.clone();
    two_extra["types"]["PermitWitnessTransferFrom"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({"name": "extra", "type": "uint256"}));
    two_extra["message"]["extra"] = "2".into();
    let unlimited = U256::MAX.to_string();
    for (what, td) in [("renamed", renamed), ("two witness fields", two_extra)] {
        let (h, p, s) = typed_three(&td);
        h.unwrap_or_else(|e| panic!("{what}: {e}"));
        let (p, s) = (p.unwrap(), s.unwrap());
        assert_eq!(
            approvals_of(&p),
            [(ZERO.to_owned(), ZERO.to_owned(), Some(unlimited.clone()))],
            "{what}"
        );
        assert_eq!(
            judge(&approvals_policy(), &p),
            (Effect::Deny, Some("unknown-spenders".into())),
            "{what}"
        );
        assert_eq!(codes(&s), ["UNLIMITED_APPROVAL", "APPROVAL"], "{what}");
        assert!(
            s.summary.unwrap().starts_with("A Permit2 signature"),
            "{what}"
        );
    }
    // The same document off Permit2's domain is only a tree.
    let mut elsewhere = base;
    elsewhere["types"]["PermitTransferFrom"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({"name": "memo", "type": "string"}));
    elsewhere["message"]["memo"] = "x".into();
    elsewhere["domain"]["verifyingContract"] = "0x5FbDB2315678afecb367f032d93F642f64180aa3".into();
    let (_, p, s) = typed_three(&elsewhere);
    assert!(p.unwrap().approvals.is_empty());
    let s = s.unwrap();
    assert_eq!(s.summary, None);
    assert!(codes(&s).is_empty());
}

// ---------- other programs: one given the wallet may do anything ----------

/// Program ids: the Stake, BPF upgradeable loader, Address Lookup Table
/// and SPL Memo (v2, v1) programs.
const STAKE: &str = "Stake11111111111111111111111111111111111111";
const UPGRADEABLE_LOADER: &str = "BPFLoaderUpgradeab1e11111111111111111111111";
const LOOKUP_TABLE: &str = "AddressLookupTab1e1111111111111111111111111";
const MEMO: &str = "MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr";
const MEMO_V1: &str = "Memo1UhkJRfHyvLMcVucJwxXeuD728EqVDDwQDxFMNo";
/// Some account the instructions act on (a stake account, a program's
/// data, a lookup table), none of the wallet's.
const OTHER: &str = "9ycUqg8kTGaypGkojJ26wuUWbVFaGUJ9PXR3JqxBpQUN";

/// A legacy transaction (base64) that the wallet alone signs, as fee
/// payer: key 0 the wallet, then `keys`, the last `readonly` of them
/// read-only; each instruction `(program, accounts, data)` by key index.
/// Written by hand from the message layout (every length under 128, one
/// byte).
fn legacy_tx(keys: &[&str], readonly: u8, ixs: &[(u8, &[u8], &[u8])]) -> String {
    use base64::Engine;
    let wallet = s(&intent_vector("solana_tx.json")["signer"]).to_owned();
    let short = |n: usize| u8::try_from(n).ok().filter(|n| *n < 0x80).unwrap();
    let mut m = vec![1, 0, readonly, short(keys.len() + 1)];
    for k in std::iter::once(wallet.as_str()).chain(keys.iter().copied()) {
        m.extend(bs58::decode(k).into_vec().unwrap());
    }
    m.extend([7u8; 32]); // recent blockhash
    m.push(short(ixs.len()));
    for (program, accounts, data) in ixs {
        m.push(*program);
        m.push(short(accounts.len()));
        m.extend_from_slice(accounts);
        m.push(short(data.len()));
        m.extend_from_slice(data);
    }
    let mut tx = vec![1];
    tx.extend([0u8; 64]);
    tx.extend(m);
    base64::engine::general_purpose::STANDARD.encode(tx)
}

/// System `Transfer` data of `lamports`.
fn transfer_data(lamports: u64) -> Vec<u8> {
    [2u32.to_le_bytes().as_slice(), &lamports.to_le_bytes()].concat()
}

/// The rule of the review: any Solana transaction moving at most 0.1 SOL.
const SMALL_SOL: &str = r#"{"version":1,"default":"ask","rules":[
    {"id":"small-sol","effect":"allow","when":{"kinds":["solana_transaction"],"lamports_at_most":"100000000"}}]}"#;

/// Each: keys after the wallet, how many of them are read-only, and one
/// instruction of key 3 that names the wallet (key 0) among its accounts.
fn programs_given_the_wallet() -> Vec<(&'static str, String)> {
    let ix = |program: &str, accounts: &[u8], data: &[u8]| {
        legacy_tx(&[OTHER, ALICE, program], 1, &[(3, accounts, data)])
    };
    vec![
        // Whatever a program of the attacker's does with a signer.
        ("attacker's program", ix(ATTACKER, &[0, 2], &[1, 2, 3])),
        // Withdraw(u64): [stake, recipient, clock, stake history,
        // withdraw authority]; the sysvars left out, as it does not matter
        // here.
        (
            "stake withdraw",
            ix(
                STAKE,
                &[1, 2, 0],
                &[
                    4u32.to_le_bytes().as_slice(),
                    &5_000_000_000u64.to_le_bytes(),
                ]
                .concat(),
            ),
        ),
        // SetAuthority: [program data, current authority, new authority].
        (
            "upgradeable loader set authority",
            ix(UPGRADEABLE_LOADER, &[1, 0, 2], &4u32.to_le_bytes()),
        ),
        // CloseLookupTable: [table, authority, recipient].
        (
            "lookup table close",
            ix(LOOKUP_TABLE, &[1, 0, 2], &4u32.to_le_bytes()),
        ),
        // RecoverNested: not read.
        (
            "associated token account recover nested",
            ix(ATA_PROGRAM, &[1, 2, 0], &[2]),
        ),
        // CreateIdempotent with another program as the token program
        // (account 5), which would size and own the account the wallet
        // pays for.
        (
            "associated token account create, another token program",
            legacy_tx(
                &[OTHER, ALICE, MINT, ATTACKER, ATA_PROGRAM],
                3,
                &[(5, &[0, 1, 2, 3, 0, 4], &[1])],
            ),
        ),
    ]
}

#[test]
fn an_unknown_program_given_the_wallet_counts_as_everything() {
    for (name, tx) in programs_given_the_wallet() {
        let i = sol_tx_intent(&tx);
        assert_eq!(i.lamports, keyframe_policy::Amount::MAX, "{name}");
        assert_eq!(i.to.as_deref(), Some("unknown"), "{name}");
        assert_eq!(
            approvals_of(&i),
            [("unknown".into(), "unknown".into(), None)],
            "{name}"
        );
        assert!(
            i.token_transfers
                .iter()
                .all(|t| t.to == "unknown" && t.amount == keyframe_policy::Amount::MAX),
            "{name}"
        );
        assert_eq!(judge(SMALL_SOL, &i), (Effect::Ask, None), "{name}");
    }
    // A small transfer and the attacker's program given the wallet.
    let both = legacy_tx(
        &[ALICE, "11111111111111111111111111111111", ATTACKER],
        2,
        &[(2, &[0, 1], &transfer_data(1_000_000)), (3, &[0], &[])],
    );
    let i = sol_tx_intent(&both);
    assert_eq!(i.lamports, keyframe_policy::Amount::MAX);
    assert_eq!(judge(SMALL_SOL, &i), (Effect::Ask, None));
    // The screen already warns of the unknown program.
    let screen = sol_screen(&both);
    assert!(
        codes(&screen).contains(&"UNKNOWN_PROGRAM".to_owned()),
        "{:?}",
        codes(&screen)
    );
}

#[test]
fn an_unknown_program_not_given_the_wallet_adds_nothing() {
    // The attacker's program with ALICE and a table-like account only:
    // it cannot use the wallet's signature.
    let tx = legacy_tx(&[OTHER, ALICE, ATTACKER], 1, &[(3, &[1, 2], &[9, 9])]);
    let i = sol_tx_intent(&tx);
    assert_eq!(i.programs, [ATTACKER]);
    assert!(i.lamports.is_zero() && i.to.is_none());
    assert!(i.token_transfers.is_empty() && i.approvals.is_empty());
    assert_eq!(
        judge(SMALL_SOL, &i),
        (Effect::Allow, Some("small-sol".into()))
    );
    // Without the wallet's key, any account may be the wallet's.
    let unknown_wallet = {
        use base64::Engine;
        let raw = base64::engine::general_purpose::STANDARD
            .decode(&tx)
            .unwrap();
        pi::solana_transaction_intent(&raw, &ctx1()).unwrap()
    };
    assert_eq!(unknown_wallet.lamports, keyframe_policy::Amount::MAX);
    // Beside a small transfer of the wallet's: judged by the transfer.
    let both = legacy_tx(
        &[ALICE, "11111111111111111111111111111111", ATTACKER],
        2,
        &[(2, &[0, 1], &transfer_data(1_000_000)), (3, &[1], &[])],
    );
    let i = sol_tx_intent(&both);
    assert_eq!(i.lamports.to_string(), "1000000");
    assert_eq!(i.to.as_deref(), Some(ALICE));
    assert_eq!(
        judge(SMALL_SOL, &i),
        (Effect::Allow, Some("small-sol".into()))
    );
}

#[test]
fn compute_budget_memo_and_token_account_creation_stay_harmless() {
    // The wallet's ordinary token send (compute budget, create the
    // recipient's token account, TransferChecked) moves only its tokens,
    // and the new account's rent (165 bytes, rent-exempt), which the
    // wallet pays.
    let plain = sol_tx_intent(SPL_CREATE_ATA_AND_TRANSFER);
    assert!(plain.approvals.is_empty());
    assert_eq!(plain.lamports.to_string(), "2039280");
    assert_eq!(
        transfers_of(&plain),
        [(MINT.into(), ALICE_ATA.into(), "2500000".into())]
    );
    assert_eq!(
        judge(SMALL_SOL, &plain),
        (Effect::Allow, Some("small-sol".into()))
    );
    let t22 = sol_tx_intent(T22_CREATE_ATA_AND_TRANSFER_WITH_FEE_50);
    assert!(t22.approvals.is_empty());
    assert_eq!(t22.lamports.to_string(), "10000000");
    // A transfer of 0.05 SOL with a compute unit limit and price, and a
    // memo of each version that the wallet signs (key 0 among its
    // accounts).
    let memo = legacy_tx(
        &[
            ALICE,
            "11111111111111111111111111111111",
            COMPUTE_BUDGET,
            MEMO,
            MEMO_V1,
        ],
        4,
        &[
            (3, &[], &[2, 0x40, 0x0d, 3, 0]),
            (3, &[], &[3, 0x88, 0x13, 0, 0, 0, 0, 0, 0]),
            (2, &[0, 1], &transfer_data(50_000_000)),
            (4, &[0], b"order 42"),
            (5, &[0], b"order 42"),
        ],
    );
    let i = sol_tx_intent(&memo);
    assert_eq!(
        i.programs,
        [
            COMPUTE_BUDGET,
            "11111111111111111111111111111111",
            MEMO,
            MEMO_V1
        ]
    );
    assert_eq!(i.lamports.to_string(), "50000000");
    assert_eq!(i.to.as_deref(), Some(ALICE));
    assert!(i.token_transfers.is_empty() && i.approvals.is_empty());
    assert_eq!(
        judge(SMALL_SOL, &i),
        (Effect::Allow, Some("small-sol".into()))
    );
    // Account creation under the real token program, the wallet paying.
    let ata_keys = [
        OTHER,
        ALICE,
        MINT,
        "11111111111111111111111111111111",
        TOKEN,
        ATA_PROGRAM,
    ];
    let create = legacy_tx(
        &ata_keys,
        4,
        &[
            (6, &[0, 1, 2, 3, 4, 5], &[1]),
            (6, &[0, 1, 2, 3, 4, 5], &[0]),
            (6, &[0, 1, 2, 3, 4, 5], &[]),
        ],
    );
    let i = sol_tx_intent(&create);
    assert!(i.token_transfers.is_empty() && i.approvals.is_empty());
    // Their rent: three classic token accounts (idempotent ones too: the
    // transaction cannot tell whether the account exists).
    assert_eq!(i.lamports.to_string(), (3 * 2_039_280u64).to_string());
    // Paid by someone else (key 1): nothing leaves the wallet.
    let sponsored = legacy_tx(&ata_keys, 4, &[(6, &[1, 2, 0, 3, 4, 5], &[1])]);
    assert!(sol_tx_intent(&sponsored).lamports.is_zero());
    assert_eq!(
        judge(SMALL_SOL, &i),
        (Effect::Allow, Some("small-sol".into()))
    );
}

// ---------- EVM: data too short for a selector is still a call ----------

#[test]
fn short_calldata_is_a_contract_call() {
    let plain = evm_vector("evm_tx.json", "native-transfer-1-wei")["tx"].clone();
    let sends = r#"{"version":1,"default":"ask","rules":[
        {"id":"plain-sends","effect":"allow","when":{"kinds":["evm_transaction"],"contract_call":false,"value_at_most":"1000000000000000000"}}]}"#;
    let i = pi::evm_transaction_intent(&plain, &ctx1()).unwrap();
    assert_eq!(i.selector, None);
    assert_eq!(
        judge(sends, &i),
        (Effect::Allow, Some("plain-sends".into()))
    );
    let calls = r#"{"version":1,"default":"ask","rules":[
        {"id":"calls","effect":"allow","when":{"contract_call":true}},
        {"id":"listed","effect":"deny","when":{"selectors":["0x01000000","0xabcdef00"]}}]}"#;
    for (data, selector) in [
        ("0x01", "0x01"),
        ("0xABCDEF", "0xabcdef"),
        ("0x0000", "0x0000"),
    ] {
        let mut tx = plain.clone();
        tx["data"] = data.into();
        let i = pi::evm_transaction_intent(&tx, &ctx1()).unwrap();
        assert_eq!(i.selector.as_deref(), Some(selector), "{data}");
        assert!(i.token_transfers.is_empty() && i.approvals.is_empty());
        // Not a plain send: it runs the contract's fallback.
        assert_eq!(judge(sends, &i), (Effect::Ask, None), "{data}");
        // A call, and no `selectors` entry (4 bytes) matches it.
        assert_eq!(
            judge(calls, &i),
            (Effect::Allow, Some("calls".into())),
            "{data}"
        );
        // What hot storage and the iFrame's policy read back (serde and
        // the hand decoder) is the same intent, judged the same.
        let text = serde_json::to_string(&i).unwrap();
        assert!(
            text.contains(&format!(r#""selector":"{selector}""#)),
            "{text}"
        );
        let by_hand: keyframe_policy::Intent = keyframe_json::decode(&text).unwrap();
        let by_serde: keyframe_policy::Intent = serde_json::from_str(&text).unwrap();
        assert_eq!(by_hand, i, "{data}");
        assert_eq!(by_serde, i, "{data}");
        assert_eq!(judge(sends, &by_hand), (Effect::Ask, None), "{data}");
    }
}

// ---------- fees: the most a request can pay (`max_fee`) ----------

/// A transfer of 1 wei to the friend on chain 1 with `fee` (the gas and
/// fee fields of one transaction type).
fn evm_tx_with(fee: Value) -> Value {
    let mut tx = serde_json::json!({"chainId": "0x1", "nonce": "0x0",
        "to": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", "value": "0x1"});
    for (k, v) in fee.as_object().unwrap() {
        tx[k] = v.clone();
    }
    tx
}

fn max_fee_of(tx: &Value) -> keyframe_policy::Amount {
    pi::evm_transaction_intent(tx, &ctx1())
        .unwrap()
        .max_fee
        .unwrap()
}

#[test]
fn an_evm_max_fee_is_the_gas_limit_times_the_fee_per_gas() {
    use keyframe_policy::Amount;
    // Legacy and EIP-2930: × gasPrice (21,000 gas at 3 gwei).
    let legacy = evm_tx_with(serde_json::json!({"gas": "0x5208", "gasPrice": "0xb2d05e00"}));
    assert_eq!(max_fee_of(&legacy), Amount::from(63_000_000_000_000u64));
    let eip2930 = evm_tx_with(serde_json::json!({"type": "0x1", "gas": "0x5208",
        "gasPrice": "0xb2d05e00", "accessList": []}));
    assert_eq!(max_fee_of(&eip2930), Amount::from(63_000_000_000_000u64));
    // EIP-1559: × maxFeePerGas (50,000 gas at 40 gwei), not the tip.
    let eip1559 = evm_tx_with(serde_json::json!({"type": "0x2", "gas": "0xc350",
        "maxFeePerGas": "0x9502f9000", "maxPriorityFeePerGas": "0x3b9aca00"}));
    assert_eq!(max_fee_of(&eip1559), Amount::from(2_000_000_000_000_000u64));
    // The same figure as the screen's "Max fee" (100,000 gas at 30 gwei).
    let v = evm_vector("evm_tx.json", "erc20-transfer-usdc");
    assert_eq!(max_fee_of(&v["tx"]), Amount::from(3_000_000_000_000_000u64));
    let screen = intent::describe_evm_transaction(&v["tx"], &ctx1()).unwrap();
    assert_eq!(field(&screen.fields, "Max fee", "usdc").value, "0.003 ETH");

    // A product beyond 256 bits counts as everything, never wrapped (a
    // wrapped one would be small: 2 × (2^256 − 1) mod 2^256 = 2^256 − 2).
    let max = format!("0x{}", "f".repeat(64));
    let absurd = evm_tx_with(serde_json::json!({"type": "0x2", "gas": "0x2",
        "maxFeePerGas": max, "maxPriorityFeePerGas": "0x1"}));
    assert_eq!(max_fee_of(&absurd), Amount::MAX);
    let absurd_legacy = evm_tx_with(serde_json::json!({"gas": "0x5208", "gasPrice": max}));
    assert_eq!(max_fee_of(&absurd_legacy), Amount::MAX);
    let p = r#"{"version":1,"default":"ask","rules":[
        {"id":"cheap","effect":"allow","when":{"fee_at_most":"63000000000000"}}]}"#;
    let judge_tx = |tx: &Value| judge(p, &pi::evm_transaction_intent(tx, &ctx1()).unwrap());
    assert_eq!(judge_tx(&legacy), (Effect::Allow, Some("cheap".into())));
    assert_eq!(judge_tx(&eip1559), (Effect::Ask, None));
    assert_eq!(judge_tx(&absurd), (Effect::Ask, None));

    // A batch pays each transaction's fee; messages and typed data none.
    let batch = pi::evm_batch_intent(&[legacy.clone(), eip2930], &ctx1()).unwrap();
    assert_eq!(batch.max_fee, Some(Amount::from(126_000_000_000_000u64)));
    assert_eq!(
        pi::personal_sign_intent(b"hello", &ctx1()).max_fee,
        Some(Amount::ZERO)
    );
    assert_eq!(
        pi::solana_message_intent(&ctx1()).max_fee,
        Some(Amount::ZERO)
    );
}

/// Compute Budget `SetComputeUnitLimit(units)`.
fn cu_limit(units: u32) -> Vec<u8> {
    [[2u8].as_slice(), &units.to_le_bytes()].concat()
}

/// Compute Budget `SetComputeUnitPrice(micro_lamports)`.
fn cu_price(micro_lamports: u64) -> Vec<u8> {
    [[3u8].as_slice(), &micro_lamports.to_le_bytes()].concat()
}

/// A transaction the wallet alone signs: `n` System transfers of 1 SOL to
/// Alice after the Compute Budget instructions `budget` (keys: 1 Alice,
/// 2 System, 3 Compute Budget).
fn with_budget(budget: &[&[u8]], n: usize) -> String {
    let transfer = transfer_data(1_000_000_000);
    let mut ixs: Vec<(u8, &[u8], &[u8])> = budget.iter().map(|d| (3, &[][..], *d)).collect();
    ixs.extend(std::iter::repeat_n(
        (2, &[0u8, 1][..], transfer.as_slice()),
        n,
    ));
    legacy_tx(
        &[ALICE, "11111111111111111111111111111111", COMPUTE_BUDGET],
        2,
        &ixs,
    )
}

fn sol_fee(b64: &str) -> keyframe_policy::Amount {
    sol_tx_intent(b64).max_fee.unwrap()
}

#[test]
fn a_solana_max_fee_is_the_signatures_and_the_priority_fee() {
    use keyframe_policy::Amount;
    // The base fee only: one signature, no price.
    let plain = with_budget(&[], 1);
    assert_eq!(sol_fee(&plain), Amount::from(5_000u64));
    assert_eq!(
        field(&sol_screen(&plain).fields, "Max fee", "plain").value,
        "0.000005 SOL"
    );
    // A limit without a price costs nothing more.
    assert_eq!(
        sol_fee(&with_budget(&[&cu_limit(300_000)], 1)),
        Amount::from(5_000u64)
    );
    // Price and limit: ⌈1,000,001 µ-lamports × 300,000 / 10^6⌉ = 300,001.
    let priced = with_budget(&[&cu_limit(300_000), &cu_price(1_000_001)], 1);
    assert_eq!(sol_fee(&priced), Amount::from(305_001u64));
    assert_eq!(
        field(&sol_screen(&priced).fields, "Max fee", "priced").value,
        "0.000305001 SOL"
    );
    // A limit above the most a transaction may have counts as that most.
    assert_eq!(
        sol_fee(&with_budget(
            &[&cu_limit(u32::MAX), &cu_price(1_000_000)],
            1
        )),
        Amount::from(1_405_000u64)
    );
    // A price and no limit: 200,000 units for each instruction that is not
    // a Compute Budget one (two transfers: 400,000), at most 1,400,000
    // (eight transfers: 1,600,000).
    assert_eq!(
        sol_fee(&with_budget(&[&cu_price(1_000_000)], 2)),
        Amount::from(405_000u64)
    );
    assert_eq!(
        sol_fee(&with_budget(&[&cu_price(1_000_000)], 8)),
        Amount::from(1_405_000u64)
    );
    // The largest price at the largest limit (seven transfers: 1,400,000
    // units) is counted exactly, never wrapped (the runtime holds the
    // priority fee at 2^64 − 1, less than this).
    assert_eq!(
        sol_fee(&with_budget(&[&cu_price(u64::MAX)], 7)),
        Amount::from(u128::from(u64::MAX) * 1_400_000 / 1_000_000 + 5_000)
    );
    // Signatures an Ed25519 precompile instruction verifies are charged as
    // the transaction's own: two of them here.
    let ed25519 = legacy_tx(
        &[ALICE, "Ed25519SigVerify111111111111111111111111111"],
        1,
        &[(2, &[], &[2, 0])],
    );
    assert_eq!(sol_fee(&ed25519), Amount::from(15_000u64));

    // A Compute Budget instruction it cannot read, or one given twice,
    // counts as every lamport; the screen says the fee is unknown.
    for (what, budget) in [
        ("no data", vec![vec![]]),
        (
            "the deprecated RequestUnits, which carried a fee",
            vec![[[0u8].as_slice(), &[0; 8]].concat()],
        ),
        ("an unknown tag", vec![vec![9, 1, 2, 3, 4]]),
        ("the price twice", vec![cu_price(1), cu_price(1)]),
        ("the limit twice", vec![cu_limit(1), cu_limit(1)]),
        (
            "a heap frame twice",
            vec![vec![1, 0, 0, 1, 0], vec![1, 0, 0, 1, 0]],
        ),
    ] {
        let budget: Vec<&[u8]> = budget.iter().map(Vec::as_slice).collect();
        let tx = with_budget(&budget, 1);
        assert_eq!(sol_fee(&tx), Amount::MAX, "{what}");
        assert!(
            field(&sol_screen(&tx).fields, "Max fee", what)
                .value
                .starts_with("unknown"),
            "{what}"
        );
    }
    // The limits it reads but that cost nothing: once each is fine.
    let heap_and_data = with_budget(&[&[1, 0, 0, 1, 0], &[4, 0, 0, 1, 0]], 1);
    assert_eq!(sol_fee(&heap_and_data), Amount::from(5_000u64));

    let p = r#"{"version":1,"default":"ask","rules":[
        {"id":"cheap","effect":"allow","when":{"kinds":["solana_transaction"],"fee_at_most":"305001"}}]}"#;
    assert_eq!(
        judge(p, &sol_tx_intent(&priced)),
        (Effect::Allow, Some("cheap".into()))
    );
    let dearer = with_budget(&[&cu_limit(300_000), &cu_price(1_000_005)], 1);
    assert_eq!(sol_fee(&dearer), Amount::from(305_002u64));
    assert_eq!(judge(p, &sol_tx_intent(&dearer)), (Effect::Ask, None));
}
