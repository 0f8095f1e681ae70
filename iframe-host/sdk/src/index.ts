/**
 * Keyframe host SDK: embeds the Keyframe signer iFrame and exposes it as an
 * EIP-1193 provider. See README.md.
 */
export { createSigner, defaultTimeout } from "./signer.js";
// The Solana Wallet Standard wallet is a module of its own
// (`@keyframe/sdk/solana`, /sdk/keyframe-solana.js): EVM-only dApps do not
// load it.
export { ErrorCode, isKeyframeReason, KEYFRAME_REASONS, KeyframeError, type KeyframeReason } from "./errors.js";
export {
  IFRAME_EVENTS,
  type IframeEventType,
  MessageType,
  NotificationMethod,
  NS,
  PROTOCOL_VERSION,
} from "./protocol.js";
export type { ConnectCause } from "./diagnose.js";
export type { EIP6963ProviderDetail, EIP6963ProviderInfo } from "./eip6963.js";
export type {
  Addresses,
  Chain,
  DeviceInfo,
  NativeCurrency,
  CreateSignerOptions,
  GetTokens,
  KeyframeTokens,
  Hex,
  KeyframeMethod,
  KeyframeMethods,
  KeyframeProvider,
  ProviderEvent,
  Recovery,
  RequestArguments,
  RequestFn,
  Signer,
  TransactionRequest,
} from "./types.js";
