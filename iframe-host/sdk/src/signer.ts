/** `createSigner`: wires the connection, the EIP-1193 provider and EIP-6963. */
import { createCalls, isCallsMethod } from "./calls.js";
import { Connection } from "./connection.js";
import { canRunSigner } from "./diagnose.js";
import { announceProvider, DEFAULT_ICON, type EIP6963ProviderInfo, uuidV4 } from "./eip6963.js";
import { Emitter } from "./emitter.js";
import { badParams, ErrorCode, KeyframeError, unsupported } from "./errors.js";
import { isPlainObject } from "./protocol.js";
import { rpcFetch } from "./rpc.js";
import type { Chain } from "./wire.js";
import type { CreateSignerOptions, KeyframeProvider, KeyframeTokens, RequestArguments, RequestFn, Signer } from "./types.js";
import { checkTx, isAddress, isIframeMethod, isQuantity, isRpcMethod, REFUSED_METHODS, validateIframeParams } from "./validate.js";

const SIGN_METHODS = new Set([
  "personal_sign",
  "eth_signTypedData_v4",
  "eth_signTransaction",
  "eth_sendTransaction",
  "solana_signMessage",
  "solana_signTransaction",
]);
/**
 * Methods that wait for a person: the iFrame shows its approval screen
 * (docs/api.md, "Methods that wait for a person") and answers only once the
 * user approves or rejects, so they get minutes, not seconds.
 */
const PERSON_METHODS = new Set([
  ...SIGN_METHODS,
  "keyframe_export",
  "keyframe_downloadBackup",
  "keyframe_signTransactions",
  "keyframe_setRecovery",
  "keyframe_revokeDevice",
  "keyframe_importWallet",
  "wallet_switchEthereumChain",
  // With a password, the user types it in the iFrame (docs/api.md).
  "keyframe_createWallet",
  "keyframe_recover",
]);

/** Default timeout of a method, in ms (see {@link CreateSignerOptions.timeouts}). */
export function defaultTimeout(method: string): number {
  if (PERSON_METHODS.has(method)) return 600_000;
  if (method === "keyframe_ping") return 2_000;
  if (!isIframeMethod(method) && isRpcMethod(method)) return 30_000;
  return 5_000;
}

const toHex = (n: bigint): `0x${string}` => `0x${n.toString(16)}`;

/**
 * Mounts the Keyframe iFrame, performs the handshake and resolves with a
 * connected {@link Signer}. Rejects with a {@link KeyframeError} (4900,
 * TIMEOUT) if the iFrame does not connect within `readyTimeoutMs`; its
 * message names the likely cause and `data.cause` is a {@link ConnectCause}.
 * Rejects at once (4900, UNSUPPORTED_BROWSER), creating no iFrame, in a
 * browser without WebAssembly SIMD, which the signer's module needs.
 */
