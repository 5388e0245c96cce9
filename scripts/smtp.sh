#!/usr/bin/env bash
# A real SMTP sink for the test suite: `aiosmtpd` (PyPI), which stores every mail it receives in
# a Maildir. The tests start one per test on a free loopback port and read the mail from it.
#
#   scripts/smtp.sh python        install aiosmtpd if needed; print the Python that has it
#   scripts/smtp.sh serve PORT DIR run a sink on 127.0.0.1:PORT writing to the Maildir DIR
set -euo pipefail

VENV="${STOA_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/stoa-tools}/venv-smtp"

python_bin() {
  mkdir -p "$(dirname "$VENV")"
  # Parallel tests ask at once: one installs, the others wait for it.
  exec 9>"$VENV.lock"
  if command -v flock >/dev/null; then flock 9; fi
  if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import aiosmtpd' 2>/dev/null; then
    echo "smtp.sh: installing aiosmtpd into $VENV" >&2
    rm -rf "$VENV"
    python3 -m venv "$VENV" >&2
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check 'aiosmtpd>=1.4,<2' >&2
  fi
  exec 9>&-
  echo "$VENV/bin/python"
}

case "${1:-}" in
  python) python_bin ;;
  serve)
    port=${2:?port}; dir=${3:?maildir}
    mkdir -p "$dir/tmp" "$dir/new" "$dir/cur"
    exec "$(python_bin)" -m aiosmtpd -n -l "127.0.0.1:$port" -c aiosmtpd.handlers.Mailbox "$dir"
    ;;
  *) echo "usage: $0 python | serve PORT DIR" >&2; exit 2 ;;
esac
