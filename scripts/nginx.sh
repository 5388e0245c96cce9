#!/usr/bin/env bash
# Debian's nginx, the load balancer of the multi-node tests (tests/tests/suite/multinode.rs).
# Installs it when missing (needs root and apt), then prints its path. Exit 1 when it cannot be
# had. The tests run their own nginx processes on loopback with a generated configuration; the
# package's own service is never started.
set -euo pipefail
BIN=${STOA_NGINX:-/usr/sbin/nginx}
if [ ! -x "$BIN" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "nginx.sh: installing Debian's nginx" >&2
    apt-get update -qq >&2
    # policy-rc.d: the package must not start (or try to start) its own service on port 80.
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx >&2 || {
      rm -f /usr/sbin/policy-rc.d; exit 1; }
    rm -f /usr/sbin/policy-rc.d
  else
    echo "nginx.sh: $BIN is missing; install it with: apt-get install -y --no-install-recommends nginx" >&2
    exit 1
  fi
fi
echo "$BIN"
