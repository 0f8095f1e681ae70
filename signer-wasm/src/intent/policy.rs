//! The policy's view of a request: maps each signing method to one
//! canonical [`keyframe_policy::Intent`] (docs/policy.md, "The intent"),
//! from the request itself and through the same parsers and decoders the
//! consent screen's descriptions use, so a request the screen would refuse
//! is refused here, a transaction cannot pass as a message, and what the
//! policy judges is what would be signed. Pure; tested natively on the
//! decoders' own vectors (signer-wasm/tests/intent/policy.rs).

use super::abi::Args;
use super::calldata::{
    APPROVE, INCREASE_ALLOWANCE, PERMIT2_APPROVE, SAFE_TRANSFER_FROM_721,
    SAFE_TRANSFER_FROM_721_DATA, SAFE_TRANSFER_FROM_1155, SET_APPROVAL_FOR_ALL, TRANSFER,
    TRANSFER_FROM,
};
use super::permit::permit_grants;
use super::siwe::{SIWE_MARKER, parse_siwe};
use super::sol::{SolTx, parse_transaction};
use super::sol_ix::{ATA, Account, COMPUTE_BUDGET, MEMO, MEMO_V1, SYSTEM, TOKEN, TOKEN_2022};
use super::typed::{json_address, json_u256, read_types};
use super::{Context, bad};
use crate::Result;
use crate::evm::tx::parse_tx;
use alloy_primitives::U256;
use keyframe_policy::{Amount, Approval, Intent, Kind, TokenTransfer, TypedData};
use serde_json::{Map, Value};

fn hex_address(a: &[u8; 20]) -> String {
    format!("0x{}", hex::encode(a))
}

fn amount(v: U256) -> Amount {
    // A U256 is 32 bytes: from_be_bytes cannot fail on it.
    Amount::from_be_bytes(&v.to_be_bytes::<32>()).unwrap_or(Amount::MAX)
}

fn base(kind: Kind, ctx: &Context) -> Intent {
    let mut i = Intent::new(kind);
    i.origin = (!ctx.origin.is_empty()).then(|| ctx.origin.clone());
    i
}

/// A message or typed data: signing it pays no fee (what it authorises
/// may, but that is its contents, which no fee condition reads).
fn message_base(kind: Kind, ctx: &Context) -> Intent {
    let mut i = base(kind, ctx);
    i.max_fee = Some(Amount::ZERO);
    i
}

/// `eth_signTransaction` / `eth_sendTransaction` on the active chain.
pub fn evm_transaction_intent(tx: &Value, ctx: &Context) -> Result<Intent> {
    let parsed = parse_tx(tx, ctx.chain_id)?;
    let mut i = base(Kind::EvmTransaction, ctx);
    i.chain = Some(parsed.chain_id);
    i.to = parsed.to.as_ref().map(hex_address);
    i.value = amount(parsed.value);
    // The screen's "Max fee" (`super::evm_tx`); one that does not fit in
    // 256 bits counts as everything.
    i.max_fee = Some(parsed.max_fee_wei().map_or(Amount::MAX, amount));
    if let Some(to) = &parsed.to {
        match parsed.data.split_first_chunk::<4>() {
            Some((sel, rest)) => {
                i.selector = Some(format!("0x{}", hex::encode(sel)));
                // Only a listed token is known to be an ERC-20 (not an
                // ERC-721).
                let erc20 = ctx.tokens.get(parsed.chain_id, to).is_some();
                calldata(&mut i, to, erc20, *sel, rest)?;
            }
            // 1 to 3 bytes: too short for a selector, yet they run the
            // contract's code (its fallback) as the wallet, so this is no
            // plain transfer (`contract_call: false`). The data stand for
            // the selector: `0x` and 2 to 6 hex digits, which no
            // `selectors` entry (8 digits) matches.
            None if !parsed.data.is_empty() => {
                i.selector = Some(format!("0x{}", hex::encode(&parsed.data)));
            }
            None => {}
        }
    }
    Ok(i)
}

