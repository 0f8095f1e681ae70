//! Solana instructions by program: System `Transfer` and `CreateAccount`;
//! SPL Token and Token-2022 `Transfer`, `Approve`, `TransferChecked`,
//! `ApproveChecked`; Token-2022 `TransferCheckedWithFee`; Associated Token
//! Account `Create` and `CreateIdempotent`; Compute Budget; Memo.
//! Instruction data of the wrong length for its instruction is refused (the
//! program would refuse it too); other instructions of these programs, and
//! every other program, are named with a warning (what the policy counts
//! for them: `super::policy`).

use super::units::format_units;
use super::{Builder, Context, Field, WarningCode, bad};
use crate::Result;
use alloy_primitives::U256;

pub(crate) const SYSTEM: &str = "11111111111111111111111111111111";
pub(crate) const TOKEN: &str = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA";
pub(crate) const TOKEN_2022: &str = "TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb";
pub(crate) const ATA: &str = "ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL";
pub(crate) const COMPUTE_BUDGET: &str = "ComputeBudget111111111111111111111111111111";
pub(crate) const MEMO: &str = "MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr";
pub(crate) const MEMO_V1: &str = "Memo1UhkJRfHyvLMcVucJwxXeuD728EqVDDwQDxFMNo";

/// An account an instruction names.
#[derive(Debug, Clone)]
pub(crate) enum Account {
    /// A static account key.
    Key([u8; 32]),
    /// Loaded from an address lookup table; its address is not in the
    /// transaction.
    Unresolved {
        table: [u8; 32],
        index: u8,
        writable: bool,
    },
    /// An index the signer's parser would have refused.
    Missing,
}

impl Account {
    pub fn show(&self, ctx: &Context) -> String {
        match self {
            Account::Key(k) => {
                let s = bs58::encode(k).into_string();
                if ctx.solana_address.as_ref() == Some(k) {
                    format!("{s} (you)")
                } else {
                    s
                }
            }
            Account::Unresolved {
                table,
                index,
                writable,
            } => format!(
                "unresolved: {} entry {index} of lookup table {}",
                if *writable { "writable" } else { "read-only" },
                bs58::encode(table).into_string()
            ),
            Account::Missing => "missing account".to_owned(),
        }
    }
}

fn sol(lamports: u64) -> String {
    format!("{} SOL", format_units(U256::from(lamports), 9))
}

fn u64_le(b: &[u8]) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[..8]);
    u64::from_le_bytes(a)
}

fn u32_le(b: &[u8]) -> u32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[..4]);
    u32::from_le_bytes(a)
}

/// `(title, detail fields, one-sentence summary)` of an instruction.
pub(crate) type Described = (String, Vec<Field>, Option<String>);

struct Ix<'a> {
    n: usize,
    name: &'static str,
    accounts: &'a [Account],
    data: &'a [u8],
}

impl Ix<'_> {
    fn len(&self, want: usize) -> Result<()> {
        if self.data.len() != want {
            return Err(bad(format!(
                "instruction {}: {} data must be {want} bytes, got {}",
                self.n,
                self.name,
                self.data.len()
            )));
        }
        Ok(())
    }

    fn acct(&self, ctx: &Context, i: usize) -> Result<String> {
        self.accounts.get(i).map(|a| a.show(ctx)).ok_or_else(|| {
            bad(format!(
                "instruction {}: {} needs account {i}",
                self.n, self.name
            ))
        })
    }
}

fn other(b: &mut Builder, program: &str, data: &[u8]) -> Described {
    b.warn(
        WarningCode::UnknownInstruction,
        format!("An instruction of {program} that Keyframe cannot read. Approve only if you trust this site."),
    );
    (
        format!("{program}: other instruction"),
        vec![Field::new("Data", format!("0x{}", hex::encode(data)))],
        None,
    )
}

fn system(ctx: &Context, ix: &mut Ix<'_>, b: &mut Builder) -> Result<Described> {
    let tag = ix.data.get(..4).map(u32_le);
    match tag {
        Some(2) => {
            ix.name = "System transfer";
            ix.len(12)?;
            let (from, to) = (ix.acct(ctx, 0)?, ix.acct(ctx, 1)?);
            let amount = sol(u64_le(&ix.data[4..]));
            let s = format!("Sends {amount} from {from} to {to}");
            Ok((
                "System: transfer".into(),
                vec![
                    Field::new("From", from),
                    Field::new("To", to),
                    Field::new("Amount", amount),
                ],
                Some(s),
            ))
        }
        Some(0) => {
            ix.name = "System create account";
            ix.len(52)?;
            let (from, new) = (ix.acct(ctx, 0)?, ix.acct(ctx, 1)?);
            let amount = sol(u64_le(&ix.data[4..]));
            let space = u64_le(&ix.data[12..]);
            let owner = bs58::encode(&ix.data[20..52]).into_string();
            let s = format!("Creates account {new} funded with {amount} from {from}");
            Ok((
                "System: create account".into(),
                vec![
                    Field::new("Funded by", from),
                    Field::new("New account", new),
                    Field::new("Amount", amount),
                    Field::new("Space", format!("{space} bytes")),
                    Field::new("Owner program", owner),
                ],
                Some(s),
            ))
        }
        _ => Ok(other(b, "the System program", ix.data)),
    }
}

