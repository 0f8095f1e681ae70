//! The wallet's public addresses.

use serde::{Deserialize, Serialize};

const BASE58: &str = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/// The wallet's public addresses (account 0): `evm` is `0x` + 40 hex
/// digits (EIP-55 checksummed when the signer writes it), `solana` a base58
/// public key, or `null` for an imported raw EVM key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Addresses {
    #[cfg_attr(feature = "openapi", schema(pattern = "^0x[0-9a-fA-F]{40}$"))]
    pub evm: String,
    #[serde(default)]
    pub solana: Option<String>,
}

impl Addresses {
    /// Checks the shapes; on failure names the field (`"addresses.evm"`).
    pub fn check(&self) -> Result<(), &'static str> {
        let evm_ok = self.evm.len() == 42
            && self.evm.starts_with("0x")
            && self.evm.bytes().skip(2).all(|b| b.is_ascii_hexdigit());
        if !evm_ok {
            return Err("addresses.evm");
        }
        if let Some(s) = &self.solana
            && (!(32..=44).contains(&s.len()) || !s.chars().all(|c| BASE58.contains(c)))
        {
            return Err("addresses.solana");
        }
        Ok(())
    }
}
