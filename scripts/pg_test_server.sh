#!/usr/bin/env bash
# Start a throwaway PostgreSQL+PostGIS server on loopback for the store tests and print the
# SQLAlchemy URL to use (ASSETMAP_TEST_PG_URL). Needs Debian's postgresql and
# postgresql-15-postgis-3 packages (.ci/run installs them).
#   ./scripts/pg_test_server.sh start DIR PORT   -> prints the URL
#   ./scripts/pg_test_server.sh stop DIR
set -euo pipefail
cmd="$1"; dir="$2"; port="${3:-55432}"
bindir="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)"
run() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi; }
case "$cmd" in
  start)
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    if [ ! -f "$dir/PG_VERSION" ]; then
      run "$bindir/initdb -D '$dir' -U postgres -A trust >/dev/null"
    fi
    run "$bindir/pg_ctl -D '$dir' -o '-p $port -k /tmp -c listen_addresses=127.0.0.1' -l '$dir/log' -w start >/dev/null"
    run "$bindir/createdb -h 127.0.0.1 -p $port -U postgres assetmap_test" 2>/dev/null || true
    echo "postgresql+psycopg://postgres@127.0.0.1:$port/assetmap_test"
    ;;
  stop)
    run "$bindir/pg_ctl -D '$dir' -m fast stop >/dev/null" || true
    ;;
esac
