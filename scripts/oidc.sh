#!/usr/bin/env bash
# A real OpenID Connect provider for the SSO tests: tests/oidc/provider.mjs (the npm package
# oidc-provider, plus a misbehaving provider under /rogue/<mode> for the negative suite), on
# loopback only, on a free port.
#
#   eval "$(scripts/oidc.sh start)"   install if needed (npm ci), start, wait until it answers;
#                                     prints STOA_TEST_OIDC_URL and STOA_OIDC_RUN for `stop`
#   scripts/oidc.sh stop [RUN_DIR]    stop that run (default: $STOA_OIDC_RUN), delete its state
#
# The black-box suite calls this itself, once per test that needs a provider (tests/suite/sso.rs),
# so every test has its own provider. Without Node.js the SSO tests are skipped loudly, except
# under CI=true, where they fail.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
APP="$ROOT/tests/oidc"
MARKER=stoa-oidc-run

install() {
  command -v node >/dev/null || { echo "oidc.sh: node is not installed" >&2; return 1; }
  command -v npm >/dev/null || { echo "oidc.sh: npm is not installed" >&2; return 1; }
  exec 9>"$APP/.install.lock"
  if command -v flock >/dev/null; then flock 9; fi
  # Reinstall when the lock file changed since the last install.
  local want have=""
  want=$(sha256sum "$APP/package-lock.json" | cut -d' ' -f1)
  [ -f "$APP/node_modules/.stoa-lock-sha256" ] && have=$(cat "$APP/node_modules/.stoa-lock-sha256")
  if [ "$want" != "$have" ]; then
    echo "oidc.sh: installing the test provider (npm ci in $APP)" >&2
    (cd "$APP" && npm ci --no-audit --no-fund --loglevel=error >&2)
    echo "$want" >"$APP/node_modules/.stoa-lock-sha256"
  fi
  exec 9>&-
}

stop_run() {
  local dir="$1" pid
  if [ ! -f "$dir/$MARKER" ]; then
    echo "oidc.sh: $dir is not an oidc.sh run directory; leaving it alone" >&2
    return 1
  fi
  if [ -f "$dir/pid" ]; then
    pid=$(cat "$dir/pid")
    # Only a process that is this run's provider (the pid may have been reused).
    if [ "$(cat "/proc/$pid/environ" 2>/dev/null | tr '\0' '\n' | grep -x "STOA_OIDC_RUN=$dir")" ]; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
  fi
  rm -rf "$dir"
}

case "${1:-}" in
start)
  install
  DIR="$(mktemp -d "${TMPDIR:-/tmp}/stoa-oidc.XXXXXX")"
  touch "$DIR/$MARKER"
  trap 'stop_run "$DIR"; exit 130' INT TERM HUP
  STOA_OIDC_RUN="$DIR" PORT=0 nohup node "$APP/provider.mjs" </dev/null >"$DIR/provider.log" 2>&1 &
  echo $! >"$DIR/pid"
  pid=$!
  for _ in $(seq 1 300); do
    url=$(grep -o 'oidc provider listening on http://127\.0\.0\.1:[0-9]*' "$DIR/provider.log" | grep -o 'http://.*' || true)
    if [ -n "$url" ]; then
      echo "export STOA_TEST_OIDC_URL=$url STOA_OIDC_RUN=$DIR"
      exit 0
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  echo "oidc.sh: the provider did not start; its log:" >&2
  tail -20 "$DIR/provider.log" >&2 || true
  stop_run "$DIR" || true
  exit 1
  ;;
stop)
  if [ $# -ge 2 ]; then RUN="$2"; else RUN="${STOA_OIDC_RUN:-}"; fi
  [ -z "$RUN" ] && exit 0
  stop_run "$RUN"
  ;;
*)
  echo "usage: $0 start | stop [RUN_DIR]" >&2
  exit 2
  ;;
esac
