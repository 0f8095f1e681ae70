//! The small textual formats of a policy, parsed by hand (no regex, no
//! date library, so the signer stays small): addresses, selectors,
//! durations ("24h") and times of day ("09:30").

/// Whether `s` is an EVM address: `0x` and 40 hex digits (any case).
pub(crate) fn is_evm_address(s: &str) -> bool {
    s.len() == 42 && s.starts_with("0x") && s[2..].bytes().all(|b| b.is_ascii_hexdigit())
}

/// Whether `s` looks like a base58 Solana address or program id: 32 to 44
/// characters of the Bitcoin alphabet.
pub(crate) fn is_base58_address(s: &str) -> bool {
    (32..=44).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() && !matches!(b, b'0' | b'O' | b'I' | b'l'))
}

/// Whether `s` is an address of either chain family.
pub(crate) fn is_address(s: &str) -> bool {
    is_evm_address(s) || is_base58_address(s)
}

/// Address equality: EVM hex ignores case (EIP-55 checksums are display),
/// base58 is compared exactly (its case carries the value).
pub(crate) fn same_address(a: &str, b: &str) -> bool {
    if a.starts_with("0x") && b.starts_with("0x") {
        a.eq_ignore_ascii_case(b)
    } else {
        a == b
    }
}

/// Whether `s` is a 4-byte selector: `0x` and 8 hex digits.
pub(crate) fn is_selector(s: &str) -> bool {
    s.len() == 10 && s.starts_with("0x") && s[2..].bytes().all(|b| b.is_ascii_hexdigit())
}

/// The longest window a limit may have: 366 days.
pub const MAX_WINDOW_SECS: u64 = 366 * 86_400;

/// Parses a duration: a positive integer and one unit, `s`, `m`, `h`, `d`
/// or `w` ("90m", "24h", "7d"), at most [`MAX_WINDOW_SECS`].
pub(crate) fn parse_duration(s: &str) -> Option<u64> {
    let unit = match s.as_bytes().last()? {
        b's' => 1,
        b'm' => 60,
        b'h' => 3_600,
        b'd' => 86_400,
        b'w' => 7 * 86_400,
        _ => return None,
    };
    let digits = &s[..s.len() - 1];
    if digits.is_empty() || digits.len() > 9 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u64 = digits.parse().ok()?;
    let secs = n.checked_mul(unit)?;
    (secs > 0 && secs <= MAX_WINDOW_SECS).then_some(secs)
}

/// Parses a UTC time of day "HH:MM" (00:00 to 23:59) into minutes after
/// midnight.
pub(crate) fn parse_time_of_day(s: &str) -> Option<u32> {
    let b = s.as_bytes();
    if b.len() != 5 || b[2] != b':' {
        return None;
    }
    let digit = |i: usize| b[i].is_ascii_digit().then(|| u32::from(b[i] - b'0'));
    let h = digit(0)? * 10 + digit(1)?;
    let m = digit(3)? * 10 + digit(4)?;
    (h < 24 && m < 60).then_some(h * 60 + m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("24h"), Some(86_400));
        assert_eq!(parse_duration("7d"), Some(604_800));
        assert_eq!(parse_duration("90m"), Some(5_400));
        assert_eq!(parse_duration("1w"), Some(604_800));
        assert_eq!(parse_duration("366d"), Some(MAX_WINDOW_SECS));
        for bad in [
            "", "h", "0h", "367d", "1.5h", "-1h", "24", "24H", "1y", " 1h",
        ] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
    }

    #[test]
    fn times_of_day() {
        assert_eq!(parse_time_of_day("00:00"), Some(0));
        assert_eq!(parse_time_of_day("23:59"), Some(1439));
        assert_eq!(parse_time_of_day("09:30"), Some(570));
        for bad in ["24:00", "9:30", "09:60", "0930", "09-30", "aa:bb"] {
            assert_eq!(parse_time_of_day(bad), None, "{bad}");
        }
    }

    #[test]
    fn addresses() {
        let a = "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913";
        assert!(is_evm_address(a));
        assert!(same_address(a, &a.to_lowercase()));
        assert!(!is_evm_address("0x833589fCD6eDb6E08f4c7C32D4f71b54bdA0291"));
        let sol = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA";
        assert!(is_base58_address(sol));
        assert!(!same_address(sol, &sol.to_lowercase()));
        assert!(!is_base58_address("0OIl0OIl0OIl0OIl0OIl0OIl0OIl0OIl"));
        assert!(is_selector("0xa9059cbb"));
        assert!(!is_selector("0xa9059cb"));
    }
}
