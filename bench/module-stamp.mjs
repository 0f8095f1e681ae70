// When the bench's signer module (target/wasm-bench) must be rebuilt.
import { existsSync, statSync } from "node:fs";

/**
 * Whether the module built from `wasm` is current: `done`, written once its
 * wasm-opt passes succeeded, is there and no older than `wasm` (cargo's
 * output). The module file's own time cannot tell: wasm-bindgen writes it
 * before the passes run, so a run whose passes failed left it newer than
 * `wasm` without them.
 */
export function benchModuleCurrent(wasm, done) {
  return existsSync(done) && statSync(done).mtimeMs >= statSync(wasm).mtimeMs;
}
