#!/usr/bin/env bash
# The build steps of the container image (deploy/Dockerfile), in one script that CI runs too,
# so that the image recipe cannot rot although no container engine runs in CI.
#
#   deploy/build.sh console DEST         build the admin console (admin-web/: npm ci, npm run
#                                        build) and copy its dist/ to DEST; without admin-web/
#                                        DEST stays empty and the binary is built without it
#   deploy/build.sh binary PROFILE DEST  build `stoa` with the cargo PROFILE (release in the
#                                        image) and lay out the runtime tree under DEST:
#                                        DEST/usr/local/bin/stoa and the empty DEST/var/lib/stoa;
#                                        with STOA_CONSOLE_DIST set (the console step's DEST),
#                                        its files are put in admin-web/dist first, to be embedded
#   deploy/build.sh check DEST           run the laid-out binary: version, the example
#                                        configuration it prints equals deploy/stoa.example.toml,
#                                        migrations on a scratch database, the health check
#   deploy/build.sh ci                   the same three steps as the image, with the dev profile
#
# CI runs `ci`: the same commands as the image but with the dev profile, because a release build
# in every CI run costs too much time; the image builds with `release`.
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "deploy/build.sh: $*" >&2; exit 1; }

console() {
  local dest=${1:?usage: deploy/build.sh console DEST}
  mkdir -p "$dest"
  if [ -f admin-web/package.json ]; then
    echo "building the admin console (admin-web/)"
    (cd admin-web && npm ci --prefer-offline --no-audit --no-fund && npm run build)
    [ -d admin-web/dist ] || die "npm run build made no admin-web/dist"
    cp -R admin-web/dist/. "$dest/"
  else
    echo "no admin-web/: the binary is built without the admin console"
  fi
}

binary() {
  local profile=${1:?usage: deploy/build.sh binary PROFILE DEST} dest=${2:?usage: deploy/build.sh binary PROFILE DEST}
  if [ -n "${STOA_CONSOLE_DIST:-}" ] && [ -d admin-web ] \
    && [ -n "$(ls -A "$STOA_CONSOLE_DIST" 2>/dev/null)" ] \
    && [ "$(cd "$STOA_CONSOLE_DIST" && pwd -P)" != "$(cd admin-web && pwd -P)/dist" ]; then
    rm -rf admin-web/dist
    mkdir -p admin-web/dist
    cp -R "$STOA_CONSOLE_DIST/." admin-web/dist/
  fi
  # The binary's path comes from cargo itself: the target directory may be anywhere
  # (CARGO_TARGET_DIR, a wrapper, a cache mount).
  local built
  built=$(cargo build --locked --profile "$profile" -p stoa-server --bin stoa \
      --message-format=json-render-diagnostics \
    | sed -n 's/.*"executable":"\([^"]*\/stoa\)".*/\1/p' | tail -1)
  [ -n "$built" ] && [ -x "$built" ] || die "cargo built no stoa binary"
  install -d "$dest/usr/local/bin" "$dest/var/lib/stoa"
  chmod 0700 "$dest/var/lib/stoa"
  install -m 0755 "$built" "$dest/usr/local/bin/stoa"
}

check() {
  local dest=${1:?usage: deploy/build.sh check DEST}
  local bin=$dest/usr/local/bin/stoa scratch
  [ -x "$bin" ] || die "$bin is missing: run the binary step first"
  "$bin" --version
  "$bin" config example | diff -u deploy/stoa.example.toml - \
    || die "deploy/stoa.example.toml differs from 'stoa config example': regenerate and commit it"
  scratch=$(mktemp -d)
  trap 'rm -rf "$scratch"' RETURN
  # As in the image: configuration from STOA_* variables only.
  env -i PATH=/usr/bin:/bin STOA_DATA_DIR="$scratch/data" STOA_LOG_LEVEL=error \
    "$bin" migrate >/dev/null
  env -i PATH=/usr/bin:/bin STOA_DATA_DIR="$scratch/data" STOA_LOG_LEVEL=error \
    "$bin" migrate --status | tail -1 | grep -q ' 0 pending' \
    || die "migrations left pending"
  # The image's HEALTHCHECK command fails cleanly when nothing answers.
  if env -i STOA_LISTEN=127.0.0.1:9 STOA_DATA_DIR="$scratch/data" "$bin" healthcheck --timeout-secs 2 >/dev/null 2>&1; then
    die "the health check passed with no server"
  fi
  echo "deploy/build.sh: $bin checked"
}

case "${1:-}" in
  console) shift; console "$@" ;;
  binary) shift; binary "$@" ;;
  check) shift; check "$@" ;;
  ci)
    out=$(mktemp -d)
    trap 'rm -rf "$out"' EXIT
    console "$out/console"
    STOA_CONSOLE_DIST="$out/console" binary dev "$out/rootfs"
    check "$out/rootfs"
    ;;
  *) sed -n '2,20p' "$0" >&2; exit 2 ;;
esac
