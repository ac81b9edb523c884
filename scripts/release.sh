#!/usr/bin/env bash
# Builds the release tarballs teleport-pagerduty-v<version>-linux-<arch>-bin.tar.gz in dist/,
# for amd64 and arm64 (or the architectures given as arguments). Each holds
# teleport-pagerduty/{teleport-pagerduty, install, teleport-pagerduty.example.toml, README.md, LICENSE}.
#
# Builds from a clean export of HEAD with production npm dependencies only (so dev tools are not
# embedded in the binary) and stamps the git ref into src/version.ts there, never in this tree.
# Each architecture needs its denort (see scripts/compile.ts); a missing one fails before
# anything is built.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
deno="$root/.tools/node_modules/.bin/deno"
compile=("$deno" run --allow-run --allow-read --allow-write --allow-env scripts/compile.ts)
version="$(sed -n 's/^export const VERSION = "\(.*\)";$/\1/p' src/version.ts)"
git_ref="$(git describe --tags --always 2>/dev/null || echo unknown)"
archs=("$@")
[ ${#archs[@]} -gt 0 ] || archs=(amd64 arm64)

target_of() {
  case "$1" in
    amd64) echo x86_64-unknown-linux-gnu ;;
    arm64) echo aarch64-unknown-linux-gnu ;;
    *) echo "release: unknown architecture \"$1\": use amd64 or arm64" >&2; return 1 ;;
  esac
}

for arch in "${archs[@]}"; do
  "${compile[@]}" --check --target "$(target_of "$arch")"
done

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
git archive --format=tar HEAD | tar -x -C "$stage"
(cd "$stage" && npm ci --omit=dev --no-audit --no-fund >&2)
sed -i "s/^export const GIT_REF = \".*\";$/export const GIT_REF = \"$git_ref\";/" "$stage/src/version.ts"
mkdir -p "$root/dist"
(cd "$stage" && "$deno" run main.ts configure) > "$stage/example.toml"

for arch in "${archs[@]}"; do
  name="teleport-pagerduty-v$version-linux-$arch-bin"
  pkg="$stage/pkg/$arch/teleport-pagerduty"
  mkdir -p "$pkg"
  (cd "$stage" && "${compile[@]}" --target "$(target_of "$arch")" --output "$pkg/teleport-pagerduty")
  cp "$stage/scripts/install.sh" "$pkg/install"
  cp "$stage/example.toml" "$pkg/teleport-pagerduty.example.toml"
  cp "$stage/README.md" "$stage/LICENSE" "$pkg/"
  tar -C "$stage/pkg/$arch" -czf "$root/dist/$name.tar.gz" teleport-pagerduty
  (cd "$root/dist" && sha256sum "$name.tar.gz" > "$name.tar.gz.sha256")
  echo "release: dist/$name.tar.gz"
done
