/**
 * Errors surfaced by the Keyframe host SDK.
 *
 * Every rejection from the SDK is a {@link KeyframeError}: an EIP-1193 /
 * JSON-RPC `code` plus a `reason` from the closed list the iFrame uses
 * (docs/architecture.md §6).
 */

/** The closed list of `error.data.reason` values (docs/architecture.md §6). */
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
] as const;

/** One of {@link KEYFRAME_REASONS}. */
export type KeyframeReason = (typeof KEYFRAME_REASONS)[number];

/** Error codes: EIP-1193 provider errors and JSON-RPC 2.0 errors. */
export const ErrorCode = {
  /** EIP-1193: the user rejected the request. */
  UserRejected: 4001,
  /** EIP-1193: not authorized (no or bad session token). */
  Unauthorized: 4100,
  /** EIP-1193: the method is not supported. */
  UnsupportedMethod: 4200,
  /** EIP-1193: the provider is disconnected (iFrame gone, reloading or destroyed). */
  Disconnected: 4900,
  /** EIP-1193: not connected to the requested chain. */
  ChainDisconnected: 4901,
  /** EIP-3326: unrecognized chain id (wallet_switchEthereumChain). */
  UnrecognizedChain: 4902,
  /** JSON-RPC: invalid params. */
  InvalidParams: -32602,
  /** JSON-RPC: internal error (also used for per-method timeouts). */
  Internal: -32603,
} as const;

export function isKeyframeReason(value: unknown): value is KeyframeReason {
  return typeof value === "string" && (KEYFRAME_REASONS as readonly string[]).includes(value);
}

/** The error every SDK promise rejects with. */
export class KeyframeError extends Error {
  /** EIP-1193 / JSON-RPC error code (see {@link ErrorCode}). */
  readonly code: number;
  /** Machine-readable reason from {@link KEYFRAME_REASONS}. */
  readonly reason: KeyframeReason;
  /** The raw `error.data` the iFrame or RPC node sent, when there was one. */
  readonly data?: unknown;

  constructor(code: number, reason: KeyframeReason, message: string, data?: unknown) {
    super(message);
    this.name = "KeyframeError";
    this.code = code;
    this.reason = reason;
    if (data !== undefined) this.data = data;
  }

  /** A plain object, e.g. for structured logs or crossing realms. */
  toJSON(): { name: string; code: number; reason: KeyframeReason; message: string; data?: unknown } {
    const out: { name: string; code: number; reason: KeyframeReason; message: string; data?: unknown } = {
      name: this.name,
      code: this.code,
      reason: this.reason,
      message: this.message,
    };
    if (this.data !== undefined) out.data = this.data;
    return out;
  }
}

/** Shorthands used throughout the SDK. */
export const badParams = (message: string): KeyframeError =>
  new KeyframeError(ErrorCode.InvalidParams, "BAD_REQUEST", message);
export const unsupported = (method: string, why = "is not supported"): KeyframeError =>
  new KeyframeError(ErrorCode.UnsupportedMethod, "BAD_REQUEST", `${method} ${why}`);
export const disconnected = (message = "disconnected"): KeyframeError =>
  new KeyframeError(ErrorCode.Disconnected, "TIMEOUT", message);

/**
 * Turns a JSON-RPC `error` object from the iFrame into a KeyframeError.
 * A missing or unknown reason is inferred from the code, so callers can
 * always switch on `reason`.
 */
export function fromWireError(error: unknown): KeyframeError {
  if (typeof error !== "object" || error === null) {
    return new KeyframeError(ErrorCode.Internal, "BAD_REQUEST", "malformed error from the Keyframe iFrame");
  }
  const e = error as { code?: unknown; message?: unknown; data?: unknown };
  const code = typeof e.code === "number" && Number.isInteger(e.code) ? e.code : ErrorCode.Internal;
  const message = typeof e.message === "string" ? e.message : "Keyframe request failed";
  const raw =
    typeof e.data === "object" && e.data !== null ? (e.data as { reason?: unknown }).reason : undefined;
  const reason: KeyframeReason = isKeyframeReason(raw)
    ? raw
    : code === ErrorCode.Unauthorized
      ? "AUTH_REQUIRED"
      : code === ErrorCode.Disconnected
        ? "TIMEOUT"
        : "BAD_REQUEST";
  return new KeyframeError(code, reason, message, e.data);
}
