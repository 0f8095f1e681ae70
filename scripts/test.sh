#!/usr/bin/env bash
# Runs every test: native Rust (signer core, services against SQLite and a
# throwaway PostgreSQL), the signer core as wasm32 in Node, then the
# end-to-end browser tests against release builds.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

say "native tests (all crates)"
cargo test --workspace

say "signer core as wasm32 (wasm-bindgen-test in Node)"
cargo test -p keyframe-signer --target wasm32-unknown-unknown --test wasm

bash scripts/build.sh

if ls tests/*.test.mjs >/dev/null 2>&1; then
  say "end-to-end tests (headless Chromium)"
  node --test --test-concurrency=1 tests/
fi
say "all tests passed"
