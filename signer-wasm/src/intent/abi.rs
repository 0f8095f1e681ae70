//! Strict reading of ABI-encoded arguments (Solidity ABI v2 rules): a word
//! holding an address, a `bool` or a narrow `uint` must have its unused high
//! bytes zero, as the ABI v2 decoder requires; a value that breaks this
//! would revert on-chain, and showing it "cleaned" would show something else
//! than what is signed.

use super::bad;
use crate::Result;
use alloy_primitives::U256;

/// The arguments after a 4-byte selector.
pub(crate) struct Args<'a> {
    data: &'a [u8],
    what: &'static str,
}

impl<'a> Args<'a> {
    pub fn new(data: &'a [u8], what: &'static str) -> Self {
        Args { data, what }
    }

    /// Argument words the head holds; calldata shorter than `n` words is
    /// refused (truncated).
    pub fn need(&self, n: usize) -> Result<()> {
        if self.data.len() < 32 * n {
            return Err(bad(format!(
                "{}: calldata truncated ({} argument bytes, at least {} needed)",
                self.what,
                self.data.len(),
                32 * n
            )));
        }
        Ok(())
    }

    fn word(&self, i: usize) -> Result<&'a [u8]> {
        self.data
            .get(32 * i..32 * i + 32)
            .ok_or_else(|| bad(format!("{}: calldata truncated at argument {i}", self.what)))
    }

    /// An unsigned integer of `bits` bits.
    pub fn uint(&self, i: usize, bits: usize) -> Result<U256> {
        let w = self.word(i)?;
        let v = U256::from_be_slice(w);
        if bits < 256 && v >> bits != U256::ZERO {
            return Err(bad(format!(
                "{}: argument {i} exceeds uint{bits}",
                self.what
            )));
        }
        Ok(v)
    }

    pub fn address(&self, i: usize) -> Result<[u8; 20]> {
        let w = self.word(i)?;
        if w[..12].iter().any(|b| *b != 0) {
            return Err(bad(format!(
                "{}: argument {i} is not an address",
                self.what
            )));
        }
        let mut a = [0u8; 20];
        a.copy_from_slice(&w[12..]);
        Ok(a)
    }

    pub fn bool(&self, i: usize) -> Result<bool> {
        match self.uint(i, 8)? {
            v if v == U256::ZERO => Ok(false),
            v if v == U256::from(1u8) => Ok(true),
            _ => Err(bad(format!("{}: argument {i} is not a bool", self.what))),
        }
    }

    /// A dynamic `bytes` argument whose offset is in head word `i`.
    pub fn bytes(&self, i: usize) -> Result<&'a [u8]> {
        let off = self.uint(i, 64)?;
        let off = usize::try_from(off)
            .map_err(|_| bad(format!("{}: bytes offset out of range", self.what)))?;
        let len_word = self
            .data
            .get(off..off.saturating_add(32))
            .filter(|w| w.len() == 32)
            .ok_or_else(|| {
                bad(format!(
                    "{}: calldata truncated in bytes argument",
                    self.what
                ))
            })?;
        let len = U256::from_be_slice(len_word);
        let len = usize::try_from(len)
            .ok()
            .filter(|l| *l <= self.data.len())
            .ok_or_else(|| bad(format!("{}: bytes length out of range", self.what)))?;
        let start = off + 32;
        self.data.get(start..start + len).ok_or_else(|| {
            bad(format!(
                "{}: calldata truncated in bytes argument",
                self.what
            ))
        })
    }
}
