# How the shipped signer WASM is compiled (both modules, and the bench's
# build of them): sourced, after scripts/lib.sh, by scripts/build.sh;
# bench/run.mjs runs its `signer_cargo` too. Not run on its own.
#
# The standard library is rebuilt from source for the WASM (`-Zbuild-std`,
# at the `wasm` profile's size-first opt-levels, with std's
# `optimize_for_size`), and a panic traps at once (`-Cpanic=immediate-abort`)
# without std's panic machinery: no hook, no message formatting, no
# locations (`-Zlocation-detail=none`). On wasm32-unknown-unknown a panic
# already trapped: std's hook wrote its message to a stderr that goes
# nowhere, so users see the same trap as before. Together −21.5 KB gzip on
# the first module (bench/SIZE.md, "std built for size").
#
# These are unstable flags of the stable toolchain, enabled with
# RUSTC_BOOTSTRAP=1 for these builds only (never for the services, the
# tests or clippy, which use the toolchain as it is). -Zbuild-std needs the
# rust-src component (scripts/setup.sh installs it).
#
# RUSTFLAGS replaces .cargo/config.toml's flags for the target, so the
# WebAssembly SIMD flag is repeated here.
SIGNER_RUSTFLAGS="-C target-feature=+simd128 -Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none"

SIGNER_BUILD_STD="-Zbuild-std=std,panic_abort -Zbuild-std-features=optimize_for_size"

# The target folder of the shipped build (scripts/build.sh; the WASM is
# $SIGNER_TARGET/wasm32-unknown-unknown/wasm/keyframe_signer.wasm).
SIGNER_TARGET="$ROOT/target/signer"

# `signer_cargo <target folder> <subcommand> <args…>`: cargo for a shipped
# signer build, with the flags above and std built from source, in a target
# folder of its own. The folder is emptied when the flags change: std built
# under other flags stays beside the new one in its `deps`, and rustc then
# refuses the second `core` it finds ("duplicate lang item").
signer_cargo() {
  local dir="$1" sub="$2"
  shift 2
  local stamp="$SIGNER_RUSTFLAGS $SIGNER_BUILD_STD"
  if [ -d "$dir" ] && [ "$(cat "$dir/.signer-flags" 2>/dev/null)" != "$stamp" ]; then
    say "the signer's build flags changed: emptying $dir"
    rm -rf "$dir"
  fi
  mkdir -p "$dir"
  printf '%s' "$stamp" > "$dir/.signer-flags"
  # shellcheck disable=SC2086 # SIGNER_BUILD_STD is two flags
  RUSTC_BOOTSTRAP=1 RUSTFLAGS="$SIGNER_RUSTFLAGS" cargo "$sub" $SIGNER_BUILD_STD \
    --target-dir "$dir" "$@"
}

# binaryen's wasm-opt on a module after wasm-bindgen (both shipped modules
# and the bench's build of them). Only passes that make the gzip'd module
# smaller: identical functions merged (Rust's monomorphized copies that
# LLVM's own merging left), what nothing reaches removed, branches and
# tails folded, the target-features section (read by wasm-bindgen, before
# this) dropped. Its `-O` levels make the module smaller raw but larger
# gzip'd, as they reorder locals and code that gzip had found alike
# (bench/SIZE.md, "wasm-opt, passes chosen one by one"). The npm
# `binaryen` package, pinned in package.json: Debian's wasm-opt 108 breaks
# the module (docs/toolchain.md).
SIGNER_WASM_OPT_PASSES=(
  --duplicate-function-elimination --remove-unused-module-elements
  --remove-unused-brs --code-folding
  --duplicate-function-elimination --remove-unused-module-elements
  --strip-target-features
)

# `signer_wasm_opt <module.wasm>`: the passes above, in place.
signer_wasm_opt() {
  "$ROOT/node_modules/.bin/wasm-opt" "${SIGNER_WASM_OPT_PASSES[@]}" "$1" -o "$1"
}
