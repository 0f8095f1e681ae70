import { spawn } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";

const live = new Set();
// Never leave a process group behind, even when a test run is interrupted.
process.once("exit", () => {
  for (const child of live) {
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {}
  }
});

/** Polls `url` until it answers with any HTTP status (or `timeoutMs` passes). */
export async function waitForHttp(url, { timeoutMs = 30_000, intervalMs = 50, isAlive = () => true } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    if (!isAlive()) throw new Error(`process exited before ${url} answered`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer().catch(() => {});
      return res.status;
    } catch (err) {
      last = err;
    }
    await sleep(intervalMs);
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms (${last?.cause?.code ?? last?.message ?? last})`);
}

/**
 * Starts `cmd args` in its own process group and, with `readyUrl`, waits
 * until that URL answers over HTTP.
 *
 * opts: { env (merged over process.env), cwd, readyUrl, readyTimeoutMs = 60 s,
 *         echo = false (pipe output to this process's stderr) }
 * Returns { child, pid, logs(), stop() }. stop() sends SIGTERM to the whole
 * group, then SIGKILL after 5 s; it resolves once the process exited.
 */
export async function startProcess(cmd, args = [], opts = {}) {
  const { env = {}, cwd, readyUrl, readyTimeoutMs = 60_000, echo = false } = opts;
  const child = spawn(cmd, args, {
    cwd,
    env: { ...process.env, ...env },
    detached: true, // new process group: stop() reaches grandchildren too
    stdio: ["ignore", "pipe", "pipe"],
  });
  live.add(child);
  let output = "";
  const keep = (chunk) => {
    output = (output + chunk.toString()).slice(-64 * 1024);
    if (echo) process.stderr.write(chunk);
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  let exited = false;
  const exitPromise = new Promise((ok) =>
    child.once("exit", (code, signal) => {
      exited = true;
      live.delete(child);
      ok({ code, signal });
    }),
  );
  const spawnError = new Promise((_, fail) => child.once("error", fail));

  const stop = async (graceMs = 5_000) => {
    if (exited) return exitPromise;
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {}
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {}
    }, graceMs);
    const res = await exitPromise;
    clearTimeout(timer);
    return res;
  };

  const handle = { child, pid: child.pid, logs: () => output, stop, exited: exitPromise };
  if (readyUrl) {
    try {
      await Promise.race([
        waitForHttp(readyUrl, { timeoutMs: readyTimeoutMs, isAlive: () => !exited }),
        spawnError,
      ]);
    } catch (err) {
      await stop(1_000);
      throw new Error(`${cmd} ${args.join(" ")}: ${err.message}\n--- output ---\n${output}`);
    }
  }
  return handle;
}
