#!/usr/bin/env bash
# Builds the tracker bundle: tracker-wasm/pkg/spur.js + tracker-wasm/pkg/spur.wasm,
# and prints (and writes to pkg/sizes.json) their raw, gzip and brotli sizes.
#
#   tracker-wasm/build.sh          # from any directory
#
# Needs: cargo (rustup with the wasm32-unknown-unknown target and rust-src, or else Debian's
# rustc-web + rust-web-src + lld, see the wasm toolchain notes), wasm-bindgen-cli at
# the version pinned in the root Cargo.toml, node + npm (wasm-opt and esbuild come from
# npm, pinned in tracker-wasm/package-lock.json).
#
# Steps: npm ci (when needed) -> dependency guard -> cargo build (profile `wasm`)
# -> wasm-bindgen --target no-modules -> wasm-opt -Oz -> one IIFE of glue + loader,
# with the wasm's hash in its URL -> esbuild --minify -> sizes.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
pkg="$here/pkg"
bin="$here/node_modules/.bin"
target=wasm32-unknown-unknown

say() { printf 'build.sh: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# --- npm tools (wasm-opt from binaryen, esbuild) -------------------------------
# Reinstall when node_modules is missing or was installed from another lock file.
lock_sum="$(sha256sum "$here/package-lock.json" | cut -c1-64)"
stamp="$here/node_modules/.spur-lock-sha256"
if [[ ! -x "$bin/wasm-opt" || ! -x "$bin/esbuild" || "$(cat "$stamp" 2>/dev/null)" != "$lock_sum" ]]; then
  say "npm ci"
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
  printf '%s\n' "$lock_sum" >"$stamp"
fi

# --- choose the compiler route --------------------------------------------------
# Both routes build std for wasm from source (build-std, through RUSTC_BOOTSTRAP) so
# that a panic is a bare trap (immediate-abort: no unwinding or message code) and
# file names and Debug impls kept for panics are dropped: about 2.5 KB brotli.
# rustup with the wasm target and rust-src: its own compiler. Otherwise (no way to
# download the target here) Debian's rustc-web; its artifacts go to their own target
# dir so that they never mix with rustup's.
cargo_env=(RUSTC_BOOTSTRAP=1
  "RUSTFLAGS=-Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none -Zfmt-debug=none")
cargo_args=(build --profile wasm --target "$target" -p spur-tracker
  -Zbuild-std=std,panic_abort -Zbuild-std-features=optimize_for_size)
if command -v rustup >/dev/null \
  && rustup target list --installed 2>/dev/null | grep -qx "$target" \
  && rustup component list --installed 2>/dev/null | grep -q '^rust-src'; then
  route=rustup
  cargo=cargo
  target_dir="${CARGO_TARGET_DIR:-$root/target}"
else
  route=debian
  cargo=/usr/bin/cargo
  [[ -x /usr/bin/rustc && -x "$cargo" ]] || die "no wasm32 target and rust-src in rustup and no Debian rustc-web (apt-get install rustc-web cargo-web rust-web-src lld-22)"
  [[ -d "$(/usr/bin/rustc --print sysroot)/lib/rustlib/src/rust/library" ]] || die "Debian's rust-web-src is missing (apt-get install rust-web-src)"
  target_dir="$root/target/wasm"
  cargo_env+=(RUSTC=/usr/bin/rustc)
fi
say "compiler route: $route"

# --- guard: crates that must never be in the wasm dependency graph --------------
tree="$(cd "$root" && env "${cargo_env[@]}" "$cargo" tree -p spur-tracker --target "$target" -e normal --prefix none)"
if forbidden="$(grep -E '^(serde|serde_json|serde-wasm-bindgen|console_error_panic_hook|wee_alloc|gloo|gloo-timers) ' <<<"$tree")"; then
  die "forbidden crates in the tracker's wasm dependencies: $(tr '\n' ' ' <<<"$forbidden")"
fi

# --- compile ----------------------------------------------------------------------
(cd "$root" && env "${cargo_env[@]}" CARGO_TARGET_DIR="$target_dir" "$cargo" "${cargo_args[@]}")
wasm_in="$target_dir/$target/wasm/spur_tracker.wasm"
[[ -f "$wasm_in" ]] || die "cargo did not produce $wasm_in"

# --- wasm-bindgen (its CLI version must equal the crate's exact pin) -------------
pinned="$(sed -nE 's/^wasm-bindgen *= *"=([0-9.]+)".*/\1/p' "$root/Cargo.toml")"
have="$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" || true
[[ -n "$pinned" && "$have" == "$pinned" ]] || die "wasm-bindgen CLI ${have:-missing}, crate pinned to ${pinned:-?} (cargo install wasm-bindgen-cli --version $pinned)"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# Not stripped before this step: wasm-bindgen needs the target-features section.
wasm-bindgen --target no-modules --no-typescript --out-dir "$tmp" --out-name spur "$wasm_in"

# --- optimise, hash, bundle -------------------------------------------------------
mkdir -p "$pkg"
# The features rustc's wasm32 target enables by default, named: with `-all`, binaryen
# 132 also *emits* encodings browsers do not load yet (compact imports, exact heap
# types), and the target-features section is gone after wasm-bindgen.
features=(--enable-bulk-memory --enable-bulk-memory-opt --enable-call-indirect-overlong
  --enable-multivalue --enable-mutable-globals --enable-nontrapping-float-to-int
  --enable-reference-types --enable-sign-ext)
"$bin/wasm-opt" -Oz --converge "${features[@]}" --strip-debug --strip-producers \
  --strip-target-features "$tmp/spur_bg.wasm" -o "$pkg/spur.wasm"
hash="$(sha256sum "$pkg/spur.wasm" | cut -c1-12)"

# One function around glue + loader: the glue's `let wasm_bindgen` stays private, and
# the try/catch keeps even a glue failure at load time (an old browser) out of the page.
{
  printf '(function(){try{\n'
  cat "$tmp/spur.js"
  printf '\n'
  sed "s/__SPUR_WASM_HASH__/$hash/g" "$here/js/loader.js"
  printf '\n}catch(e){}})();\n'
} >"$tmp/bundle.js"
grep -q "__SPUR_WASM_HASH__" "$tmp/bundle.js" && die "the wasm hash was not substituted"
"$bin/esbuild" "$tmp/bundle.js" --minify --legal-comments=none --log-level=warning --outfile="$pkg/spur.js"

# --- sizes --------------------------------------------------------------------------
node "$here/js/sizes.js" "$pkg/spur.js" "$pkg/spur.wasm" >"$pkg/sizes.json.tmp"
mv "$pkg/sizes.json.tmp" "$pkg/sizes.json"
say "wrote $pkg/spur.js and $pkg/spur.wasm (v=$hash)"
