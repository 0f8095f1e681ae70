//! src/signing.rs: for every signing method, the intent `keyframe_simulate`
//! judges (through `SigningRequest`) equals the one the method's signing
//! handler judges (its reader and its intent function, as
//! src/web/methods/signing.rs calls them), and both equal the intent
//! mapped straight from the request's content, so the simulator cannot
//! drift from what is signed.

use super::*;
use base64::Engine as _;
use keyframe_signer::intent::policy as pi;
use keyframe_signer::signing::{
    EvmBatch, EvmTransaction, PersonalSign, SigningRequest, SolanaMessage, SolanaTransaction,
    TypedData,
};
use keyframe_wire::rpc::Method;
use serde_json::json;

const ME: &str = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";

fn vector(file: &str, name: &str) -> Value {
    list(&intent_vector(file), "vectors")
        .into_iter()
        .find(|v| v["name"] == name)
        .unwrap_or_else(|| panic!("no vector {name}"))
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The Solana transaction of a vector, its bytes, and the context of its
/// signer.
fn solana_tx() -> (Vec<u8>, Context) {
    let file = intent_vector("solana_tx.json");
    let v = vector("solana_tx.json", "system-transfer-1.5-sol");
    let tx = base64::engine::general_purpose::STANDARD
        .decode(s(&v["tx"]))
        .unwrap();
    let mut ctx = ctx1();
    let me = bs58::decode(s(&file["signer"])).into_vec().unwrap();
    ctx.solana_address = Some(me.try_into().unwrap());
    (tx, ctx)
}

type Intents = (keyframe_policy::Intent, Vec<keyframe_policy::Intent>);

/// What the signing handler of `method` judges: its reader, then its
/// intent function.
fn signing_path(method: Method, p: &Value, ctx: &Context) -> Intents {
    let one = match method {
        Method::PersonalSign => PersonalSign::read(p).unwrap().intent(ctx),
        Method::EthSignTypedDataV4 => TypedData::read(p).unwrap().intent(ctx).unwrap(),
        Method::EthSignTransaction => EvmTransaction::read(p).unwrap().intent(ctx).unwrap(),
        Method::SignTransactions => return EvmBatch::read(p).unwrap().intents(ctx).unwrap(),
        Method::SolanaSignMessage => SolanaMessage::read(p).unwrap().intent(ctx),
        Method::SolanaSignTransaction => SolanaTransaction::read(p).unwrap().intent(ctx).unwrap(),
        // Never signed; the simulator judges it as a raw digest.
        Method::EthSign => pi::raw_digest_intent(ctx),
        other => panic!("{other} is not a signing method"),
    };
    (one, Vec::new())
}

/// What `keyframe_simulate` judges for `{ method, params }`.
fn simulator(method: Method, p: &Value, ctx: &Context) -> Intents {
    SigningRequest::read(method, p)
        .unwrap_or_else(|| panic!("{method} reads as no signing request"))
        .unwrap()
        .policy_intent(ctx)
        .unwrap()
}

#[test]
fn the_simulator_judges_what_each_signing_method_would_sign() {
    let ctx = ctx1();
    let (sol_tx, sol_ctx) = solana_tx();
    let typed = vector("typed_data.json", "erc2612-permit-usdc")["typed_data"].clone();
    let usdc = vector("evm_tx.json", "erc20-transfer-usdc")["tx"].clone();
    let approve = vector("evm_tx.json", "erc20-approve-unlimited")["tx"].clone();
    // Each signing method's params, and the intent its content maps to.
    let cases: Vec<(Method, Value, &Context, Intents)> = vec![
        (
            Method::PersonalSign,
            json!(["0x68656c6c6f", ME]),
            &ctx,
            (pi::personal_sign_intent(b"hello", &ctx), vec![]),
        ),
        (
            Method::EthSignTypedDataV4,
            json!([ME, typed.to_string()]),
            &ctx,
            (
                pi::typed_data_intent(&typed.to_string(), &ctx).unwrap(),
                vec![],
            ),
        ),
        (
            Method::EthSignTransaction,
            json!([usdc]),
            &ctx,
            (pi::evm_transaction_intent(&usdc, &ctx).unwrap(), vec![]),
        ),
        (
            Method::SignTransactions,
            json!({ "transactions": [usdc, approve] }),
            &ctx,
            (
                pi::evm_batch_intent(&[usdc.clone(), approve.clone()], &ctx).unwrap(),
                vec![
                    pi::evm_transaction_intent(&usdc, &ctx).unwrap(),
                    pi::evm_transaction_intent(&approve, &ctx).unwrap(),
                ],
            ),
        ),
        (
            Method::SolanaSignMessage,
            json!({ "message": b64(b"hello solana") }),
            &sol_ctx,
            (pi::solana_message_intent(&sol_ctx), vec![]),
        ),
        (
            Method::SolanaSignTransaction,
            json!({ "transaction": b64(&sol_tx) }),
            &sol_ctx,
            (
                pi::solana_transaction_intent(&sol_tx, &sol_ctx).unwrap(),
                vec![],
            ),
        ),
        (
            Method::EthSign,
            json!([ME, "0x00"]),
            &ctx,
            (pi::raw_digest_intent(&ctx), vec![]),
        ),
    ];
    // Every method of the wire list that signs has a case here; the others
    // read as no signing request.
    for method in Method::ALL {
        let p = cases.iter().find(|c| c.0 == *method).map(|c| &c.1);
        match (SigningRequest::read(*method, p.unwrap_or(&Value::Null)), p) {
            (Some(_), Some(_)) | (None, None) => {}
            (Some(_), None) => panic!("{method} signs but has no case"),
            (None, Some(_)) => panic!("{method} has a case but reads as no signing request"),
        }
    }
    for (method, p, ctx, expected) in &cases {
        let signed = signing_path(*method, p, ctx);
        assert_eq!(simulator(*method, p, ctx), signed, "{method}");
        assert_eq!(&signed, expected, "{method}");
    }
    // The distinct kinds show the cases are not one intent seven times
    // (eth_sign is judged as an EVM message, a batch as a transaction).
    let kinds: std::collections::BTreeSet<String> =
        cases.iter().map(|c| format!("{:?}", c.3.0.kind)).collect();
    assert_eq!(kinds.len(), 5, "{kinds:?}");
}

#[test]
fn typed_data_reads_the_same_as_a_string_or_an_object() {
    let ctx = ctx1();
    let typed = vector("typed_data.json", "erc2612-permit-usdc")["typed_data"].clone();
    let as_text = simulator(
        Method::EthSignTypedDataV4,
        &json!([ME, typed.to_string()]),
        &ctx,
    );
    let as_object = simulator(Method::EthSignTypedDataV4, &json!([ME, typed]), &ctx);
    assert_eq!(as_text, as_object);
    let err = SigningRequest::read(Method::EthSignTypedDataV4, &json!([ME, 7]))
        .unwrap()
        .err()
        .unwrap();
    assert!(
        err.message.contains("JSON string or object"),
        "{}",
        err.message
    );
}

#[test]
fn the_simulator_refuses_what_signing_refuses() {
    let (sol_tx, _) = solana_tx();
    // A Solana transaction's message passed off as a message to sign:
    // signing refuses it, and so does the simulator (it used to judge it
    // as a plain message). The message follows the signatures (a one-byte
    // count here, then 64 bytes each).
    let signatures = usize::from(sol_tx[0]);
    assert!(signatures < 0x80);
    let message = &sol_tx[1 + 64 * signatures..];
    let p = json!({ "message": b64(message) });
    let signing = SolanaMessage::read(&p).err().unwrap();
    let simulated = SigningRequest::read(Method::SolanaSignMessage, &p)
        .unwrap()
        .err()
        .unwrap();
    assert_eq!(signing.message, simulated.message);
    assert!(simulated.message.contains("Solana transaction"));
    // A non-string `from` in a batch.
    let p = json!({ "transactions": [{ "from": 1, "to": ME }] });
    assert!(EvmBatch::read(&p).is_err());
    assert!(
        SigningRequest::read(Method::SignTransactions, &p)
            .unwrap()
            .is_err()
    );
    // Bad base64.
    let p = json!({ "transaction": "not base64!" });
    assert!(
        SigningRequest::read(Method::SolanaSignTransaction, &p)
            .unwrap()
            .is_err()
    );
}
