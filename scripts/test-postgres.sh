#!/usr/bin/env bash
# Start a throw-away PostgreSQL cluster on loopback for the test suite and print its URL.
# Usage: eval "$(scripts/test-postgres.sh start)"   ->  exports GUIDEDESK_TEST_PG_URL
#        scripts/test-postgres.sh stop
# PostgreSQL refuses to run as root, so the cluster belongs to the 'postgres' user.
set -euo pipefail
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
PGDATA=${GUIDEDESK_PGDATA:-/tmp/guidedesk-pgdata}
PGPORT=${GUIDEDESK_PGPORT:-55432}
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
case "${1:-start}" in
  start)
    if [ -z "$PGBIN" ]; then echo "echo 'PostgreSQL is not installed: postgres tests will be skipped' >&2"; exit 0; fi
    if [ ! -f "$PGDATA/PG_VERSION" ]; then
      mkdir -p "$PGDATA"; [ "$(id -u)" = 0 ] && chown postgres: "$PGDATA"
      as_pg "$PGBIN/initdb" -D "$PGDATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    fi
    if ! as_pg "$PGBIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
      as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGDATA/server.log" -w \
        -o "-p $PGPORT -k /tmp -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off" start >/dev/null
    fi
    echo "export GUIDEDESK_TEST_PG_URL=postgresql://postgres@127.0.0.1:$PGPORT/postgres"
    ;;
  stop)
    [ -n "$PGBIN" ] && as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -m fast stop >/dev/null 2>&1 || true
    ;;
esac
