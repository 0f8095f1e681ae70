//! Solana transactions in words: the fee payer, then each instruction by
//! program ([`super::sol_ix`]), with accounts named by address or, when
//! they come from an address lookup table, as unresolved.
//!
//! The bytes are accepted only if the signer's own parser accepts their
//! message ([`crate::solana::is_transaction_message`]) and the signature
//! count matches the header, so what is described is what would be signed.

use super::sol_ix::{Account, COMPUTE_BUDGET, describe_instruction};
use super::units::format_units;
use super::{Builder, Context, Field, Intent, IntentKind, WarningCode, bad};
use crate::Result;
use alloy_primitives::U256;

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|e| *e <= self.buf.len())
            .ok_or_else(|| bad("transaction: truncated"))?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }

    fn key(&mut self) -> Result<[u8; 32]> {
        let mut k = [0u8; 32];
        k.copy_from_slice(self.take(32)?);
        Ok(k)
    }

    /// compact-u16, canonical (shortest) form only, as the signer reads it.
    fn len(&mut self) -> Result<usize> {
        let mut v = 0usize;
        for i in 0..3 {
            let b = self.u8()?;
            if i == 2 && b > 0x03 {
                return Err(bad("transaction: length exceeds u16"));
            }
            v |= usize::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                if i > 0 && b == 0 {
                    return Err(bad("transaction: non-canonical length encoding"));
                }
                return Ok(v);
            }
        }
        Err(bad("transaction: length exceeds u16"))
    }
}

struct Lookup {
    table: [u8; 32],
    writable: Vec<u8>,
    readonly: Vec<u8>,
}

/// A Solana transaction read by [`parse_transaction`]: what both the
/// description and the policy intent (`super::policy`) work from.
pub(crate) struct SolTx {
    pub required: u8,
    pub v0: bool,
    pub keys: Vec<[u8; 32]>,
    /// `(program index, account indexes, data)` per instruction.
    pub ixs: Vec<(u8, Vec<u8>, Vec<u8>)>,
    lookups: Vec<Lookup>,
    /// Accounts loaded from lookup tables, after the static keys.
    pub loaded: Vec<Account>,
}

// What a legacy or v0 transaction pays, by the runtime's rules (Agave:
// `solana-fee` `calculate_fee_details` and `calculate_signature_fee`;
// `compute-budget-instruction` `compute_budget_instruction_details.rs`;
// `PrioritizationFeeDetails::new`; summarised at
// https://solana.com/docs/core/fees/fee-structure and
// https://solana.com/docs/core/fees/compute-budget):
// * the base fee: `lamports_per_signature` (5,000) for each of the
//   transaction's signatures and each signature an Ed25519, Secp256k1 or
//   Secp256r1 precompile instruction verifies (its first data byte);
// * the prioritization fee: ⌈compute-unit price (micro-lamports) ×
//   compute-unit limit / 1,000,000⌉ lamports, where the price is
//   `SetComputeUnitPrice` (tag 3, u64 LE) or 0, and the limit is
//   `SetComputeUnitLimit` (tag 2, u32 LE) or, without one, a default per
//   instruction that is not a Compute Budget instruction, at most
//   1,400,000 either way. The runtime's default is 200,000 for an SBF
//   program's instruction and 3,000 for a builtin's (SIMD-0170); 200,000
//   for every one is never less, so that is what is counted here.
// The fee is charged whether the transaction succeeds or fails.

/// Lamports per signature (`lamports_per_signature`).
const LAMPORTS_PER_SIGNATURE: u64 = 5_000;
/// The compute units counted per instruction without a limit instruction
/// (`DEFAULT_INSTRUCTION_COMPUTE_UNIT_LIMIT`).
const DEFAULT_INSTRUCTION_COMPUTE_UNITS: u32 = 200_000;
/// The most compute units a transaction may have (`MAX_COMPUTE_UNIT_LIMIT`).
const MAX_COMPUTE_UNITS: u32 = 1_400_000;
const MICRO_LAMPORTS_PER_LAMPORT: u128 = 1_000_000;
/// The precompiles whose verified signatures are charged as the
/// transaction's own: Ed25519, Secp256k1, Secp256r1.
const SIGNATURE_PRECOMPILES: [&str; 3] = [
    "Ed25519SigVerify111111111111111111111111111",
    "KeccakSecp256k11111111111111111111111111111",
    "Secp256r1SigVerify1111111111111111111111111",
];

