//! What a wallet secret is.

use serde::{Deserialize, Serialize};

/// What a wallet secret is. Stored in every share and wallet record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(test, derive(ts_rs::TS))]
pub enum WalletKind {
    /// BIP-39 entropy; EVM and Solana accounts are derived from it.
    Mnemonic,
    /// An imported raw secp256k1 private key (EVM only, one account).
    EvmPrivateKey,
}

impl WalletKind {
    /// The wire name (`"mnemonic"` / `"evm_private_key"`).
    pub fn as_str(self) -> &'static str {
        match self {
            WalletKind::Mnemonic => "mnemonic",
            WalletKind::EvmPrivateKey => "evm_private_key",
        }
    }

    /// The kind from its wire name.
    pub fn from_wire(s: &str) -> Option<WalletKind> {
        match s {
            "mnemonic" => Some(WalletKind::Mnemonic),
            "evm_private_key" => Some(WalletKind::EvmPrivateKey),
            _ => None,
        }
    }
}
