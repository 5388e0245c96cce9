#!/usr/bin/env bash
# The admin console (admin-web/): install, build, check and test it.
#
#   scripts/console.sh build   npm ci (when the lock changed) + vite build into admin-web/dist,
#                              which the stoa binary embeds; without Node.js it says how to get it
#   scripts/console.sh check   generated API types match openapi/stoa.yaml, typecheck, lint, unit tests
#   scripts/console.sh e2e BIN end-to-end tests in headless Debian chromium against the binary BIN
#   scripts/console.sh api     regenerate admin-web/src/api/schema.d.ts from openapi/stoa.yaml
#
# Without Node.js, build/check/e2e print a loud message and exit 0, except under CI=true where
# they fail.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
APP="$ROOT/admin-web"

no_node() {
  if [ "${CI:-}" = "true" ]; then
    echo "!!! Node.js 20+ and npm are required under CI=true for the admin console" >&2
    exit 1
  fi
  echo "!!! Node.js/npm not found: the admin console is NOT built or tested." >&2
  echo "!!! Install Node.js 20+ with npm (e.g. apt-get install nodejs npm) and run make again;" >&2
  echo "!!! a binary built without it answers /admin with a page that says how to build it." >&2
  exit 0
}

have_node() { command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; }

install() {
  exec 9>"$APP/.install.lock"
  if command -v flock >/dev/null; then flock 9; fi
  local want have=""
  want=$(sha256sum "$APP/package-lock.json" | cut -d' ' -f1)
  [ -f "$APP/node_modules/.stoa-lock-sha256" ] && have=$(cat "$APP/node_modules/.stoa-lock-sha256")
  if [ "$want" != "$have" ]; then
    echo "console: npm ci in admin-web" >&2
    (cd "$APP" && npm ci --no-audit --no-fund --loglevel=error >&2)
    echo "$want" >"$APP/node_modules/.stoa-lock-sha256"
  fi
  exec 9>&-
}

cmd=${1:-}
case "$cmd" in
  build)
    have_node || no_node
    install
    (cd "$APP" && npm run --silent build)
    ;;
  check)
    have_node || no_node
    install
    (cd "$APP" && npm run --silent check:api && npm run --silent typecheck && npm run --silent lint && npm run --silent test)
    ;;
  e2e)
    have_node || no_node
    bin=${2:?usage: console.sh e2e PATH/TO/stoa}
    install
    chromium=$("$ROOT/scripts/chromium.sh") || {
      if [ "${CI:-}" = "true" ]; then echo "!!! chromium is required under CI=true" >&2; exit 1; fi
      echo "!!! chromium is missing: the console's end-to-end tests are SKIPPED" >&2
      exit 0
    }
    [ -f "$APP/dist/index.html" ] || (cd "$APP" && npm run --silent build)
    (cd "$APP" && STOA_BIN="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")" STOA_CHROMIUM="$chromium" npm run --silent e2e)
    echo "console: screenshots in admin-web/e2e/artifacts/screenshots/"
    ;;
  api)
    have_node || { echo "Node.js is required to regenerate the console's API types" >&2; exit 1; }
    install
    (cd "$APP" && npm run --silent gen:api)
    ;;
  *)
    echo "usage: scripts/console.sh build|check|e2e BIN|api" >&2
    exit 2
    ;;
esac
