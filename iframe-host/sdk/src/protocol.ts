/**
 * The wire protocol between the host page and the Keyframe iFrame
 * (docs/architecture.md §6). The iFrame side is written in Rust; this file is the host
 * side's single source of truth for message shapes.
 *
 * 1. iFrame → host window: `{ ns: "keyframe", type: "ready", version: 1 }`,
 *    posted with the host's exact origin as targetOrigin.
 * 2. host → iFrame window: `{ ns: "keyframe", type: "connect", version: 1,
 *    chainId }` (the chain the document starts on, when the provider lists
 *    it), posted with the iFrame's exact origin and one transferred MessagePort.
 * 3. iFrame → host, on that port: `{ ns: "keyframe", type: "connected", version: 1 }`.
 * 4. From then on only the port carries messages: JSON-RPC 2.0 requests from
 *    the host, responses and notifications ({@link NotificationMethod}) from
 *    the iFrame.
 */

/** Namespace tag on every handshake message. */
export const NS = "keyframe";
/** Protocol version spoken by this SDK. */
export const PROTOCOL_VERSION = 1;

/** Handshake message types (the `type` field of a handshake envelope). */
export const MessageType = {
  /** iFrame → host window: the page booted and accepts one `connect`. */
  Ready: "ready",
  /** host → iFrame window: carries the MessagePort (transferred). */
  Connect: "connect",
  /** iFrame → host, over the port: the port is accepted; RPC may start. */
  Connected: "connected",
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

/** JSON-RPC notifications (no `id`) the iFrame sends over the port. */
export const NotificationMethod = {
  /** `params: { type: "accountsChanged" | "chainChanged" | "disconnect", data }` → EIP-1193 event. */
  Event: "keyframe_event",
  /** `params: { visible: boolean }` → show or hide the iFrame as a modal overlay. */
  Ui: "keyframe_ui",
  /** Host → iFrame, `params: { id }`: the request `id` timed out; take it off the approval screen. */
  Cancel: "keyframe_cancel",
} as const;
export type NotificationMethod = (typeof NotificationMethod)[keyof typeof NotificationMethod];

/** EIP-1193 events the iFrame may raise through `keyframe_event`. */
export const IFRAME_EVENTS = ["accountsChanged", "chainChanged", "disconnect"] as const;
export type IframeEventType = (typeof IFRAME_EVENTS)[number];

export interface HandshakeMessage<T extends MessageType = MessageType> {
  readonly ns: typeof NS;
  readonly type: T;
  readonly version: typeof PROTOCOL_VERSION;
}

export function handshake<T extends MessageType>(type: T): HandshakeMessage<T> {
  return { ns: NS, type, version: PROTOCOL_VERSION };
}

/** Exactly `{ ns: "keyframe", type, version: 1 }`, nothing more. */
export function isHandshake<T extends MessageType>(data: unknown, type: T): data is HandshakeMessage<T> {
  if (!isPlainObject(data)) return false;
  const keys = Object.keys(data);
  return (
    keys.length === 3 &&
    data.ns === NS &&
    data.type === type &&
    data.version === PROTOCOL_VERSION
  );
}

export type JsonRpcId = number;

export interface JsonRpcRequest {
  jsonrpc: "2.0";
  id: JsonRpcId;
  method: string;
  params?: unknown;
}

export interface JsonRpcErrorObject {
  code: number;
  message: string;
  data?: { reason?: string; [k: string]: unknown };
}

export type JsonRpcResponse =
  | { jsonrpc: "2.0"; id: JsonRpcId; result: unknown }
  | { jsonrpc: "2.0"; id: JsonRpcId; error: JsonRpcErrorObject };

export interface JsonRpcNotification {
  jsonrpc: "2.0";
  method: string;
  params?: unknown;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

export function isResponse(data: unknown): data is JsonRpcResponse {
  return (
    isPlainObject(data) &&
    data.jsonrpc === "2.0" &&
    typeof data.id === "number" &&
    ("result" in data || isPlainObject(data.error))
  );
}

export function isNotification(data: unknown): data is JsonRpcNotification {
  return isPlainObject(data) && data.jsonrpc === "2.0" && !("id" in data) && typeof data.method === "string";
}
