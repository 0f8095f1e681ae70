/**
 * EIP-5792 wallet calls (https://eips.ethereum.org/EIPS/eip-5792, version
 * 2.0.0): `wallet_getCapabilities`, `wallet_sendCalls` and
 * `wallet_getCallsStatus`. The calls of a batch are filled here (nonces in
 * order), shown to the user on one approval screen of the iFrame
 * (`keyframe_signTransactions`, each call decoded), signed there, and sent
 * one after the other through `rpcUrl`. Atomic execution is not offered:
 * the capability says `unsupported`, and a batch that requires it is
 * refused with 5760 before anything is shown.
 */
import { badParams, KeyframeError } from "./errors.js";
import { isPlainObject } from "./protocol.js";
import { isAddress, isQuantity } from "./validate.js";

/** The methods of this module. */
export const CALLS_METHODS = new Set(["wallet_getCapabilities", "wallet_sendCalls", "wallet_getCallsStatus"]);
export const isCallsMethod = (method: string): boolean => CALLS_METHODS.has(method);

/** EIP-5792 error codes used here. */
export const CallsError = {
  UnsupportedChain: 5710,
  UnknownBundle: 5730,
  BatchTooLarge: 5740,
  AtomicityNotSupported: 5760,
} as const;

/** The most calls one batch may hold (the iFrame's limit too). */
const MAX_CALLS = 10;

export interface CallsDeps {
  /** The signer's current chain. */
  chainHex: () => string;
  rpc: (method: string, params: unknown[]) => Promise<unknown>;
  accounts: () => Promise<unknown>;
  fill: (method: string, tx: unknown) => Promise<Record<string, unknown>>;
  sign: (txs: Record<string, unknown>[]) => Promise<unknown>;
}

interface Bundle {
  chainId: string;
  hashes: string[];
}

const randomId = (): string => `0x${Array.from(crypto.getRandomValues(new Uint8Array(32)), (b) => b.toString(16).padStart(2, "0")).join("")}`;

/** The EIP-5792 handler of one signer; bundles live as long as the page. */
export function createCalls(deps: CallsDeps): (method: string, params: unknown) => Promise<unknown> {
  const bundles = new Map<string, Bundle>();
  const fail = (code: number, message: string) => new KeyframeError(code, "BAD_REQUEST", message);

  const sendCalls = async (params: unknown): Promise<unknown> => {
    const method = "wallet_sendCalls";
    const p = Array.isArray(params) && params.length === 1 ? params[0] : undefined;
    if (!isPlainObject(p) || !Array.isArray(p.calls)) throw badParams(`${method}: params must be [{ version, chainId, from?, calls, atomicRequired }]`);
    if (p.version !== "2.0.0" && p.version !== "1.0") throw badParams(`${method}: version must be "2.0.0"`);
    if (p.atomicRequired === true) throw fail(CallsError.AtomicityNotSupported, `${method}: Keyframe sends calls one by one; atomic execution is not supported`);
    if (p.chainId !== undefined && (!isQuantity(p.chainId) || BigInt(p.chainId) !== BigInt(deps.chainHex()))) {
      throw fail(CallsError.UnsupportedChain, `${method}: chain ${String(p.chainId)} is not ${deps.chainHex()}`);
    }
    if (p.calls.length === 0) throw badParams(`${method}: calls is empty`);
    if (p.calls.length > MAX_CALLS) throw fail(CallsError.BatchTooLarge, `${method}: at most ${MAX_CALLS} calls`);
    if (isPlainObject(p.capabilities)) {
      for (const [name, value] of Object.entries(p.capabilities)) {
        if (isPlainObject(value) && value.optional !== true) throw fail(5700, `${method}: capability ${name} is not supported`);
      }
    }
    let from = p.from;
    if (from === undefined) {
      const accounts = await deps.accounts();
      from = Array.isArray(accounts) ? accounts[0] : undefined;
    }
    if (!isAddress(from)) throw badParams(`${method}: no account to send from`);
    const first = await deps.rpc("eth_getTransactionCount", [from, "pending"]);
    if (!isQuantity(first)) throw badParams(`${method}: bad nonce from the RPC node`);
    const txs: Record<string, unknown>[] = [];
    for (const [i, call] of p.calls.entries()) {
      if (!isPlainObject(call)) throw badParams(`${method}: calls[${i}] must be an object`);
      const tx: Record<string, unknown> = { from, nonce: `0x${(BigInt(first) + BigInt(i)).toString(16)}` };
      for (const k of ["to", "data", "value"]) if (call[k] !== undefined) tx[k] = call[k];
      txs.push(await deps.fill(method, tx));
    }
    const signed = await deps.sign(txs);
    const raws = isPlainObject(signed) && Array.isArray(signed.transactions) ? signed.transactions : [];
    if (raws.length !== txs.length || !raws.every((r) => typeof r === "string" && /^0x[0-9a-fA-F]+$/.test(r))) {
      throw badParams(`${method}: the iFrame did not return every signed transaction`);
    }
    const id = randomId();
    const bundle: Bundle = { chainId: deps.chainHex(), hashes: [] };
    bundles.set(id, bundle);
    for (const raw of raws) bundle.hashes.push((await deps.rpc("eth_sendRawTransaction", [raw])) as string);
    return { id };
  };

  const getCallsStatus = async (params: unknown): Promise<unknown> => {
    const id = Array.isArray(params) ? params[0] : undefined;
    const bundle = typeof id === "string" ? bundles.get(id) : undefined;
    if (!bundle) throw fail(CallsError.UnknownBundle, "wallet_getCallsStatus: unknown bundle id");
    const receipts = await Promise.all(bundle.hashes.map((h) => deps.rpc("eth_getTransactionReceipt", [h])));
    const mined = receipts.filter((r): r is Record<string, unknown> => isPlainObject(r));
    let status = 100; // pending
    if (mined.length === bundle.hashes.length) {
      const ok = mined.filter((r) => r.status === "0x1").length;
      status = ok === mined.length ? 200 : ok === 0 ? 500 : 600;
    }
    return {
      version: "2.0.0",
      id,
      chainId: bundle.chainId,
      status,
      atomic: false,
      receipts: mined.map((r) => ({
        logs: r.logs,
        status: r.status,
        blockHash: r.blockHash,
        blockNumber: r.blockNumber,
        gasUsed: r.gasUsed,
        transactionHash: r.transactionHash,
      })),
    };
  };

  return async (method, params) => {
    switch (method) {
      case "wallet_getCapabilities":
        return { [deps.chainHex()]: { atomic: { status: "unsupported" } } };
      case "wallet_sendCalls":
        return sendCalls(params);
      default:
        return getCallsStatus(params);
    }
  };
}
