//! The signing methods. Each reads its params through `crate::signing`
//! (the one reader `keyframe_simulate` uses too), checks the addresses it
//! names are this wallet's, describes the request for the consent screen,
//! and signs with the rebuilt key under the policy's intent.

use keyframe_json::json;
use keyframe_wire::b64;

use crate::Reason;
use crate::flows::RpcError;
use crate::flows::error::UNSUPPORTED_METHOD;
use crate::intent;
use crate::signing::{
    EvmBatch, EvmTransaction, PersonalSign, SolanaMessage, SolanaTransaction, TypedData,
};
use crate::{evm, solana};

handler!(personal_sign(s, p) {
    let request = PersonalSign::read(p)?;
    s.check_evm_address(&request.address)?;
    let ctx = s.intent_context();
    let described = intent::describe_personal_sign(&request.message, &ctx);
    let policy = request.intent(&ctx);
    let bytes = request.message;
    s.sign("personal_sign", &described, &policy, &[], move |secret| {
        let key = secret.evm_signing_key(0)?;
        Ok(json!(evm::signature_hex(&evm::personal_sign(&key, &bytes)?)))
    })
    .await
});

handler!(sign_typed_data(s, p) {
    let request = TypedData::read(p)?;
    s.check_evm_address(&request.address)?;
    let chain = s.chain_id.get();
    let ctx = s.intent_context();
    let described = intent::describe_typed_data(&request.typed, &ctx)?;
    let policy = request.intent(&ctx)?;
    let typed = request.typed;
    s.sign("eth_signTypedData_v4", &described, &policy, &[], move |secret| {
        let key = secret.evm_signing_key(0)?;
        Ok(json!(evm::signature_hex(&evm::sign_typed_data(&key, &typed, Some(chain))?)))
    })
    .await
});

handler!(sign_transaction(s, p) {
    let request = EvmTransaction::read(p)?;
    if let Some(from) = request.from() {
        s.check_evm_address(from)?;
    }
    let chain = s.chain_id.get();
    let ctx = s.intent_context();
    let described = intent::describe_evm_transaction(&request.tx, &ctx)?;
    let policy = request.intent(&ctx)?;
    let tx = request.tx;
    s.sign("eth_signTransaction", &described, &policy, &[], move |secret| {
        let key = secret.evm_signing_key(0)?;
        let signed = evm::sign_transaction(&key, &tx, chain)?;
        Ok(json!(format!("0x{}", hex::encode(signed.raw))))
    })
    .await
});

// A batch (EIP-5792 in the SDK): every transaction on one screen, each
// signed with the one rebuilt key, in order.
handler!(sign_transactions(s, p) {
    let request = EvmBatch::read(p)?;
    for from in request.froms() {
        s.check_evm_address(from)?;
    }
    let chain = s.chain_id.get();
    let ctx = s.intent_context();
    let described = intent::describe_evm_batch(&request.txs, &ctx)?;
    let (policy, parts) = request.intents(&ctx)?;
    let txs = request.txs;
    s.sign("keyframe_signTransactions", &described, &policy, &parts, move |secret| {
        let key = secret.evm_signing_key(0)?;
        let mut raws = Vec::with_capacity(txs.len());
        for tx in &txs {
            let signed = evm::sign_transaction(&key, tx, chain)?;
            raws.push(format!("0x{}", hex::encode(signed.raw)));
        }
        Ok(json!({ "transactions": raws }))
    })
    .await
});

handler!(solana_sign_message(s, p) {
    // Refuses a "message" that parses as a transaction.
    let request = SolanaMessage::read(p)?;
    let ctx = s.intent_context();
    let described = intent::describe_solana_message(&request.message, &ctx);
    let policy = request.intent(&ctx);
    let message = request.message;
    s.sign("solana_signMessage", &described, &policy, &[], move |secret| {
        let key = secret.solana_signing_key(0)?;
        Ok(json!({ "signature": bs58::encode(solana::sign_message(&key, &message)).into_string() }))
    })
    .await
});

handler!(solana_sign_transaction(s, p) {
    let request = SolanaTransaction::read(p)?;
    let ctx = s.intent_context();
    let described = intent::describe_solana_transaction(&request.tx, &ctx)?;
    let policy = request.intent(&ctx)?;
    let tx = request.tx;
    s.sign("solana_signTransaction", &described, &policy, &[], move |secret| {
        let key = secret.solana_signing_key(0)?;
        Ok(json!({ "transaction": b64::encode(solana::sign_transaction(&key, &tx)?) }))
    })
    .await
});

// A digest handed in is never signed: the iFrame hashes what it signs.
handler!(eth_sign(s, p) {
    Err(RpcError::new(
        UNSUPPORTED_METHOD,
        Reason::BadRequest,
        "eth_sign signs an opaque digest and is refused; use personal_sign or eth_signTypedData_v4",
    ))
});