/// `keyframe_signTransactions`: the batch judged as one request (one
/// screen, one share): values, fees, token movements and approvals summed
/// over its transactions; `to` and `selector` only when every transaction
/// shares them (docs/policy.md, "Batches").
pub fn evm_batch_intent(txs: &[Value], ctx: &Context) -> Result<Intent> {
    let mut merged: Option<Intent> = None;
    for tx in txs {
        let one = evm_transaction_intent(tx, ctx)?;
        merged = Some(match merged {
            None => one,
            Some(mut m) => {
                if m.chain != one.chain {
                    return Err(bad("a batch is on one chain"));
                }
                if m.to != one.to {
                    m.to = None;
                }
                if m.selector != one.selector {
                    m.selector = None;
                }
                m.value = m.value.saturating_add(one.value);
                m.max_fee = m.max_fee.zip(one.max_fee).map(|(a, b)| a.saturating_add(b));
                m.token_transfers.extend(one.token_transfers);
                m.approvals.extend(one.approvals);
                m
            }
        });
    }
    merged.ok_or_else(|| bad("a batch has at least one transaction"))
}

/// Token movements and approvals of known calldata, read exactly as the
/// screen reads them (`super::calldata`); unknown selectors add nothing.
/// `erc20`: `to` is a token of the list, so an ERC-20.
fn calldata(i: &mut Intent, to: &[u8; 20], erc20: bool, sel: [u8; 4], rest: &[u8]) -> Result<()> {
    let token = hex_address(to);
    let name = super::KNOWN_SELECTORS
        .iter()
        .find(|(s, _)| *s == sel)
        .map_or("call", |(_, n)| *n);
    let a = Args::new(rest, name);
    let transfer = |i: &mut Intent, dst: [u8; 20], v: U256| {
        i.token_transfers.push(TokenTransfer {
            token: token.clone(),
            to: hex_address(&dst),
            amount: amount(v),
        })
    };
    match sel {
        TRANSFER => {
            a.need(2)?;
            transfer(i, a.address(0)?, a.uint(1, 256)?);
        }
        TRANSFER_FROM | SAFE_TRANSFER_FROM_721 | SAFE_TRANSFER_FROM_721_DATA => {
            a.need(if sel == SAFE_TRANSFER_FROM_721_DATA {
                4
            } else {
                3
            })?;
            // ERC-721 moves one token (its id is not an amount).
            let v = if sel == TRANSFER_FROM {
                a.uint(2, 256)?
            } else {
                U256::from(1)
            };
            transfer(i, a.address(1)?, v);
        }
        SAFE_TRANSFER_FROM_1155 => {
            a.need(5)?;
            transfer(i, a.address(1)?, a.uint(3, 256)?);
        }
        APPROVE | INCREASE_ALLOWANCE => {
            a.need(2)?;
            let (spender, v) = (a.address(0)?, a.uint(1, 256)?);
            // approve(…, 0) revokes an ERC-20's allowance: it grants
            // nothing. ERC-721 shares the selector, and there it approves
            // token #0: on a contract not known to be an ERC-20 it is an
            // approval of an unknown amount ("may move every token").
            let granted = match (sel, v.is_zero()) {
                (APPROVE, true) if erc20 => None,
                (APPROVE, true) => Some(None),
                _ => Some(Some(amount(v))),
            };
            if let Some(amount) = granted {
                i.approvals.push(Approval {
                    token: token.clone(),
                    spender: hex_address(&spender),
                    amount,
                });
            }
        }
        SET_APPROVAL_FOR_ALL => {
            a.need(2)?;
            let (operator, on) = (a.address(0)?, a.bool(1)?);
            if on {
                i.approvals.push(Approval {
                    token: token.clone(),
                    spender: hex_address(&operator),
                    amount: None,
                });
            }
        }
        PERMIT2_APPROVE => {
            a.need(4)?;
            i.approvals.push(Approval {
                token: hex_address(&a.address(0)?),
                spender: hex_address(&a.address(1)?),
                amount: Some(amount(a.uint(2, 160)?)),
            });
        }
        _ => {}
    }
    Ok(())
}