fn token(
    ctx: &Context,
    ix: &mut Ix<'_>,
    label: &str,
    token_2022: bool,
    b: &mut Builder,
) -> Result<Described> {
    let amount_of = |raw: u64, decimals: Option<u8>| match decimals {
        _ if raw == u64::MAX => "Unlimited".to_owned(),
        Some(d) => format_units(U256::from(raw), d),
        None => format!("{raw} raw units"),
    };
    match ix.data.first() {
        Some(3) | Some(12) => {
            let checked = ix.data[0] == 12;
            ix.name = if checked {
                "Token transferChecked"
            } else {
                "Token transfer"
            };
            ix.len(if checked { 10 } else { 9 })?;
            let raw = u64_le(&ix.data[1..]);
            let (src, dst, owner, mint) = if checked {
                (
                    ix.acct(ctx, 0)?,
                    ix.acct(ctx, 2)?,
                    ix.acct(ctx, 3)?,
                    Some(ix.acct(ctx, 1)?),
                )
            } else {
                (ix.acct(ctx, 0)?, ix.acct(ctx, 1)?, ix.acct(ctx, 2)?, None)
            };
            let amount = match &mint {
                Some(m) => format!("{} of mint {m}", format_units(U256::from(raw), ix.data[9])),
                None => format!("{raw} raw units"),
            };
            let mut f = vec![
                Field::new("From token account", src.clone()),
                Field::new("To token account", dst.clone()),
            ];
            f.push(Field::new("Amount", amount.clone()));
            f.push(Field::new("Authority", owner));
            let s = format!("Sends {amount} from token account {src} to {dst}");
            Ok((
                format!(
                    "{label}: {}",
                    if checked {
                        "transfer (checked)"
                    } else {
                        "transfer"
                    }
                ),
                f,
                Some(s),
            ))
        }
        Some(4) | Some(13) => {
            let checked = ix.data[0] == 13;
            ix.name = if checked {
                "Token approveChecked"
            } else {
                "Token approve"
            };
            ix.len(if checked { 10 } else { 9 })?;
            let raw = u64_le(&ix.data[1..]);
            let (src, delegate, owner) = if checked {
                (ix.acct(ctx, 0)?, ix.acct(ctx, 2)?, ix.acct(ctx, 3)?)
            } else {
                (ix.acct(ctx, 0)?, ix.acct(ctx, 1)?, ix.acct(ctx, 2)?)
            };
            let amount = amount_of(raw, checked.then(|| ix.data[9]));
            let mut f = vec![
                Field::new("Token account", src.clone()),
                Field::new("Delegate", delegate.clone()),
            ];
            if checked {
                f.push(Field::new("Mint", ix.acct(ctx, 1)?));
            }
            f.push(Field::new("Amount", amount.clone()));
            f.push(Field::new("Authority", owner));
            if raw == u64::MAX {
                b.warn(
                    WarningCode::UnlimitedApproval,
                    format!("{delegate} may spend every token in {src}."),
                );
            }
            b.warn(
                WarningCode::Approval,
                format!("{delegate} may move tokens out of {src} without asking again."),
            );
            let s = format!("Lets {delegate} spend {amount} from token account {src}");
            Ok((format!("{label}: approve"), f, Some(s)))
        }
        // TransferFeeExtension (26), TransferCheckedWithFee (1) { amount,
        // decimals, fee }: [source, mint, destination, authority]. The
        // source gives up `amount`; the destination is credited `amount`
        // less `fee`, which the mint withholds there.
        Some(26) if token_2022 && ix.data.get(1) == Some(&1) => {
            ix.name = "Token-2022 transferCheckedWithFee";
            ix.len(19)?;
            let (raw, decimals, fee) = (u64_le(&ix.data[2..]), ix.data[10], u64_le(&ix.data[11..]));
            let (src, mint, dst, owner) = (
                ix.acct(ctx, 0)?,
                ix.acct(ctx, 1)?,
                ix.acct(ctx, 2)?,
                ix.acct(ctx, 3)?,
            );
            let of_mint =
                |v: u64| format!("{} of mint {mint}", format_units(U256::from(v), decimals));
            let (amount, fee) = (of_mint(raw), of_mint(fee));
            let s = format!(
                "Sends {amount} from token account {src} to {dst}, of which {fee} is withheld as the mint's transfer fee"
            );
            Ok((
                format!("{label}: transfer (checked, with fee)"),
                vec![
                    Field::new("From token account", src),
                    Field::new("To token account", dst),
                    Field::new("Amount", amount),
                    Field::new("Transfer fee", fee),
                    Field::new("Authority", owner),
                ],
                Some(s),
            ))
        }
        _ => Ok(other(b, label, ix.data)),
    }
}

