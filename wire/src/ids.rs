//! Wallet, device and split ids: 16 random bytes each. Wallet and device
//! ids are written as lowercase hyphenated UUIDs, split ids as 32 lowercase
//! hex characters. Parsing accepts upper-case UUID digits and writes them
//! back in lower case; anything else is refused.

use core::fmt;
use core::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An id that does not parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdError {
    /// What was expected, e.g. "wallet id".
    pub what: &'static str,
}

impl fmt::Display for IdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid {}", self.what)
    }
}

impl std::error::Error for IdError {}

fn hex_digit(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// 32 hex digits (upper case allowed when `upper_ok`) into 16 bytes.
fn parse_hex32<I: Iterator<Item = u8>>(digits: I, upper_ok: bool) -> Option<[u8; 16]> {
    let mut out = [0u8; 16];
    let mut n = 0usize;
    for b in digits {
        if !upper_ok && b.is_ascii_uppercase() {
            return None;
        }
        let d = hex_digit(b)?;
        let slot = out.get_mut(n / 2)?;
        *slot = if n.is_multiple_of(2) {
            d << 4
        } else {
            *slot | d
        };
        n += 1;
    }
    (n == 32).then_some(out)
}

fn parse_uuid(s: &str) -> Option<[u8; 16]> {
    let b = s.as_bytes();
    if b.len() != 36 || [8, 13, 18, 23].iter().any(|&i| b[i] != b'-') {
        return None;
    }
    let digits = b
        .iter()
        .enumerate()
        .filter(|(i, _)| ![8, 13, 18, 23].contains(i))
        .map(|(_, &c)| c);
    parse_hex32(digits, true)
}

fn parse_split(s: &str) -> Option<[u8; 16]> {
    parse_hex32(s.bytes(), false)
}

fn fmt_uuid(b: &[u8; 16], f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let h = hex::encode(b);
    write!(
        f,
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

fn fmt_split(b: &[u8; 16], f: &mut fmt::Formatter<'_>) -> fmt::Result {
    f.write_str(&hex::encode(b))
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $what:literal, $parse:ident, $fmt:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub [u8; 16]);

        impl $name {
            /// The raw 16 bytes.
            pub fn as_bytes(&self) -> &[u8; 16] {
                &self.0
            }

            /// Whether this is the nil id (all zero bytes).
            pub fn is_nil(&self) -> bool {
                self.0 == [0; 16]
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                $fmt(&self.0, f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self)
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                $parse(s).map($name).ok_or(IdError { what: $what })
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                s.parse().map_err(|_| {
                    serde::de::Error::custom(concat!("invalid ", $what))
                })
            }
        }
    };
}

id_type!(
    /// A wallet's id: random 16 bytes, written as a lowercase hyphenated UUID.
    WalletId, "wallet id", parse_uuid, fmt_uuid
);
id_type!(
    /// A device's id: random 16 bytes, written as a lowercase hyphenated
    /// UUID. [`DeviceId::RECOVERY`] (the nil UUID) names the recovery pair.
    DeviceId, "device id", parse_uuid, fmt_uuid
);
id_type!(
    /// The id of one Shamir polynomial: random 16 bytes, written as 32
    /// lowercase hex characters.
    SplitId, "split id", parse_split, fmt_split
);

impl DeviceId {
    /// The device id of the recovery pair (H₀ and C): the nil UUID.
    pub const RECOVERY: DeviceId = DeviceId([0; 16]);

    /// Whether this is the recovery pair's id.
    pub fn is_recovery(&self) -> bool {
        *self == DeviceId::RECOVERY
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_round_trip_and_lowercase() {
        let id: WalletId = "0123ABCD-4567-89ab-cdef-0123456789AB"
            .parse()
            .expect("uuid");
        assert_eq!(id.to_string(), "0123abcd-4567-89ab-cdef-0123456789ab");
        assert_eq!(
            DeviceId::RECOVERY.to_string(),
            "00000000-0000-0000-0000-000000000000"
        );
    }

    #[test]
    fn refuses_malformed_ids() {
        for bad in [
            "",
            "0123abcd45674567-89ab-cdef-0123456789ab",
            "0123abcd-4567-89ab-cdef-0123456789a",
            "0123abcd-4567-89ab-cdef-0123456789abc",
            "{123abcd-4567-89ab-cdef-0123456789ab",
            "0123abcg-4567-89ab-cdef-0123456789ab",
            "é123abcd-4567-89ab-cdef-0123456789a",
        ] {
            assert!(bad.parse::<WalletId>().is_err(), "{bad}");
        }
        assert!(
            "0123456789abcdef0123456789abcdef"
                .parse::<SplitId>()
                .is_ok()
        );
        for bad in [
            "0123456789ABCDEF0123456789abcdef",
            "0123456789abcdef0123456789abcde",
            "0123456789abcdef0123456789abcdef0",
            "0123456789abcdef0123456789abcdeg",
        ] {
            assert!(bad.parse::<SplitId>().is_err(), "{bad}");
        }
    }

    #[test]
    fn serde_uses_the_string_forms() {
        let id = SplitId([0xab; 16]);
        let json = serde_json::to_string(&id).expect("serialise");
        assert_eq!(json, format!("\"{}\"", "ab".repeat(16)));
        assert_eq!(serde_json::from_str::<SplitId>(&json).expect("parse"), id);
        assert!(serde_json::from_str::<WalletId>("42").is_err());
    }
}
