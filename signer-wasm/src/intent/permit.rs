//! Permits said in one sentence: ERC-2612 `Permit`, the DAI-style permit,
//! and Uniswap Permit2's `PermitSingle`, `PermitBatch`,
//! `PermitTransferFrom` and `PermitBatchTransferFrom`.
//!
//! A permit is recognised by its primary type's exact field list (names and
//! types, in order) and, for Permit2, the nested types' too; a document
//! that differs in any field is shown only as a tree.

use super::time::format_unix;
use super::tokens::{show_address, show_amount, show_token};
use super::typed::{Types, fields_of, json_address, json_u256};
use super::units::is_unlimited;
use super::{Builder, Context, WarningCode};
use alloy_primitives::U256;
use serde_json::Value;

const ERC2612: &[(&str, &str)] = &[
    ("owner", "address"),
    ("spender", "address"),
    ("value", "uint256"),
    ("nonce", "uint256"),
    ("deadline", "uint256"),
];
const DAI: &[(&str, &str)] = &[
    ("holder", "address"),
    ("spender", "address"),
    ("nonce", "uint256"),
    ("expiry", "uint256"),
    ("allowed", "bool"),
];
const PERMIT_DETAILS: &[(&str, &str)] = &[
    ("token", "address"),
    ("amount", "uint160"),
    ("expiration", "uint48"),
    ("nonce", "uint48"),
];
const PERMIT_SINGLE: &[(&str, &str)] = &[
    ("details", "PermitDetails"),
    ("spender", "address"),
    ("sigDeadline", "uint256"),
];
const PERMIT_BATCH: &[(&str, &str)] = &[
    ("details", "PermitDetails[]"),
    ("spender", "address"),
    ("sigDeadline", "uint256"),
];
const TOKEN_PERMISSIONS: &[(&str, &str)] = &[("token", "address"), ("amount", "uint256")];
const PERMIT_TRANSFER_FROM: &[(&str, &str)] = &[
    ("permitted", "TokenPermissions"),
    ("spender", "address"),
    ("nonce", "uint256"),
    ("deadline", "uint256"),
];
const PERMIT_BATCH_TRANSFER_FROM: &[(&str, &str)] = &[
    ("permitted", "TokenPermissions[]"),
    ("spender", "address"),
    ("nonce", "uint256"),
    ("deadline", "uint256"),
];

fn is(types: &Types, name: &str, want: &[(&str, &str)]) -> bool {
    fields_of(types, name).is_some_and(|f| {
        f.len() == want.len()
            && f.iter()
                .zip(want)
                .all(|((n, t), (wn, wt))| n == wn && t == wt)
    })
}

/// "until DATE" of a deadline or expiry; a value beyond 64 bits (such as
/// 2^256 − 1) never arrives.
fn until(v: U256) -> String {
    match u64::try_from(v) {
        Ok(s) => format!("until {}", format_unix(s)),
        Err(_) => "with no deadline".to_owned(),
    }
}

struct Grant {
    token: [u8; 20],
    amount: U256,
}

fn approval_warnings(b: &mut Builder, spender: &str, grants: &[Grant]) {
    if grants.iter().any(|g| is_unlimited(g.amount)) {
        b.warn(
            WarningCode::UnlimitedApproval,
            format!("This signature lets {spender} spend an unlimited amount of your tokens."),
        );
    }
    b.warn(
        WarningCode::Approval,
        format!("This signature lets {spender} move your tokens without asking again; no transaction of yours is needed."),
    );
}

