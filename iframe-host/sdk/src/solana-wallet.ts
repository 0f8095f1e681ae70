/**
 * Keyframe as a Solana wallet of the Wallet Standard
 * (https://github.com/wallet-standard/wallet-standard): Solana dApps find it
 * with `getWallets()` of `@wallet-standard/app` (or any adapter built on
 * it) without knowing Keyframe. Every signature goes through the iFrame's
 * approval screen, as through `request`.
 *
 * Features: `standard:connect`, `standard:disconnect`, `standard:events`,
 * `solana:signMessage`, `solana:signTransaction` and, given an RPC URL,
 * `solana:signAndSendTransaction`. The registration is the standard's
 * window-event handshake, so no package of the standard is needed at run
 * time.
 */
import type { Signer } from "./types.js";

/** A Wallet Standard account (the fields of `@wallet-standard/base`'s `WalletAccount`). */
export interface SolanaWalletAccount {
  readonly address: string;
  readonly publicKey: Uint8Array;
  readonly chains: readonly `${string}:${string}`[];
  readonly features: readonly `${string}:${string}`[];
  readonly label?: string;
  readonly icon?: `data:image/${string}`;
}

export interface RegisterSolanaWalletOptions {
  /** JSON-RPC URL for `solana:signAndSendTransaction` (omit to leave the feature out). */
  rpcUrl?: string;
  /** Chains to announce (default `solana:mainnet`, `solana:devnet`, `solana:testnet`, `solana:localnet`). */
  chains?: `solana:${string}`[];
  /** Wallet name (default "Keyframe"). */
  name?: string;
  /** Wallet icon, a data: URI (default: the SDK's EIP-6963 icon). */
  icon?: `data:image/${string}`;
}

const ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/** Base58 (Bitcoin alphabet), as Solana writes keys and signatures. */
export function base58Decode(text: string): Uint8Array {
  let n = 0n;
  for (const ch of text) {
    const v = ALPHABET.indexOf(ch);
    if (v < 0) throw new Error("not base58");
    n = n * 58n + BigInt(v);
  }
  const bytes: number[] = [];
  while (n > 0n) {
    bytes.unshift(Number(n & 0xffn));
    n >>= 8n;
  }
  for (const ch of text) {
    if (ch !== "1") break;
    bytes.unshift(0);
  }
  return Uint8Array.from(bytes);
}

export function base58Encode(bytes: Uint8Array): string {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  let out = "";
  while (n > 0n) {
    out = ALPHABET[Number(n % 58n)] + out;
    n /= 58n;
  }
  for (const b of bytes) {
    if (b !== 0) break;
    out = "1" + out;
  }
  return out;
}

const toBase64 = (bytes: Uint8Array): string => btoa(String.fromCharCode(...bytes));
const fromBase64 = (text: string): Uint8Array => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

type Listener = (properties: { accounts?: readonly SolanaWalletAccount[] }) => void;

/**
 * Registers `signer` as a Solana wallet of the Wallet Standard; returns a
 * function that stops announcing it (an app that already saw it keeps it).
 */
export function registerSolanaWallet(signer: Signer, options: RegisterSolanaWalletOptions = {}): () => void {
  const chains = options.chains ?? ["solana:mainnet", "solana:devnet", "solana:testnet", "solana:localnet"];
  const signFeatures = ["solana:signMessage", "solana:signTransaction", ...(options.rpcUrl ? ["solana:signAndSendTransaction"] : [])] as `${string}:${string}`[];
  let accounts: SolanaWalletAccount[] = [];
  const listeners = new Set<Listener>();
  const emit = () => listeners.forEach((l) => l({ accounts }));

  const accountOf = (address: string): SolanaWalletAccount =>
    Object.freeze({ address, publicKey: base58Decode(address), chains, features: signFeatures });
  const mine = (account: { address: string }) => {
    if (!accounts.some((a) => a.address === account.address)) throw new Error("Keyframe: not this wallet's account");
  };

  const connect = async () => {
    const status = (await signer.request({ method: "keyframe_status" })) as { addresses?: { solana?: string | null } | null };
    const address = status.addresses?.solana;
    const next = address ? [accountOf(address)] : [];
    if (next.map((a) => a.address).join() !== accounts.map((a) => a.address).join()) {
      accounts = next;
      emit();
    }
    return { accounts };
  };

  const signTransaction = async (...inputs: { transaction: Uint8Array; account: { address: string } }[]) => {
    const out = [];
    for (const input of inputs) {
      mine(input.account);
      const { transaction } = (await signer.request({
        method: "solana_signTransaction",
        params: { transaction: toBase64(input.transaction) },
      })) as { transaction: string };
      out.push({ signedTransaction: fromBase64(transaction) });
    }
    return out;
  };

  const features: Record<string, unknown> = {
    "standard:connect": { version: "1.0.0", connect },
    "standard:disconnect": {
      version: "1.0.0",
      disconnect: async () => {
        accounts = [];
        emit();
      },
    },
    "standard:events": {
      version: "1.0.0",
      on: (event: string, listener: Listener) => {
        if (event !== "change") return () => {};
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    },
    "solana:signMessage": {
      version: "1.0.0",
      signMessage: async (...inputs: { message: Uint8Array; account: { address: string } }[]) => {
        const out = [];
        for (const input of inputs) {
          mine(input.account);
          const { signature } = (await signer.request({
            method: "solana_signMessage",
            params: { message: toBase64(input.message) },
          })) as { signature: string };
          out.push({ signedMessage: input.message, signature: base58Decode(signature), signatureType: "ed25519" as const });
        }
        return out;
      },
    },
    "solana:signTransaction": { version: "1.0.0", supportedTransactionVersions: ["legacy", 0], signTransaction },
  };
  if (options.rpcUrl) {
    const rpcUrl = options.rpcUrl;
    features["solana:signAndSendTransaction"] = {
      version: "1.0.0",
      supportedTransactionVersions: ["legacy", 0],
      signAndSendTransaction: async (...inputs: { transaction: Uint8Array; account: { address: string } }[]) => {
        const out = [];
        for (const input of inputs) {
          const [{ signedTransaction }] = await signTransaction(input);
          const res = await fetch(rpcUrl, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "sendTransaction", params: [toBase64(signedTransaction), { encoding: "base64" }] }),
          });
          const body = (await res.json()) as { result?: string; error?: { message?: string } };
          if (!body.result) throw new Error(`Keyframe: sendTransaction failed: ${body.error?.message ?? res.status}`);
          out.push({ signature: base58Decode(body.result) });
        }
        return out;
      },
    };
  }

  const wallet = {
    version: "1.0.0" as const,
    name: options.name ?? signer.info.name,
    icon: options.icon ?? (signer.info.icon as `data:image/${string}`),
    chains,
    features,
    get accounts() {
      return accounts;
    },
  };

  // The Wallet Standard's handshake: announce now, and to apps that start later.
  const register = ({ register }: { register: (w: typeof wallet) => () => void }) => register(wallet);
  let active = true;
  const onAppReady = (e: Event) => {
    if (active) register((e as CustomEvent).detail);
  };
  window.addEventListener("wallet-standard:app-ready", onAppReady);
  window.dispatchEvent(new CustomEvent("wallet-standard:register-wallet", { detail: register }));
  return () => {
    active = false;
    window.removeEventListener("wallet-standard:app-ready", onAppReady);
  };
}
