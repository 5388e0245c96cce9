#!/usr/bin/env bash
# Headless Chromium for the admin console's end-to-end tests: Debian's `chromium` package (driven
# by playwright-core; no browser is ever downloaded). Installs it when missing (needs root and
# apt), then prints its path. Exit 1 when it cannot be had.
set -euo pipefail
BIN=${STOA_CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$BIN" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "chromium.sh: installing Debian's chromium" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >&2
  else
    echo "chromium.sh: $BIN is missing; install it with: apt-get install -y --no-install-recommends chromium" >&2
    exit 1
  fi
fi
echo "$BIN"
