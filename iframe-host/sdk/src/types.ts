/** Public types of the Keyframe host SDK. */
import type { EIP6963ProviderInfo } from "./eip6963.js";
import type { Addresses, Chain, DeviceInfo, NativeCurrency } from "./wire.js";

// Generated from the wire crate (wire/src/ts.rs): `{ evm, solana }`, a
// registered device as hot storage lists it, and a chain the provider
// serves (EIP-3085 shape).
export type { Addresses, Chain, DeviceInfo, NativeCurrency };

/**
 * How the cold share is protected (docs/architecture.md §7). A password is
 * never passed: the user types it inside the Keyframe iFrame, and a request
 * that carries one is refused with `BAD_REQUEST`. The automatic key is the
 * dApp backend's secret and does come from the page. With `file`, the user
 * keeps a backup file downloaded from the iFrame (sealed under a password
 * typed there) and Shield stores nothing (docs/backup-format.md).
 */
export type Recovery = { method: "password" } | { method: "automatic"; token: string } | { method: "file" };

export type Hex = `0x${string}`;

/** An EVM transaction request (EIP-1474 hex quantities). */
export interface TransactionRequest {
  from?: Hex;
  to?: Hex | null;
  value?: Hex;
  data?: Hex;
  input?: Hex;
  nonce?: Hex;
  gas?: Hex;
  gasLimit?: Hex;
  gasPrice?: Hex;
  maxFeePerGas?: Hex;
  maxPriorityFeePerGas?: Hex;
  chainId?: Hex;
  type?: Hex;
  accessList?: { address: Hex; storageKeys: Hex[] }[];
}

/** A policy's effect (docs/policy.md). */
export type PolicyEffect = "allow" | "ask" | "approve" | "deny";

/** A rule, by layer and id. */
export interface PolicyRuleRef { layer: "operator" | "user"; id: string }

/** `keyframe_simulate`'s answer (the policy crate's evaluation, snake_case). */
export interface PolicyEvaluation {
  effect: PolicyEffect;
  silent?: boolean;
  deciding_rule?: PolicyRuleRef;
  per_rule: { layer: "operator" | "user"; id: string; effect: PolicyEffect; matched: boolean; first_failed_condition?: string }[];
  intent: Record<string, unknown>;
  record?: Record<string, unknown>;
  /** Whether the user's own rules were present and validly signed. */
  user_rules: "none" | "verified" | "ignored";
}

/** One decision of the activity log. */
export interface ActivityEntry {
  id: string;
  /** Unix milliseconds. */
  at: number;
  decision: "allowed" | "approved_on_screen" | "approved_by_webhook" | "rejected" | "denied" | "refused_by_webhook" | "webhook_timed_out";
  rule?: PolicyRuleRef;
  reason?: string;
  device?: string;
  intent: Record<string, unknown>;
}

/** Params and results of the methods the SDK knows (docs/architecture.md §6). */
export interface KeyframeMethods {
  keyframe_ping: { params?: undefined; result: "pong" };
  /** One token per service (`{ hot, shield }`), or one both accept (`{ token }`). */
  keyframe_setAuth: { params: KeyframeTokens | { token: string }; result: { ok: boolean } };
  keyframe_status: {
    params?: undefined;
    result: {
      wallet: string | null; addresses: Addresses | null; device: string | null; hasLocalShare: boolean;
      /** The thumbprint (RFC 7638) tokens for this iFrame must be bound to (`cnf.jkt`). */
      dpopJkt: string;
      [k: string]: unknown;
    };
  };
  /** The chains the provider serves, in its order (EIP-3085 objects). */
  keyframe_chains: { params?: undefined; result: Chain[] };
  keyframe_createWallet: { params: { recovery: Recovery }; result: { wallet: string; addresses: Addresses } };
  keyframe_recover: { params: { recovery: Recovery }; result: { wallet: string; addresses: Addresses; device: string } };
  /** The phrase or key is typed inside the iFrame, never passed. */
  keyframe_importWallet: { params: { recovery: Recovery }; result: { wallet: string; addresses: Addresses } };
  keyframe_export: { params?: undefined; result: unknown };
  /** A backup file of the wallet, under a password typed and offered inside the iFrame. */
  keyframe_downloadBackup: { params?: undefined; result: { ok: boolean } };
  /**
   * `current` names the method in force; its secret (typed in the iFrame for
   * a password, the key for automatic) is the proof the change is the user's.
   */
  keyframe_setRecovery: { params: { current: Recovery; recovery: Recovery }; result: { ok: boolean } };
  keyframe_listDevices: { params?: undefined; result: { devices: (DeviceInfo & { current: boolean })[] } };
  keyframe_revokeDevice: { params: { device: string }; result: unknown };
  keyframe_logout: { params?: undefined; result: unknown };
  eth_accounts: { params?: []; result: Hex[] };
  eth_requestAccounts: { params?: []; result: Hex[] };
  eth_chainId: { params?: []; result: Hex };
  personal_sign: { params: [message: string, address: Hex]; result: Hex };
  eth_signTypedData_v4: { params: [address: Hex, typedData: string | object]; result: Hex };
  eth_signTransaction: { params: [tx: TransactionRequest]; result: Hex };
  eth_sendTransaction: { params: [tx: TransactionRequest]; result: Hex };
  wallet_switchEthereumChain: { params: [{ chainId: Hex }]; result: null };
  /** EIP-3085: a no-op for a chain of the provider's list; any other is refused (4902). */
  wallet_addEthereumChain: { params: [{ chainId: Hex } & Record<string, unknown>]; result: null };
  /** EIP-5792: `{ [chainId]: { atomic: { status: "unsupported" } } }`. */
  wallet_getCapabilities: { params?: unknown[]; result: Record<Hex, { atomic: { status: "unsupported" } }> };
  /** EIP-5792: every call on one approval screen, then sent in order. */
  wallet_sendCalls: {
    params: [{ version: "2.0.0"; chainId?: Hex; from?: Hex; atomicRequired: boolean; calls: { to?: Hex; data?: Hex; value?: Hex }[]; capabilities?: Record<string, unknown> }];
    result: { id: string };
  };
  wallet_getCallsStatus: {
    params: [string];
    result: { version: "2.0.0"; id: string; chainId: Hex; status: number; atomic: false; receipts: Record<string, unknown>[] };
  };
  /**
   * What the policy would decide for a signing request, without signing
   * (docs/policy.md, "Simulator"): the decision, the deciding rule, each
   * rule's first failed condition, the decoded intent.
   */
  keyframe_simulate: {
    params: { method: string; params: unknown };
    result: PolicyEvaluation;
  };
  /** The wallet's activity log, newest first (docs/policy.md, "Activity"). */
  keyframe_activity: { params?: { limit?: number }; result: ActivityEntry[] };
  solana_signMessage: { params: { message: string }; result: { signature: string } };
  solana_signTransaction: { params: { transaction: string }; result: unknown };
}

