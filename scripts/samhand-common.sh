# shellcheck shell=bash disable=SC2034  # what it sets is read by the scripts that source it
#   samhand-common.sh — what scripts/demo.sh and the CLI scenario tests
#   (tests/cli/scenario_*.sh) share: stopping the broker and listeners they
#   start, a broker on a free port answering ping, listeners per node, test
#   data with valid check digits, and for the tests the PASS/FAIL helpers,
#   watchdog and temporary folder. Sourced, never run:
#
#     . "$ROOT/scripts/samhand-common.sh"
#
#   The caller sets, before using the functions:
#     B     folder with the samhand and samhandd binaries
#     INST  the installation made by `samhand init-demo` (samhandd.cfg,
#           samhandd.log, nodes/NODE.cfg)
#     OUT   where the listeners write NODE.jsonl and NODE.err
#   samhand_test_begin sets all but B for the tests.
#
#   It lives outside tests/cli/ because every tests/cli/*.sh is run as a
#   test. Sourcing it defines functions and sets PY, BROKER_PID and
#   LISTENERS; it starts nothing.

PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

BROKER_PID=""
LISTENERS=""

# ---------------------------------------------------------------- for everyone

sam () { local node=$1; shift; "$B/samhand" -c "$INST/nodes/$node.cfg" "$@"; }

#   fnr_from_date DDMMYY [FIRST]: a fødselsnummer for the date, with the
#   first individual number from FIRST (default 400: even, a woman born
#   1900-1999), stepping by 2, whose two mod-11 check digits are valid.
fnr_from_date () {
    awk -v d="$1" -v first="${2:-400}" 'BEGIN {
        split ("3 7 6 1 8 9 4 5 2", w1, " "); split ("5 4 3 2 7 6 5 4 3 2", w2, " ")
        for (i = first; i < first + 100; i += 2) {
            s = d sprintf ("%03d", i); t = 0
            for (j = 1; j <= 9; j++) t += substr (s, j, 1) * w1 [j]
            k1 = (11 - t % 11) % 11; if (k1 == 10) continue
            s = s k1; t = 0
            for (j = 1; j <= 10; j++) t += substr (s, j, 1) * w2 [j]
            k2 = (11 - t % 11) % 11; if (k2 == 10) continue
            print s k2; exit
        }
    }'
}

free_port () {
    "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

#   wait_for FILE STRING SECONDS: waits up to SECONDS for FILE to contain
#   STRING.
wait_for () {
    for _ in $(seq $(($3 * 10))); do
        grep -qF -- "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

#   samhand_start_broker: starts samhandd on $INST/samhandd.cfg (log in
#   $INST/samhandd.log) and waits up to ~10 s for it to answer ping.
#   0 when it answers, 2 when it stopped, 1 when it never answered.
#   Must not run in a subshell: BROKER_PID is what stops it later.
samhand_start_broker () {
    "$B/samhandd" -c "$INST/samhandd.cfg" 2>"$INST/samhandd.log" &
    BROKER_PID=$!
    for _ in $(seq 50); do
        kill -0 "$BROKER_PID" 2>/dev/null || return 2
        sam admin ping --wait 1 >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    return 1
}

#   samhand_listen NODE...: starts `listen --json` for each node, output in
#   $OUT/NODE.jsonl, and waits up to 10 s each for it to say it listens.
#   On failure returns 1 with the first node that did not in LISTEN_FAILED.
LISTEN_FAILED=""
samhand_listen () {
    local node
    for node in "$@"; do
        #   The binary itself, not through the sam function: $! must be its
        #   pid, or stopping it would stop only a subshell.
        "$B/samhand" -c "$INST/nodes/$node.cfg" listen --json >"$OUT/$node.jsonl" 2>"$OUT/$node.err" &
        LISTENERS="$LISTENERS $!"
    done
    for node in "$@"; do
        wait_for "$OUT/$node.err" "listening as" 10 || { LISTEN_FAILED=$node; return 1; }
    done
    return 0
}

#   Stops the listeners (each writes and flushes every line before it
#   confirms it, so what is in the files is complete) and waits for them.
stop_listeners () {
    local p
    for p in $LISTENERS; do kill "$p" 2>/dev/null; done
    for p in $LISTENERS; do
        for _ in $(seq 30); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$p" 2>/dev/null
        wait "$p" 2>/dev/null
    done
    LISTENERS=""
}

#   Stops the listeners and the broker started here; safe to call twice.
samhand_stop () {
    stop_listeners
    if [ -n "$BROKER_PID" ]; then
        kill "$BROKER_PID" 2>/dev/null
        for _ in $(seq 50); do kill -0 "$BROKER_PID" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$BROKER_PID" 2>/dev/null
    fi
    BROKER_PID=""
}

# ---------------------------------------------------------------- for the tests

#   samhand_test_begin NAME SECONDS PREFIX: a temporary folder W (also INST,
#   with OUT=$W/out) from /tmp/PREFIX.XXXXXX, removed at exit unless KEEP
#   is set; the broker and listeners stopped at exit; a watchdog that
#   stops the script after SECONDS. NAME is the script's name in the FAIL
#   lines of its own.
samhand_test_begin () {
    SAMHAND_SCRIPT=$1
    FAILS=0
    WATCHDOG=""
    W=$(mktemp -d "/tmp/$3.XXXXXX") || { echo "FAIL $SAMHAND_SCRIPT: no temp dir"; exit 1; }
    INST=$W
    OUT=$W/out
    trap samhand_test_cleanup EXIT
    trap 'echo "FAIL $SAMHAND_SCRIPT interrupted or timed out"; exit 1' INT TERM
    #   Watchdog: stops the test if it runs past its bound (and takes its
    #   own sleep with it when it is stopped first).
    ( sleep "$2" & s=$!; trap 'kill $s; exit 0' TERM; wait $s; kill -TERM $$ 2>/dev/null ) >/dev/null 2>&1 &
    WATCHDOG=$!
}

samhand_test_cleanup () {
    samhand_stop
    [ -n "$WATCHDOG" ] && kill "$WATCHDOG" 2>/dev/null
    [ -n "${KEEP:-}" ] || rm -rf "$W"
}

pass () { echo "PASS $1"; }
fail () { echo "FAIL $1"; FAILS=$((FAILS + 1)); }
#   result NAME: PASS or FAIL by the exit status of the command before it.
result () { local rc=$?; if [ $rc -eq 0 ]; then pass "$1"; else fail "$1"; fi; }
abort () { fail "$1"; [ -s "$W/samhandd.log" ] && tail -5 "$W/samhandd.log" >&2; exit 1; }

#   json FILE EXPR: evaluates a Python expression over the object r.
json () {
    "$PY" -c 'import json, sys; r = json.load (open (sys.argv [1])); print (eval (sys.argv [2]))' "$1" "$2" 2>/dev/null
}

#   submit TAG NODE ARGS...: --json result in $W/TAG.json, stderr in
#   $W/TAG.err, exit status in RC, message id in MID. (demo.sh replaces it
#   with a narrated one.)
RC=0; MID=""
submit () {
    local tag=$1 node=$2; shift 2
    sam "$node" "$@" --json >"$W/$tag.json" 2>"$W/$tag.err"
    RC=$?
    MID=$(json "$W/$tag.json" "r['message_id']")
}