/// The most rent an Associated Token Account create makes its payer pay,
/// in lamports, given the token program (its account 5). A classic token
/// account is 165 bytes: rent-exempt at 2,039,280 lamports ((165 + 128)
/// bytes × 3,480 lamports per byte-year × 2 years). A Token-2022 account
/// grows with its mint's extensions, which the transaction does not show:
/// bounded at 0.01 SOL (an account of about 1,300 bytes). An idempotent
/// create of an account that exists costs nothing; it is counted all the
/// same, as the transaction cannot tell.
pub(crate) fn ata_rent_bound(token_program: Option<&Account>) -> u64 {
    match token_program {
        Some(Account::Key(k)) if bs58::encode(k).into_string() == TOKEN => 2_039_280,
        _ => 10_000_000,
    }
}

fn ata(ctx: &Context, ix: &mut Ix<'_>, b: &mut Builder) -> Result<Described> {
    let idempotent = match ix.data {
        [] | [0] => false,
        [1] => true,
        [_] => return Ok(other(b, "the Associated Token Account program", ix.data)),
        _ => {
            ix.name = "Associated Token Account create";
            return Err(bad(format!(
                "instruction {}: {} data must be 0 or 1 byte",
                ix.n, ix.name
            )));
        }
    };
    ix.name = "Associated Token Account create";
    let (payer, account, owner, mint) = (
        ix.acct(ctx, 0)?,
        ix.acct(ctx, 1)?,
        ix.acct(ctx, 2)?,
        ix.acct(ctx, 3)?,
    );
    let s =
        format!("Creates the token account {account} of {owner} for mint {mint}, paid by {payer}");
    Ok((
        format!(
            "Associated Token Account: create{}",
            if idempotent { " (idempotent)" } else { "" }
        ),
        vec![
            Field::new("Payer", payer),
            Field::new("Token account", account),
            Field::new("Owner", owner),
            Field::new("Mint", mint),
            Field::new(
                "Rent",
                format!("up to {}", sol(ata_rent_bound(ix.accounts.get(5)))),
            ),
        ],
        Some(s),
    ))
}

fn compute_budget(ix: &mut Ix<'_>, b: &mut Builder) -> Result<Described> {
    match ix.data.first() {
        Some(2) => {
            ix.name = "Compute Budget set unit limit";
            ix.len(5)?;
            let units = u32_le(&ix.data[1..]);
            Ok((
                "Compute Budget: set compute unit limit".into(),
                vec![Field::new("Units", units.to_string())],
                None,
            ))
        }
        Some(3) => {
            ix.name = "Compute Budget set unit price";
            ix.len(9)?;
            let price = u64_le(&ix.data[1..]);
            Ok((
                "Compute Budget: set compute unit price".into(),
                vec![Field::new(
                    "Price",
                    format!("{price} micro-lamports per unit"),
                )],
                None,
            ))
        }
        Some(1) | Some(4) => {
            ix.name = "Compute Budget limit";
            ix.len(5)?;
            let v = u32_le(&ix.data[1..]);
            let what = if ix.data[0] == 1 {
                "request heap frame"
            } else {
                "set loaded accounts data size limit"
            };
            Ok((
                format!("Compute Budget: {what}"),
                vec![Field::new("Bytes", v.to_string())],
                None,
            ))
        }
        _ => Ok(other(b, "the Compute Budget program", ix.data)),
    }
}

/// Describes instruction `n` (0-based) of `program`.
pub(crate) fn describe_instruction(
    ctx: &Context,
    n: usize,
    program: &[u8; 32],
    accounts: &[Account],
    data: &[u8],
    b: &mut Builder,
) -> Result<Described> {
    let id = bs58::encode(program).into_string();
    let mut ix = Ix {
        n: n + 1,
        name: "instruction",
        accounts,
        data,
    };
    match id.as_str() {
        SYSTEM => system(ctx, &mut ix, b),
        TOKEN => token(ctx, &mut ix, "SPL Token", false, b),
        TOKEN_2022 => token(ctx, &mut ix, "Token-2022", true, b),
        ATA => ata(ctx, &mut ix, b),
        COMPUTE_BUDGET => compute_budget(&mut ix, b),
        MEMO | MEMO_V1 => {
            let text = super::message::as_text(data)
                .map_or_else(|| format!("0x{}", hex::encode(data)), str::to_owned);
            Ok(("Memo".into(), vec![Field::new("Text", text)], None))
        }
        _ => {
            b.warn(
                WarningCode::UnknownProgram,
                format!("Program {id} is not one Keyframe can read; this instruction may do anything that program allows with the accounts given."),
            );
            let f = accounts
                .iter()
                .enumerate()
                .map(|(i, a)| Field::new(format!("Account {i}"), a.show(ctx)))
                .chain(std::iter::once(Field::new(
                    "Data",
                    format!("0x{}", hex::encode(data)),
                )))
                .collect();
            Ok((format!("Unknown program {id}"), f, None))
        }
    }
}
