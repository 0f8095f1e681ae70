// Generated from the keyframe-wire crate (wire/src/ts.rs); do not edit.
// `KEYFRAME_BLESS=1 cargo test -p keyframe-wire` rewrites it, and the
// crate's tests fail while it is stale.

/** The closed list of `error.data.reason` values (docs/api.md). */
export const KEYFRAME_REASONS = [
  "AUTH_REQUIRED",
  "AUTH_EXPIRED",
  "NO_WALLET",
  "RECOVERY_REQUIRED",
  "WRONG_PASSWORD",
  "SHARE_UNAVAILABLE",
  "SHARE_MISMATCH",
  "POLICY_DENIED",
  "RATE_LIMITED",
  "STORAGE_UNAVAILABLE",
  "TIMEOUT",
  "BAD_REQUEST",
  "RNG_UNAVAILABLE",
  "USER_REJECTED",
  "UNSUPPORTED_CHAIN",
  "AUTHORITY_REQUIRED",
  "UNSUPPORTED_BROWSER",
  "SIGNER_UNAVAILABLE",
] as const;

/** One of {@link KEYFRAME_REASONS}. */
export type KeyframeReason = (typeof KEYFRAME_REASONS)[number];

/** Every RPC method the iFrame itself answers (docs/api.md); the SDK adds eth_sendTransaction. */
export const RPC_METHODS = [
  "keyframe_ping",
  "keyframe_setAuth",
  "keyframe_status",
  "keyframe_chains",
  "keyframe_logout",
  "keyframe_createWallet",
  "keyframe_importWallet",
  "keyframe_recover",
  "keyframe_listDevices",
  "keyframe_revokeDevice",
  "keyframe_export",
  "keyframe_setRecovery",
  "keyframe_downloadBackup",
  "eth_accounts",
  "eth_requestAccounts",
  "eth_chainId",
  "wallet_switchEthereumChain",
  "personal_sign",
  "eth_signTypedData_v4",
  "eth_signTransaction",
  "keyframe_signTransactions",
  "solana_signMessage",
  "solana_signTransaction",
  "eth_sign",
  "keyframe_simulate",
  "keyframe_activity",
] as const;

/** One of {@link RPC_METHODS}. */
export type RpcMethod = (typeof RPC_METHODS)[number];

export type WalletKind = "mnemonic" | "evm_private_key";

export type Addresses = { evm: string, solana: string | null, };

export type DeviceInfo = { device: string, label: string | null, ephemeral: boolean, version: number, createdAt: string, lastUsedAt: string, expiresAt: string | null, };

export type NativeCurrency = { 
/**
 * "Ether".
 */
name: string, 
/**
 * "ETH": 1–16 printable ASCII characters.
 */
symbol: string, 
/**
 * At most 36.
 */
decimals: number, };

export type Chain = { chainId: string, 
/**
 * Shown on the approval screen ("Switch network", the "Network" field).
 */
chainName: string, nativeCurrency: NativeCurrency, rpcUrls: Array<string>, blockExplorerUrls: Array<string>, iconUrls: Array<string>, };
