#!/usr/bin/env bash
# Builds everything in release mode: the signer WASM (into iframe-host/pkg),
# the host SDK (into iframe-host/sdk/dist), and the Rust services.
#
# --no-services leaves the services out: `npm test` runs the ones its
# `cargo test` stage already built (target/debug, dependencies at opt-level
# 2), so the CI compiles the native dependency tree once, not twice.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/wasm-env.sh"
cd "$ROOT"

BUILD_SERVICES=1
for arg in "$@"; do
  case "$arg" in
    --no-services) BUILD_SERVICES=0 ;;
    *) echo "scripts/build.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

# The signer's two modules (signer-wasm/src/web/handover.rs): the second,
# with every method, into iframe-host/pkg-all; then the first, which the
# page loads, without the `all-methods` feature into iframe-host/pkg. Built
# in that order so target/signer/…/keyframe_signer.wasm is the first module, the
# one bench/wasm-size.mjs takes apart. Only the signer crate and the LTO
# step are built twice; the dependencies are the same.
signer_module() { # <pkg folder> [cargo flags…]
  local out="$1"
  shift
  # The `wasm` profile: the WASM's own (Cargo.toml says why it is at "z"
  # with its crypto at "s"; bench/SIZE.md); std rebuilt with it and panics
  # that trap at once (scripts/wasm-env.sh).
  signer_cargo "$SIGNER_TARGET" build --profile wasm -p keyframe-signer --target wasm32-unknown-unknown "$@"
  rm -rf "$out"
  wasm-bindgen --target web --no-typescript --out-dir "$out" \
    --remove-name-section --remove-producers-section \
    "$SIGNER_TARGET/wasm32-unknown-unknown/wasm/keyframe_signer.wasm"
  # wasm-opt with the passes that shrink it gzip'd (scripts/wasm-env.sh).
  signer_wasm_opt "$out/keyframe_signer_bg.wasm"
  # The glue JS minified in place (-2.0 KB gzip): names of its exports and
  # of the WASM's imports are properties and strings, which esbuild keeps.
  node_modules/.bin/esbuild "$out/keyframe_signer.js" --minify --format=esm \
    --log-level=warning --allow-overwrite --outfile="$out/keyframe_signer.js"
}
say "building the signer's second module (every method) for wasm32"
signer_module iframe-host/pkg-all
say "building the signer's first module for wasm32"
signer_module iframe-host/pkg --no-default-features
# What hot storage sends to a browser that accepts it: Brotli and gzip copies
# of the iFrame's page, script, style, WASMs and glue
# (hot-storage-service/src/static_files.rs).
node scripts/precompress.mjs iframe-host iframe-host/pkg iframe-host/pkg-all

if [ -f iframe-host/sdk/tsconfig.json ]; then
  say "building the host SDK"
  node iframe-host/sdk/build.mjs
  say "building the wagmi connector (tsc --strict)"
  node iframe-host/wagmi/build.mjs
fi

say "bundling the sample dApp's signature verifiers"
node_modules/.bin/esbuild sample-dapp/web/src/verify.mjs --bundle --format=esm --minify \
  --log-level=warning --outfile=sample-dapp/web/verify.js

if [ "$BUILD_SERVICES" = 1 ]; then
  say "building the services"
  cargo build --release -p hot-storage-service -p sample-dapp
fi
say "build complete"