/// `personal_sign` of `message` (the raw bytes): a SIWE message that
/// conforms to EIP-4361 carries its domain; anything else is a message.
pub fn personal_sign_intent(message: &[u8], ctx: &Context) -> Intent {
    let mut i = message_base(Kind::EvmMessage, ctx);
    i.chain = Some(ctx.chain_id);
    if let Some(text) = super::message::as_text(message)
        && text.contains(SIWE_MARKER)
        && let Ok(siwe) = parse_siwe(text)
    {
        i.siwe_domain = Some(siwe.domain);
    }
    i
}

/// A bare 32-byte digest (`eth_sign`): never allowed by any rule. The
/// iFrame refuses `eth_sign` before any policy; this says what the policy
/// would see.
pub fn raw_digest_intent(ctx: &Context) -> Intent {
    let mut i = message_base(Kind::EvmMessage, ctx);
    i.chain = Some(ctx.chain_id);
    i.raw_digest = true;
    i
}

/// `eth_signTypedData_v4`: the domain summary, the primary type, and what
/// a recognised permit grants.
pub fn typed_data_intent(json: &str, ctx: &Context) -> Result<Intent> {
    crate::evm::typed_data_hash(json, Some(ctx.chain_id))?;
    let raw = keyframe_json::parse(json).map_err(|e| bad(format!("typed data: {e}")))?;
    let empty = Map::new();
    let types = read_types(
        raw.get("types")
            .and_then(Value::as_object)
            .unwrap_or(&empty),
    );
    let primary = raw
        .get("primaryType")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let domain = raw
        .get("domain")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let verifying = domain.get("verifyingContract").and_then(json_address);
    let mut i = message_base(Kind::EvmTypedData, ctx);
    i.chain = Some(ctx.chain_id);
    i.typed_data = Some(TypedData {
        name: domain
            .get("name")
            .and_then(Value::as_str)
            .map(str::to_owned),
        version: domain
            .get("version")
            .and_then(Value::as_str)
            .map(str::to_owned),
        chain_id: domain
            .get("chainId")
            .and_then(json_u256)
            .and_then(|c| u64::try_from(c).ok()),
        verifying_contract: verifying.as_ref().map(hex_address),
        primary_type: primary.to_owned(),
    });
    let message = raw.get("message").unwrap_or(&Value::Null);
    if let Some((spender, grants)) = permit_grants(&types, primary, verifying.as_ref(), message) {
        i.approvals = grants
            .into_iter()
            .map(|(token, v)| Approval {
                token: hex_address(&token),
                spender: hex_address(&spender),
                amount: Some(amount(v)),
            })
            .collect();
    }
    Ok(i)
}

/// `solana_signMessage`.
pub fn solana_message_intent(ctx: &Context) -> Intent {
    message_base(Kind::SolanaMessage, ctx)
}

fn account_text(a: &Account) -> String {
    match a {
        Account::Key(k) => bs58::encode(k).into_string(),
        // Not a base58 address, so no address list matches it.
        Account::Unresolved { table, index, .. } => {
            format!("unresolved:{}:{index}", bs58::encode(table).into_string())
        }
        Account::Missing => "missing".to_owned(),
    }
}

/// Where nothing can be named: not a base58 address, so no address list
/// (`to`, `spenders`, a `token_transfers` entry's `to`) matches it.
const UNKNOWN: &str = "unknown";

fn u64_le(b: &[u8]) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(..8)?.try_into().ok()?))
}

/// `items` in order, each once. Built by insertion (a transaction names a
/// few dozen accounts at most): a sort routine for `String` would be
/// ~3.5 KB of the WASM (bench/SIZE.md, "Sorts").
fn sorted_unique(items: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for item in items {
        if let Err(at) = out.binary_search(&item) {
            out.insert(at, item);
        }
    }
    out
}

