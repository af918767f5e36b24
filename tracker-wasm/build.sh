#!/usr/bin/env bash
# Builds the tracker bundle: tracker-wasm/pkg/spur.js (the tracker, its wasm module
# inside) and tracker-wasm/pkg/spur-widgets.js (the rating widgets, theirs inside), each
# also compressed as the collector serves it (`.br`, `.gz`), and prints (and writes to
# pkg/sizes.json) their raw, gzip and brotli sizes.
#
#   tracker-wasm/build.sh          # from any directory
#
# Needs: cargo (rustup with the wasm32-unknown-unknown target and rust-src, or else Debian's
# rustc-web + rust-web-src + lld, see the wasm toolchain notes), wasm-bindgen-cli at
# the version pinned in the root Cargo.toml, node + npm (wasm-opt and terser come from
# npm, pinned in tracker-wasm/package-lock.json).
#
# Steps: npm ci (when needed) -> dependency guard -> cargo build (profile `wasm`)
# -> wasm-bindgen --target no-modules -> wasm-opt -Oz -> short import and export names
# and one entry point (js/glue.js) -> one IIFE of glue + loader -> terser
# -> the module's bytes written into it (js/inline.js) -> sizes.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
pkg="$here/pkg"
bin="$here/node_modules/.bin"
target=wasm32-unknown-unknown

