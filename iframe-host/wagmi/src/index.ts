/**
 * `keyframe()`: a wagmi connector for the Keyframe signer iFrame, built on
 * `createConnector` over the host SDK's EIP-1193 provider.
 *
 * Nothing runs at import or when `keyframe()` is called: the iFrame is
 * mounted on the first connect, so the module is safe to import during
 * server-side rendering and needs no Node polyfills. wagmi's `reconnect`
 * asks every connector for its provider; this one has none (and mounts
 * nothing, asks for no token) unless the user connected it and has not
 * disconnected since (`keyframe.connected` in wagmi's storage).
 *
 * Chains are the wagmi config's, intersected with the provider's list: the
 * signer starts on `chainId` (default: the config's first chain),
 * `switchChain` goes through the iFrame (which serves only the provider's
 * list and asks the user before the first switch to each chain), and each
 * chain's RPC URL is the config's `rpcUrls.default.http[0]` unless
 * `rpcUrls` says otherwise (docs/api.md, "Chains").
 */
import { ChainNotConfiguredError, createConnector, ProviderNotFoundError } from "@wagmi/core";
import { createSigner, type CreateSignerOptions, type KeyframeProvider, type Signer } from "@keyframe/sdk";
import { getAddress, numberToHex, SwitchChainError, UserRejectedRequestError, type Address } from "viem";

export interface KeyframeParameters extends Omit<CreateSignerOptions, "chainId" | "announce"> {
  /** The chain the signer starts on (default: the wagmi config's first chain). */
  chainId?: number;
  /**
   * Called by `connect` when the user has no wallet on this device yet
   * (`eth_accounts` is empty): create one (`keyframe_createWallet`) or
   * recover it (`keyframe_recover`); the iFrame shows its own screens.
   * Without it, such a connect fails.
   */
  onNoAccount?: (signer: Signer) => Promise<void>;
  /** EIP-6963 announcement of the signer (default false: wagmi already lists this connector). */
  announce?: boolean;
}

/** EIP-1193 code of a request the user rejected. */
const USER_REJECTED = 4001;
/** wagmi storage key: the user connected Keyframe and has not disconnected. */
const CONNECTED = "keyframe.connected";

type StorageItem = { [CONNECTED]: true };

keyframe.type = "keyframe" as const;

/** The Keyframe connector for `createConfig({ connectors: [keyframe({ providerUrl, getTokens })] })`. */
export function keyframe(parameters: KeyframeParameters) {
  let signer: Promise<Signer> | undefined;
  let unsubscribe: (() => void) | undefined;

  return createConnector<KeyframeProvider, Record<string, unknown>, StorageItem>((config) => {
    /** The signer, created (and the iFrame mounted) on first use. */
    const getSigner = (): Promise<Signer> =>
      (signer ??= createSigner({
        ...parameters,
        chainId: parameters.chainId ?? config.chains[0].id,
        rpcUrls: {
          ...Object.fromEntries(config.chains.map((c) => [c.id, c.rpcUrls.default.http[0]])),
          ...parameters.rpcUrls,
        },
        announce: parameters.announce ?? false,
      }).catch((err: unknown) => {
        signer = undefined;
        throw err;
      }));
    const accountsOf = (raw: unknown): Address[] => (Array.isArray(raw) ? raw.map((a) => getAddress(String(a))) : []);
    const wasConnected = async (): Promise<boolean> => (await config.storage?.getItem(CONNECTED)) === true;

    return {
      id: "keyframe",
      name: parameters.name ?? "Keyframe",
      type: keyframe.type,
      rdns: parameters.rdns ?? "dev.keyframe",
      ...(parameters.icon ? { icon: parameters.icon } : {}),

      async connect({ chainId, isReconnecting, withCapabilities } = {}) {
        const s = await getSigner();
        // A reconnect follows isAuthorized(), which authorized already.
        if (parameters.getTokens && !isReconnecting) await s.authorize();
        let accounts = await this.getAccounts();
        if (accounts.length === 0 && parameters.onNoAccount) {
          await parameters.onNoAccount(s);
          accounts = await this.getAccounts();
        }
        if (accounts.length === 0) throw new UserRejectedRequestError(new Error("Keyframe: the user has no wallet on this device"));
        if (!unsubscribe) {
          const onAccounts = (a: string[]) => this.onAccountsChanged(a);
          const onChain = (c: string) => this.onChainChanged(c);
          s.provider.on("accountsChanged", onAccounts).on("chainChanged", onChain);
          // The provider's own "disconnect" is a rebuild of the iFrame, which
          // reconnects by itself: it is not a wagmi disconnect.
          unsubscribe = () => s.provider.removeListener("accountsChanged", onAccounts).removeListener("chainChanged", onChain);
        }
        let current = await this.getChainId();
        if (chainId !== undefined && chainId !== current) current = (await this.switchChain!({ chainId })).id;
        await config.storage?.setItem(CONNECTED, true);
        return {
          accounts: (withCapabilities ? accounts.map((address) => ({ address, capabilities: {} })) : accounts) as never,
          chainId: current,
        };
      },

      async disconnect() {
        await config.storage?.removeItem(CONNECTED);
        unsubscribe?.();
        unsubscribe = undefined;
        const s = signer;
        signer = undefined;
        // The iFrame goes with the connection; the device's share stays in
        // the provider origin's storage for the next connect.
        (await s?.catch(() => undefined))?.destroy();
      },

      async getAccounts() {
        return accountsOf(await (await this.getProvider()).request({ method: "eth_accounts" }));
      },

      async getChainId() {
        return Number(await (await this.getProvider()).request({ method: "eth_chainId" }));
      },

      async getProvider() {
        // Only a signer that exists or that the user connected: wagmi's
        // reconnect asks every connector, and must not mount our iFrame for
        // a user of another wallet.
        if (!signer && !(await wasConnected())) throw new ProviderNotFoundError();
        return (await getSigner()).provider;
      },

      async isAuthorized() {
        if (!signer && !(await wasConnected())) return false;
        try {
          const s = await getSigner();
          if (parameters.getTokens) await s.authorize();
          return (await this.getAccounts()).length > 0;
        } catch {
          return false;
        }
      },

      async switchChain({ chainId }) {
        const chain = config.chains.find((c) => c.id === chainId);
        if (!chain) throw new SwitchChainError(new ChainNotConfiguredError());
        try {
          await (await this.getProvider()).request({ method: "wallet_switchEthereumChain", params: [{ chainId: numberToHex(chainId) }] });
        } catch (err) {
          if ((err as { code?: unknown }).code === USER_REJECTED) throw new UserRejectedRequestError(err as Error);
          throw new SwitchChainError(err as Error);
        }
        config.emitter.emit("change", { chainId });
        return chain;
      },

      onAccountsChanged(accounts) {
        if (accounts.length === 0) this.onDisconnect();
        else config.emitter.emit("change", { accounts: accountsOf(accounts) });
      },

      onChainChanged(chain) {
        config.emitter.emit("change", { chainId: Number(chain) });
      },

      onDisconnect() {
        config.emitter.emit("disconnect");
      },
    };
  });
}