/// A token instruction that is not read ([`TokenMove::Unbounded`]): it may
/// move every token of every account it names, hand them over, or move
/// lamports (a wrapped-SOL account's tokens are its lamports;
/// WithdrawExcessLamports and UnwrapLamports pay them out). So it counts as
/// all of that at once, and every rule that bounds what leaves the wallet
/// refuses it: every lamport to an unknown destination (`lamports_at_most`,
/// lamport limits, `to`); every token of each account it names, its mint
/// among them when it names one, moved to an unknown account
/// (`token_transfers` entries with `to` or `at_most`, a limit on any of
/// those mints); and an approval of everything to an unknown spender
/// (`approvals: false`, `spenders`, `approval_at_most`; `spenders_not_in`
/// denies it).
fn everything(i: &mut Intent, destinations: &mut Vec<String>, accounts: &[u8], tx: &SolTx) {
    i.lamports = Amount::MAX;
    destinations.push(UNKNOWN.to_owned());
    let mut tokens = sorted_unique(accounts.iter().map(|a| account_text(&tx.account(*a))));
    if tokens.is_empty() {
        tokens.push(UNKNOWN.to_owned());
    }
    i.token_transfers
        .extend(tokens.into_iter().map(|token| TokenTransfer {
            token,
            to: UNKNOWN.to_owned(),
            amount: Amount::MAX,
        }));
    i.approvals.push(Approval {
        token: UNKNOWN.to_owned(),
        spender: UNKNOWN.to_owned(),
        amount: None,
    });
}

/// What a System instruction does with lamports. The layouts are bincode:
/// a u32 LE tag, u64 LE amounts, 32-byte keys, a seed as a u64 LE length
/// and its bytes.
enum SystemMove {
    /// Moves `lamports` to the instruction's account number `to`.
    Lamports { lamports: u64, to: usize },
    /// Moves nothing and names no one.
    Nothing,
    /// Hands over an account or the authority over its lamports, or is not
    /// read exactly: counted as every lamport (fail closed).
    Unbounded,
}

fn system_move(data: &[u8]) -> SystemMove {
    let Some((tag, rest)) = data.split_first_chunk::<4>() else {
        return SystemMove::Unbounded;
    };
    // The offset just past a seed that starts at `at`.
    let past_seed = |at: usize| {
        let n = usize::try_from(u64_le(rest.get(at..)?)?).ok()?;
        at.checked_add(8)?.checked_add(n)
    };
    // Exactly `len` bytes after the tag, or the instruction is not read.
    let moves = |lamports: Option<u64>, len: Option<usize>, to: usize| match (lamports, len) {
        (Some(lamports), Some(len)) if rest.len() == len => SystemMove::Lamports { lamports, to },
        _ => SystemMove::Unbounded,
    };
    match u32::from_le_bytes(*tag) {
        // CreateAccount { lamports, space, owner }: [funding, new].
        0 => moves(u64_le(rest), Some(48), 1),
        // Transfer { lamports }: [from, to].
        2 => moves(u64_le(rest), Some(8), 1),
        // CreateAccountWithSeed { base, seed, lamports, space, owner }:
        // [funding, created, base?].
        3 => {
            let at = past_seed(32);
            let lamports = at.and_then(|at| u64_le(rest.get(at..)?));
            moves(lamports, at.and_then(|at| at.checked_add(48)), 1)
        }
        // WithdrawNonceAccount(lamports): [nonce account, recipient, …].
        5 => moves(u64_le(rest), Some(8), 1),
        // TransferWithSeed { lamports, from_seed, from_owner }:
        // [from, base, to].
        11 => moves(
            u64_le(rest),
            past_seed(8).and_then(|at| at.checked_add(32)),
            2,
        ),
        // AdvanceNonceAccount: a durable-nonce transaction's first
        // instruction; it only replaces the stored nonce.
        // UpgradeNonceAccount: rewrites a legacy nonce account's version,
        // its authority and lamports unchanged.
        4 | 12 if rest.is_empty() => SystemMove::Nothing,
        // Assign and AssignWithSeed hand the account to a program;
        // InitializeNonceAccount and AuthorizeNonceAccount name who may
        // withdraw its lamports; Allocate and AllocateWithSeed give it
        // data, after which System transfers cannot move its lamports and
        // InitializeNonceAccount can name someone else to withdraw them;
        // any other tag is not read.
        _ => SystemMove::Unbounded,
    }
}

