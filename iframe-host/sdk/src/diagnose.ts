/**
 * Why the iFrame did not connect: the evidence the SDK gathers while it
 * waits for `ready`, and the error that names the likely cause in words.
 *
 * The iFrame stays silent towards a parent origin that is not on the
 * provider's allow-list (`/v2/config`, docs/api.md), so the page cannot be
 * told so directly. It can rule the other causes in or out:
 *   * a Content-Security-Policy on this page that blocks the frame
 *     (`securitypolicyviolation` naming the provider);
 *   * the provider unreachable (a `no-cors` fetch of the iFrame's page fails);
 * and what remains, with the provider up, is this page's origin.
 */
import { ErrorCode, KeyframeError } from "./errors.js";

/**
 * The smallest WebAssembly module that uses SIMD (`i8x16.popcnt` of an
 * `i8x16.splat`). The signer's module is built with SIMD
 * (.cargo/config.toml), and the iFrame runs on this page's engine, so a
 * browser that cannot validate this cannot run the iFrame either.
 */
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]);

/** Whether this browser can run the signer's WebAssembly module. */
export function canRunSigner(): boolean {
  try {
    return typeof WebAssembly === "object" && WebAssembly.validate(SIMD_PROBE);
  } catch {
    return false;
  }
}

/** `error.data.cause` of a connect timeout (4900 / `TIMEOUT`). */
export type ConnectCause = "CSP_BLOCKED" | "PROVIDER_UNREACHABLE" | "ORIGIN_NOT_ALLOWED";

export class Diagnosis {
  /** This page's CSP refused the frame (frame-src, child-src or default-src). */
  private framingBlocked = false;
  /** This page's CSP refused the reachability probe: its answer means nothing. */
  private probeBlocked = false;
  /** Answer of the probe: true reachable, false unreachable, null unknown. */
  private reachable: boolean | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private ctrl: AbortController | null = null;

  constructor(
    private readonly src: string,
    private readonly origin: string,
  ) {}

  /** Starts watching; probes the provider after `probeAfterMs` unless stopped. */
  start(probeAfterMs: number, probeTimeoutMs: number): void {
    this.stop();
    this.framingBlocked = this.probeBlocked = false;
    this.reachable = null;
    document.addEventListener("securitypolicyviolation", this.onViolation);
    this.timer = setTimeout(() => void this.probe(probeTimeoutMs), probeAfterMs);
  }

  stop(): void {
    document.removeEventListener("securitypolicyviolation", this.onViolation);
    clearTimeout(this.timer);
    this.ctrl?.abort();
    this.ctrl = null;
  }

  private onViolation = (ev: SecurityPolicyViolationEvent): void => {
    let from: string;
    try {
      from = new URL(ev.blockedURI).origin;
    } catch {
      return;
    }
    if (from !== this.origin) return;
    const d = ev.effectiveDirective;
    if (d === "connect-src") this.probeBlocked = true;
    else if (d === "frame-src" || d === "child-src" || d === "default-src") this.framingBlocked = true;
  };

  /** A no-cors GET of the iFrame's page: resolves (opaque) iff the provider answered. */
  private async probe(timeoutMs: number): Promise<void> {
    const ctrl = (this.ctrl = new AbortController());
    const timer = setTimeout(() => ctrl.abort(), timeoutMs);
    try {
      await fetch(this.src, { mode: "no-cors", credentials: "omit", cache: "no-store", referrerPolicy: "no-referrer", signal: ctrl.signal });
      this.reachable = true;
    } catch {
      // Aborted (our own timeout or stop()) proves nothing either way.
      if (!ctrl.signal.aborted) this.reachable = false;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The connect-timeout error: code 4900, reason `TIMEOUT`, `data.cause`. */
  error(timeoutMs: number): KeyframeError {
    const page = location.origin;
    const p = this.origin;
    let cause: ConnectCause;
    let why: string;
    if (this.framingBlocked) {
      cause = "CSP_BLOCKED";
      why = `this page's Content-Security-Policy blocks framing ${p}: add ${p} to its frame-src`;
    } else if (this.reachable === false && !this.probeBlocked) {
      cause = "PROVIDER_UNREACHABLE";
      why = `the provider ${p} is unreachable: is it running, and is providerUrl right?`;
    } else {
      cause = "ORIGIN_NOT_ALLOWED";
      why =
        page === "null"
          ? "this page has no origin (file:// or a sandboxed frame): serve it over http(s) from an origin the provider allows"
          : `this page's origin ${page} is probably not on the provider's allowed origins (the iFrame stays silent towards unknown origins): ` +
            `add it, e.g. KEYFRAME_ALLOWED_ORIGINS=${page} npm start, or hot-storage-service --allowed-origins ${page}`;
      if (this.reachable !== true || this.probeBlocked) {
        why += `. Otherwise the provider ${p} is unreachable, or this page's Content-Security-Policy blocks frame-src ${p}`;
      }
    }
    return new KeyframeError(ErrorCode.Disconnected, "TIMEOUT", `the Keyframe iFrame did not connect within ${timeoutMs} ms: ${why}`, {
      cause,
      origin: page,
      providerOrigin: p,
    });
  }
}
