// Every figure `bench/run.mjs` writes to results.json (key → label), and the
// docs/architecture.md §5 budgets checked against them. The smoke test
// (tests/bench-smoke.test.mjs) checks that a run produced each one.

export const SIGN_KINDS = ["personal_sign", "eth_signTypedData_v4", "eth_signTransaction", "solana_signMessage"];

export const FIGURES = {
  "ready.iframe": "iFrame ready: navigation of a fresh iFrame → `ready` (ms)",
  "ready.blank": "ceiling: a plain static page of the same origin in an iframe → `load` (ms)",
  "rtt.ping": "bare round trip through the SDK (`keyframe_ping`) (ms)",
  "rtt.fetch": "loopback fetch from inside the iFrame (`GET /healthz`) (ms)",
  ...Object.fromEntries(SIGN_KINDS.flatMap((k) => [
    [`consent.${k}.painted`, `${k}: the page's request → the approval screen painted in the iFrame (ms)`],
    [`sign.${k}.e2e`, `${k} end to end, the machine path: the click on Approve → the answer in the page, refresh excluded (ms)`],
    [`sign.${k}.dispatch`, `${k} inside the iFrame: the click on Approve → answer posted (incl. IndexedDB read + hot share fetch) (ms)`],
    [`sign.${k}.compute`, `${k} inside the WASM: rebuild from two shares + sign + next split (ms)`],
    [`sign.${k}.backToBack`, `${k}: the page's request → the answer, approved by a click (includes the 800 ms visibility wait) (ms)`],
    [`sign.${k}.refresh`, `${k}: the refresh after the answer (ms)`],
    [`sign.${k}.policy`, `${k}: the policy's evaluation in the iFrame before the key (operator policy + user rules, signature check) (ms)`],
    [`sign.${k}.policyFetch`, `${k}: the same with its GET /v2/policy (ms)`],
    [`core.${k}.rebuildSign`, `raw core (same browser, no I/O): rebuild from two shares + sign + next split (ms)`],
    [`core.${k}.signOnly`, `raw core (same browser, no I/O): sign with a derived key (ms)`],
  ])),
  "core.step.seed": "raw core: the BIP-39 seed (PBKDF2-HMAC-SHA512 × 2048), once (ms)",
  "core.step.evmKey": "raw core: seed + BIP-32 derivation of the EVM key (ms)",
  "core.step.solanaKey": "raw core: seed + SLIP-0010 derivation of the Solana key (ms)",
  "core.step.combine": "raw core: Shamir combine + the address check (derives both keys) (ms)",
  "refresh.requests": "HTTP requests of one refresh (per signature)",
  "refresh.bytes": "bytes on the wire of one refresh (headers + bodies, both directions)",
  "sign.requests": "HTTP requests on the latency path of one signature",
  "recovery.password": "`keyframe_recover` with a password on a new device, the click on Approve (password typed in the iFrame) → the answer (ms)",
  "recovery.automatic": "`keyframe_recover` with the dApp's recovery key on a new device (ms)",
  "recovery.file": "`keyframe_recover` from a backup file on a new device (no Shield), the click on Approve (file picked and password typed in the iFrame) → the answer (ms)",
  "core.argon2": "raw Argon2id open of a password-sealed share (64 MiB, t=3, p=1) (ms)",
  "core.unsealKey": "raw AES-GCM open of a key-sealed share (ms)",
  "size.iframe.bytes": "what the iFrame loads (bytes)",
  "size.iframe.gzip": "what the iFrame loads (gzip -9 bytes)",
  "size.wasm.gzip": "keyframe_signer_bg.wasm (gzip -9 bytes)",
  "size.sdk.bytes": "host SDK bundle keyframe-sdk.min.js (bytes)",
  "size.sdk.gzip": "host SDK bundle keyframe-sdk.min.js (gzip -9 bytes)",
  "size.wagmi.gzip": "wagmi connector keyframe-wagmi.min.js, its peers external (gzip -9 bytes)",
  "dpop.verify": "checking one DPoP proof in hot storage: ES256 signature (ring) and claims, without the replay record (µs; `hot-storage-service measure-dpop`)",
  ...Object.fromEntries(["sqlite", "postgres"].flatMap((db) => [
    [`load.${db}.recover.rps`, `POST /v2/devices/recover, ${db}: requests/s`],
    [`load.${db}.recover.p50`, `POST /v2/devices/recover, ${db}: p50 latency (ms)`],
    [`load.${db}.recover.p99`, `POST /v2/devices/recover, ${db}: p99 latency (ms)`],
    [`load.${db}.recover.errors`, `POST /v2/devices/recover, ${db}: errors (socket + non-2xx)`],
    [`load.${db}.recover.rssMiB`, `POST /v2/devices/recover, ${db}: peak resident memory (MiB)`],
    [`load.${db}.healthz.rps`, `ceiling: GET /healthz, same process and load, ${db}: requests/s`],
    [`load.${db}.healthz.p99`, `ceiling: GET /healthz, same process and load, ${db}: p99 latency (ms)`],
  ])),
};