impl SolTx {
    /// The program id of instruction `ix`, if its index names a key.
    fn program_id(&self, ix: &(u8, Vec<u8>, Vec<u8>)) -> Option<String> {
        self.keys
            .get(usize::from(ix.0))
            .map(|k| bs58::encode(k).into_string())
    }

    /// The most this transaction can pay in fees, in lamports (see the
    /// rules above), whoever its fee payer is. `None` when a Compute
    /// Budget instruction is not one of `RequestHeapFrame`,
    /// `SetComputeUnitLimit`, `SetComputeUnitPrice` and
    /// `SetLoadedAccountsDataSizeLimit` in its exact layout, or comes
    /// twice (the runtime refuses both; the deprecated `RequestUnits`,
    /// tag 0, carried a fee of its own): what it would cost is not known,
    /// so it counts as everything.
    pub(crate) fn max_fee_lamports(&self) -> Option<u128> {
        let mut signatures = u128::from(self.required);
        let mut limit: Option<u32> = None;
        let mut price: Option<u64> = None;
        let (mut heap_frame, mut data_size) = (false, false);
        let mut instructions: u32 = 0;
        for ix in &self.ixs {
            let program = self.program_id(ix);
            let data = &ix.2;
            match program.as_deref() {
                // Each at most once, in its exact layout (borsh: the tag,
                // then the value).
                Some(COMPUTE_BUDGET) => match (data.first(), data.len()) {
                    (Some(2), 5) if limit.is_none() => {
                        limit = Some(u32::from_le_bytes(data.get(1..5)?.try_into().ok()?));
                    }
                    (Some(3), 9) if price.is_none() => {
                        price = Some(u64::from_le_bytes(data.get(1..9)?.try_into().ok()?));
                    }
                    // RequestHeapFrame, SetLoadedAccountsDataSizeLimit:
                    // no fee of their own.
                    (Some(1), 5) if !heap_frame => heap_frame = true,
                    (Some(4), 5) if !data_size => data_size = true,
                    _ => return None,
                },
                Some(p) if SIGNATURE_PRECOMPILES.contains(&p) => {
                    signatures += u128::from(data.first().copied().unwrap_or(0));
                    instructions = instructions.saturating_add(1);
                }
                _ => instructions = instructions.saturating_add(1),
            }
        }
        let units = limit
            .unwrap_or_else(|| instructions.saturating_mul(DEFAULT_INSTRUCTION_COMPUTE_UNITS))
            .min(MAX_COMPUTE_UNITS);
        let micro_lamports = u128::from(price.unwrap_or(0)) * u128::from(units);
        let priority = micro_lamports.div_ceil(MICRO_LAMPORTS_PER_LAMPORT);
        Some(signatures * u128::from(LAMPORTS_PER_SIGNATURE) + priority)
    }

    /// The account at index `i` of the combined list.
    pub fn account(&self, i: u8) -> Account {
        let i = usize::from(i);
        match self.keys.get(i) {
            Some(k) => Account::Key(*k),
            None => self
                .loaded
                .get(i - self.keys.len())
                .cloned()
                .unwrap_or(Account::Missing),
        }
    }
}

