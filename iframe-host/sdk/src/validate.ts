/**
 * Host-side shape checks, run before anything is posted to the iFrame.
 * They give the dApp developer a clear, early -32602 / 4200; the iFrame
 * re-validates everything itself and never trusts these checks.
 */
import { badParams, unsupported } from "./errors.js";
import { isPlainObject } from "./protocol.js";
import type { RpcMethod } from "./wire.js";

const HEX = /^0x[0-9a-fA-F]*$/;
const QUANTITY = /^0x[0-9a-fA-F]{1,64}$/;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

const isStr = (v: unknown): v is string => typeof v === "string";
const isNonEmpty = (v: unknown): v is string => isStr(v) && v.length > 0;
export const isAddress = (v: unknown): v is string => isStr(v) && ADDRESS.test(v);
export const isQuantity = (v: unknown): v is string => isStr(v) && QUANTITY.test(v);
const isHex = (v: unknown): v is string => isStr(v) && HEX.test(v) && v.length % 2 === 0;
const isBase64 = (v: unknown): v is string => isStr(v) && v.length > 0 && v.length % 4 === 0 && BASE64.test(v);

/** Methods whose params must be absent or empty. */
const NO_PARAMS_LIST = [
  "keyframe_ping",
  "keyframe_status",
  "keyframe_chains",
  "keyframe_export",
  "keyframe_downloadBackup",
  "keyframe_logout",
  "keyframe_listDevices",
  "eth_accounts",
  "eth_requestAccounts",
  "eth_chainId",
] satisfies RpcMethod[];
const NO_PARAMS = new Set<string>(NO_PARAMS_LIST);

/**
 * Every method the iFrame answers itself (plus any other `keyframe_*` /
 * `solana_*`). Typed as the wire crate's method list, so a name the iFrame
 * does not know does not compile.
 */
export const IFRAME_METHODS = new Set<string>([
  ...NO_PARAMS_LIST,
  ...([
    "keyframe_setAuth",
    "keyframe_createWallet",
    "keyframe_recover",
    "keyframe_importWallet",
    "keyframe_setRecovery",
    "keyframe_revokeDevice",
    "personal_sign",
    "eth_signTypedData_v4",
    "eth_signTransaction",
    "solana_signMessage",
    "solana_signTransaction",
    "keyframe_simulate",
    "keyframe_activity",
  ] satisfies RpcMethod[]),
]);

/** The signing methods `keyframe_simulate` judges. */
const SIMULATED = new Set<string>([
  "personal_sign",
  "eth_signTypedData_v4",
  "eth_signTransaction",
  "keyframe_signTransactions",
  "solana_signMessage",
  "solana_signTransaction",
] satisfies RpcMethod[]);

/** Never forwarded anywhere: raw-digest or legacy signing, subscriptions. */
export const REFUSED_METHODS = new Set([
  "eth_sign",
  "eth_signTypedData",
  "eth_signTypedData_v1",
  "eth_signTypedData_v3",
  "eth_subscribe",
  "eth_unsubscribe",
  "eth_coinbase",
  "wallet_requestPermissions",
  "wallet_getPermissions",
  "wallet_watchAsset",
]);

export function isIframeMethod(method: string): boolean {
  return IFRAME_METHODS.has(method) || method.startsWith("keyframe_") || method.startsWith("solana_");
}

/** Read-only node methods forwarded to `rpcUrl`. */
export function isRpcMethod(method: string): boolean {
  return (
    !REFUSED_METHODS.has(method) &&
    (method.startsWith("eth_") || method.startsWith("net_") || method.startsWith("web3_"))
  );
}

function checkRecovery(method: string, recovery: unknown): void {
  if (!isPlainObject(recovery)) throw badParams(`${method}: params.recovery must be an object`);
  if (recovery.method === "password") {
    if (recovery.password !== undefined) {
      throw badParams(`${method}: recovery.password is not accepted: the user types the recovery password in the Keyframe window`);
    }
  } else if (recovery.method === "file") {
    if (recovery.password !== undefined) {
      throw badParams(`${method}: recovery.password is not accepted: the user types the backup's password in the Keyframe window`);
    }
  } else if (recovery.method === "automatic") {
    if (!isNonEmpty(recovery.token)) throw badParams(`${method}: recovery.token must be a non-empty string`);
  } else {
    throw badParams(`${method}: recovery.method must be "password", "automatic" or "file"`);
  }
}

function objectParam(method: string, params: unknown): Record<string, unknown> {
  if (!isPlainObject(params)) throw badParams(`${method}: params must be an object`);
  return params;
}

function arrayParam(method: string, params: unknown, min: number, max: number): unknown[] {
  if (!Array.isArray(params) || params.length < min || params.length > max) {
    throw badParams(`${method}: params must be an array of ${min === max ? min : `${min}–${max}`} item(s)`);
  }
  return params;
}

const utf8ToHex = (s: string): string =>
  "0x" + Array.from(new TextEncoder().encode(s), (b) => b.toString(16).padStart(2, "0")).join("");

const TX_QUANTITIES = ["gas", "gasLimit", "gasPrice", "maxFeePerGas", "maxPriorityFeePerGas", "value", "nonce", "chainId", "type"];

