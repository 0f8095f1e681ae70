//! EVM transactions in words: network, recipient (contract creation
//! flagged), value and maximum fee in the native unit exactly, nonce, and
//! the calldata ([`super::calldata`]).
//!
//! The JSON is parsed by the signer's own parser (src/evm/tx.rs), so a
//! transaction it refuses is refused here and what is shown is exactly what
//! would be signed.

use super::calldata::describe_call;
use super::tokens::show_address;
use super::units::format_units;
use super::{Builder, Context, Field, Intent, IntentKind, Warning, WarningCode, bad};
use crate::Result;
use crate::evm::tx::{TxType, parse_tx};
use alloy_primitives::U256;
use serde_json::Value;

/// A native amount: "1.5 ETH" with the network's decimals, else wei.
fn native(ctx: &Context, v: U256) -> String {
    match ctx.active_network() {
        Some(n) => format!("{} {}", format_units(v, n.decimals), n.symbol),
        None => format!("{v} wei"),
    }
}

/// Describes an `eth_signTransaction` / `eth_sendTransaction` request on
/// the active chain `ctx.chain_id`.
pub fn describe_evm_transaction(tx: &Value, ctx: &Context) -> Result<Intent> {
    let parsed = parse_tx(tx, ctx.chain_id)?;
    // The figure the policy's intent carries as `max_fee` too
    // (`crate::intent::policy`).
    let max_fee = parsed.max_fee_wei();
    let (chain_id, nonce, gas, to, value) = (
        parsed.chain_id,
        parsed.nonce,
        parsed.gas_limit,
        parsed.to,
        parsed.value,
    );
    let ty = parsed.ty;
    let access = parsed.access_list.len();
    let data = parsed.data;

    let mut b = Builder::default();
    b.field("Network", ctx.chain_name(chain_id));
    let value_s = native(ctx, value);
    let summary = match &to {
        None => {
            b.field("To", "New contract");
            b.warn(
                WarningCode::ContractCreation,
                "This transaction deploys a new contract from your account. Approve only if you meant to deploy one.",
            );
            b.field("Value", value_s.clone());
            format!("Deploys a contract ({} bytes of code)", data.len())
        }
        Some(addr) => {
            let dst = show_address(ctx, addr);
            b.field("To", dst.clone());
            b.field("Value", value_s.clone());
            if data.is_empty() {
                format!("Sends {value_s} to {dst}")
            } else {
                let call = describe_call(ctx, chain_id, addr, &data, &mut b)?;
                if value == U256::ZERO {
                    call
                } else {
                    format!("{call}, and sends {value_s} to {dst}")
                }
            }
        }
    };
    // gas < 2^64 and fee < 2^256: the product can overflow only for absurd
    // fees; it is then said as such rather than wrapped.
    let max_fee = max_fee.map_or_else(|| "more than 2^256 wei".to_owned(), |f| native(ctx, f));
    b.field("Max fee", max_fee);
    b.field("Gas limit", gas.to_string());
    b.field("Nonce", nonce.to_string());
    b.field(
        "Type",
        match ty {
            TxType::Legacy => "Legacy (EIP-155)",
            TxType::Eip2930 => "EIP-2930",
            TxType::Eip1559 => "EIP-1559",
        },
    );
    if access > 0 {
        b.field("Access list", format!("{access} entries"));
    }
    Ok(Intent {
        kind: IntentKind::EvmTransaction,
        title: "Sign transaction".to_owned(),
        summary: Some(summary),
        fields: b.fields,
        warnings: b.warnings,
        raw: (!data.is_empty()).then(|| format!("0x{}", hex::encode(&data))),
    })
}

/// The most transactions one batch may hold (`keyframe_signTransactions`):
/// as many parts as hot storage takes with the batch's share request.
pub const MAX_BATCH: usize = keyframe_wire::policy::MAX_INTENT_PARTS;

/// A batch of EVM transactions (EIP-5792 `wallet_sendCalls`, signed at once
/// and sent in order): one description with a "Call N" entry per
/// transaction, holding that transaction's own fields, and every warning
/// prefixed with the call it belongs to.
pub fn describe_evm_batch(txs: &[Value], ctx: &Context) -> Result<Intent> {
    if txs.is_empty() || txs.len() > MAX_BATCH {
        return Err(bad(format!("a batch holds 1 to {MAX_BATCH} transactions")));
    }
    let mut fields = Vec::with_capacity(txs.len());
    let mut warnings = Vec::new();
    for (i, tx) in txs.iter().enumerate() {
        let n = i + 1;
        let one = describe_evm_transaction(tx, ctx)?;
        let mut field = Field::new(
            format!("Call {n}"),
            one.summary.clone().unwrap_or_else(|| one.title.clone()),
        );
        field.children = one.fields;
        fields.push(field);
        warnings.extend(one.warnings.into_iter().map(|w| Warning {
            code: w.code,
            message: format!("Call {n}: {}", w.message),
        }));
    }
    Ok(Intent {
        kind: IntentKind::EvmTransaction,
        title: format!("{} transactions", txs.len()),
        summary: Some(format!(
            "Signs {} transactions, which the app sends one after the other, in this order.",
            txs.len()
        )),
        fields,
        warnings,
        raw: None,
    })
}
