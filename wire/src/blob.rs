//! Secret-bearing byte strings on the wire: share envelopes and cold-share
//! ciphertexts, standard base64 with padding in JSON. Both are bounded when
//! parsed, wiped on drop and never printed by `Debug`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::Zeroizing;

fn decode_bounded(s: &str, max: usize) -> Result<Zeroizing<Vec<u8>>, String> {
    if s.len() > max.div_ceil(3) * 4 + 4 {
        return Err(format!("must be 1 to {max} bytes"));
    }
    let bytes = Zeroizing::new(
        crate::b64::decode(s).map_err(|_| "expected standard base64 with padding".to_string())?,
    );
    if bytes.is_empty() || bytes.len() > max {
        return Err(format!("must be 1 to {max} bytes"));
    }
    Ok(bytes)
}

macro_rules! blob_type {
    ($(#[$doc:meta])* $name:ident, $max:expr) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq)]
        pub struct $name(Zeroizing<Vec<u8>>);

        impl $name {
            /// The largest accepted length, in bytes.
            pub const MAX_BYTES: usize = $max;

            /// Wraps `bytes` (1 to [`Self::MAX_BYTES`] bytes).
            pub fn new(bytes: Zeroizing<Vec<u8>>) -> Result<Self, String> {
                if bytes.is_empty() || bytes.len() > $max {
                    return Err(format!("must be 1 to {} bytes", $max));
                }
                Ok($name(bytes))
            }

            /// Parses standard base64 (wiping the decoded bytes on refusal).
            pub fn from_base64(s: &str) -> Result<Self, String> {
                decode_bounded(s, $max).map($name)
            }

            /// The bytes.
            pub fn as_bytes(&self) -> &[u8] {
                &self.0
            }

            /// Standard base64 with padding (the caller owns the copy).
            pub fn to_base64(&self) -> Zeroizing<String> {
                Zeroizing::new(crate::b64::encode(&*self.0))
            }
        }

        impl core::fmt::Debug for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                write!(f, concat!(stringify!($name), "(<{} bytes>)"), self.0.len())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.to_base64())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = Zeroizing::new(String::deserialize(d)?);
                $name::from_base64(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}

blob_type!(
    /// A share envelope (at most 512 bytes).
    ShareBlob, crate::SHARE_MAX_BYTES
);
blob_type!(
    /// A sealed cold share: `nonce || AES-256-GCM output` (at most 4 KiB).
    Ciphertext, crate::COLD_CIPHERTEXT_MAX_BYTES
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_and_debug() {
        assert!(ShareBlob::from_base64("AAEC").is_ok());
        assert!(ShareBlob::from_base64("").is_err());
        assert!(ShareBlob::from_base64("AAE").is_err());
        let big = crate::b64::encode(vec![1u8; 513]);
        assert!(ShareBlob::from_base64(&big).is_err());
        let ok = Ciphertext::from_base64(&big).expect("513 bytes fit a ciphertext");
        assert_eq!(format!("{ok:?}"), "Ciphertext(<513 bytes>)");
        let json = serde_json::to_string(&ok).expect("serialise");
        assert_eq!(json, format!("\"{big}\""));
    }
}
