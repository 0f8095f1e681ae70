#!/usr/bin/env bash
# Runs every test: the lint gates (rustfmt, clippy for native and wasm32,
# tsc --strict), native Rust (signer core, services against SQLite and a
# throwaway PostgreSQL), the signer core as wasm32 in Node, then the
# end-to-end browser tests: the signer WASM as it ships (release), the
# services as `cargo test` built them (target/debug), so the native
# dependency tree is compiled once. Each stage reports its duration, and the
# total is printed at the end.
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

stage "lint: vendored crates are the published ones with their patches" \
  node scripts/check-vendor.mjs
stage "lint: rustfmt" cargo fmt --all --check
stage "lint: clippy (native, all targets)" \
  cargo clippy --workspace --all-targets -- -D warnings
stage "lint: clippy (signer and policy, wasm32)" \
  cargo clippy -p keyframe-signer -p keyframe-policy --target wasm32-unknown-unknown --all-targets -- -D warnings
stage "lint: clippy (signer as the first module, wasm32, no default features)" \
  cargo clippy -p keyframe-signer --target wasm32-unknown-unknown --no-default-features --all-targets -- -D warnings
stage "lint: tsc --strict (host SDK)" \
  node node_modules/typescript/bin/tsc -p iframe-host/sdk/tsconfig.json --noEmit

stage "native tests (all crates)" cargo test --workspace
# The iFrame's first module is built without `all-methods`
# (scripts/build.sh): its consent refuses the lifecycle's requests.
stage "signer core without default features (the first module's build)" \
  cargo test -p keyframe-signer --no-default-features --lib
stage "signer core as wasm32 (wasm-bindgen-test in Node; the memory scan)" \
  cargo test -p keyframe-signer --target wasm32-unknown-unknown --test wasm --test wipe
stage "release build (signer WASM, SDK)" bash scripts/build.sh --no-services
# The services' binaries of the `cargo test` stage, checked to exist so a
# stale release build is never picked up instead.
for bin in hot-storage-service shield-service sample-dapp; do
  if [ ! -x "target/debug/$bin" ]; then
    say "target/debug/$bin is missing after cargo test"
    exit 1
  fi
done
export KEYFRAME_SERVICES_PROFILE=debug
if ls tests/*.test.mjs >/dev/null 2>&1; then
  stage "end-to-end tests (headless Chromium)" \
    node --test --test-concurrency=1 tests/
fi

say "durations per stage"
printf '%s\n' "${STAGES[@]}" >&2
say "all tests passed in $((SECONDS - T0))s"
