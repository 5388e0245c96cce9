#!/usr/bin/env bash
# Is PostgreSQL reachable at 127.0.0.1:5432 (user postgres, trust auth)? The black-box suite
# runs every test on SQLite and PostgreSQL; without a server it can only run SQLite.
# Under CI (CI=true) PostgreSQL is mandatory.
set -u
summary=${1:-}
if command -v pg_isready >/dev/null 2>&1; then
  pg_isready -h 127.0.0.1 -p 5432 -q && up=1 || up=0
elif command -v psql >/dev/null 2>&1; then
  psql -h 127.0.0.1 -U postgres -d postgres -tAc 'select 1' >/dev/null 2>&1 && up=1 || up=0
else
  (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null && up=1 || up=0
fi
if [ "$up" = 1 ]; then
  [ "$summary" = "--summary" ] && echo "PostgreSQL is up: the suite runs on SQLite and PostgreSQL."
  exit 0
fi
banner='!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!'
echo "$banner"
if [ "${CI:-}" = "true" ]; then
  echo "!!! PostgreSQL is not reachable at 127.0.0.1:5432 and CI=true requires it."
  echo "$banner"
  exit 1
fi
echo "!!! PostgreSQL is not reachable at 127.0.0.1:5432: the suite runs on SQLITE ONLY."
echo "!!! Start it with: pg_ctlcluster --skip-systemctl-redirect \$(ls /etc/postgresql) main start"
echo "$banner"
exit 0
