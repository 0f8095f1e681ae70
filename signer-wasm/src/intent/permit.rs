//! Permits said in one sentence: ERC-2612 `Permit`, the DAI-style permit,
//! and Uniswap Permit2's `PermitSingle`, `PermitBatch`,
//! `PermitTransferFrom`, `PermitBatchTransferFrom` and their witness forms
//! `PermitWitnessTransferFrom` and `PermitBatchWitnessTransferFrom`.
//!
//! A permit is recognised by its primary type's exact field list (names and
//! types, in order) and, for Permit2, the nested types' too; a document
//! that differs in any field is shown only as a tree. The witness forms are
//! the transfer forms' four fields followed by exactly one more, the
//! witness, of any name and type (Permit2 hashes the stub
//! `PermitWitnessTransferFrom(TokenPermissions permitted,address spender,uint256 nonce,uint256 deadline,`
//! followed by the spender's own witness type string, and signs whatever
//! 32-byte word the witness encodes to: a struct as usual, but an
//! elementary witness is as valid).
//!
//! The fields of a recognised permit are read with the signer's own
//! readers ([`crate::evm::json_bool`], [`crate::evm::json_uint`],
//! [`crate::evm::parse_address`]): what is signed is what is described and
//! judged (a DAI `"allowed": "true"` string is the `true` it is signed as).
//! Once the types match a permit, a field that cannot be read is an error,
//! never "no grants" ([`read_permit`]).
//!
//! Fail closed: a permit that cannot be read, and any typed data on
//! Permit2's domain (verifying contract [`PERMIT2`]) that is none of its
//! six permits, are described and judged as an unlimited approval to an
//! unknown spender: warnings `UNLIMITED_APPROVAL` and `APPROVAL`, and for
//! the policy an approval of 2^256 − 1 of token [`UNKNOWN`] to spender
//! [`UNKNOWN`] (the zero address), which a `spenders` rule does not list
//! and a `spenders_not_in` deny does not list either.

use super::bad;
use super::time::format_unix;
use super::tokens::{show_address, show_amount, show_token};
use super::typed::{Types, fields_of};
use super::units::is_unlimited;
use super::{Builder, Context, WarningCode};
use crate::Result;
use crate::evm::{json_bool, json_uint, parse_address};
use alloy_primitives::U256;
use serde_json::Value;

/// Uniswap's Permit2 contract, at the same address on every chain it is
/// deployed to (CREATE2): 0x000000000022D473030F116dDEE9F6B43aC78BA3.
pub(crate) const PERMIT2: [u8; 20] = [
    0x00, 0x00, 0x00, 0x00, 0x00, 0x22, 0xd4, 0x73, 0x03, 0x0f, 0x11, 0x6d, 0xde, 0xe9, 0xf6, 0xb4,
    0x3a, 0xc7, 0x8b, 0xa3,
];

/// The spender and token of an approval whose spender or token is not
/// known (fail closed): the zero address.
pub(crate) const UNKNOWN: [u8; 20] = [0; 20];

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

fn same(f: &[(String, String)], want: &[(&str, &str)]) -> bool {
    f.len() == want.len()
        && f.iter()
            .zip(want)
            .all(|((n, t), (wn, wt))| n == wn && t == wt)
}

fn is(types: &Types, name: &str, want: &[(&str, &str)]) -> bool {
    fields_of(types, name).is_some_and(|f| same(f, want))
}

/// The witness field's type when `name` is `want` followed by exactly one
/// more field (Permit2's witness forms).
fn witness<'a>(types: &'a Types, name: &str, want: &[(&str, &str)]) -> Option<&'a str> {
    let f = fields_of(types, name)?;
    let (last, head) = f.split_last()?;
    same(head, want).then_some(last.1.as_str())
}

// ---------- reading fields (the signer's readers) ----------

fn get<'a>(v: &'a Value, path: &str, k: &str) -> Result<&'a Value> {
    v.get(k).ok_or_else(|| bad(format!("{path}.{k}: missing")))
}

fn address(v: &Value, path: &str, k: &str) -> Result<[u8; 20]> {
    let p = format!("{path}.{k}");
    let s = get(v, path, k)?
        .as_str()
        .ok_or_else(|| bad(format!("{p}: expected an address string")))?;
    parse_address(&p, s)
}

/// A `uint<bits>` field, read as the signer reads it and within its range.
fn uint(v: &Value, path: &str, k: &str, bits: usize) -> Result<U256> {
    json_uint(get(v, path, k)?)
        .filter(|n| n.bit_len() <= bits)
        .ok_or_else(|| bad(format!("{path}.{k}: not a valid uint{bits}")))
}

