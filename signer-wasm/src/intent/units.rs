//! Exact amounts: integer base units to a decimal string, with no floats.

use alloy_primitives::U256;

/// `value / 10^decimals` written exactly, trailing zeros of the fraction
/// trimmed: `format_units(1_500_000_000_000_000_000, 18) == "1.5"`.
pub fn format_units(value: U256, decimals: u8) -> String {
    let digits = value.to_string();
    let d = usize::from(decimals);
    if d == 0 {
        return digits;
    }
    let (int, frac) = if digits.len() > d {
        let (i, f) = digits.split_at(digits.len() - d);
        (i.to_owned(), f.to_owned())
    } else {
        ("0".to_owned(), format!("{digits:0>d$}"))
    };
    let frac = frac.trim_end_matches('0');
    if frac.is_empty() {
        int
    } else {
        format!("{int}.{frac}")
    }
}

/// 2^256 − 1, the "infinite" allowance of ERC-20 and DAI.
pub(crate) fn u256_max() -> U256 {
    U256::MAX
}

/// 2^160 − 1, Permit2's unlimited `uint160` allowance.
pub(crate) fn u160_max() -> U256 {
    (U256::from(1u8) << 160) - U256::from(1u8)
}

/// Whether `amount` is one of the conventional "unlimited" values.
pub(crate) fn is_unlimited(amount: U256) -> bool {
    amount == u256_max() || amount == u160_max()
}
