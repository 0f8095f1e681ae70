/**
 * The iFrame's lifecycle: mount, `ready` → `connect` → `connected`
 * handshake, JSON-RPC over the MessagePort, per-request timeouts, liveness
 * check and clean rebuild, and the modal overlay.
 *
 * States:
 *   mounting    — iFrame in the DOM (or reloading), waiting for `ready`
 *   handshaking — `connect` posted with the port, waiting for `connected`
 *   restoring   — port open; setting the chain, restoring the last `keyframe_setAuth`
 *   connected   — requests flow
 *   disconnected— gave up (iFrame removed); the next request mounts a new one
 *   destroyed   — terminal
 */
import { Diagnosis } from "./diagnose.js";
import { disconnected, ErrorCode, fromWireError, KeyframeError } from "./errors.js";
import {
  handshake,
  IFRAME_EVENTS,
  type IframeEventType,
  isHandshake,
  isNotification,
  isPlainObject,
  isResponse,
  type JsonRpcRequest,
  MessageType,
  NotificationMethod,
} from "./protocol.js";
import type { GetTokens } from "./types.js";

type State = "mounting" | "handshaking" | "restoring" | "connected" | "disconnected" | "destroyed";

interface Pending {
  method: string;
  timeoutMs: number;
  liveness: boolean;
  timer: ReturnType<typeof setTimeout>;
  resolve(value: unknown): void;
  reject(err: KeyframeError): void;
}

interface Waiter {
  resolve(): void;
  reject(err: KeyframeError): void;
}

export interface ConnectionOptions {
  providerUrl: string;
  /**
   * The chain every new iFrame document starts on: sent in `connect`, then
   * confirmed with `wallet_switchEthereumChain` (a no-op on a listed chain;
   * 4902 UNSUPPORTED_CHAIN when the provider does not list it, which fails
   * the connection).
   */
  chainIdHex: string;
  container: HTMLElement;
  readyTimeoutMs: number;
  timeoutFor(method: string): number;
  onEvent(type: IframeEventType, data: unknown): void;
  onConnect(): void;
  onDisconnect(error: KeyframeError): void;
  /** Fresh tokens bound to the iFrame's DPoP key (`createSigner`'s `getTokens`). */
  getTokens?: GetTokens;
}

const HIDDEN: Partial<CSSStyleDeclaration> = {
  position: "fixed",
  top: "0",
  left: "0",
  width: "0",
  height: "0",
  border: "0",
  opacity: "0",
  pointerEvents: "none",
  transform: "none",
  zIndex: "auto",
  boxShadow: "none",
};

const VISIBLE: Partial<CSSStyleDeclaration> = {
  position: "fixed",
  top: "50%",
  left: "50%",
  width: "min(420px, calc(100vw - 32px))",
  height: "min(520px, calc(100vh - 32px))",
  border: "0",
  borderRadius: "12px",
  opacity: "1",
  pointerEvents: "auto",
  transform: "translate(-50%, -50%)",
  zIndex: "2147483647",
  background: "#fff",
  boxShadow: "0 12px 48px rgba(0,0,0,.35)",
};

const BACKDROP: Partial<CSSStyleDeclaration> = {
  position: "fixed",
  inset: "0",
  background: "rgba(15,23,42,.55)",
  zIndex: "2147483646",
};

export class Connection {
  readonly origin: string;
  private readonly src: string;
  private iframe: HTMLIFrameElement | null = null;
  private backdrop: HTMLDivElement | null = null;
  private port: MessagePort | null = null;
  private state: State = "disconnected";
  /** A `connect` event was emitted and no `disconnect` since. */
  private announced = false;
  /** Handshake generation: messages on an older port are ignored. */
  private gen = 0;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private waiters: Waiter[] = [];
  private readyTimer: ReturnType<typeof setTimeout> | undefined;
  /** Waiting on an iFrame that reloaded by itself (not one we created). */
  private reloading = false;
  private loads = 0;
  private readies = 0;
  private checking = false;
  /** Evidence for the connect-timeout error (see diagnose.ts). */
  private readonly diag: Diagnosis;
  /**
   * The last `keyframe_setAuth` params, restored after a rebuild: asked
   * anew from `getTokens` (the new document's DPoP key may differ), else
   * replayed.
   */
  auth: object | null = null;

  /**
   * The chain a fresh iFrame document starts on (`connect`) and is
   * confirmed on: the signer's current chain, which a switch changes.
   */
  chainIdHex: string;