export async function createSigner(options: CreateSignerOptions): Promise<Signer> {
  if (!isPlainObject(options)) throw badParams("createSigner: options must be an object");
  const { providerUrl, chainId, rpcUrl, rpcUrls = {} } = options;
  let providerOrigin: URL;
  try {
    providerOrigin = new URL(providerUrl);
  } catch {
    throw badParams("createSigner: providerUrl must be an absolute URL");
  }
  if (providerOrigin.protocol !== "https:" && providerOrigin.protocol !== "http:") {
    throw badParams("createSigner: providerUrl must be http(s)");
  }
  if (!Number.isSafeInteger(chainId) || chainId <= 0) throw badParams("createSigner: chainId must be a positive integer");
  if (rpcUrl !== undefined && typeof rpcUrl !== "string") throw badParams("createSigner: rpcUrl must be a string");
  if (!isPlainObject(rpcUrls) || Object.values(rpcUrls).some((u) => typeof u !== "string")) {
    throw badParams("createSigner: rpcUrls must map chain ids to URLs");
  }
  if (!canRunSigner()) {
    throw new KeyframeError(ErrorCode.Disconnected, "UNSUPPORTED_BROWSER",
      "this browser cannot run the Keyframe signer: it needs WebAssembly with SIMD (Chrome or Edge 91+, Firefox 89+, Safari 16.4+)");
  }
  const timeouts = options.timeouts ?? {};
  const timeoutFor = (method: string): number => {
    const t = timeouts[method];
    return typeof t === "number" && t > 0 ? t : defaultTimeout(method);
  };
  /**
   * The chain the signer is on: where the iFrame starts (and restarts after
   * a rebuild) and the chain transactions are filled for and reads go to.
   */
  const start = BigInt(chainId);
  const chain = { id: start, hex: toHex(start) };
  let providerChains: Chain[] | undefined;
  const listedChains = async (): Promise<Chain[]> =>
    (providerChains ??= (await conn.request("keyframe_chains", undefined)) as Chain[]);
  /** Moves the signer to the chain the iFrame now serves. */
  const follow = (chainHex: string): void => {
    chain.id = BigInt(chainHex);
    chain.hex = toHex(chain.id);
    conn.chainIdHex = chain.hex;
  };
  /**
   * The current chain's JSON-RPC endpoint: `rpcUrls`, else `rpcUrl` for the
   * starting chain, else the first of the provider's list.
   */
  const rpcUrlFor = async (method: string): Promise<string> => {
    const id = chain.id;
    const url = rpcUrls[Number(id)] ?? (id === start ? rpcUrl : undefined) ??
      (await listedChains()).find((c) => BigInt(c.chainId) === id)?.rpcUrls[0];
    if (!url) throw unsupported(method, `needs an RPC URL for chain ${toHex(id)} (the rpcUrl or rpcUrls option)`);
    return url;
  };
  const emitter = new Emitter();

  const conn = new Connection({
    providerUrl,
    chainIdHex: chain.hex,
    container: options.container ?? document.body,
    readyTimeoutMs: options.readyTimeoutMs ?? 10_000,
    timeoutFor,
    onEvent: (type, data) => {
      // Before the listeners run, so what they send goes to the new chain.
      if (type === "chainChanged" && isQuantity(data)) follow(data);
      emitter.emit(type, data);
    },
    onConnect: () => emitter.emit("connect", { chainId: chain.hex }),
    onDisconnect: (error) => emitter.emit("disconnect", error),
    getTokens: options.getTokens,
  });

  /** A request bound for the iFrame, with the auth-token bookkeeping. */
  const iframeCall = async (method: string, params: unknown): Promise<unknown> => {
    if (method === "keyframe_setAuth") {
      conn.auth = params as object;
      try {
        return await conn.request(method, params);
      } catch (err) {
        const e = err as KeyframeError;
        // Refused by the iFrame: do not replay it. Timeouts keep it for the rebuild.
        if (e.reason !== "TIMEOUT" && e.code !== ErrorCode.Disconnected && conn.auth === params) conn.auth = null;
        throw err;
      }
    }
    const result = await conn.request(method, params);
    if (method === "keyframe_logout") conn.auth = null;
    return result;
  };

  const rpc = async (method: string, params: unknown[]): Promise<unknown> =>
    rpcFetch(await rpcUrlFor(method), method, params, timeoutFor(method));

  /**
   * EIP-3326. The iFrame decides (it serves only the provider's list and
   * asks the user before the first switch to each chain); the signer then
   * follows: its transactions, reads and the iFrame's restart use the new
   * chain. The iFrame's chainChanged event reaches the listeners.
   */
  const switchChain = async (params: unknown): Promise<null> => {
    const method = "wallet_switchEthereumChain";
    const p = Array.isArray(params) ? params[0] : undefined;
    if (!isPlainObject(p) || !isQuantity(p.chainId)) throw badParams(`${method}: params must be [{ chainId }]`);
    const id = BigInt(p.chainId);
    if (id === chain.id) return null;
    await iframeCall(method, [{ chainId: toHex(id) }]);
    follow(toHex(id));
    return null;
  };

  /**
   * EIP-3085: chains are the provider operator's list, never the page's, so
   * adding one the list has is a no-op and adding any other is refused.
   */
  const addChain = async (params: unknown): Promise<null> => {
    const method = "wallet_addEthereumChain";
    const p = Array.isArray(params) ? params[0] : undefined;
    if (!isPlainObject(p) || !isQuantity(p.chainId)) throw badParams(`${method}: params must be [{ chainId, … }]`);
    if ((await listedChains()).some((c) => BigInt(c.chainId) === BigInt(p.chainId as string))) return null;
    throw new KeyframeError(ErrorCode.UnrecognizedChain, "UNSUPPORTED_CHAIN",
      `${method}: chain ${toHex(BigInt(p.chainId))} is not in the provider's chain list, which only its operator changes`);
  };

  /** Fills nonce, gas, fees, chainId and from of `request`, as the RPC node says. */
  const fillTransaction = async (method: string, request: unknown): Promise<Record<string, unknown>> => {
    const tx: Record<string, unknown> = { ...checkTx(method, request) };
    await rpcUrlFor(method);
    if (tx.chainId !== undefined && BigInt(tx.chainId as string) !== chain.id) {
      throw new KeyframeError(ErrorCode.ChainDisconnected, "BAD_REQUEST", `${method}: chainId ${tx.chainId} is not ${chain.hex}`);
    }
    tx.chainId = chain.hex;
    if (tx.gasLimit !== undefined) {
      tx.gas ??= tx.gasLimit;
      delete tx.gasLimit;
    }
    if (tx.input !== undefined) {
      tx.data ??= tx.input;
      delete tx.input;
    }
    if (tx.from === undefined) {
      const accounts = (await iframeCall("eth_accounts", undefined)) as unknown;
      const from = Array.isArray(accounts) ? accounts[0] : undefined;
      if (!isAddress(from)) throw new KeyframeError(ErrorCode.Unauthorized, "NO_WALLET", `${method}: no account`);
      tx.from = from;
    }
    const legacy = tx.gasPrice !== undefined || tx.type === "0x0" || tx.type === "0x1";
    const needFees = legacy ? tx.gasPrice === undefined : tx.maxFeePerGas === undefined || tx.maxPriorityFeePerGas === undefined;
    const call: Record<string, unknown> = { from: tx.from };
    for (const k of ["to", "value", "data", "accessList"]) if (tx[k] !== undefined && tx[k] !== null) call[k] = tx[k];

    const [nonce, gas, block] = await Promise.all([
      tx.nonce === undefined ? rpc("eth_getTransactionCount", [tx.from, "pending"]) : tx.nonce,
      tx.gas === undefined ? rpc("eth_estimateGas", [call]) : tx.gas,
      needFees && !legacy ? rpc("eth_getBlockByNumber", ["latest", false]) : null,
    ]);
    if (!isQuantity(nonce) || !isQuantity(gas)) throw new KeyframeError(ErrorCode.Internal, "BAD_REQUEST", `${method}: bad nonce or gas from the RPC node`);
    tx.nonce = nonce;
    tx.gas = gas;

    const baseFee = isPlainObject(block) && isQuantity(block.baseFeePerGas) ? BigInt(block.baseFeePerGas) : null;
    if (needFees && !legacy && baseFee !== null) {
      // EIP-1559: tip from the node (or gasPrice − baseFee), cap = 2 × baseFee + tip.
      let tip: bigint;
      if (tx.maxPriorityFeePerGas !== undefined) tip = BigInt(tx.maxPriorityFeePerGas as string);
      else {
        try {
          tip = BigInt((await rpc("eth_maxPriorityFeePerGas", [])) as string);
        } catch {
          const gp = BigInt((await rpc("eth_gasPrice", [])) as string);
          tip = gp > baseFee ? gp - baseFee : 0n;
        }
      }
      const cap = tx.maxFeePerGas !== undefined ? BigInt(tx.maxFeePerGas as string) : baseFee * 2n + tip;
      tx.maxPriorityFeePerGas = toHex(tip < cap ? tip : cap);
      tx.maxFeePerGas = toHex(cap);
      tx.type ??= "0x2";
    } else if (needFees) {
      // Legacy chain (no baseFeePerGas) or a legacy request: gasPrice.
      if (tx.maxFeePerGas !== undefined || tx.maxPriorityFeePerGas !== undefined) {
        throw badParams(`${method}: the chain has no EIP-1559 base fee; use gasPrice`);
      }
      const gasPrice = await rpc("eth_gasPrice", []);
      if (!isQuantity(gasPrice)) throw new KeyframeError(ErrorCode.Internal, "BAD_REQUEST", `${method}: bad gasPrice from the RPC node`);
      if (tx.type === "0x2") tx.maxFeePerGas = tx.maxPriorityFeePerGas = gasPrice;
      else tx.gasPrice = gasPrice;
    }
    tx.type ??= tx.gasPrice !== undefined ? (tx.accessList !== undefined ? "0x1" : "0x0") : "0x2";
    return tx;
  };

  /** Fills the transaction, signs it in the iFrame, broadcasts it. */
  const sendTransaction = async (params: unknown): Promise<unknown> => {
    const method = "eth_sendTransaction";
    if (!Array.isArray(params) || params.length !== 1) throw badParams(`${method}: params must be [tx]`);
    const tx = await fillTransaction(method, params[0]);
    const raw = await iframeCall("eth_signTransaction", [tx]);
    if (typeof raw !== "string" || !/^0x[0-9a-fA-F]+$/.test(raw)) {
      throw new KeyframeError(ErrorCode.Internal, "BAD_REQUEST", `${method}: the iFrame returned no signed transaction`);
    }
    return rpc("eth_sendRawTransaction", [raw]);
  };

  // EIP-5792 (calls.ts): the batch is filled here, signed on one screen.
  const calls = createCalls({
    chainHex: () => chain.hex,
    rpc,
    accounts: async () => (await iframeCall("eth_accounts", undefined)) as unknown,
    fill: fillTransaction,
    sign: (txs) => iframeCall("keyframe_signTransactions", { transactions: txs }),
  });

  const request = (async (args: RequestArguments): Promise<unknown> => {
    if (!isPlainObject(args) || typeof args.method !== "string" || args.method === "") {
      throw badParams("request expects { method: string, params? }");
    }
    const { method, params } = args as { method: string; params?: unknown };
    if (method === "eth_sendTransaction") return sendTransaction(params);
    if (isCallsMethod(method)) return calls(method, params);
    if (method === "wallet_switchEthereumChain") return switchChain(params);
    if (method === "wallet_addEthereumChain") return addChain(params);
    if (REFUSED_METHODS.has(method)) throw unsupported(method);
    if (isIframeMethod(method)) return iframeCall(method, validateIframeParams(method, params));
    if (isRpcMethod(method)) {
      if (params !== undefined && !Array.isArray(params)) throw badParams(`${method}: params must be an array`);
      return rpc(method, (params as unknown[] | undefined) ?? []);
    }
    throw unsupported(method);
  }) as RequestFn;

  const provider: KeyframeProvider = Object.freeze({
    isKeyframe: true as const,
    request,
    on(event: string, listener: (...args: any[]) => void) {
      emitter.on(event, listener);
      return provider;
    },
    removeListener(event: string, listener: (...args: any[]) => void) {
      emitter.removeListener(event, listener);
      return provider;
    },
  });

  const info: EIP6963ProviderInfo = Object.freeze({
    uuid: uuidV4(),
    name: options.name ?? "Keyframe",
    icon: options.icon ?? DEFAULT_ICON,
    rdns: options.rdns ?? "dev.keyframe",
  });

  try {
    await conn.start();
  } catch (err) {
    conn.destroy();
    throw err;
  }
  const stopAnnouncing = options.announce === false ? () => {} : announceProvider(info, provider);

  return Object.freeze({
    request,
    provider,
    info,
    async setAuth(tokens: KeyframeTokens | string): Promise<void> {
      await request({ method: "keyframe_setAuth", params: typeof tokens === "string" ? { token: tokens } : tokens });
    },
    async authorize(): Promise<void> {
      if (!options.getTokens) throw badParams("authorize: no getTokens");
      const { dpopJkt } = await request({ method: "keyframe_status" });
      await request({ method: "keyframe_setAuth", params: await options.getTokens(dpopJkt) });
    },
    destroy(): void {
      stopAnnouncing();
      conn.destroy();
      emitter.clear();
    },
  });
}
