#!/usr/bin/env bash
# Installs everything this project needs on a fresh machine, idempotently:
# the pinned Deno (from the npm registry, into .tools/ so `deno compile` never embeds it),
# the npm dependencies recorded in package-lock.json, and the pinned Helm (built from the Go
# module proxy into .tools/bin/, for the chart's tests). Each step is skipped when what it
# installs is already there at the pinned version.
#
# Needs Node.js 20 or newer with npm, and Go (on PATH or in /usr/local/go) for Helm.
set -euo pipefail
cd "$(dirname "$0")/.."
DENO_VERSION=2.9.6
HELM_VERSION=v3.21.4
deno_bin=.tools/node_modules/.bin/deno
if [ ! -x "$deno_bin" ] || [ "$("$deno_bin" --version 2>/dev/null | head -n1 | cut -d' ' -f2)" != "$DENO_VERSION" ]; then
  npm install --no-save --no-audit --no-fund --prefix .tools "deno@$DENO_VERSION" >&2
fi
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund >&2
fi
helm_bin=.tools/bin/helm
if [ ! -x "$helm_bin" ] || [ "$("$helm_bin" version --template '{{.Version}}' 2>/dev/null)" != "$HELM_VERSION" ]; then
  go_bin="$(command -v go || echo /usr/local/go/bin/go)"
  if [ ! -x "$go_bin" ]; then
    echo "bootstrap: building Helm $HELM_VERSION for the chart's tests needs Go: install it (go.dev/dl) or put it on PATH." >&2
    exit 1
  fi
  echo "bootstrap: building Helm $HELM_VERSION into $helm_bin (a few minutes, once)" >&2
  # The version is stamped so the check above can recognise the build next time.
  CGO_ENABLED=0 GOBIN="$PWD/.tools/bin" "$go_bin" install -trimpath \
    -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION" \
    "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" >&2
fi