fn grants(ctx: &Context, chain: u64, grants: &[Grant]) -> String {
    grants
        .iter()
        .map(|g| show_amount(ctx, chain, &g.token, g.amount))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The one-sentence summary of a recognised permit (adding its warnings to
/// `b`), or `None`.
pub(crate) fn recognise(
    ctx: &Context,
    chain: u64,
    types: &Types,
    primary: &str,
    verifying: Option<&[u8; 20]>,
    m: &Value,
    b: &mut Builder,
) -> Option<String> {
    let addr = |v: &Value, k: &str| json_address(v.get(k)?);
    let num = |v: &Value, k: &str| json_u256(v.get(k)?);
    if primary == "Permit" && is(types, "Permit", ERC2612) {
        let token = *verifying?;
        let sp = show_address(ctx, &addr(m, "spender")?);
        let g = [Grant {
            token,
            amount: num(m, "value")?,
        }];
        let deadline = until(num(m, "deadline")?);
        approval_warnings(b, &sp, &g);
        return Some(format!(
            "Lets {sp} spend {} {deadline} (the permit's deadline; the allowance stays until spent or revoked)",
            grants(ctx, chain, &g)
        ));
    }
    if primary == "Permit" && is(types, "Permit", DAI) {
        let token = *verifying?;
        let sp = show_address(ctx, &addr(m, "spender")?);
        let expiry = num(m, "expiry")?;
        // DAI reads an expiry of 0 as "no deadline".
        let deadline = if expiry == U256::ZERO {
            "with no deadline".to_owned()
        } else {
            until(expiry)
        };
        if !m.get("allowed")?.as_bool()? {
            return Some(format!(
                "Revokes {sp}'s allowance of {} (permit usable {deadline})",
                show_token(ctx, chain, &token)
            ));
        }
        let g = [Grant {
            token,
            amount: U256::MAX,
        }];
        approval_warnings(b, &sp, &g);
        return Some(format!(
            "Lets {sp} spend {} {deadline} (the permit's deadline; the allowance stays until revoked)",
            grants(ctx, chain, &g)
        ));
    }
    let permit2_details = |d: &Value| -> Option<(Grant, U256)> {
        Some((
            Grant {
                token: addr(d, "token")?,
                amount: num(d, "amount")?,
            },
            num(d, "expiration")?,
        ))
    };
    if is(types, "PermitDetails", PERMIT_DETAILS)
        && ((primary == "PermitSingle" && is(types, "PermitSingle", PERMIT_SINGLE))
            || (primary == "PermitBatch" && is(types, "PermitBatch", PERMIT_BATCH)))
    {
        let sp = show_address(ctx, &addr(m, "spender")?);
        let details: Vec<(Grant, U256)> = match m.get("details")? {
            Value::Array(a) => a.iter().map(permit2_details).collect::<Option<_>>()?,
            d => vec![permit2_details(d)?],
        };
        let parts: Vec<String> = details
            .iter()
            .map(|(g, exp)| {
                // Permit2 reads an expiration of 0 as "the block it is used in".
                let deadline = if *exp == U256::ZERO {
                    "until the block it is used in".to_owned()
                } else {
                    until(*exp)
                };
                format!("{} {deadline}", show_amount(ctx, chain, &g.token, g.amount))
            })
            .collect();
        let g: Vec<Grant> = details.into_iter().map(|(g, _)| g).collect();
        approval_warnings(b, &sp, &g);
        return Some(format!(
            "Lets {sp} spend {} through Permit2 (signature usable {})",
            parts.join("; "),
            until(num(m, "sigDeadline")?)
        ));
    }
    if is(types, "TokenPermissions", TOKEN_PERMISSIONS)
        && ((primary == "PermitTransferFrom"
            && is(types, "PermitTransferFrom", PERMIT_TRANSFER_FROM))
            || (primary == "PermitBatchTransferFrom"
                && is(types, "PermitBatchTransferFrom", PERMIT_BATCH_TRANSFER_FROM)))
    {
        let sp = show_address(ctx, &addr(m, "spender")?);
        let one = |p: &Value| {
            Some(Grant {
                token: addr(p, "token")?,
                amount: num(p, "amount")?,
            })
        };
        let g: Vec<Grant> = match m.get("permitted")? {
            Value::Array(a) => a.iter().map(one).collect::<Option<_>>()?,
            p => vec![one(p)?],
        };
        let deadline = until(num(m, "deadline")?);
        approval_warnings(b, &sp, &g);
        return Some(format!(
            "Lets {sp} spend {} through Permit2, once, {deadline}",
            grants(ctx, chain, &g)
        ));
    }
    None
}

/// `(token, amount)` pairs a permit grants.
pub(crate) type Grants = Vec<([u8; 20], U256)>;

/// What a recognised permit grants, for the policy intent
/// (`super::policy`): the spender and each `(token, amount)`. The same
/// recognition as [`recognise`] (exact field lists); a DAI permit with
/// `allowed: false` grants nothing.
pub(crate) fn permit_grants(
    types: &Types,
    primary: &str,
    verifying: Option<&[u8; 20]>,
    m: &Value,
) -> Option<([u8; 20], Grants)> {
    let addr = |v: &Value, k: &str| json_address(v.get(k)?);
    let num = |v: &Value, k: &str| json_u256(v.get(k)?);
    if primary == "Permit" && is(types, "Permit", ERC2612) {
        return Some((addr(m, "spender")?, vec![(*verifying?, num(m, "value")?)]));
    }
    if primary == "Permit" && is(types, "Permit", DAI) {
        let token = *verifying?;
        let allowed = m.get("allowed")?.as_bool()?;
        let grants = if allowed {
            vec![(token, U256::MAX)]
        } else {
            Vec::new()
        };
        return Some((addr(m, "spender")?, grants));
    }
    let pair = |d: &Value, amount: &str| Some((addr(d, "token")?, num(d, amount)?));
    let list = |v: &Value, amount: &str| -> Option<Grants> {
        match v {
            Value::Array(a) => a.iter().map(|d| pair(d, amount)).collect(),
            d => Some(vec![pair(d, amount)?]),
        }
    };
    if is(types, "PermitDetails", PERMIT_DETAILS)
        && ((primary == "PermitSingle" && is(types, "PermitSingle", PERMIT_SINGLE))
            || (primary == "PermitBatch" && is(types, "PermitBatch", PERMIT_BATCH)))
    {
        return Some((addr(m, "spender")?, list(m.get("details")?, "amount")?));
    }
    if is(types, "TokenPermissions", TOKEN_PERMISSIONS)
        && ((primary == "PermitTransferFrom"
            && is(types, "PermitTransferFrom", PERMIT_TRANSFER_FROM))
            || (primary == "PermitBatchTransferFrom"
                && is(types, "PermitBatchTransferFrom", PERMIT_BATCH_TRANSFER_FROM)))
    {
        return Some((addr(m, "spender")?, list(m.get("permitted")?, "amount")?));
    }
    None
}
