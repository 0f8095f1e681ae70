//! Solana transactions in words: the fee payer, then each instruction by
//! program ([`super::sol_ix`]), with accounts named by address or, when
//! they come from an address lookup table, as unresolved.
//!
//! The bytes are accepted only if the signer's own parser accepts their
//! message ([`crate::solana::is_transaction_message`]) and the signature
//! count matches the header, so what is described is what would be signed.

use super::sol_ix::{Account, describe_instruction};
use super::{Builder, Context, Field, Intent, IntentKind, WarningCode, bad};
use crate::Result;

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

impl SolTx {
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