say() { printf 'build.sh: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# --- npm tools (wasm-opt from binaryen, terser) --------------------------------
# Reinstall when node_modules is missing or was installed from another lock file.
lock_sum="$(sha256sum "$here/package-lock.json" | cut -c1-64)"
stamp="$here/node_modules/.spur-lock-sha256"
if [[ ! -x "$bin/wasm-opt" || ! -x "$bin/terser" || "$(cat "$stamp" 2>/dev/null)" != "$lock_sum" ]]; then
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
# Without reference types (on by default since Rust 1.82), wasm-bindgen keeps the JS
# values a module holds in an array of its glue rather than in a table of the module:
# no slot allocator and no shim per export that takes a JS value in the module, a few
# lines more of glue. −459 B brotli on every page, −833 B with a widget, and no
# measurable cost per call (the tracker benchmark).
cargo_env=(RUSTC_BOOTSTRAP=1
  "RUSTFLAGS=-Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none -Zfmt-debug=none -Ctarget-feature=-reference-types")
cargo_args=(build --profile wasm --target "$target" -p spur-tracker -p spur-widgets
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
# Every page pays for the core's crates, every page with a widget for the widgets':
# no serde, no web-sys (each module's host is hand-written JS, see src/host.rs and
# widgets/src/host.rs), no closures crate.
for crate in spur-tracker spur-widgets; do
  tree="$(cd "$root" && env "${cargo_env[@]}" "$cargo" tree -p "$crate" --target "$target" -e normal --prefix none)"
  if forbidden="$(grep -E '^(serde|serde_json|serde-wasm-bindgen|web-sys|gloo|gloo-events|gloo-timers|console_error_panic_hook|wee_alloc) ' <<<"$tree")"; then
    die "forbidden crates in $crate's wasm dependencies: $(tr '\n' ' ' <<<"$forbidden")"
  fi
done

# --- compile ----------------------------------------------------------------------
(cd "$root" && env "${cargo_env[@]}" CARGO_TARGET_DIR="$target_dir" "$cargo" "${cargo_args[@]}")
out="$target_dir/$target/wasm"
for f in spur_tracker spur_widgets; do
  [[ -f "$out/$f.wasm" ]] || die "cargo did not produce $out/$f.wasm"
done

# --- wasm-bindgen (its CLI version must equal the crate's exact pin) -------------
pinned="$(sed -nE 's/^wasm-bindgen *= *"=([0-9.]+)".*/\1/p' "$root/Cargo.toml")"
have="$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" || true
[[ -n "$pinned" && "$have" == "$pinned" ]] || die "wasm-bindgen CLI ${have:-missing}, crate pinned to ${pinned:-?} (cargo install wasm-bindgen-cli --version $pinned)"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# The features rustc's wasm32 target enables by default but reference types (see
# RUSTFLAGS above), named: with `-all`, binaryen 132 also *emits* encodings browsers do
# not load yet (compact imports, exact heap types), and the target-features section is
# gone after wasm-bindgen.
features=(--enable-bulk-memory --enable-bulk-memory-opt --enable-multivalue
  --enable-mutable-globals --enable-nontrapping-float-to-int --enable-sign-ext)
mkdir -p "$pkg"

# bindgen CRATE NAME: wasm-bindgen (not stripped before: it needs the target-features
# section), then wasm-opt into $tmp/NAME.wasm; the glue is left in $tmp/NAME.js.
bindgen() {
  wasm-bindgen --target no-modules --no-typescript --out-dir "$tmp" --out-name "$2" "$out/$1.wasm"
  # --gufa: whole-program constant propagation (drops what a constant argument makes
  # dead); --zero-filled-memory: a fresh module's memory is zeros; --low-memory-unused:
  # the first 1 KB is the bottom of the stack (rustc links stack first), reached only by a
  # stack overflow, so pointer arithmetic can fold into load and store offsets.
  "$bin/wasm-opt" --gufa -Oz --converge --zero-filled-memory --low-memory-unused \
    "${features[@]}" --strip-debug --strip-producers \
    --strip-target-features "$tmp/$2_bg.wasm" -o "$tmp/$2_opt.wasm"
  # Short import and export names in the module and its glue, and one entry point in the
  # glue (js/glue.js says why).
  "$bin/wasm-opt" "${features[@]}" --minify-imports-and-exports-and-modules \
    "$tmp/$2_opt.wasm" -o "$tmp/$2.wasm" >"$tmp/$2.names.json"
  node "$here/js/glue.js" "$tmp/$2.names.json" "$tmp/$2.js"
}
bindgen spur_widgets spur-widgets
bindgen spur_tracker spur

# --- bundle -----------------------------------------------------------------------
# minify IN OUT: terser with its safe transforms only, three passes; each bundle is one
# function, so every name in it may be shortened (toplevel). Against esbuild --minify,
# −169 B brotli on spur.js. (Its `unsafe_*` options took up to 54 B more, for
# transforms that are right only for code that never, say, calls `new` on a function.)
minify() {
  "$bin/terser" "$1" --compress passes=3,toplevel=true --mangle toplevel=true \
    --comments false --output "$2"
}

# Each bundle is one function around its glue: the glue's `let wasm_bindgen` stays
# private, and the try/catch keeps even a failure at load time (an old browser, a
# Content-Security-Policy that blocks WebAssembly) out of the page. Its first act is the
# `spur:start` mark (the tracker benchmark's start; `spur:ready` is its end). Each module
# travels inside its bundle (js/inline.js), compiled synchronously by the glue: the
# widget bundle hands its started `wasm_bindgen` to the loader that fetched it
# (`spur._w`, see js/loader.js).
{
  printf '(function(){try{\n'
  cat "$tmp/spur-widgets.js"
  printf '\n'
  cat "$here/js/widgets.js"
  printf '\nwasm_bindgen("__SPUR_WASM_BYTES__");var s=window.spur;s&&s._w&&s._w(wasm_bindgen)\n}catch(e){}})();\n'
} >"$tmp/widgets.js"
minify "$tmp/widgets.js" "$pkg/spur-widgets.js"
node "$here/js/inline.js" "$pkg/spur-widgets.js" "$tmp/spur-widgets.wasm"

# The loader names the widget bundle by a hash of its content, so a new loader is never
# given an old cached widget bundle.
widgets_hash="$(sha256sum "$pkg/spur-widgets.js" | cut -c1-12)"
{
  printf '(function(){try{performance.mark("spur:start");\n'
  cat "$tmp/spur.js"
  printf '\n'
  sed -e "s/__SPUR_WIDGETS_HASH__/$widgets_hash/g" "$here/js/loader.js"
  printf '\n}catch(e){}})();\n'
} >"$tmp/bundle.js"
grep -q "__SPUR_WIDGETS_HASH__" "$tmp/bundle.js" && die "the widgets' hash was not substituted"
minify "$tmp/bundle.js" "$pkg/spur.js"
node "$here/js/inline.js" "$pkg/spur.js" "$tmp/spur.wasm"
# The modules on their own, for inspection (twiggy, wasm-objdump); never served.
mkdir -p "$target_dir/tracker-modules"
cp "$tmp/spur.wasm" "$tmp/spur-widgets.wasm" "$target_dir/tracker-modules/"
rm -f "$pkg/spur.wasm" "$pkg/spur-widgets.wasm"

# --- compressed copies, sizes and the byte budget ---------------------------------------
# The collector serves these `.br` and `.gz` files as they are: the sizes printed are
# the bytes a page downloads.
if ! node "$here/js/sizes.js" "$pkg" "$here/budget.json" >"$pkg/sizes.json.tmp"; then
  rm -f "$pkg/sizes.json.tmp"
  die "the bundle is over its byte budget (tracker-wasm/budget.json)"
fi
mv "$pkg/sizes.json.tmp" "$pkg/sizes.json"
say "wrote $pkg/spur.js and spur-widgets.js (v=$widgets_hash, with .br and .gz); the modules alone in $target_dir/tracker-modules/"
