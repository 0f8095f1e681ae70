//! Solana transactions: known answers, wrong instruction data, and
//! agreement with the signer on what it refuses.

use super::*;
use keyframe_signer::solana;

// ---------- Solana ----------

#[test]
fn solana_vectors() {
    let file = intent_vector("solana_tx.json");
    let mut ctx = ctx1();
    let me = bs58::decode(s(&file["signer"])).into_vec().unwrap();
    ctx.solana_address = Some(me.try_into().unwrap());
    let vs = list(&file, "vectors");
    assert!(vs.len() >= 11);
    for v in &vs {
        let name = s(&v["name"]);
        let tx = base64_decode(s(&v["tx"]));
        let i = intent::describe_solana_transaction(&tx, &ctx)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(i.kind, IntentKind::SolanaTransaction);
        assert_eq!(
            codes(&i),
            expected_codes(&v["expect"]),
            "{name}: {:#?}",
            i.warnings
        );
        assert_eq!(
            field(&i.fields, "Fee payer", name).value,
            format!("{} (you)", s(&file["signer"]))
        );
        for (n, want) in list(&v["expect"], "instructions").iter().enumerate() {
            let ix = field(&i.fields, &format!("Instruction {}", n + 1), name);
            assert_eq!(ix.value, s(&want["title"]), "{name}");
            check_fields(&ix.children, &want["fields"], name);
        }
    }
}

#[test]
fn wrong_instruction_data_lengths_are_refused() {
    let file = intent_vector("fail_solana_ix.json");
    let ctx = ctx1();
    let cases = list(&file, "cases");
    assert!(cases.len() >= 10);
    for c in &cases {
        let tx = base64_decode(s(&c["tx"]));
        let r = intent::describe_solana_transaction(&tx, &ctx);
        assert!(is_bad_request(&r), "{}: {r:?}", s(&c["name"]));
    }
}

#[test]
fn solana_transactions_the_signer_refuses_are_refused_and_truncations_too() {
    let ctx = ctx1();
    let fails = common::load("fail_solana_tx.json");
    let mut n = 0;
    for c in list(&fails, "cases") {
        let tx = base64_decode(s(&c["tx"]));
        let signer_ok =
            solana::sign_transaction(&common::ed_key(s(&c["signer_seed"])), &tx).is_ok();
        let r = intent::describe_solana_transaction(&tx, &ctx);
        if !signer_ok && r.is_ok() {
            // The decoder checks everything the signer checks but whether
            // this key is a required signer: that is not about what is signed.
            assert!(s(&c["name"]).starts_with("signer-"), "{}", s(&c["name"]));
        }
        n += usize::from(r.is_err());
    }
    assert!(n >= 5, "{n}");
    let good = intent_vector("solana_tx.json");
    for v in list(&good, "vectors") {
        let tx = base64_decode(s(&v["tx"]));
        for len in 0..tx.len() {
            assert!(
                intent::describe_solana_transaction(&tx[..len], &ctx).is_err(),
                "{} cut to {len}",
                s(&v["name"])
            );
        }
    }
    // The signer's own vectors (legacy and v0, memo, lookup tables) are all described.
    for v in list(&common::load("solana_tx.json"), "vectors") {
        intent::describe_solana_transaction(&base64_decode(s(&v["unsigned"])), &ctx)
            .unwrap_or_else(|e| panic!("{}: {e}", s(&v["name"])));
    }
}

fn base64_decode(t: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(t).unwrap()
}
