#!/bin/sh
# Installs the teleport-pagerduty binary shipped next to this script into $PREFIX/bin
# (PREFIX defaults to /usr/local). Ships as `install` in the release tarball.
set -eu
PREFIX="${PREFIX:-/usr/local}"
here="$(cd "$(dirname "$0")" && pwd)"
mkdir -p "$PREFIX/bin"
cp -f "$here/teleport-pagerduty" "$PREFIX/bin/teleport-pagerduty.tmp"
chmod 0755 "$PREFIX/bin/teleport-pagerduty.tmp"
# Rename into place so a running copy is never overwritten mid-file.
mv -f "$PREFIX/bin/teleport-pagerduty.tmp" "$PREFIX/bin/teleport-pagerduty"
echo "Installed $PREFIX/bin/teleport-pagerduty"
if [ ! -e /etc/teleport-pagerduty.toml ]; then
  echo "Next: $PREFIX/bin/teleport-pagerduty configure > /etc/teleport-pagerduty.toml (then edit it)"
fi
