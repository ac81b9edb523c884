#!/usr/bin/env bash
# Installs everything this project needs on a fresh machine, idempotently:
# the pinned Deno (from the npm registry, into .tools/ so `deno compile` never embeds it)
# and the npm dependencies recorded in package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/.."
DENO_VERSION=2.9.6
deno_bin=.tools/node_modules/.bin/deno
if [ ! -x "$deno_bin" ] || [ "$("$deno_bin" --version 2>/dev/null | head -n1 | cut -d' ' -f2)" != "$DENO_VERSION" ]; then
  npm install --no-save --no-audit --no-fund --prefix .tools "deno@$DENO_VERSION" >&2
fi
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund >&2
fi