  constructor(private readonly opts: ConnectionOptions) {
    this.chainIdHex = opts.chainIdHex;
    const base = opts.providerUrl.replace(/\/+$/, "");
    this.src = `${base}/iframe.html`;
    this.origin = new URL(this.src).origin;
    this.diag = new Diagnosis(this.src, this.origin);
    window.addEventListener("message", this.onWindowMessage);
  }

  /** Mounts the iFrame and resolves once connected (rejects after `readyTimeoutMs`). */
  start(): Promise<void> {
    return this.whenConnected();
  }

  /** Sends one request (after waiting for a connection, rebuilding if needed). */
  async request(method: string, params: unknown): Promise<unknown> {
    await this.whenConnected();
    return this.call(method, params, this.opts.timeoutFor(method), true);
  }

  /** Shows the iFrame as a centred modal overlay, or hides it. */
  setUi(visible: boolean): void {
    const f = this.iframe;
    if (visible && f) {
      if (!this.backdrop) {
        const b = document.createElement("div");
        b.setAttribute("data-keyframe-backdrop", "");
        Object.assign(b.style, BACKDROP);
        f.parentNode?.insertBefore(b, f);
        this.backdrop = b;
      }
      Object.assign(f.style, VISIBLE);
      f.setAttribute("aria-hidden", "false");
      f.setAttribute("tabindex", "0");
      f.focus();
    } else {
      this.backdrop?.remove();
      this.backdrop = null;
      if (f) {
        Object.assign(f.style, HIDDEN);
        f.setAttribute("aria-hidden", "true");
        f.setAttribute("tabindex", "-1");
      }
    }
  }

  destroy(): void {
    if (this.state === "destroyed") return;
    this.dropPort("disconnected: the signer was destroyed");
    this.removeFrame();
    this.state = "destroyed";
    this.rejectWaiters(disconnected("disconnected: the signer was destroyed"));
    window.removeEventListener("message", this.onWindowMessage);
  }

  // ---- lifecycle ---------------------------------------------------------

  private mount(): void {
    const f = document.createElement("iframe");
    // allow-downloads: the backup file is downloaded from inside the iFrame.
    f.setAttribute("sandbox", "allow-scripts allow-same-origin allow-downloads");
    f.setAttribute("allow", "");
    f.setAttribute("referrerpolicy", "no-referrer");
    f.setAttribute("title", "Keyframe signer");
    f.setAttribute("data-keyframe", "signer");
    f.setAttribute("aria-hidden", "true");
    f.setAttribute("tabindex", "-1");
    Object.assign(f.style, HIDDEN);
    f.addEventListener("load", this.onLoad);
    f.src = this.src;
    this.loads = this.readies = 0;
    this.reloading = false;
    this.iframe = f;
    this.state = "mounting";
    this.armReadyTimer();
    // Probe only when connecting is already slow; done well before the timeout.
    const t = this.opts.readyTimeoutMs;
    this.diag.start(t * 0.4, t * 0.5);
    this.opts.container.appendChild(f);
  }

  private removeFrame(): void {
    this.clearReadyTimer();
    this.diag.stop();
    this.setUi(false);
    if (this.iframe) {
      this.iframe.removeEventListener("load", this.onLoad);
      this.iframe.remove();
      this.iframe = null;
    }
  }

  /** Throws the current iFrame away and starts over with a new one. */
  private rebuild(why: string): void {
    if (this.state === "destroyed") return;
    this.dropPort(why);
    this.removeFrame();
    this.mount();
  }

