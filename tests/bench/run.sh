#!/bin/sh
# make bench: the figures of issue 14 in one run, and the same load through
# Debian's mosquitto beside them. Figures only, never a pass/fail on time.
#   SAMHAND_BENCH_MESSAGES  submits per saturation client (4 clients; 25000)
#   SAMHAND_BENCH_NODES     CURVE nodes connected at once (2000)
B=${SAMHAND_BUILD:-build}
M=${SAMHAND_BENCH_MESSAGES:-25000}
NODES=${SAMHAND_BENCH_NODES:-2000}
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== bench_parts (cost per operation of encryption, audit, scanner, policy, node lookups)"
"$B/bench_parts"
echo "== bench_broker (samhandd: WAL, synchronous=FULL, CURVE on loopback, invented text)"
OUT=$(mktemp)
"$B/bench_broker" "$M" "$NODES" | tee "$OUT"
SIZE=$(sed -n 's/^bench: a discussion submit frame is \([0-9]*\) bytes$/\1/p' "$OUT")
SAMHAND=$(sed -n 's/^bench: saturation throughput \([0-9]*\) durable msg\/s$/\1/p' "$OUT")
rm -f "$OUT"

# The same broker figures on PostgreSQL (issue 13): a throwaway server from
# tests/pg/pgtmp.sh in a temp folder (fsync on, Unix socket), the bench's own
# database in it; the 2,000-node figure does not depend on the store.
PGTMP="$(dirname "$0")/../pg/pgtmp.sh"
if [ "${SAMHAND_BENCH_PG:-1}" = 1 ] && PGDIR=$(mktemp -d /tmp/samhand-benchpg-XXXXXX) \
   && CONNINFO=$("$PGTMP" start "$PGDIR" 2>/dev/null); then
    echo "== bench_broker on PostgreSQL ($(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1 | cut -d/ -f5), synchronous_commit on, Unix socket)"
    SAMHAND_TEST_STORE="${CONNINFO% dbname=postgres}" "$B/bench_broker" "$M" 0 \
        | sed 's/^bench: /bench (PostgreSQL): /'
    "$PGTMP" stop "$PGDIR"
else
    echo "== no PostgreSQL server (apt-get install postgresql): no PostgreSQL figures"
fi

# mosquitto on a free loopback port, started and stopped here
MOSQ=/usr/sbin/mosquitto
if [ ! -x "$MOSQ" ] || [ ! -x "$B/bench_mosq" ]; then
    echo "== mosquitto or bench_mosq missing (scripts/install-deps.sh bench): no comparison"
    exit 0
fi
free_port () {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# mosquitto_run LABEL MESSAGES SUBSCRIBER CONFIG-LINES: SUBSCRIBER "offline"
# leaves a persistent QoS 1 session for the broker to queue every message for
mosquitto_run () {
    label=$1; count=$2; sub=$3; extra=$4
    dir=$(mktemp -d /tmp/samhand-mosq-XXXXXX)
    port=$(free_port)
    printf 'listener %s 127.0.0.1\nallow_anonymous true\nuser root\npersistence_location %s/\n%s\n' \
        "$port" "$dir" "$extra" > "$dir/mosquitto.conf"
    "$MOSQ" -c "$dir/mosquitto.conf" > "$dir/log" 2>&1 &
    pid=$!
    tries=0
    until python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null; do
        tries=$((tries + 1))
        [ $tries -gt 50 ] && break
        sleep 0.1
    done
    [ "$sub" = offline ] && "$B/bench_mosq" "$port" subscribe
    "$B/bench_mosq" "$port" 4 "$count" 128 "${SIZE:-100}" "$label" | tee "$dir/out"
    cpu=$(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null)
    rss=$(awk '/^VmHWM/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    got=$(sed -n "s/^bench: mosquitto $label throughput \([0-9]*\) msg\/s$/\1/p" "$dir/out")
    n=$((4 * count))
    if [ -n "$cpu" ] && [ "$n" -gt 0 ]; then
        echo "bench: mosquitto $label: CPU $(awk -v c="$cpu" -v n="$n" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f", c * 1e6 / hz / n }') us per message, peak RSS ${rss:-?} KiB"
    fi
    if [ -n "$got" ] && [ -n "$SAMHAND" ] && [ "$got" -gt 0 ]; then
        echo "bench: ratio samhand durable / mosquitto $label: $(awk -v a="$SAMHAND" -v b="$got" 'BEGIN { printf "%.2f", a / b }')"
    fi
    rm -rf "$dir"
}
echo "== mosquitto $($MOSQ -h 2>/dev/null | head -1 | sed 's/^mosquitto //'): the same frame size, 4 clients, QoS 1, window 128"
echo "   (samhandd keeps every message for its offline recipients: so does mosquitto for an"
echo "   offline persistent subscriber; with nobody subscribed it keeps nothing)"
mosquitto_run in-memory-nobody-subscribed "$M" none "persistence false"
mosquitto_run in-memory-offline-subscriber "$M" offline "persistence false
max_queued_messages 0"
mosquitto_run persistence-on-offline-subscriber "$M" offline "persistence true
max_queued_messages 0"
# saving the whole state after every change is what "durable" means for
# mosquitto; each save writes every queued message, so a hundredth of them
mosquitto_run save-every-change-offline-subscriber "$((M / 100))" offline "persistence true
max_queued_messages 0
autosave_on_changes true
autosave_interval 1"