export type KeyframeMethod = keyof KeyframeMethods;

/** EIP-1193 request arguments. */
export interface RequestArguments {
  readonly method: string;
  readonly params?: readonly unknown[] | object;
}

export interface RequestFn {
  <M extends KeyframeMethod>(args: { method: M; params?: KeyframeMethods[M]["params"] }): Promise<KeyframeMethods[M]["result"]>;
  (args: RequestArguments): Promise<unknown>;
}

/** EIP-1193 events the provider emits. */
export type ProviderEvent = "connect" | "disconnect" | "accountsChanged" | "chainChanged";

/** EIP-1193 provider. */
export interface KeyframeProvider {
  readonly isKeyframe: true;
  request: RequestFn;
  on(event: ProviderEvent, listener: (...args: any[]) => void): KeyframeProvider;
  removeListener(event: ProviderEvent, listener: (...args: any[]) => void): KeyframeProvider;
}

/** The user's tokens for Keyframe's services, each for its own audience. */
export interface KeyframeTokens {
  hot: string;
  shield: string;
}

/**
 * Asks the dApp's server for the user's tokens, bound (`cnf.jkt`) to the
 * iFrame's DPoP key `jkt` (RFC 9449).
 */
export type GetTokens = (jkt: string) => Promise<KeyframeTokens>;

export interface CreateSignerOptions {
  /** Origin (and optional path) serving `/iframe.html`, e.g. "http://127.0.0.1:8787". */
  providerUrl: string;
  /** Where the hidden iFrame goes (default `document.body`). */
  container?: HTMLElement;
  /**
   * The EVM chain the signer starts on. It must be in the provider's chain
   * list (`keyframe_chains`); the iFrame starts on it, and `createSigner`
   * rejects with 4902 UNSUPPORTED_CHAIN when it is not listed.
   * `wallet_switchEthereumChain` moves to any other listed chain (the
   * iFrame asks the user first).
   */
  chainId: number;
  /** JSON-RPC endpoint of the starting chain, for `eth_sendTransaction` and read methods. */
  rpcUrl?: string;
  /**
   * JSON-RPC endpoints by chain id, for the chains switched to; a chain
   * without one uses the first `rpcUrls` entry of the provider's list.
   */
  rpcUrls?: Record<number, string>;
  /**
   * Per-method timeouts in ms. Defaults: methods that wait for the user's
   * approval in the iFrame (sign methods, eth_sendTransaction, export,
   * setRecovery, revokeDevice, importWallet, wallet_switchEthereumChain,
   * and createWallet / recover, where a password is typed in the iFrame)
   * 10 min; keyframe_ping 2 s; methods
   * forwarded to `rpcUrl` 30 s; everything else 5 s. A request that times
   * out is withdrawn from the iFrame's approval screen.
   */
  timeouts?: Partial<Record<KeyframeMethod | (string & {}), number>>;
  /** How long the iFrame may take to say `ready` and accept the port (default 10 s). */
  readyTimeoutMs?: number;
  /**
   * Fetches tokens bound to the iFrame's key: `authorize()` calls it, and
   * so does every rebuild of the iFrame (whose key may have changed).
   */
  getTokens?: GetTokens;
  /** EIP-6963 announcement (default true). */
  announce?: boolean;
  /** EIP-6963 name (default "Keyframe"). */
  name?: string;
  /** EIP-6963 icon, a data: URI. */
  icon?: string;
  /** EIP-6963 reverse-DNS id (default "dev.keyframe"). */
  rdns?: string;
}

export interface Signer {
  /** Same as `provider.request`. */
  request: RequestFn;
  /** EIP-1193 provider (also announced through EIP-6963). */
  readonly provider: KeyframeProvider;
  /** EIP-6963 info of this signer. */
  readonly info: EIP6963ProviderInfo;
  /**
   * Gives the iFrame the user's tokens (`{ hot, shield }`, or one token
   * both services accept); restored after a rebuild.
   */
  setAuth(tokens: KeyframeTokens | string): Promise<void>;
  /** Signs the user in to the iFrame with tokens from `getTokens`, bound to its key. */
  authorize(): Promise<void>;
  /** Removes the iFrame, fails pending requests (4900) and stops announcing. */
  destroy(): void;
}
