#!/usr/bin/env bash
# Manage a local PostgreSQL cluster for quiver: start | stop | status | psql.
#   PGPORT (default 55015)        port, TCP on 127.0.0.1 only
#   QUIVER_PGDATA (default target/pgdata-$PGPORT)  data directory
#   QUIVER_PG_CONF                extra postgresql.conf lines for a new cluster (e.g. shared_buffers)
#   QUIVER_PRELOAD=1              quiver in shared_preload_libraries (added to an existing cluster
#                                 too; a running one is restarted to load it)
# PostgreSQL refuses to run as root: when invoked as root, the server runs as the
# `postgres` user (data directory owned by it); a normal user runs it as themselves.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
port=${PGPORT:-55015}
pg_config=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
bindir=$("$pg_config" --bindir)
pgdata=${QUIVER_PGDATA:-$root/target/pgdata-$port}

as_pg() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

prepare_dir() {
    mkdir -p "$(dirname "$pgdata")"
    if [ "$(id -u)" = 0 ]; then
        install -d -o postgres -g postgres -m 700 "$pgdata"
        # The postgres user must reach the directory; if the checkout is not traversable
        # (e.g. under /root), keep the data in /tmp instead.
        if ! runuser -u postgres -- test -w "$pgdata"; then
            pgdata=/tmp/quiver-pgdata-$port
            install -d -o postgres -g postgres -m 700 "$pgdata"
            echo "note: $root is not accessible to the postgres user; data directory is $pgdata" >&2
        fi
    else
        install -d -m 700 "$pgdata"
    fi
}

is_running() {
    [ -f "$pgdata/postmaster.pid" ] && as_pg "$bindir/pg_ctl" -D "$pgdata" status >/dev/null 2>&1
}

case "${1:-status}" in
start)
    prepare_dir
    if [ ! -f "$pgdata/PG_VERSION" ]; then
        as_pg "$bindir/initdb" -D "$pgdata" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
        cat >> "$pgdata/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = ''
max_connections = 50
shared_buffers = 256MB
maintenance_work_mem = 512MB
max_wal_senders = 4
wal_level = replica
${QUIVER_PG_CONF:-}
CONF
    fi
    if [ "${QUIVER_PRELOAD:-0}" = 1 ] && ! grep -q "^shared_preload_libraries = 'quiver'" "$pgdata/postgresql.conf"; then
        echo "shared_preload_libraries = 'quiver'" | as_pg tee -a "$pgdata/postgresql.conf" >/dev/null
        if is_running; then
            as_pg "$bindir/pg_ctl" -D "$pgdata" -m fast -w stop >/dev/null
        fi
    fi
    if is_running; then
        echo "PostgreSQL already running on port $port ($pgdata)"
    elif "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port"; then
        echo "error: another PostgreSQL server already listens on port $port (not $pgdata)." >&2
        echo "Stop it, or choose other ports (make RUN_PORT=... TEST_PORT=...)." >&2
        exit 1
    else
        # Without RUST_BACKTRACE, errors raised inside quiver carry no Rust backtrace detail.
        as_pg env -u RUST_BACKTRACE -u RUST_LIB_BACKTRACE "$bindir/pg_ctl" -D "$pgdata" -l "$pgdata/server.log" -w -t 60 start >/dev/null
        echo "PostgreSQL started on port $port ($pgdata)"
    fi
    ;;
stop)
    for d in "$pgdata" "/tmp/quiver-pgdata-$port"; do
        if [ -f "$d/postmaster.pid" ]; then
            as_pg "$bindir/pg_ctl" -D "$d" -m fast -w stop >/dev/null && echo "PostgreSQL on port $port stopped"
        fi
    done
    ;;
status)
    if is_running; then echo "running on port $port ($pgdata)"; else echo "not running ($pgdata)"; exit 1; fi
    ;;
datadir)
    prepare_dir >/dev/null 2>&1 || true
    echo "$pgdata"
    ;;
*)
    echo "usage: $0 start|stop|status|datadir" >&2
    exit 2
    ;;
esac