fn boolean(v: &Value, path: &str, k: &str) -> Result<bool> {
    json_bool(get(v, path, k)?).ok_or_else(|| bad(format!("{path}.{k}: not a valid bool")))
}

/// The elements of a struct field declared `T` (one object) or `T[]` (an
/// array of them), as the signer requires.
fn items<'a>(v: &'a Value, path: &str, k: &str, array: bool) -> Result<Vec<(String, &'a Value)>> {
    let x = get(v, path, k)?;
    if !array {
        return match x {
            Value::Object(_) => Ok(vec![(format!("{path}.{k}"), x)]),
            _ => Err(bad(format!("{path}.{k}: expected an object"))),
        };
    }
    match x {
        Value::Array(a) => Ok(a
            .iter()
            .enumerate()
            .map(|(i, e)| (format!("{path}.{k}[{i}]"), e))
            .collect()),
        _ => Err(bad(format!("{path}.{k}: expected an array"))),
    }
}

// ---------- what a permit says ----------

struct Grant {
    token: [u8; 20],
    amount: U256,
}

enum Terms {
    /// ERC-2612: the permit's deadline.
    Erc2612 { deadline: U256 },
    /// DAI: all or nothing of `token`.
    Dai {
        token: [u8; 20],
        expiry: U256,
        allowed: bool,
    },
    /// Permit2's allowance (`PermitSingle`, `PermitBatch`): each grant's
    /// expiration, and the signature's deadline.
    Allowance {
        expirations: Vec<U256>,
        sig_deadline: U256,
    },
    /// Permit2's signature transfer, once: the deadline and the witness's
    /// type, if any.
    Transfer {
        deadline: U256,
        witness: Option<String>,
    },
}

/// A recognised permit, every field read.
struct Permit {
    spender: [u8; 20],
    /// What the spender may take (empty for a DAI revocation).
    grants: Vec<Grant>,
    terms: Terms,
}

/// What [`read_permit`] found.
enum Found {
    Permit(Permit),
    /// Typed data on Permit2's domain that is none of its permits.
    UnknownOnPermit2,
}