/// Reads a serialized Solana transaction (legacy or v0), as
/// `solana_signTransaction` receives it, refusing what the signer refuses.
pub(crate) fn parse_transaction(tx: &[u8]) -> Result<SolTx> {
    if tx.len() > crate::solana::MAX_TRANSACTION_SIZE {
        return Err(bad(format!(
            "transaction: larger than {} bytes",
            crate::solana::MAX_TRANSACTION_SIZE
        )));
    }
    let mut r = Reader { buf: tx, pos: 0 };
    let n_sigs = r.len()?;
    r.take(
        n_sigs
            .checked_mul(64)
            .ok_or_else(|| bad("transaction: truncated"))?,
    )?;
    let message = &tx[r.pos..];
    // The signer's parser must accept the message as it stands; it also
    // refuses trailing bytes.
    if !crate::solana::is_transaction_message(message) {
        return Err(bad("transaction: the message does not parse"));
    }
    let mut r = Reader {
        buf: message,
        pos: 0,
    };
    let v0 = message.first().is_some_and(|b| b & 0x80 != 0);
    if v0 {
        r.u8()?;
    }
    let required = r.u8()?;
    if usize::from(required) != n_sigs {
        return Err(bad(format!(
            "transaction: {n_sigs} signatures for {required} required signers"
        )));
    }
    // Read-only signed and unsigned counts: checked by the signer's parser.
    r.take(2)?;
    let n_keys = r.len()?;
    let keys: Vec<[u8; 32]> = (0..n_keys).map(|_| r.key()).collect::<Result<_>>()?;
    r.key()?; // recent blockhash
    let n_ix = r.len()?;
    let mut ixs = Vec::with_capacity(n_ix);
    for _ in 0..n_ix {
        let program = r.u8()?;
        let n = r.len()?;
        let accounts = r.take(n)?.to_vec();
        let n = r.len()?;
        let data = r.take(n)?.to_vec();
        ixs.push((program, accounts, data));
    }
    let mut lookups = Vec::new();
    if v0 {
        for _ in 0..r.len()? {
            let table = r.key()?;
            let n = r.len()?;
            let writable = r.take(n)?.to_vec();
            let n = r.len()?;
            let readonly = r.take(n)?.to_vec();
            lookups.push(Lookup {
                table,
                writable,
                readonly,
            });
        }
    }

    // Loaded addresses follow the static keys: every table's writable
    // indexes first, then every table's read-only ones.
    let mut loaded: Vec<Account> = Vec::new();
    for l in &lookups {
        loaded.extend(l.writable.iter().map(|i| Account::Unresolved {
            table: l.table,
            index: *i,
            writable: true,
        }));
    }
    for l in &lookups {
        loaded.extend(l.readonly.iter().map(|i| Account::Unresolved {
            table: l.table,
            index: *i,
            writable: false,
        }));
    }
    Ok(SolTx {
        required,
        v0,
        keys,
        ixs,
        lookups,
        loaded,
    })
}

/// Describes a serialized Solana transaction (legacy or v0), as
/// `solana_signTransaction` receives it.
pub fn describe_solana_transaction(tx: &[u8], ctx: &Context) -> Result<Intent> {
    let parsed = parse_transaction(tx)?;
    let (required, v0, keys, ixs, lookups, loaded) = (
        parsed.required,
        parsed.v0,
        &parsed.keys,
        &parsed.ixs,
        &parsed.lookups,
        &parsed.loaded,
    );
    let account = |i: u8| parsed.account(i);

    let mut b = Builder::default();
    let payer = keys
        .first()
        .copied()
        .ok_or_else(|| bad("transaction: no fee payer"))?;
    b.field("Fee payer", Account::Key(payer).show(ctx));
    // The figure the policy's intent carries as `max_fee` too
    // (`super::policy`).
    b.field(
        "Max fee",
        parsed.max_fee_lamports().map_or_else(
            || "unknown: a Compute Budget instruction Keyframe cannot read".to_owned(),
            |l| format!("{} SOL", format_units(U256::from(l), 9)),
        ),
    );
    b.field("Signatures required", required.to_string());
    b.field("Version", if v0 { "v0" } else { "legacy" });

    let mut summaries = Vec::new();
    for (i, (program, accounts, data)) in ixs.iter().enumerate() {
        let program_key = keys
            .get(usize::from(*program))
            .copied()
            .ok_or_else(|| bad(format!("instruction {i}: program id out of range")))?;
        let accts: Vec<Account> = accounts.iter().map(|a| account(*a)).collect();
        let (title, children, summary) =
            describe_instruction(ctx, i, &program_key, &accts, data, &mut b)?;
        b.fields.push(Field::tree(
            format!("Instruction {}", i + 1),
            title,
            children,
        ));
        if let Some(s) = summary {
            summaries.push(s);
        }
    }
    if !loaded.is_empty() {
        b.warn_once(
            WarningCode::UnresolvedLookupAccounts,
            format!(
                "{} account(s) come from address lookup tables and cannot be named here; the transaction may touch accounts not shown by address.",
                loaded.len()
            ),
        );
        for l in lookups {
            b.field(
                "Lookup table",
                format!(
                    "{} ({} writable, {} read-only accounts)",
                    bs58::encode(l.table).into_string(),
                    l.writable.len(),
                    l.readonly.len()
                ),
            );
        }
    }
    Ok(Intent {
        kind: IntentKind::SolanaTransaction,
        title: "Sign transaction".to_owned(),
        summary: (!summaries.is_empty()).then(|| summaries.join("; ")),
        fields: b.fields,
        warnings: b.warnings,
        raw: None,
    })
}
