#!/bin/sh
# tests/interop/run.sh — proves proto/PROTOCOL.md is enough to write a client:
# tests/interop/client.py (Python, pyzmq + protobuf, written from the document
# alone) talks to a real samhandd over CURVE.
#
#   SAMHAND_BUILD=build tests/interop/run.sh
#
# Installations tested, each with its own broker:
#   py    certificates and config written by client.py from PROTOCOL.md §3/§13
#   demo  made by `samhand init-demo DIR --port N`, when the CLI has it
# Prints PASS/FAIL lines (tests/run.sh counts them). Without the Python
# modules or protoc it prints only a SKIP line and exits 0: a skip is not a
# pass. Generated code and installations live in a temp dir that is always
# removed, and every broker started here is stopped. Invented data only.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B=${SAMHAND_BUILD:-build}
case $B in /*) ;; *) B=$ROOT/$B ;; esac
# Debian's python3 has Debian's python3-zmq; a pyenv python3 on PATH may not.
PY=/usr/bin/python3

if ! [ -x "$PY" ] || ! "$PY" -c "import zmq, google.protobuf" 2>/dev/null \
|| ! command -v protoc >/dev/null 2>&1; then
    echo "SKIP interop: python3-zmq / python3-protobuf / protobuf-compiler not installed"
    exit 0
fi
if ! [ -x "$B/samhandd" ]; then
    echo "FAIL interop: $B/samhandd is not built"
    exit 1
fi

TMP=$(mktemp -d /tmp/samhand-interop-XXXXXX) || { echo "FAIL interop: no temp dir"; exit 1; }
BROKER=""
cleanup () {
    if [ -n "$BROKER" ]; then
        kill -KILL "$BROKER" 2>/dev/null
        wait "$BROKER" 2>/dev/null
        BROKER=""
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if ! protoc --proto_path="$ROOT/proto" --python_out="$TMP" "$ROOT/proto/samhand.proto"; then
    echo "FAIL interop: protoc could not generate samhand_pb2.py"
    exit 1
fi
export PYTHONPATH="$TMP"
export PYTHONDONTWRITEBYTECODE=1

free_port () {
    "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# run_one LABEL DIR: starts samhandd on DIR, runs the client, stops the broker.
status=0
run_one () {
    label=$1; dir=$2
    "$B/samhandd" -c "$dir/samhandd.cfg" 2>"$dir/samhandd.log" &
    BROKER=$!
    "$PY" "$ROOT/tests/interop/client.py" run "$dir" --label "interop[$label]"
    rc=$?
    kill -TERM "$BROKER" 2>/dev/null
    stopped=no
    for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
        if ! kill -0 "$BROKER" 2>/dev/null; then stopped=yes; break; fi
        sleep 0.25
    done
    if [ $stopped = yes ]; then
        wait "$BROKER"; brc=$?
    else
        kill -KILL "$BROKER" 2>/dev/null; wait "$BROKER" 2>/dev/null; brc=137
    fi
    BROKER=""
    if [ $brc -eq 0 ]; then
        echo "PASS interop[$label]: the broker stops cleanly on SIGTERM after the session"
    else
        echo "FAIL interop[$label]: the broker exited with status $brc"; rc=1
    fi
    if [ $rc -ne 0 ]; then
        echo "--- interop[$label]: last lines of samhandd.log" >&2
        tail -20 "$dir/samhandd.log" >&2
        status=1
    fi
}

mkdir -p "$TMP/py"
if "$PY" "$ROOT/tests/interop/client.py" make-install "$TMP/py" --port "$(free_port)"; then
    run_one py "$TMP/py"
else
    echo "FAIL interop[py]: could not write the test installation"
    status=1
fi

if [ -x "$B/samhand" ] \
&& "$B/samhand" init-demo "$TMP/demo" --port "$(free_port)" >"$TMP/init-demo.log" 2>&1 \
&& [ -f "$TMP/demo/samhandd.cfg" ]; then
    run_one demo "$TMP/demo"
else
    echo "interop: samhand init-demo not available: only the Python-written installation was tested" >&2
fi
exit $status
