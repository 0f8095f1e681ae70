//! Unsigned 256-bit amounts (wei, token base units, lamports), written as
//! decimal strings in JSON so no value is rounded through a float.
//!
//! This module owns the parsing, comparison, addition and printing the
//! policy needs, and nothing more: a policy compares and sums amounts, it
//! never multiplies them.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// An unsigned integer below 2^256. Limbs are most significant first, so
/// the derived ordering is the numeric one.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Amount([u64; 4]);

/// Why a string is not an amount.
pub(crate) const NOT_DECIMAL: &str = "not a decimal integer";

impl Amount {
    /// Zero.
    pub const ZERO: Amount = Amount([0; 4]);
    /// 2^256 − 1, the largest amount (an EVM "unlimited" approval).
    pub const MAX: Amount = Amount([u64::MAX; 4]);

    /// Parses a decimal integer: ASCII digits only, no sign, no exponent,
    /// no separators, below 2^256.
    pub fn parse(s: &str) -> Option<Amount> {
        if s.is_empty() || s.len() > 78 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        s.bytes().try_fold(Amount::ZERO, |acc, b| {
            acc.mul_add_small(10, u64::from(b - b'0'))
        })
    }

    /// `self * m + a`, or `None` on overflow.
    fn mul_add_small(self, m: u64, a: u64) -> Option<Amount> {
        let mut out = [0u64; 4];
        let mut carry = u128::from(a);
        for i in (0..4).rev() {
            let x = u128::from(self.0[i]) * u128::from(m) + carry;
            out[i] = x as u64;
            carry = x >> 64;
        }
        (carry == 0).then_some(Amount(out))
    }

    /// `self + other`, or `None` on overflow.
    pub fn checked_add(self, other: Amount) -> Option<Amount> {
        let mut out = [0u64; 4];
        let mut carry = 0u128;
        for i in (0..4).rev() {
            let x = u128::from(self.0[i]) + u128::from(other.0[i]) + carry;
            out[i] = x as u64;
            carry = x >> 64;
        }
        (carry == 0).then_some(Amount(out))
    }

    /// `self + other`, held at [`Amount::MAX`].
    pub fn saturating_add(self, other: Amount) -> Amount {
        self.checked_add(other).unwrap_or(Amount::MAX)
    }

    /// Whether the amount is zero.
    pub fn is_zero(&self) -> bool {
        *self == Amount::ZERO
    }

    /// `(self / d, self % d)` for a non-zero `d`.
    fn div_rem_small(self, d: u64) -> (Amount, u64) {
        let mut out = [0u64; 4];
        let mut rem = 0u128;
        for (i, limb) in self.0.iter().enumerate() {
            let x = (rem << 64) | u128::from(*limb);
            out[i] = (x / u128::from(d)) as u64;
            rem = x % u128::from(d);
        }
        (Amount(out), rem as u64)
    }

    /// From big-endian bytes (at most 32).
    pub fn from_be_bytes(bytes: &[u8]) -> Option<Amount> {
        if bytes.len() > 32 {
            return None;
        }
        let mut padded = [0u8; 32];
        padded[32 - bytes.len()..].copy_from_slice(bytes);
        let mut out = [0u64; 4];
        for (i, chunk) in padded.chunks_exact(8).enumerate() {
            let mut b = [0u8; 8];
            b.copy_from_slice(chunk);
            out[i] = u64::from_be_bytes(b);
        }
        Some(Amount(out))
    }
}

impl From<u64> for Amount {
    fn from(v: u64) -> Amount {
        Amount([0, 0, 0, v])
    }
}

impl From<u128> for Amount {
    fn from(v: u128) -> Amount {
        Amount([0, 0, (v >> 64) as u64, v as u64])
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const CHUNK: u64 = 10_000_000_000_000_000_000; // 10^19
        let mut chunks = Vec::new();
        let mut rest = *self;
        loop {
            let (q, r) = rest.div_rem_small(CHUNK);
            chunks.push(r);
            if q.is_zero() {
                break;
            }
            rest = q;
        }
        let mut out = String::new();
        for (i, c) in chunks.iter().rev().enumerate() {
            if i == 0 {
                out.push_str(&c.to_string());
            } else {
                out.push_str(&format!("{c:019}"));
            }
        }
        f.write_str(&out)
    }
}

impl fmt::Debug for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Serialize for Amount {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Amount, D::Error> {
        let s = String::deserialize(d)?;
        Amount::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("\"{s}\": {NOT_DECIMAL}")))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn parses_prints_and_bounds() {
        let max = "115792089237316195423570985008687907853269984665640564039457584007913129639935";
        assert_eq!(Amount::parse(max), Some(Amount::MAX));
        assert_eq!(Amount::MAX.to_string(), max);
        // 2^256 is one too many.
        assert_eq!(
            Amount::parse(
                "115792089237316195423570985008687907853269984665640564039457584007913129639936"
            ),
            None
        );
        for bad in ["", "-1", "1.5", "1e18", " 1", "0x10", "1_000"] {
            assert_eq!(Amount::parse(bad), None, "{bad}");
        }
        assert_eq!(Amount::parse("0").unwrap().to_string(), "0");
        assert_eq!(Amount::parse("007").unwrap(), Amount::from(7u64));
        let big = "340282366920938463463374607431768211456"; // 2^128
        assert_eq!(Amount::parse(big).unwrap().to_string(), big);
        assert_eq!(Amount::from(u128::MAX).to_string(), u128::MAX.to_string());
        assert!(Amount::parse(big).unwrap() > Amount::from(u128::MAX));
    }

    #[test]
    fn adds_with_carry_and_overflow() {
        let a = Amount::from(u128::MAX);
        assert_eq!(
            a.checked_add(Amount::from(1u64)).unwrap().to_string(),
            "340282366920938463463374607431768211456"
        );
        assert_eq!(Amount::MAX.checked_add(Amount::from(1u64)), None);
        assert_eq!(Amount::MAX.saturating_add(Amount::from(1u64)), Amount::MAX);
        assert_eq!(
            Amount::from_be_bytes(&[1, 0]).unwrap(),
            Amount::from(256u64)
        );
        assert_eq!(Amount::from_be_bytes(&[0xff; 32]).unwrap(), Amount::MAX);
        assert_eq!(Amount::from_be_bytes(&[0; 33]), None);
    }
}
