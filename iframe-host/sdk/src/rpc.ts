/** JSON-RPC over HTTP to the dApp's node (`rpcUrl`), with a timeout. */
import { ErrorCode, KeyframeError } from "./errors.js";
import { isPlainObject } from "./protocol.js";

let nextId = 1;

export async function rpcFetch(url: string, method: string, params: unknown, timeoutMs: number): Promise<unknown> {
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(), timeoutMs);
  let body: unknown;
  try {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: nextId++, method, params: params ?? [] }),
      signal: ctrl.signal,
      credentials: "omit",
      referrerPolicy: "no-referrer",
    });
    body = await res.json().catch(() => undefined);
    if (!isPlainObject(body)) {
      throw new KeyframeError(ErrorCode.Internal, "BAD_REQUEST", `RPC ${method}: HTTP ${res.status} without a JSON-RPC body`);
    }
  } catch (err) {
    if (err instanceof KeyframeError) throw err;
    const timedOut = ctrl.signal.aborted;
    throw new KeyframeError(
      timedOut ? ErrorCode.Internal : ErrorCode.ChainDisconnected,
      "TIMEOUT",
      timedOut ? `RPC ${method} timed out after ${timeoutMs} ms` : `RPC ${method}: ${String((err as Error)?.message ?? err)}`,
    );
  } finally {
    clearTimeout(timer);
  }
  if (isPlainObject(body.error)) {
    const e = body.error;
    throw new KeyframeError(
      typeof e.code === "number" ? e.code : ErrorCode.Internal,
      "BAD_REQUEST",
      typeof e.message === "string" ? e.message : `RPC ${method} failed`,
      e.data,
    );
  }
  if (!("result" in body)) throw new KeyframeError(ErrorCode.Internal, "BAD_REQUEST", `RPC ${method}: no result`);
  return body.result;
}
