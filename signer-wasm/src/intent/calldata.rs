//! EVM calldata of the calls a wallet must be able to say in words: ERC-20
//! `transfer`, `approve`, `transferFrom`, `increaseAllowance`; ERC-721 and
//! ERC-1155 `setApprovalForAll`, `transferFrom`, `safeTransferFrom` (three
//! overloads); Permit2 `approve`. Anything else is an unknown contract call.
//!
//! ERC-20 and ERC-721 share the selectors of `approve` and `transferFrom`;
//! the amount is read with the token's decimals only when the contract is in
//! the token list, otherwise it is shown raw and named for both readings.

use super::abi::Args;
use super::time::format_unix;
use super::tokens::{show_address, show_amount, show_token};
use super::units::is_unlimited;
use super::{Builder, Context, WarningCode};
use crate::Result;
use alloy_primitives::U256;

pub(crate) const TRANSFER: [u8; 4] = [0xa9, 0x05, 0x9c, 0xbb];
pub(crate) const APPROVE: [u8; 4] = [0x09, 0x5e, 0xa7, 0xb3];
pub(crate) const TRANSFER_FROM: [u8; 4] = [0x23, 0xb8, 0x72, 0xdd];
pub(crate) const INCREASE_ALLOWANCE: [u8; 4] = [0x39, 0x50, 0x93, 0x51];
pub(crate) const SET_APPROVAL_FOR_ALL: [u8; 4] = [0xa2, 0x2c, 0xb4, 0x65];
pub(crate) const SAFE_TRANSFER_FROM_721: [u8; 4] = [0x42, 0x84, 0x2e, 0x0e];
pub(crate) const SAFE_TRANSFER_FROM_721_DATA: [u8; 4] = [0xb8, 0x8d, 0x4f, 0xde];
pub(crate) const SAFE_TRANSFER_FROM_1155: [u8; 4] = [0xf2, 0x42, 0x43, 0x2a];
pub(crate) const PERMIT2_APPROVE: [u8; 4] = [0x87, 0x51, 0x7c, 0x45];

/// Every selector this module decodes with its signature (tests check the
/// constants against keccak256 of the signature).
pub const KNOWN_SELECTORS: &[([u8; 4], &str)] = &[
    (TRANSFER, "transfer(address,uint256)"),
    (APPROVE, "approve(address,uint256)"),
    (TRANSFER_FROM, "transferFrom(address,address,uint256)"),
    (INCREASE_ALLOWANCE, "increaseAllowance(address,uint256)"),
    (SET_APPROVAL_FOR_ALL, "setApprovalForAll(address,bool)"),
    (
        SAFE_TRANSFER_FROM_721,
        "safeTransferFrom(address,address,uint256)",
    ),
    (
        SAFE_TRANSFER_FROM_721_DATA,
        "safeTransferFrom(address,address,uint256,bytes)",
    ),
    (
        SAFE_TRANSFER_FROM_1155,
        "safeTransferFrom(address,address,uint256,uint256,bytes)",
    ),
    (PERMIT2_APPROVE, "approve(address,address,uint160,uint48)"),
];

/// An amount of the called contract's token: with decimals when listed;
/// otherwise raw, said to be an amount or a token ID.
fn amount_or_id(ctx: &Context, chain: u64, contract: &[u8; 20], v: U256) -> String {
    if ctx.tokens.get(chain, contract).is_some() || is_unlimited(v) {
        show_amount(ctx, chain, contract, v)
    } else {
        format!(
            "{v} (raw amount of token {}, or NFT token ID {v})",
            crate::evm::checksum_address(contract)
        )
    }
}

fn warn_approval(b: &mut Builder, spender: &str, amount: U256) {
    if is_unlimited(amount) {
        b.warn(
            WarningCode::UnlimitedApproval,
            format!("{spender} may spend an unlimited amount of this token, now and later, until you revoke it."),
        );
    }
    b.warn(
        WarningCode::Approval,
        format!("{spender} may move these tokens out of your account without asking again."),
    );
}

