#!/usr/bin/env bash
# Builds everything in release mode: the signer WASM (into iframe-host/pkg),
# the host SDK (into iframe-host/sdk/dist), and the Rust services.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

say "building the signer for wasm32"
cargo build --release -p keyframe-signer --target wasm32-unknown-unknown
rm -rf iframe-host/pkg
wasm-bindgen --target web --no-typescript --out-dir iframe-host/pkg \
  --remove-name-section --remove-producers-section \
  target/wasm32-unknown-unknown/release/keyframe_signer.wasm
# npm's binaryen, never Debian's (TOOLCHAIN.md pitfall 2).
if [ -x node_modules/.bin/wasm-opt ]; then
  node_modules/.bin/wasm-opt -Os --enable-bulk-memory --enable-nontrapping-float-to-int \
    --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue \
    iframe-host/pkg/keyframe_signer_bg.wasm -o iframe-host/pkg/keyframe_signer_bg.wasm
fi

if [ -f iframe-host/sdk/tsconfig.json ]; then
  say "building the host SDK"
  node iframe-host/sdk/build.mjs
fi

say "bundling the sample dApp's signature verifiers"
node_modules/.bin/esbuild sample-dapp/web/src/verify.mjs --bundle --format=esm --minify \
  --log-level=warning --outfile=sample-dapp/web/verify.js

say "building the services"
cargo build --release -p hot-storage-service -p sample-dapp
say "build complete"