/// The permit of a typed-data document: `Ok(None)` when the types are no
/// permit's (and the domain is not Permit2's), an error when they are a
/// permit's but a field cannot be read as the signer reads it (the signer,
/// which runs first, refuses such a document as well).
fn read_permit(
    types: &Types,
    primary: &str,
    verifying: Option<&[u8; 20]>,
    m: &Value,
) -> Result<Option<Found>> {
    let msg = "message";
    let token_of = || {
        verifying
            .copied()
            .ok_or_else(|| bad("domain.verifyingContract: a permit needs its token's address"))
    };
    if primary == "Permit" && is(types, "Permit", ERC2612) {
        address(m, msg, "owner")?;
        let spender = address(m, msg, "spender")?;
        let amount = uint(m, msg, "value", 256)?;
        uint(m, msg, "nonce", 256)?;
        let deadline = uint(m, msg, "deadline", 256)?;
        let token = token_of()?;
        return Ok(Some(Found::Permit(Permit {
            spender,
            grants: vec![Grant { token, amount }],
            terms: Terms::Erc2612 { deadline },
        })));
    }
    if primary == "Permit" && is(types, "Permit", DAI) {
        address(m, msg, "holder")?;
        let spender = address(m, msg, "spender")?;
        uint(m, msg, "nonce", 256)?;
        let expiry = uint(m, msg, "expiry", 256)?;
        let allowed = boolean(m, msg, "allowed")?;
        let token = token_of()?;
        let grants = if allowed {
            vec![Grant {
                token,
                amount: U256::MAX,
            }]
        } else {
            Vec::new()
        };
        return Ok(Some(Found::Permit(Permit {
            spender,
            grants,
            terms: Terms::Dai {
                token,
                expiry,
                allowed,
            },
        })));
    }
    if is(types, "PermitDetails", PERMIT_DETAILS)
        && ((primary == "PermitSingle" && is(types, "PermitSingle", PERMIT_SINGLE))
            || (primary == "PermitBatch" && is(types, "PermitBatch", PERMIT_BATCH)))
    {
        let mut grants = Vec::new();
        let mut expirations = Vec::new();
        for (path, d) in items(m, msg, "details", primary == "PermitBatch")? {
            grants.push(Grant {
                token: address(d, &path, "token")?,
                amount: uint(d, &path, "amount", 160)?,
            });
            expirations.push(uint(d, &path, "expiration", 48)?);
            uint(d, &path, "nonce", 48)?;
        }
        return Ok(Some(Found::Permit(Permit {
            spender: address(m, msg, "spender")?,
            grants,
            terms: Terms::Allowance {
                expirations,
                sig_deadline: uint(m, msg, "sigDeadline", 256)?,
            },
        })));
    }
    if is(types, "TokenPermissions", TOKEN_PERMISSIONS) {
        let transfer = match primary {
            "PermitTransferFrom" if is(types, primary, PERMIT_TRANSFER_FROM) => Some((false, None)),
            "PermitBatchTransferFrom" if is(types, primary, PERMIT_BATCH_TRANSFER_FROM) => {
                Some((true, None))
            }
            "PermitWitnessTransferFrom" => {
                witness(types, primary, PERMIT_TRANSFER_FROM).map(|w| (false, Some(w)))
            }
            "PermitBatchWitnessTransferFrom" => {
                witness(types, primary, PERMIT_BATCH_TRANSFER_FROM).map(|w| (true, Some(w)))
            }
            _ => None,
        };
        if let Some((batch, witness)) = transfer {
            let grants = items(m, msg, "permitted", batch)?
                .into_iter()
                .map(|(path, p)| {
                    Ok(Grant {
                        token: address(p, &path, "token")?,
                        amount: uint(p, &path, "amount", 256)?,
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            let spender = address(m, msg, "spender")?;
            uint(m, msg, "nonce", 256)?;
            return Ok(Some(Found::Permit(Permit {
                spender,
                grants,
                terms: Terms::Transfer {
                    deadline: uint(m, msg, "deadline", 256)?,
                    witness: witness.map(str::to_owned),
                },
            })));
        }
    }
    if verifying == Some(&PERMIT2) {
        return Ok(Some(Found::UnknownOnPermit2));
    }
    Ok(None)
}

// ---------- the screen ----------

/// "until DATE" of a deadline or expiry; a value beyond 64 bits (such as
/// 2^256 − 1) never arrives.
fn until(v: U256) -> String {
    match u64::try_from(v) {
        Ok(s) => format!("until {}", format_unix(s)),
        Err(_) => "with no deadline".to_owned(),
    }
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

/// The warnings of a permit that cannot be told apart from an unlimited
/// approval to anyone.
fn unknown_warnings(b: &mut Builder) {
    approval_warnings(
        b,
        "an unknown spender",
        &[Grant {
            token: UNKNOWN,
            amount: U256::MAX,
        }],
    );
}

/// The sentence of a recognised permit (adding its warnings to `b`).
fn say(ctx: &Context, chain: u64, p: &Permit, b: &mut Builder) -> String {
    let sp = show_address(ctx, &p.spender);
    match &p.terms {
        Terms::Erc2612 { deadline } => {
            approval_warnings(b, &sp, &p.grants);
            format!(
                "Lets {sp} spend {} {} (the permit's deadline; the allowance stays until spent or revoked)",
                grants(ctx, chain, &p.grants),
                until(*deadline)
            )
        }
        Terms::Dai {
            token,
            expiry,
            allowed,
        } => {
            // DAI reads an expiry of 0 as "no deadline".
            let deadline = if *expiry == U256::ZERO {
                "with no deadline".to_owned()
            } else {
                until(*expiry)
            };
            if !allowed {
                return format!(
                    "Revokes {sp}'s allowance of {} (permit usable {deadline})",
                    show_token(ctx, chain, token)
                );
            }
            approval_warnings(b, &sp, &p.grants);
            format!(
                "Lets {sp} spend {} {deadline} (the permit's deadline; the allowance stays until revoked)",
                grants(ctx, chain, &p.grants)
            )
        }
        Terms::Allowance {
            expirations,
            sig_deadline,
        } => {
            let parts: Vec<String> = p
                .grants
                .iter()
                .zip(expirations)
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
            approval_warnings(b, &sp, &p.grants);
            format!(
                "Lets {sp} spend {} through Permit2 (signature usable {})",
                parts.join("; "),
                until(*sig_deadline)
            )
        }
        Terms::Transfer { deadline, witness } => {
            approval_warnings(b, &sp, &p.grants);
            let with = witness
                .as_ref()
                .map(|w| format!(", with a witness ({w}) that {sp}'s contract reads"))
                .unwrap_or_default();
            format!(
                "Lets {sp} spend {} through Permit2, once, {}{with}",
                grants(ctx, chain, &p.grants),
                until(*deadline)
            )
        }
    }
}

/// The one-sentence summary of a recognised permit (adding its warnings to
/// `b`), or `None`. A permit that cannot be read, or a document on
/// Permit2's domain that is none of its permits, is said as what it may be:
/// an unlimited approval to an unknown spender (module documentation).
pub(crate) fn recognise(
    ctx: &Context,
    chain: u64,
    types: &Types,
    primary: &str,
    verifying: Option<&[u8; 20]>,
    m: &Value,
    b: &mut Builder,
) -> Option<String> {
    match read_permit(types, primary, verifying, m) {
        Ok(None) => None,
        Ok(Some(Found::Permit(p))) => Some(say(ctx, chain, &p, b)),
        Ok(Some(Found::UnknownOnPermit2)) => {
            unknown_warnings(b);
            Some(format!(
                "A Permit2 signature of a kind Keyframe does not know ({}): it may let anyone move the tokens you allowed Permit2 to move",
                super::message::safe_text(primary)
            ))
        }
        Err(e) => {
            unknown_warnings(b);
            let why = match e {
                crate::Error::BadRequest(s) => s,
                other => other.to_string(),
            };
            Some(format!(
                "A permit Keyframe cannot read ({}): it may let anyone move your tokens",
                super::message::safe_text(&why)
            ))
        }
    }
}

/// `(token, amount)` pairs a permit grants.
pub(crate) type Grants = Vec<([u8; 20], U256)>;

/// What a recognised permit grants, for the policy intent
/// (`super::policy`): the spender and each `(token, amount)`. The same
/// reading as [`recognise`] (exact field lists, the signer's readers); a
/// DAI permit with `allowed: false` grants nothing. A permit that cannot be
/// read, or a document on Permit2's domain that is none of its permits,
/// grants 2^256 − 1 of [`UNKNOWN`] to [`UNKNOWN`] (module documentation).
pub(crate) fn permit_grants(
    types: &Types,
    primary: &str,
    verifying: Option<&[u8; 20]>,
    m: &Value,
) -> Option<([u8; 20], Grants)> {
    match read_permit(types, primary, verifying, m) {
        Ok(None) => None,
        Ok(Some(Found::Permit(p))) => Some((
            p.spender,
            p.grants.iter().map(|g| (g.token, g.amount)).collect(),
        )),
        Ok(Some(Found::UnknownOnPermit2)) | Err(_) => Some((UNKNOWN, vec![(UNKNOWN, U256::MAX)])),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::intent::typed::read_types;

    const DAI_TOKEN: [u8; 20] = [
        0x6b, 0x17, 0x54, 0x74, 0xe8, 0x90, 0x94, 0xc4, 0x4d, 0xa9, 0x8b, 0x95, 0x4e, 0xed, 0xea,
        0xc4, 0x95, 0x27, 0x1d, 0x0f,
    ];

    fn dai(allowed: Value) -> (Types, Value) {
        let types = serde_json::json!({ "Permit": [
            {"name": "holder", "type": "address"}, {"name": "spender", "type": "address"},
            {"name": "nonce", "type": "uint256"}, {"name": "expiry", "type": "uint256"},
            {"name": "allowed", "type": "bool"}] });
        let m = serde_json::json!({
            "holder": "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
            "spender": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
            "nonce": "0", "expiry": "1767225600", "allowed": allowed });
        (read_types(types.as_object().unwrap()), m)
    }

    // Through the entry points the signer refuses such a document first;
    // here the decoder alone: an unreadable field of a recognised permit is
    // an error, never "no grants".
    #[test]
    fn an_unreadable_field_of_a_recognised_permit_is_an_error_and_fails_closed() {
        let (types, m) = dai("maybe".into());
        let err = read_permit(&types, "Permit", Some(&DAI_TOKEN), &m)
            .err()
            .unwrap();
        assert!(
            matches!(err, crate::Error::BadRequest(ref s) if s == "message.allowed: not a valid bool")
        );
        assert_eq!(
            permit_grants(&types, "Permit", Some(&DAI_TOKEN), &m),
            Some((UNKNOWN, vec![(UNKNOWN, U256::MAX)]))
        );
        let mut b = Builder::default();
        let said = recognise(
            &Context::default(),
            1,
            &types,
            "Permit",
            Some(&DAI_TOKEN),
            &m,
            &mut b,
        );
        assert!(
            said.unwrap()
                .starts_with("A permit Keyframe cannot read (message.allowed")
        );
        let codes: Vec<_> = b.warnings.iter().map(|w| w.code).collect();
        assert_eq!(
            codes,
            [WarningCode::UnlimitedApproval, WarningCode::Approval]
        );

        // A permit without its token's address cannot be read either.
        let (types, m) = dai(true.into());
        assert_eq!(
            permit_grants(&types, "Permit", None, &m),
            Some((UNKNOWN, vec![(UNKNOWN, U256::MAX)]))
        );
        // And the strings the signer reads as bools are those bools.
        for (v, want) in [(Value::from("true"), true), (Value::from("false"), false)] {
            let (types, m) = dai(v);
            let (_, g) = permit_grants(&types, "Permit", Some(&DAI_TOKEN), &m).unwrap();
            assert_eq!(g == vec![(DAI_TOKEN, U256::MAX)], want);
            assert_eq!(g.is_empty(), !want);
        }
    }
}
