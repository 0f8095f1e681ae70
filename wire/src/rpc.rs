//! The iFrame's RPC vocabulary: the closed list of `error.data.reason`
//! values and the method names the iFrame answers (docs/api.md, "The
//! iFrame's RPC"). The host SDK's copies are generated from these
//! (iframe-host/sdk/src/wire.ts).

use serde::{Deserialize, Serialize};

macro_rules! closed_list {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $wire:literal,)+ }) => {
        $(#[$doc])*
        // Not `#[non_exhaustive]` on purpose: the signer matches both lists
        // exhaustively, so a value added here cannot ship without its
        // handler or its mapping.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $wire)] $variant,)+
        }

        impl $name {
            /// Every value, in the order of the SDK's list.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The wire form.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $wire,)+
                }
            }

            /// The value from its wire form.
            pub fn from_wire(s: &str) -> Option<$name> {
                match s {
                    $($wire => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        /// Lets callers (and tests) compare a value with its wire form.
        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }

        impl core::fmt::Display for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

closed_list!(
    /// Why an RPC request failed: `error.data.reason`, a closed list hosts
    /// can branch on.
    Reason {
        AuthRequired = "AUTH_REQUIRED",
        AuthExpired = "AUTH_EXPIRED",
        NoWallet = "NO_WALLET",
        RecoveryRequired = "RECOVERY_REQUIRED",
        WrongPassword = "WRONG_PASSWORD",
        ShareUnavailable = "SHARE_UNAVAILABLE",
        ShareMismatch = "SHARE_MISMATCH",
        PolicyDenied = "POLICY_DENIED",
        RateLimited = "RATE_LIMITED",
        StorageUnavailable = "STORAGE_UNAVAILABLE",
        Timeout = "TIMEOUT",
        BadRequest = "BAD_REQUEST",
        /// The platform's random number generator failed: nothing was changed.
        RngUnavailable = "RNG_UNAVAILABLE",
        /// The user pressed "Reject" (or Escape) on the iFrame's approval
        /// screen: nothing was signed, shown or changed (code 4001).
        UserRejected = "USER_REJECTED",
        /// `wallet_switchEthereumChain` (or the chain a host connects
        /// with) names a chain the provider does not list (code 4902).
        UnsupportedChain = "UNSUPPORTED_CHAIN",
        /// A share service refused an act that cannot be undone (revoking
        /// a device, replacing the cold share, committing a share) because
        /// it did not carry a valid signature by the wallet's authority key,
        /// e.g. when another key was registered first for an old wallet.
        AuthorityRequired = "AUTHORITY_REQUIRED",
        /// This browser cannot run the signer's WebAssembly module, which
        /// needs SIMD (Chrome and Edge 91+, Firefox 89+, Safari 16.4+). The
        /// host SDK checks before it creates the iFrame (code 4900).
        UnsupportedBrowser = "UNSUPPORTED_BROWSER",
        /// The iFrame could not load the part of the signer the method
        /// needs (its second module: the wallet's lifecycle, the simulator,
        /// the activity log): nothing was changed, and the request may be
        /// sent again (code -32603).
        SignerUnavailable = "SIGNER_UNAVAILABLE",
    }
);

closed_list!(
    /// Every RPC method the iFrame answers.
    Method {
        Ping = "keyframe_ping",
        SetAuth = "keyframe_setAuth",
        Status = "keyframe_status",
        /// The chains the provider serves (EIP-3085 objects, its order).
        Chains = "keyframe_chains",
        Logout = "keyframe_logout",
        CreateWallet = "keyframe_createWallet",
        ImportWallet = "keyframe_importWallet",
        Recover = "keyframe_recover",
        ListDevices = "keyframe_listDevices",
        RevokeDevice = "keyframe_revokeDevice",
        Export = "keyframe_export",
        SetRecovery = "keyframe_setRecovery",
        /// Writes a backup file of the wallet, offered inside the iFrame.
        DownloadBackup = "keyframe_downloadBackup",
        EthAccounts = "eth_accounts",
        EthRequestAccounts = "eth_requestAccounts",
        EthChainId = "eth_chainId",
        SwitchEthereumChain = "wallet_switchEthereumChain",
        PersonalSign = "personal_sign",
        EthSignTypedDataV4 = "eth_signTypedData_v4",
        EthSignTransaction = "eth_signTransaction",
        /// A batch of EVM transactions, one approval (EIP-5792 `wallet_sendCalls` in the SDK).
        SignTransactions = "keyframe_signTransactions",
        SolanaSignMessage = "solana_signMessage",
        SolanaSignTransaction = "solana_signTransaction",
        /// Always refused (it signs a bare hash); listed so the refusal is
        /// a stable error rather than "unsupported".
        EthSign = "eth_sign",
        /// What the policy would decide for a signing request, without
        /// signing (docs/policy.md, "Simulator").
        Simulate = "keyframe_simulate",
        /// The wallet's activity log, newest first.
        Activity = "keyframe_activity",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_form_is_the_serde_form() {
        for r in Reason::ALL {
            assert_eq!(
                serde_json::to_value(r).expect("serialise"),
                serde_json::json!(r.as_str())
            );
            assert_eq!(Reason::from_wire(r.as_str()), Some(*r));
        }
        for m in Method::ALL {
            assert_eq!(Method::from_wire(m.as_str()), Some(*m));
        }
        assert_eq!(Reason::from_wire("NOPE"), None);
    }
}
