#!/usr/bin/env bash
# What the signer's WASM would weigh without some of its RPC methods: the
# measurement behind bench/SIZE.md's "What a second module can and cannot
# do". Each handler named is replaced by `session::ping` in a scratch
# worktree of HEAD (the product's tree is not touched), so fat LTO drops
# every byte only that handler reached; the module is built with the
# `wasm` profile and passed through wasm-bindgen as scripts/build.sh does.
#
#   bash bench/ab/size-without.sh wallet::export policy::activity
#   bash bench/ab/size-without.sh --rare            # the wallet lifecycle, simulator, activity log
#   bash bench/ab/size-without.sh --rare --solana   # ... and Solana's signing methods
#   bash bench/ab/size-without.sh --rare --solana --evm-tx-typed   # personal_sign only
#
# Prints the gzip -9 size of the module without them and, when
# scripts/build.sh has run, of the module with every method in
# iframe-host/pkg-all (the second module; iframe-host/pkg is the first,
# already without the lifecycle methods: signer-wasm/src/web/handover.rs).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

handlers=()
for arg in "$@"; do
  case "$arg" in
    --rare) handlers+=(wallet::create_wallet wallet::import_wallet wallet::recover wallet::list_devices
                       wallet::revoke_device wallet::export wallet::set_recovery wallet::download_backup
                       policy::simulate policy::activity) ;;
    --solana) handlers+=(signing::solana_sign_message signing::solana_sign_transaction) ;;
    --evm-tx-typed) handlers+=(signing::sign_typed_data signing::sign_transaction
                               signing::sign_transactions signing::eth_sign) ;;
    *::*) handlers+=("$arg") ;;
    *) echo "size-without.sh: not a handler (family::name) or preset: $arg" >&2; exit 2 ;;
  esac
done
[ "${#handlers[@]}" -gt 0 ] || { echo "size-without.sh: name at least one handler" >&2; exit 2; }

scratch="$(mktemp -d)"
trap 'git worktree remove --force "$scratch/tree" >/dev/null 2>&1 || true; rm -rf "$scratch"' EXIT
git worktree add --quiet --detach "$scratch/tree" HEAD
table="$scratch/tree/signer-wasm/src/web/methods/mod.rs"
for h in "${handlers[@]}"; do
  grep -qF "=> $h," "$table" || { echo "size-without.sh: no handler $h in the method table" >&2; exit 2; }
  sed -i "s/=> $h,/=> session::ping,/" "$table"
done

export CARGO_TARGET_DIR="$ROOT/target/size-without"
(cd "$scratch/tree" && cargo build --quiet --profile wasm -p keyframe-signer --target wasm32-unknown-unknown)
wasm-bindgen --target web --no-typescript --out-dir "$scratch/pkg" \
  --remove-name-section --remove-producers-section \
  "$CARGO_TARGET_DIR/wasm32-unknown-unknown/wasm/keyframe_signer.wasm"
without=$(gzip -9c "$scratch/pkg/keyframe_signer_bg.wasm" | wc -c)
echo "without ${handlers[*]}: keyframe_signer_bg.wasm $without B gzip -9"
if [ -f iframe-host/pkg-all/keyframe_signer_bg.wasm ]; then
  full=$(gzip -9c iframe-host/pkg-all/keyframe_signer_bg.wasm | wc -c)
  echo "with every method (iframe-host/pkg-all): $full B gzip -9; difference $((full - without)) B"
fi