/// What an SPL Token or Token-2022 instruction does with tokens, by its
/// tag (the first data byte) and the layout the programs define for it
/// (tags 0 to 24 are the same in both). Account numbers are positions in
/// the instruction's account list.
enum TokenMove {
    /// `amount` of the token that account `token` stands for goes to
    /// account `to`; `to: None` destroys it (a burn).
    Tokens {
        token: usize,
        to: Option<usize>,
        amount: u64,
    },
    /// Account `spender` may move `amount` of the tokens of account
    /// `token`.
    Approve {
        token: usize,
        spender: usize,
        amount: u64,
    },
    /// `SetAuthority` of account 0: the new authority, `None` when it is
    /// removed.
    Authority(Option<[u8; 32]>),
    /// `CloseAccount`: account 0's lamports go to account 1.
    Close,
    /// Moves nothing and grants nothing.
    Nothing,
    /// Not one of the instructions read here, or not in its exact layout:
    /// counted as everything (fail closed).
    Unbounded,
}

fn token_move(data: &[u8], token_2022: bool) -> TokenMove {
    let Some((tag, rest)) = data.split_first() else {
        return TokenMove::Unbounded;
    };
    let n = rest.len();
    // Exactly `len` bytes after the tag, the amount first, or not read.
    let amount = |len: usize| u64_le(rest).filter(|_| n == len);
    let tokens = |len: usize, token: usize, to: Option<usize>| match amount(len) {
        Some(amount) => TokenMove::Tokens { token, to, amount },
        None => TokenMove::Unbounded,
    };
    let approve = |len: usize, token: usize, spender: usize| match amount(len) {
        Some(amount) => TokenMove::Approve {
            token,
            spender,
            amount,
        },
        None => TokenMove::Unbounded,
    };
    let exact = |ok: bool, read: TokenMove| if ok { read } else { TokenMove::Unbounded };
    let nothing = |ok: bool| exact(ok, TokenMove::Nothing);
    match tag {
        // InitializeMint, InitializeMint2 { decimals, mint_authority,
        // freeze_authority: COption }: a new mint, no one's tokens yet.
        0 | 20 => nothing(matches!((n, rest.get(33)), (34, Some(0)) | (66, Some(1)))),
        // InitializeAccount, Revoke (takes a delegate's right away),
        // FreezeAccount, ThawAccount, SyncNative (a wrapped-SOL account's
        // balance catches up with its lamports), InitializeImmutableOwner.
        1 | 5 | 10 | 11 | 17 | 22 => nothing(n == 0),
        // InitializeMultisig, InitializeMultisig2 { m }.
        2 | 19 => nothing(n == 1),
        // InitializeAccount2, InitializeAccount3 { owner }: a new token
        // account; the lamports that fund it are counted where they move
        // (System `CreateAccount`).
        16 | 18 => nothing(n == 32),
        // Transfer { amount }: [source, destination, authority]. It names
        // no mint: the source token account stands for the token.
        3 => tokens(8, 0, Some(1)),
        // TransferChecked { amount, decimals }: [source, mint,
        // destination, authority].
        12 => tokens(9, 1, Some(2)),
        // MintTo { amount }, MintToChecked: [mint, destination, authority]:
        // new tokens of the mint go to the destination.
        7 => tokens(8, 0, Some(1)),
        14 => tokens(9, 0, Some(1)),
        // Burn { amount }, BurnChecked: [account, mint, authority]: the
        // tokens are destroyed, as good as sent where no one is named.
        8 => tokens(8, 1, None),
        15 => tokens(9, 1, None),
        // Approve { amount }: [source, delegate, owner]; ApproveChecked:
        // [source, mint, delegate, owner].
        4 => approve(8, 0, 1),
        13 => approve(9, 1, 2),
        // SetAuthority { authority_type, new_authority: COption }.
        6 => match rest {
            [_, 0] => TokenMove::Authority(None),
            [_, 1, key @ ..] => <[u8; 32]>::try_from(key)
                .map_or(TokenMove::Unbounded, |k| TokenMove::Authority(Some(k))),
            _ => TokenMove::Unbounded,
        },
        // CloseAccount: [account, destination, authority].
        9 => exact(n == 0, TokenMove::Close),
        // Token-2022 TransferFeeExtension (26), TransferCheckedWithFee (1)
        // { amount, decimals, fee }: [source, mint, destination,
        // authority]. The source gives up `amount`; the fee is withheld
        // out of it at the destination.
        26 if token_2022 => match rest {
            [1, tail @ ..] if tail.len() == 17 => match u64_le(tail) {
                Some(amount) => TokenMove::Tokens {
                    token: 1,
                    to: Some(2),
                    amount,
                },
                None => TokenMove::Unbounded,
            },
            _ => TokenMove::Unbounded,
        },
        // Everything else: the Token-2022 extensions (withdrawing withheld
        // fees, confidential transfers, Reallocate, CPI guard, ...),
        // WithdrawExcessLamports, UnwrapLamports, Batch (any instructions
        // at once), the token-metadata and token-group interfaces, and the
        // read-only queries (GetAccountDataSize, AmountToUiAmount,
        // UiAmountToAmount), which a wallet has no need to sign.
        _ => TokenMove::Unbounded,
    }
}

