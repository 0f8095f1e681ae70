#!/usr/bin/env bash
# Runs every test: the lint gates (rustfmt, clippy for native and wasm32,
# tsc --strict), native Rust (signer core, services against SQLite and a
# throwaway PostgreSQL), the signer core as wasm32 in Node, then the
# end-to-end browser tests against release builds. Each stage reports its
# duration, and the total is printed at the end.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

STAGES=()
T0=$SECONDS
# stage NAME COMMAND…: runs the command, records how long it took.
stage() {
  local name="$1" start=$SECONDS
  shift
  say "$name"
  "$@"
  STAGES+=("$(printf '%5ds  %s' $((SECONDS - start)) "$name")")
}

stage "lint: rustfmt" cargo fmt --all --check
stage "lint: clippy (native, all targets)" \
  cargo clippy --workspace --all-targets -- -D warnings
stage "lint: clippy (signer, wasm32)" \
  cargo clippy -p keyframe-signer --target wasm32-unknown-unknown --all-targets -- -D warnings
stage "lint: tsc --strict (host SDK)" \
  node node_modules/typescript/bin/tsc -p iframe-host/sdk/tsconfig.json --noEmit

stage "native tests (all crates)" cargo test --workspace
stage "signer core as wasm32 (wasm-bindgen-test in Node)" \
  cargo test -p keyframe-signer --target wasm32-unknown-unknown --test wasm
stage "release build" bash scripts/build.sh
if ls tests/*.test.mjs >/dev/null 2>&1; then
  stage "end-to-end tests (headless Chromium)" node --test --test-concurrency=1 tests/
fi

say "durations per stage"
printf '%s\n' "${STAGES[@]}" >&2
say "all tests passed in $((SECONDS - T0))s"
