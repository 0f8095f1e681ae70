/** EIP-6963 multi-injected-provider discovery. */

export interface EIP6963ProviderInfo {
  readonly uuid: string;
  readonly name: string;
  /** A data: URI (RFC 2397), ideally a square SVG or PNG ≥ 96×96. */
  readonly icon: string;
  /** Reverse-DNS id of the wallet, e.g. "dev.keyframe". */
  readonly rdns: string;
}

export interface EIP6963ProviderDetail<P> {
  readonly info: EIP6963ProviderInfo;
  readonly provider: P;
}

export const DEFAULT_ICON =
  "data:image/svg+xml;base64," +
  btoa(
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 96 96"><rect width="96" height="96" rx="20" fill="#111827"/>' +
      '<path d="M30 22h10v22l20-22h12L50 46l24 28H61L40 50v24H30z" fill="#fff"/></svg>',
  );

export function uuidV4(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * Announces the provider now and on every `eip6963:requestProvider`.
 * Returns a function that stops answering requests.
 */
export function announceProvider<P>(info: EIP6963ProviderInfo, provider: P): () => void {
  const detail: EIP6963ProviderDetail<P> = Object.freeze({ info: Object.freeze({ ...info }), provider });
  const announce = (): void => {
    window.dispatchEvent(new CustomEvent("eip6963:announceProvider", { detail }));
  };
  window.addEventListener("eip6963:requestProvider", announce);
  announce();
  return () => window.removeEventListener("eip6963:requestProvider", announce);
}
