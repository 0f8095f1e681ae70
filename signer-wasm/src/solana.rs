//! Solana signing: raw messages and serialized transactions (legacy and v0).
//!
//! A transaction is parsed fully and strictly before anything is signed:
//! canonical compact-u16 lengths, a header consistent with the account list,
//! every index in range, no duplicate account keys, no trailing bytes, only
//! message version 0 beyond legacy. The signature covers the message bytes
//! exactly as they were sent, and is placed at this key's index among the
//! required signers; every other signature slot is kept as it was.

use crate::{Error, Result};
use ed25519_dalek::{Signer, SigningKey};

/// Largest transaction the network accepts (`PACKET_DATA_SIZE`).
pub const MAX_TRANSACTION_SIZE: usize = 1232;

fn bad(msg: impl Into<String>) -> Error {
    Error::BadRequest(format!("transaction: {}", msg.into()))
}

/// Signs arbitrary message bytes (`solana_signMessage`).
pub fn sign_message(key: &SigningKey, message: &[u8]) -> [u8; 64] {
    key.sign(message).to_bytes()
}

/// Whether `bytes` parse as a Solana transaction *message*. The web layer
/// should refuse `solana_signMessage` for such bytes: a signature over them
/// would authorise a transaction the user was shown as a plain message.
pub fn is_transaction_message(bytes: &[u8]) -> bool {
    let mut r = Reader { buf: bytes, pos: 0 };
    parse_message(&mut r).is_ok() && r.pos == bytes.len()
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8]> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|e| *e <= self.buf.len())
            .ok_or_else(|| bad(format!("truncated in {what}")))?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn u8(&mut self, what: &str) -> Result<u8> {
        Ok(self.take(1, what)?[0])
    }

    fn peek(&self) -> Option<u8> {
        self.buf.get(self.pos).copied()
    }

    fn key(&mut self, what: &str) -> Result<[u8; 32]> {
        let mut k = [0u8; 32];
        k.copy_from_slice(self.take(32, what)?);
        Ok(k)
    }

    /// Solana's compact-u16 ("shortvec"): 1 to 3 bytes, 7 bits each, little
    /// endian; only the canonical (shortest) encoding is accepted.
    fn compact_u16(&mut self, what: &str) -> Result<usize> {
        let mut value: usize = 0;
        for i in 0..3 {
            let b = self.u8(what)?;
            if i == 2 && b > 0x03 {
                return Err(bad(format!("{what}: length exceeds u16")));
            }
            value |= usize::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                if i > 0 && b == 0 {
                    return Err(bad(format!("{what}: non-canonical length encoding")));
                }
                return Ok(value);
            }
        }
        Err(bad(format!("{what}: length exceeds u16")))
    }
}

