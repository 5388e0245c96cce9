#!/usr/bin/env bash
# The Python reference implementations the black-box tests compare against (python-dateutil
# for RFC 5545 recurrence, tests/pyref/), in a virtual environment of their own.
#
#   scripts/pyref.sh python    install if needed (python3 -m venv, pip install -r
#                              tests/pyref/requirements.txt), then print the interpreter's path
#
# The meetings tests call this themselves. Without python3 (or its venv module) they are
# skipped loudly, except under CI=true, where this script installs python3-venv with apt-get
# when it can and the tests fail if it still cannot.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
REF="$ROOT/tests/pyref"
VENV="$REF/.venv"

install() {
  command -v python3 >/dev/null || { echo "pyref.sh: python3 is not installed" >&2; return 1; }
  exec 9>"$REF/.install.lock"
  if command -v flock >/dev/null; then flock 9; fi
  local want have=""
  want=$(sha256sum "$REF/requirements.txt" | cut -d' ' -f1)
  [ -f "$VENV/.stoa-req-sha256" ] && have=$(cat "$VENV/.stoa-req-sha256")
  if [ "$want" != "$have" ] || [ ! -x "$VENV/bin/python" ]; then
    echo "pyref.sh: installing the reference implementations (pip in $VENV)" >&2
    rm -rf "$VENV"
    if ! python3 -m venv "$VENV" >&2 2>&1; then
      rm -rf "$VENV"
      if [ "${CI:-}" = "true" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >&2
        python3 -m venv "$VENV" >&2
      else
        echo "pyref.sh: python3 -m venv failed (install python3-venv)" >&2
        return 1
      fi
    fi
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REF/requirements.txt" >&2
    echo "$want" >"$VENV/.stoa-req-sha256"
  fi
  exec 9>&-
}

case "${1:-}" in
python)
  install
  echo "$VENV/bin/python"
  ;;
*)
  echo "usage: scripts/pyref.sh python" >&2
  exit 2
  ;;
esac
