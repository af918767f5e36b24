#!/usr/bin/env bash
# Builds the dashboard's chart bundle: www/dashboard/build/charts.js from www/charts/
# and ECharts (npm, pinned in www/package-lock.json), minified by esbuild.
#
#   www/build.sh          # from any directory; needs node + npm
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bin="$here/node_modules/.bin"
say() { printf 'www/build.sh: %s\n' "$*" >&2; }

# Reinstall when node_modules is missing or was installed from another lock file.
lock_sum="$(sha256sum "$here/package-lock.json" | cut -c1-64)"
stamp="$here/node_modules/.spur-lock-sha256"
if [[ ! -x "$bin/esbuild" || "$(cat "$stamp" 2>/dev/null)" != "$lock_sum" ]]; then
  say "npm ci"
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
  printf '%s\n' "$lock_sum" >"$stamp"
fi

mkdir -p "$here/dashboard/build"
"$bin/esbuild" "$here/charts/index.js" --bundle --minify --format=iife --target=es2018 \
  --legal-comments=eof --log-level=warning --outfile="$here/dashboard/build/charts.js"
say "wrote dashboard/build/charts.js ($(wc -c <"$here/dashboard/build/charts.js") bytes)"