// The SPL Memo program, v2 and v1 (`MEMO`, `MEMO_V1`): it checks that the
// accounts it is given signed, logs its data and calls no other program.

/// Whether an instruction of a program other than System and the token
/// programs can do nothing with the wallet's signature: Compute Budget
/// (read by the runtime, it takes no accounts), Memo, and the Associated
/// Token Account program's `Create` (data empty or `[0]`) and
/// `CreateIdempotent` (`[1]`), which only create a token account of the
/// mint for its owner, the payer paying its rent. Those two are harmless
/// only with the real token program as their account 5: the program there
/// gives the new account its size (so the rent the payer pays) and owns
/// it. Its other instructions (`RecoverNested`, `[2]`, which moves tokens
/// and closes an account) are not read, as the screen does not read them
/// (`super::sol_ix`).
fn harmless(id: &str, data: &[u8], accounts: &[u8], tx: &SolTx) -> bool {
    match id {
        COMPUTE_BUDGET | MEMO | MEMO_V1 => true,
        ATA => {
            matches!(data, [] | [0] | [1])
                && accounts.get(5).is_some_and(|a| match tx.account(*a) {
                    Account::Key(k) => {
                        let program = bs58::encode(k).into_string();
                        program == TOKEN || program == TOKEN_2022
                    }
                    _ => false,
                })
        }
        _ => false,
    }
}