  /** Closes the port, fails every in-flight request, emits `disconnect` once. */
  private dropPort(why: string): void {
    this.gen++;
    if (this.port) {
      this.port.onmessage = null;
      this.port.close();
      this.port = null;
    }
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) {
      clearTimeout(p.timer);
      p.reject(disconnected(why));
    }
    this.setUi(false);
    if (this.announced) {
      this.announced = false;
      this.opts.onDisconnect(disconnected(why));
    }
  }

  private whenConnected(): Promise<void> {
    switch (this.state) {
      case "connected":
        return Promise.resolve();
      case "destroyed":
        return Promise.reject(disconnected("disconnected: the signer was destroyed"));
      case "disconnected":
        this.mount();
        break;
      default:
        break;
    }
    return new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  private rejectWaiters(err: KeyframeError): void {
    const w = this.waiters;
    this.waiters = [];
    for (const x of w) x.reject(err);
  }

  private armReadyTimer(): void {
    this.clearReadyTimer();
    this.readyTimer = setTimeout(this.onReadyTimeout, this.opts.readyTimeoutMs);
  }

  private clearReadyTimer(): void {
    if (this.readyTimer !== undefined) clearTimeout(this.readyTimer);
    this.readyTimer = undefined;
  }

  private onReadyTimeout = (): void => {
    this.readyTimer = undefined;
    if (this.state === "connected" || this.state === "destroyed" || this.state === "disconnected") return;
    const why = `the Keyframe iFrame did not connect within ${this.opts.readyTimeoutMs} ms`;
    if (this.reloading) {
      // It reloaded by itself and never said `ready`: try one fresh iFrame.
      this.rebuild(why);
      return;
    }
    const err = this.diag.error(this.opts.readyTimeoutMs);
    this.dropPort(why);
    this.removeFrame();
    this.state = "disconnected";
    this.rejectWaiters(err);
  };

  // ---- window messages: `ready` ------------------------------------------

  private onWindowMessage = (ev: MessageEvent): void => {
    const f = this.iframe;
    if (!f || ev.source !== f.contentWindow || ev.origin !== this.origin) return;
    if (!isHandshake(ev.data, MessageType.Ready)) return;
    if (this.state === "destroyed" || this.state === "disconnected") return;
    this.readies++;
    // A `ready` while connected (or mid-handshake) means a new document: the
    // old port is dead. Start over with this one.
    this.dropPort("disconnected: the Keyframe iFrame reloaded");
    if (this.readyTimer === undefined) this.armReadyTimer();
    const gen = this.gen;
    const { port1, port2 } = new MessageChannel();
    port1.onmessage = (e: MessageEvent) => this.onPortMessage(gen, e.data);
    this.port = port1;
    this.state = "handshaking";
    // The chain the document starts on (docs/api.md, "Chains").
    const connect = { ...handshake(MessageType.Connect), chainId: this.chainIdHex };
    f.contentWindow?.postMessage(connect, this.origin, [port2]);
  };

  /**
   * Every document of the iFrame fires one `load` and sends one `ready`, in
   * either order. So after the n-th `load`, fewer than n `ready`s means the
   * current document has not said `ready` yet, and whatever port we hold
   * belongs to the previous one.
   */
  private onLoad = (ev: Event): void => {
    if (ev.currentTarget !== this.iframe) return;
    this.loads++;
    if (this.readies >= this.loads) return;
    if (this.state === "handshaking" || this.state === "restoring" || this.state === "connected") {
      this.dropPort("disconnected: the Keyframe iFrame reloaded");
      this.state = "mounting";
      this.reloading = true;
      this.armReadyTimer();
    }
  };

  // ---- port messages -----------------------------------------------------

  private onPortMessage(gen: number, data: unknown): void {
    if (gen !== this.gen) return;
    if (this.state === "handshaking") {
      if (isHandshake(data, MessageType.Connected)) void this.onConnected(gen);
      return;
    }
    if (this.state !== "restoring" && this.state !== "connected") return;
    if (isResponse(data)) {
      const p = this.pending.get(data.id);
      if (!p) return; // late answer to a timed-out request
      this.pending.delete(data.id);
      clearTimeout(p.timer);
      if ("error" in data) p.reject(fromWireError(data.error));
      else p.resolve(data.result);
    } else if (isNotification(data)) {
      this.onNotification(data.method, data.params);
    }
  }

  private onNotification(method: string, params: unknown): void {
    if (!isPlainObject(params)) return;
    if (method === NotificationMethod.Ui) {
      if (typeof params.visible === "boolean") this.setUi(params.visible);
    } else if (method === NotificationMethod.Event && this.state === "connected") {
      const type = params.type;
      if ((IFRAME_EVENTS as readonly unknown[]).includes(type)) this.opts.onEvent(type as IframeEventType, params.data);
    }
  }

  /**
   * Brings a fresh iFrame document to the state the dApp configured: the
   * chain first, then the last auth token. Events the iFrame raises while
   * this runs (chainChanged, accountsChanged) are artefacts of the restore
   * and are not re-emitted. The chain was already named in `connect`, so
   * the switch never waits for a person; a chain the provider does not
   * list fails the connection with the iFrame's 4902 UNSUPPORTED_CHAIN.
   */
  private async onConnected(gen: number): Promise<void> {
    this.state = "restoring";
    const auth = this.auth;
    const steps: [string, unknown][] = [["wallet_switchEthereumChain", [{ chainId: this.chainIdHex }]]];
    if (auth !== null) steps.push(["keyframe_setAuth", auth]);
    for (const [method, params] of steps) {
      // The switch confirms the chain named in `connect` and never waits
      // for a person: it keeps a short timeout.
      const timeoutMs = Math.min(this.opts.timeoutFor(method), 5_000);
      try {
        const fresh = method === "keyframe_setAuth" && this.opts.getTokens;
        await this.call(method, fresh ? await this.tokensFor(fresh, timeoutMs) : params, timeoutMs, false);
      } catch (err) {
        if (gen !== this.gen) return;
        const e = err as KeyframeError;
        if (e.reason === "TIMEOUT") {
          this.rebuildOrGiveUp(`restoring the Keyframe iFrame (${method}) failed: ${e.message}`);
          return;
        }
        if (method === "wallet_switchEthereumChain") {
          this.giveUp(e);
          return;
        }
        // The iFrame refused the token (expired…): stop replaying it.
        if (method === "keyframe_setAuth" && this.auth === auth) this.auth = null;
      }
    }
    if (gen !== this.gen || this.state !== "restoring") return;
    this.clearReadyTimer();
    this.diag.stop();
    this.reloading = false;
    this.state = "connected";
    this.announced = true;
    const w = this.waiters;
    this.waiters = [];
    for (const x of w) x.resolve();
    this.opts.onConnect();
  }

  /** Tokens from `getTokens` for the current document's DPoP key. */
  async tokensFor(getTokens: GetTokens, timeoutMs: number): Promise<object> {
    const status = (await this.call("keyframe_status", undefined, timeoutMs, false)) as { dpopJkt: string };
    return getTokens(status.dpopJkt);
  }

  /** The iFrame refused what the dApp configured (its chain): stop, with its error. */
  private giveUp(err: KeyframeError): void {
    this.dropPort(err.message);
    this.removeFrame();
    this.state = "disconnected";
    this.rejectWaiters(err);
  }

  private rebuildOrGiveUp(why: string): void {
    if (this.reloading) {
      this.rebuild(why);
    } else {
      this.dropPort(why);
      this.removeFrame();
      this.state = "disconnected";
      this.rejectWaiters(disconnected(why));
    }
  }

  // ---- requests ----------------------------------------------------------

  private call(method: string, params: unknown, timeoutMs: number, liveness: boolean): Promise<unknown> {
    const port = this.port;
    if (!port || (this.state !== "connected" && this.state !== "restoring")) {
      return Promise.reject(disconnected());
    }
    const id = this.nextId++;
    const msg: JsonRpcRequest = { jsonrpc: "2.0", id, method };
    if (params !== undefined) msg.params = params;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.onTimeout(id), timeoutMs);
      this.pending.set(id, { method, timeoutMs, liveness, timer, resolve, reject });
      try {
        port.postMessage(msg);
      } catch (err) {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(new KeyframeError(ErrorCode.InvalidParams, "BAD_REQUEST", `${method}: params cannot be posted (${String(err)})`));
      }
    });
  }

  private onTimeout(id: number): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    // Withdraw it from the iFrame's approval screen: nobody waits any more.
    try {
      this.port?.postMessage({ jsonrpc: "2.0", method: NotificationMethod.Cancel, params: { id } });
    } catch {
      // the port is gone; so is the screen
    }
    p.reject(new KeyframeError(ErrorCode.Internal, "TIMEOUT", `${p.method} timed out after ${p.timeoutMs} ms`));
    if (p.liveness) void this.checkLiveness();
  }

  /**
   * After a timeout: is the iFrame still answering? A `keyframe_ping` with a
   * short timeout decides. Any answer (even an error) means alive, and only
   * the slow request failed; silence means stuck or gone → rebuild.
   */
  private async checkLiveness(): Promise<void> {
    if (this.checking || this.state !== "connected") return;
    this.checking = true;
    const gen = this.gen;
    try {
      await this.call("keyframe_ping", undefined, this.opts.timeoutFor("keyframe_ping"), false);
    } catch (err) {
      const e = err as KeyframeError;
      if (e.code === ErrorCode.Internal && e.reason === "TIMEOUT" && gen === this.gen && this.state === "connected") {
        this.rebuild("disconnected: the Keyframe iFrame stopped answering");
      }
    } finally {
      this.checking = false;
    }
  }
}