/// Decodes `data` sent to `to` on `chain`. Adds fields and warnings to `b`
/// and returns the one-sentence summary. A known selector with malformed
/// arguments is refused; an unknown selector is described as such.
pub(crate) fn describe_call(
    ctx: &Context,
    chain: u64,
    to: &[u8; 20],
    data: &[u8],
    b: &mut Builder,
) -> Result<String> {
    let Some((sel, rest)) = data.split_first_chunk::<4>() else {
        return Ok(unknown(data, b));
    };
    let name = KNOWN_SELECTORS
        .iter()
        .find(|(s, _)| s == sel)
        .map(|(_, n)| *n);
    let Some(name) = name else {
        return Ok(unknown(data, b));
    };
    let a = Args::new(rest, name);
    let token = show_token(ctx, chain, to);
    b.field("Function", name);
    let summary = match *sel {
        TRANSFER => {
            a.need(2)?;
            let (dst, v) = (show_address(ctx, &a.address(0)?), a.uint(1, 256)?);
            let amount = show_amount(ctx, chain, to, v);
            b.field("Recipient", dst.clone());
            b.field("Amount", amount.clone());
            format!("Sends {amount} to {dst}")
        }
        APPROVE | INCREASE_ALLOWANCE => {
            a.need(2)?;
            let (sp, v) = (show_address(ctx, &a.address(0)?), a.uint(1, 256)?);
            let amount = amount_or_id(ctx, chain, to, v);
            b.field("Spender", sp.clone());
            b.field(
                if *sel == APPROVE {
                    "Amount"
                } else {
                    "Added allowance"
                },
                amount.clone(),
            );
            if *sel == APPROVE && v == U256::ZERO {
                format!("Sets the allowance of {sp} for {token} to zero")
            } else {
                warn_approval(b, &sp, v);
                if *sel == APPROVE {
                    format!("Lets {sp} spend {amount}")
                } else {
                    format!("Lets {sp} spend {amount} more")
                }
            }
        }
        TRANSFER_FROM | SAFE_TRANSFER_FROM_721 | SAFE_TRANSFER_FROM_721_DATA => {
            a.need(if *sel == SAFE_TRANSFER_FROM_721_DATA {
                4
            } else {
                3
            })?;
            let from = show_address(ctx, &a.address(0)?);
            let dst = show_address(ctx, &a.address(1)?);
            let v = a.uint(2, 256)?;
            let what = if *sel == TRANSFER_FROM {
                amount_or_id(ctx, chain, to, v)
            } else {
                format!("NFT #{v} of {token}")
            };
            b.field("From", from.clone());
            b.field("Recipient", dst.clone());
            b.field(
                if *sel == TRANSFER_FROM {
                    "Amount"
                } else {
                    "Token ID"
                },
                what.clone(),
            );
            if *sel == SAFE_TRANSFER_FROM_721_DATA {
                b.field("Data", format!("0x{}", hex::encode(a.bytes(3)?)));
            }
            format!("Moves {what} from {from} to {dst}")
        }
        SAFE_TRANSFER_FROM_1155 => {
            a.need(5)?;
            let from = show_address(ctx, &a.address(0)?);
            let dst = show_address(ctx, &a.address(1)?);
            let (id, v) = (a.uint(2, 256)?, a.uint(3, 256)?);
            b.field("From", from.clone());
            b.field("Recipient", dst.clone());
            b.field("Token ID", id.to_string());
            b.field("Amount", v.to_string());
            b.field("Data", format!("0x{}", hex::encode(a.bytes(4)?)));
            format!("Moves {v} of token #{id} of {token} from {from} to {dst}")
        }
        SET_APPROVAL_FOR_ALL => {
            a.need(2)?;
            let (op, ok) = (show_address(ctx, &a.address(0)?), a.bool(1)?);
            b.field("Operator", op.clone());
            b.field("Approved", if ok { "yes" } else { "no" });
            if ok {
                b.warn(
                    WarningCode::ApprovalForAll,
                    format!("{op} may move every token you own in this collection ({token}), now and later, until you revoke it."),
                );
                format!("Lets {op} move all your tokens of {token}")
            } else {
                format!("Revokes {op}'s access to all your tokens of {token}")
            }
        }
        PERMIT2_APPROVE => {
            a.need(4)?;
            let tok = a.address(0)?;
            let sp = show_address(ctx, &a.address(1)?);
            let v = a.uint(2, 160)?;
            let exp = a.uint(3, 48)?;
            let amount = show_amount(ctx, chain, &tok, v);
            let until = format_unix(u64::try_from(exp).unwrap_or(u64::MAX));
            b.field("Token", show_token(ctx, chain, &tok));
            b.field("Spender", sp.clone());
            b.field("Amount", amount.clone());
            b.field("Expires", until.clone());
            warn_approval(b, &sp, v);
            format!("Lets {sp} spend {amount} through Permit2 until {until}")
        }
        _ => return Ok(unknown(data, b)),
    };
    Ok(summary)
}

fn unknown(data: &[u8], b: &mut Builder) -> String {
    b.field("Function", "Unknown contract call");
    if data.len() >= 4 {
        b.field("Selector", format!("0x{}", hex::encode(&data[..4])));
    }
    b.field("Data", format!("{} bytes", data.len()));
    b.warn(
        WarningCode::UnknownContractCall,
        "This calls a contract function Keyframe cannot read. Approve only if you trust this site with everything this account holds.",
    );
    "Unknown contract call".to_owned()
}
