#!/bin/sh
# pgtmp.sh — a throwaway PostgreSQL 15 for tests, in a temp folder.
#
#   tests/pg/pgtmp.sh start [DIR]   initdb + pg_ctl start in DIR (default: a new
#                                   mktemp folder); prints the conninfo on stdout
#                                   (host=DIR port=5432 user=samhandpg dbname=postgres)
#   tests/pg/pgtmp.sh stop DIR      stops it and removes DIR
#
# PostgreSQL refuses to run as root: when run as root, the server runs as the
# unprivileged system user samhandpg (created if missing). Unix socket in DIR
# only (no TCP), fsync on, trust authentication on the socket (the folder is
# 0700, its owner the only one who can reach it besides root).
# Used by tests/run.sh (SAMHAND_TEST_STORE) and by anything else that needs a
# real PostgreSQL (the failover test). Needs the Debian package postgresql.
set -eu
PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
PGUSER_SYS=${PGTMP_USER:-samhandpg}
PORT=${PGTMP_PORT:-5432}

as_pg () {
    if [ "$(id -u)" -eq 0 ]; then runuser -u "$PGUSER_SYS" -- "$@"; else "$@"; fi
}

case "${1:-}" in
start)
    [ -x "$PGBIN/initdb" ] || { echo "pgtmp: no PostgreSQL server (apt-get install postgresql)" >&2; exit 2; }
    if [ "$(id -u)" -eq 0 ]; then
        id "$PGUSER_SYS" >/dev/null 2>&1 || useradd -r -M -d /nonexistent -s /usr/sbin/nologin "$PGUSER_SYS"
        OWNER=$PGUSER_SYS
    else
        OWNER=$(id -un)
    fi
    DIR=${2:-$(mktemp -d /tmp/samhand-pg-XXXXXX)}
    mkdir -p "$DIR"
    chmod 0700 "$DIR"
    [ "$(id -u)" -eq 0 ] && chown "$PGUSER_SYS" "$DIR"
    as_pg "$PGBIN/initdb" -D "$DIR/data" -U "$OWNER" -A trust -E UTF8 --locale=C >"$DIR/initdb.log" 2>&1 \
        || { cat "$DIR/initdb.log" >&2; exit 1; }
    as_pg "$PGBIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 \
        -o "-c listen_addresses='' -c unix_socket_directories='$DIR' -p $PORT -c fsync=on \
            -c synchronous_commit=on -c full_page_writes=on -c max_connections=60 \
            -c shared_buffers=32MB -c log_min_messages=warning" \
        start >/dev/null 2>&1 || { cat "$DIR/server.log" >&2; exit 1; }
    echo "host=$DIR port=$PORT user=$OWNER dbname=postgres"
    ;;
stop)
    DIR=${2:?usage: pgtmp.sh stop DIR}
    if [ -d "$DIR/data" ]; then
        as_pg "$PGBIN/pg_ctl" -D "$DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    case "$DIR" in /tmp/*) rm -rf "$DIR" ;; esac
    ;;
*)
    echo "usage: pgtmp.sh start [DIR] | stop DIR" >&2; exit 2 ;;
esac