/// A Solana transaction: its programs (each once, in order), the lamports
/// System instructions move, their destination when there is exactly one,
/// SPL Token and Token-2022 movements (transfers, mints, burns) and
/// approvals. A System instruction that hands over an account or an
/// authority, or that this does not read, counts as every lamport
/// (`Amount::MAX`) to an unknown destination; an SPL `SetAuthority` to
/// someone else and a `CloseAccount` to someone else's account are
/// approvals of every token of the account (no amount); a token
/// instruction this does not read counts as everything (`token_move`,
/// docs/policy.md "What counts"), and so does an instruction of any other
/// program that is not [`harmless`] and names the wallet.
pub fn solana_transaction_intent(tx: &[u8], ctx: &Context) -> Result<Intent> {
    // The screen's decoder first: what it refuses (bad instruction data
    // included) is refused here too.
    super::describe_solana_transaction(tx, ctx)?;
    let parsed = parse_transaction(tx)?;
    let mut i = base(Kind::SolanaTransaction, ctx);
    // The screen's "Max fee" (`super::sol`): signatures and priority fee;
    // a Compute Budget instruction it cannot read counts as everything.
    i.max_fee = Some(parsed.max_fee_lamports().map_or(Amount::MAX, Amount::from));
    let mut destinations: Vec<String> = Vec::new();
    for (program, accounts, data) in &parsed.ixs {
        let key = parsed
            .keys
            .get(usize::from(*program))
            .ok_or_else(|| bad("instruction: program id out of range"))?;
        let id = bs58::encode(key).into_string();
        let acct = |n: usize| accounts.get(n).map(|a| account_text(&parsed.account(*a)));
        let mine = |k: &[u8; 32]| ctx.solana_address.as_ref() == Some(k);
        let is_me = |n: usize| {
            accounts
                .get(n)
                .is_some_and(|a| matches!(parsed.account(*a), Account::Key(k) if mine(&k)))
        };
        match id.as_str() {
            SYSTEM => match system_move(data) {
                SystemMove::Lamports { lamports, to } => {
                    i.lamports = i.lamports.saturating_add(Amount::from(lamports));
                    destinations.extend(acct(to));
                }
                SystemMove::Nothing => {}
                SystemMove::Unbounded => {
                    i.lamports = Amount::MAX;
                    destinations.push(UNKNOWN.to_owned());
                }
            },
            TOKEN | TOKEN_2022 => {
                let read = match token_move(data, id == TOKEN_2022) {
                    TokenMove::Tokens { token, to, amount } => {
                        // A burn has no recipient: no `to` list names it.
                        let to = match to {
                            Some(n) => acct(n),
                            None => Some(UNKNOWN.to_owned()),
                        };
                        acct(token).zip(to).map(|(token, to)| {
                            i.token_transfers.push(TokenTransfer {
                                token,
                                to,
                                amount: Amount::from(amount),
                            })
                        })
                    }
                    TokenMove::Approve {
                        token,
                        spender,
                        amount,
                    } => acct(token).zip(acct(spender)).map(|(token, spender)| {
                        i.approvals.push(Approval {
                            token,
                            spender,
                            amount: Some(Amount::from(amount)),
                        })
                    }),
                    // SetAuthority: [account or mint, current authority,
                    // ...]. A new authority other than the wallet may move
                    // everything the account holds (or mint, freeze, close
                    // it); removing one grants nothing.
                    TokenMove::Authority(new) => acct(0).map(|token| {
                        if let Some(new) = new
                            && !mine(&new)
                        {
                            i.approvals.push(Approval {
                                token,
                                spender: bs58::encode(new).into_string(),
                                amount: None,
                            });
                        }
                    }),
                    // CloseAccount: its lamports (all of a wrapped-SOL
                    // account's) go to the destination: harmless only when
                    // that is the wallet.
                    TokenMove::Close => acct(0).zip(acct(1)).map(|(token, to)| {
                        if !is_me(1) {
                            i.approvals.push(Approval {
                                token,
                                spender: to,
                                amount: None,
                            });
                        }
                    }),
                    TokenMove::Nothing => Some(()),
                    // An account missing from the list is as unread as
                    // unknown data.
                    TokenMove::Unbounded => None,
                };
                if read.is_none() {
                    everything(&mut i, &mut destinations, accounts, &parsed);
                }
            }
            _ if harmless(&id, data, accounts, &parsed) => {
                // An account created with the wallet as its payer: the
                // rent leaves the wallet (to the new token account, whose
                // owner may close it and take it), counted in lamports;
                // its destination is not one a rule's `to` names.
                if id == ATA && is_me(0) {
                    let token_program = accounts.get(5).map(|a| parsed.account(*a));
                    let rent = super::sol_ix::ata_rent_bound(token_program.as_ref());
                    i.lamports = i.lamports.saturating_add(Amount::from(rent));
                }
            }
            // Any other program given the wallet's account has its
            // signature, and keeps it in what it calls: it may have System
            // or the token programs move every lamport and token, or hand
            // over an authority (a stake account's, a program's, a lookup
            // table's lamports on closing): counted as everything. Only
            // static keys are compared: a signer is one of them (a lookup
            // table's accounts never sign), and the runtime refuses a
            // transaction that names an account twice (a static key again
            // through a table), so no instruction gets the wallet's
            // signature through a table. Without the wallet's key
            // (`Context::solana_address`), each instruction may name it.
            // One that does not name the wallet cannot use its signature.
            _ => {
                if ctx.solana_address.is_none() || (0..accounts.len()).any(is_me) {
                    everything(&mut i, &mut destinations, accounts, &parsed);
                }
            }
        }
        if !i.programs.contains(&id) {
            i.programs.push(id);
        }
    }
    let mut destinations = sorted_unique(destinations);
    if destinations.len() == 1 {
        i.to = destinations.pop();
    }
    Ok(i)
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::sorted_unique;
    use proptest::prelude::*;

    proptest! {
        /// What the library's sort and dedup give.
        #[test]
        fn sorted_unique_is_sort_then_dedup(items in prop::collection::vec("[a-c]{0,3}", 0..20)) {
            let mut expected = items.clone();
            expected.sort();
            expected.dedup();
            prop_assert_eq!(sorted_unique(items), expected);
        }
    }
}