fn write_compact_u16(out: &mut Vec<u8>, mut v: usize) {
    loop {
        let mut b = (v & 0x7f) as u8;
        v >>= 7;
        if v != 0 {
            b |= 0x80;
        }
        out.push(b);
        if v == 0 {
            break;
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Version {
    Legacy,
    V0,
}

struct Instruction {
    program_id_index: u8,
    accounts: Vec<u8>,
    data: Vec<u8>,
}

struct Lookup {
    account_key: [u8; 32],
    writable: Vec<u8>,
    readonly: Vec<u8>,
}

struct Message {
    version: Version,
    num_required_signatures: u8,
    num_readonly_signed: u8,
    num_readonly_unsigned: u8,
    account_keys: Vec<[u8; 32]>,
    recent_blockhash: [u8; 32],
    instructions: Vec<Instruction>,
    lookups: Vec<Lookup>,
}

fn parse_message(r: &mut Reader<'_>) -> Result<Message> {
    let first = r.peek().ok_or_else(|| bad("truncated in message header"))?;
    let version = if first & 0x80 != 0 {
        r.pos += 1;
        match first & 0x7f {
            0 => Version::V0,
            v => return Err(bad(format!("unsupported message version {v}"))),
        }
    } else {
        Version::Legacy
    };
    let num_required_signatures = r.u8("header")?;
    let num_readonly_signed = r.u8("header")?;
    let num_readonly_unsigned = r.u8("header")?;

    let n_keys = r.compact_u16("account keys")?;
    let mut account_keys = Vec::with_capacity(n_keys.min(256));
    for _ in 0..n_keys {
        account_keys.push(r.key("account keys")?);
    }
    let recent_blockhash = r.key("recent blockhash")?;

    let n_ix = r.compact_u16("instructions")?;
    let mut instructions = Vec::with_capacity(n_ix.min(64));
    for _ in 0..n_ix {
        let program_id_index = r.u8("instruction program id")?;
        let n_acc = r.compact_u16("instruction accounts")?;
        let accounts = r.take(n_acc, "instruction accounts")?.to_vec();
        let n_data = r.compact_u16("instruction data")?;
        let data = r.take(n_data, "instruction data")?.to_vec();
        instructions.push(Instruction {
            program_id_index,
            accounts,
            data,
        });
    }

    let mut lookups = Vec::new();
    if version == Version::V0 {
        let n_lookups = r.compact_u16("address table lookups")?;
        for _ in 0..n_lookups {
            let account_key = r.key("address table lookup")?;
            let n_w = r.compact_u16("lookup writable indexes")?;
            let writable = r.take(n_w, "lookup writable indexes")?.to_vec();
            let n_r = r.compact_u16("lookup readonly indexes")?;
            let readonly = r.take(n_r, "lookup readonly indexes")?.to_vec();
            lookups.push(Lookup {
                account_key,
                writable,
                readonly,
            });
        }
    }

    let msg = Message {
        version,
        num_required_signatures,
        num_readonly_signed,
        num_readonly_unsigned,
        account_keys,
        recent_blockhash,
        instructions,
        lookups,
    };
    sanitize(&msg)?;
    Ok(msg)
}

/// The checks of Solana's `Message::sanitize` (legacy and v0) plus a refusal
/// of duplicate static account keys, which the runtime refuses too.
fn sanitize(m: &Message) -> Result<()> {
    let n_static = m.account_keys.len();
    let req = usize::from(m.num_required_signatures);
    if req == 0 {
        return Err(bad("header: no required signatures"));
    }
    if m.num_readonly_signed >= m.num_required_signatures {
        return Err(bad(
            "header: every signer is read-only (the fee payer must be writable)",
        ));
    }
    if req + usize::from(m.num_readonly_unsigned) > n_static {
        return Err(bad(
            "header: more signers and read-only accounts than account keys",
        ));
    }
    let loaded: usize = m
        .lookups
        .iter()
        .map(|l| l.writable.len() + l.readonly.len())
        .sum();
    let total = n_static + loaded;
    if total > 256 {
        return Err(bad("more than 256 accounts"));
    }
    for l in &m.lookups {
        if l.writable.is_empty() && l.readonly.is_empty() {
            return Err(bad("address table lookup loads no accounts"));
        }
    }
    for (i, k) in m.account_keys.iter().enumerate() {
        if m.account_keys[..i].contains(k) {
            return Err(bad(format!("account key {i} is a duplicate")));
        }
    }
    for (i, ix) in m.instructions.iter().enumerate() {
        let p = usize::from(ix.program_id_index);
        if p >= n_static {
            return Err(bad(format!(
                "instruction {i}: program id index {p} out of range"
            )));
        }
        if p == 0 {
            return Err(bad(format!(
                "instruction {i}: the fee payer cannot be the program"
            )));
        }
        if let Some(a) = ix.accounts.iter().find(|a| usize::from(**a) >= total) {
            return Err(bad(format!(
                "instruction {i}: account index {a} out of range"
            )));
        }
    }
    Ok(())
}

fn serialize_message(m: &Message, out: &mut Vec<u8>) {
    if m.version == Version::V0 {
        out.push(0x80);
    }
    out.extend_from_slice(&[
        m.num_required_signatures,
        m.num_readonly_signed,
        m.num_readonly_unsigned,
    ]);
    write_compact_u16(out, m.account_keys.len());
    for k in &m.account_keys {
        out.extend_from_slice(k);
    }
    out.extend_from_slice(&m.recent_blockhash);
    write_compact_u16(out, m.instructions.len());
    for ix in &m.instructions {
        out.push(ix.program_id_index);
        write_compact_u16(out, ix.accounts.len());
        out.extend_from_slice(&ix.accounts);
        write_compact_u16(out, ix.data.len());
        out.extend_from_slice(&ix.data);
    }
    if m.version == Version::V0 {
        write_compact_u16(out, m.lookups.len());
        for l in &m.lookups {
            out.extend_from_slice(&l.account_key);
            write_compact_u16(out, l.writable.len());
            out.extend_from_slice(&l.writable);
            write_compact_u16(out, l.readonly.len());
            out.extend_from_slice(&l.readonly);
        }
    }
}

/// Parses a serialized transaction (legacy or v0) fully and strictly, finds
/// `key`'s index among the required signers, signs the message bytes and
/// places the signature there. Returns the re-serialized transaction.
///
/// Errors: [`Error::BadRequest`] for anything malformed,
/// [`Error::WrongAddress`] when `key` is not a required signer.
pub fn sign_transaction(key: &SigningKey, tx: &[u8]) -> Result<Vec<u8>> {
    if tx.len() > MAX_TRANSACTION_SIZE {
        return Err(bad(format!("larger than {MAX_TRANSACTION_SIZE} bytes")));
    }
    let mut r = Reader { buf: tx, pos: 0 };
    let n_sigs = r.compact_u16("signatures")?;
    let mut signatures = Vec::with_capacity(n_sigs.min(256));
    for _ in 0..n_sigs {
        let mut s = [0u8; 64];
        s.copy_from_slice(r.take(64, "signatures")?);
        signatures.push(s);
    }
    let message_start = r.pos;
    let msg = parse_message(&mut r)?;
    if r.pos != tx.len() {
        return Err(bad(format!("{} trailing bytes", tx.len() - r.pos)));
    }
    if n_sigs != usize::from(msg.num_required_signatures) {
        return Err(bad(format!(
            "{n_sigs} signatures for {} required signers",
            msg.num_required_signatures
        )));
    }
    let message_bytes = &tx[message_start..];

    // Re-serialise and compare: the bytes signed are exactly the bytes parsed.
    let mut out = Vec::with_capacity(tx.len());
    write_compact_u16(&mut out, signatures.len());
    let sig_start = out.len();
    for s in &signatures {
        out.extend_from_slice(s);
    }
    serialize_message(&msg, &mut out);
    if out != tx {
        return Err(bad("non-canonical encoding"));
    }

    let pubkey = key.verifying_key().to_bytes();
    let index = msg.account_keys[..usize::from(msg.num_required_signatures)]
        .iter()
        .position(|k| *k == pubkey)
        .ok_or(Error::WrongAddress)?;
    let sig = key.sign(message_bytes).to_bytes();
    let at = sig_start + 64 * index;
    out[at..at + 64].copy_from_slice(&sig);
    Ok(out)
}