/** Checks a transaction object's field shapes (EIP-1474 hex quantities). */
export function checkTx(method: string, tx: unknown): Record<string, unknown> {
  if (!isPlainObject(tx)) throw badParams(`${method}: the transaction must be an object`);
  if (tx.from !== undefined && !isAddress(tx.from)) throw badParams(`${method}: tx.from must be an address`);
  if (tx.to !== undefined && tx.to !== null && !isAddress(tx.to)) throw badParams(`${method}: tx.to must be an address or null`);
  for (const k of TX_QUANTITIES) {
    if (tx[k] !== undefined && !isQuantity(tx[k])) throw badParams(`${method}: tx.${k} must be a hex quantity`);
  }
  for (const k of ["data", "input"]) {
    if (tx[k] !== undefined && !isHex(tx[k])) throw badParams(`${method}: tx.${k} must be hex bytes`);
  }
  if (tx.accessList !== undefined && !Array.isArray(tx.accessList)) throw badParams(`${method}: tx.accessList must be an array`);
  return tx;
}

/**
 * Validates (and lightly normalises) the params of a method bound for the
 * iFrame. Returns the params to send.
 *
 * Normalisations: `personal_sign` with a non-hex message sends its UTF-8
 * bytes as hex (as MetaMask does); `eth_signTypedData_v4` with an object
 * sends it as a JSON string.
 */
export function validateIframeParams(method: string, params: unknown): unknown {
  if (params !== undefined && !Array.isArray(params) && !isPlainObject(params)) {
    throw badParams(`${method}: params must be an array or an object`);
  }
  if (NO_PARAMS.has(method)) {
    const empty = params === undefined || (Array.isArray(params) ? params.length === 0 : Object.keys(params as object).length === 0);
    if (!empty) throw badParams(`${method} takes no params`);
    return params;
  }
  switch (method) {
    case "keyframe_setAuth": {
      const p = objectParam(method, params);
      if (!isNonEmpty(p.token) && !(isNonEmpty(p.hot) && isNonEmpty(p.shield))) {
        throw badParams(`${method}: params need hot and shield`);
      }
      return p;
    }
    case "keyframe_createWallet":
    case "keyframe_recover": {
      const p = objectParam(method, params);
      checkRecovery(method, p.recovery);
      return p;
    }
    case "keyframe_setRecovery": {
      // `current`: the current method's secret, the proof the change is the user's.
      const p = objectParam(method, params);
      checkRecovery(`${method} (current)`, p.current);
      checkRecovery(method, p.recovery);
      return p;
    }
    case "keyframe_importWallet": {
      const p = objectParam(method, params);
      if (p.mnemonic !== undefined || p.privateKey !== undefined) {
        throw badParams(`${method}: params.mnemonic and params.privateKey are not accepted: the user types them in the Keyframe window`);
      }
      checkRecovery(method, p.recovery);
      return p;
    }
    case "keyframe_revokeDevice": {
      const p = objectParam(method, params);
      if (!isNonEmpty(p.device)) throw badParams(`${method}: params.device must be a device id`);
      return p;
    }
    case "personal_sign": {
      const [message, address] = arrayParam(method, params, 2, 3);
      if (!isStr(message)) throw badParams(`${method}: params[0] must be a message string`);
      if (!isAddress(address)) throw badParams(`${method}: params[1] must be an address`);
      return [isHex(message) ? message : utf8ToHex(message), address];
    }
    case "eth_signTypedData_v4": {
      const [address, typed] = arrayParam(method, params, 2, 2);
      if (!isAddress(address)) throw badParams(`${method}: params[0] must be an address`);
      let obj: unknown = typed;
      if (isStr(typed)) {
        try {
          obj = JSON.parse(typed);
        } catch {
          throw badParams(`${method}: params[1] is not valid JSON`);
        }
      }
      if (!isPlainObject(obj) || !isPlainObject(obj.types) || !isStr(obj.primaryType) || !isPlainObject(obj.message)) {
        throw badParams(`${method}: params[1] must be EIP-712 typed data { types, primaryType, domain, message }`);
      }
      return [address, isStr(typed) ? typed : JSON.stringify(typed)];
    }
    case "eth_signTransaction": {
      const [tx] = arrayParam(method, params, 1, 1);
      checkTx(method, tx);
      return params;
    }
    case "solana_signMessage": {
      const p = objectParam(method, params);
      if (!isBase64(p.message)) throw badParams(`${method}: params.message must be base64`);
      return p;
    }
    case "solana_signTransaction": {
      const p = objectParam(method, params);
      if (!isBase64(p.transaction)) throw badParams(`${method}: params.transaction must be base64`);
      return p;
    }
    case "keyframe_simulate": {
      // The request as it would be sent, checked (and normalised) the same way.
      const p = objectParam(method, params);
      if (!isStr(p.method) || !SIMULATED.has(p.method)) {
        throw badParams(`${method}: params.method must be a signing method`);
      }
      return { method: p.method, params: validateIframeParams(p.method, p.params) };
    }
    case "keyframe_activity": {
      if (params === undefined) return params;
      const p = objectParam(method, params);
      const { limit } = p;
      if (limit !== undefined && !(Number.isInteger(limit) && (limit as number) >= 1 && (limit as number) <= 200)) {
        throw badParams(`${method}: params.limit must be an integer from 1 to 200`);
      }
      return p;
    }
    default:
      // Other keyframe_* / solana_* methods: forwarded unchanged (the iFrame
      // answers 4200 if it does not know them), so new iFrame methods need no
      // SDK release.
      if (method.startsWith("keyframe_") || method.startsWith("solana_")) return params;
      throw unsupported(method);
  }
}
