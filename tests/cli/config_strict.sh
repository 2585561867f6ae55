#!/usr/bin/env bash
#   config_strict.sh — `samhandd --check-config` refuses what would make the
#   broker misbehave, naming FILE:LINE and a did-you-mean where one helps,
#   and samhandd refuses to start on the same file (issue 12 §4). Each case
#   edits a fresh copy of an `init-demo` installation (ALL DATA INVENTED).
#
#     SAMHAND_BUILD=build tests/cli/config_strict.sh
#
#   Bounded: a few seconds; a watchdog stops it at 90 s.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B=${SAMHAND_BUILD:-build}
case $B in /*) ;; *) B=$ROOT/$B ;; esac
# shellcheck source-path=SCRIPTDIR/../.. source=scripts/samhand-common.sh
. "$ROOT/scripts/samhand-common.sh"

samhand_test_begin config_strict 90 samhand-config
[ -x "$B/samhand" ] && [ -x "$B/samhandd" ] || abort "config_strict: binaries not built"
PORT=$(free_port)
"$B/samhand" init-demo "$W/base" --port "$PORT" >/dev/null 2>"$W/init.err" || abort "config_strict: init-demo"
#   One start creates the key files, so key modes can be tested.
INST=$W/base
mkdir -p "$OUT"
samhand_start_broker || abort "config_strict: the demo installation starts"
#   Checked while its own broker runs (before a reload): the busy port is
#   that broker's, no fault.
"$B/samhandd" --check-config -c "$W/base/samhandd.cfg" >"$W/running.out" 2>&1
[ $? -eq 0 ] && grep -q "in use by the samhandd running on this store" "$W/running.out"
result "config: the file of a running broker passes (its port is its own)"
samhand_stop
"$B/samhandd" --check-config -c "$W/base/samhandd.cfg" >"$W/base.out" 2>&1
result "config: the demo installation passes --check-config"
grep -q "enrolled vakt" "$W/base.out"
result "config: --check-config lists the enrolled nodes"

N=0
#   fresh: a copy of the installation in $C.
fresh () { N=$((N + 1)); C=$W/case$N; cp -a "$W/base" "$C"; }
#   line PATTERN: the line number of the first line matching in the copy's config.
line () { grep -n -- "$1" "$C/samhandd.cfg" | head -1 | cut -d: -f1; }

#   refused NAME EXPECTED...: --check-config exits non-zero and its message
#   holds every EXPECTED string; samhandd itself refuses to start (exits
#   on its own, non-zero, within 10 s).
refused () {
    local name=$1; shift
    "$B/samhandd" --check-config -c "$C/samhandd.cfg" >"$C/check.out" 2>&1
    local rc=$? ok=0 want
    [ "$rc" -ne 0 ] || ok=1
    for want in "$@"; do
        grep -qF -- "$want" "$C/check.out" || { ok=1; echo "  missing: $want" >&2; }
    done
    [ "$ok" -eq 0 ] || { echo "  got (rc $rc): $(cat "$C/check.out")" >&2; }
    [ "$ok" -eq 0 ]
    result "config: --check-config refuses $name"
    timeout 10 "$B/samhandd" -c "$C/samhandd.cfg" >/dev/null 2>"$C/start.err"
    rc=$?
    [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ]
    result "config: samhandd refuses to start on $name"
}

CFG=samhandd.cfg

fresh; sed -i 's/inflight_window/inflight_windw/' "$C/$CFG"
refused "a misspelt key" "$CFG:$(line inflight_windw): unknown key 'inflight_windw'" "did you mean 'inflight_window'"

fresh; printf 'workfow\n    escalate_after = "1m"\n' >>"$C/$CFG"
refused "a misspelt section" "$CFG:$(line '^workfow'): unknown section 'workfow'" "did you mean 'workflow'"

fresh; rm -rf "$C/enrolled"
refused "a missing enrolled/ folder" "$CFG:$(line 'enrolled = '): server/enrolled" "No such file"

fresh; rm -f "$C/server.cert" "$C/server.cert_secret"
refused "a missing server certificate" "$CFG:$(line 'cert = '): server/cert" "server.cert"

fresh; rm -f "$C/server.cert_secret"
refused "a server certificate without its secret" "$CFG:$(line 'cert = '): server/cert" "server.cert_secret is missing"

fresh; chmod 644 "$C/server.cert_secret"
refused "a server secret readable by others" "$CFG:$(line 'cert = '): server/cert" "readable by group and others" "chmod 600"

fresh; sed -i 's|store = "samhand.db"|store = "nosuch/samhand.db"|' "$C/$CFG"
refused "a store under a missing folder" "$CFG:$(line 'store = '): server/store" "nosuch"

fresh; chmod 644 "$C/keys/data-key-1.key"
refused "a data key of mode 0644" "$CFG:$(line 'keys = '): server/keys" "data-key-1.key" "chmod 600"

fresh; sed -i "s|tcp://127.0.0.1:$PORT|tcp://999.0.0.1:7450|" "$C/$CFG"
refused "tcp://999.0.0.1:7450" "$CFG:$(line 'bind = '): server/bind" "999 is not an IPv4 octet"

fresh; sed -i "s|tcp://127.0.0.1:$PORT|127.0.0.1:$PORT|" "$C/$CFG"
refused "a bind without a scheme" "$CFG:$(line 'bind = '): server/bind" "no scheme"

fresh; sed -i "s|tcp://127.0.0.1:$PORT|tcp://127.0.0.1:70000|" "$C/$CFG"
refused "a port out of range" "$CFG:$(line 'bind = '): server/bind" "port must be 1-65535"

fresh; cp "$C/server.cert_secret" "$C/enrolled/stray.cert_secret"
refused "a secret key in enrolled/" "$CFG:$(line 'enrolled = '): server/enrolled" "SECRET"

#   One public key in two files (an operator's copy): named both, never
#   the key; a copy under another name (not *.cert) counts too, since the
#   broker's ZAP handler admits any certificate file there.
fresh; cp "$C/enrolled/vakt.cert" "$C/enrolled/vakt-kopi.cert"
refused "two enrolled certificates with one key" "$CFG:$(line 'enrolled = '): server/enrolled" \
    "/vakt-kopi.cert and " "/vakt.cert hold the same public key"
KEY=$(sed -n 's/^ *public-key = "\(.*\)"$/\1/p' "$C/enrolled/vakt.cert")
[ -n "$KEY" ] && grep -q "hold the same public key" "$C/check.out" && ! grep -qF -- "$KEY" "$C/check.out" \
    && ! grep -q "secret" "$C/check.out"
result "config: the duplicate is named by its files, the key itself is not printed"
fresh; cp "$C/enrolled/vakt.cert" "$C/enrolled/vakt.cert.bak"
refused "a copy of an enrolled certificate under another name" "/vakt.cert and " "/vakt.cert.bak hold the same public key"

fresh; printf 'limits\n    batch = 5\n' >>"$C/$CFG"
refused "a section given twice" "$CFG:$(grep -n "^limits" "$C/$CFG" | tail -1 | cut -d: -f1): limits is opened twice" "first on line"

fresh; sed -i 's/max_outbox = 10000/max_outbox = lots/' "$C/$CFG"
refused "a bad value" "$CFG:$(line 'max_outbox'): limits/max_outbox"

fresh; printf '    log_level = "chatty"\n' >"$C/extra"; sed -i '/^server/r '"$C/extra" "$C/$CFG"
refused "an unknown log_level" "$CFG:$(line 'log_level'): server/log_level"

#   Server key rotation (server/previous_*): all three together, another
#   endpoint, another key, a private secret, a readable date.
prev () {
    "$B/samhand" keygen old --server --dir "$C" >/dev/null 2>&1
    printf '    previous_cert = "%s"\n    previous_bind = "%s"\n    previous_until = "%s"\n' "$1" "$2" "$3" >"$C/extra"
    sed -i '/^server/r '"$C/extra" "$C/$CFG"
}
NEXT_YEAR=$(( $(date +%Y) + 1 ))-01-31
PREV_PORT=$(free_port)
fresh; prev old.cert "tcp://127.0.0.1:$PREV_PORT" "$NEXT_YEAR"; sed -i '/previous_until/d' "$C/$CFG"
refused "previous_cert without previous_until" "$CFG:$(line 'previous_cert'): server/previous_cert: server/previous_until is missing"
fresh; prev old.cert "tcp://127.0.0.1:$PORT" "$NEXT_YEAR"
refused "previous_bind equal to bind" "$CFG:$(line 'previous_bind'): server/previous_bind must differ from server/bind"
#   The same endpoint spelt otherwise: libzmq's ipc bind removes the file
#   already there, so the previous key took the current endpoint (nodes on
#   the new key refused; the broker deaf once the previous one closed).
fresh; prev old.cert "ipc://$C//samhandd.sock" "$NEXT_YEAR"
sed -i "s|^    bind = .*|    bind = \"ipc://$C/samhandd.sock\"|" "$C/$CFG"
refused "previous_bind the same ipc file as bind, spelt otherwise" "$CFG:$(line 'previous_bind'): server/previous_bind must differ from server/bind"
fresh; prev old.cert "tcp://*:$PORT" "$NEXT_YEAR"
refused "previous_bind on every address of bind's port" "$CFG:$(line 'previous_bind'): server/previous_bind must differ from server/bind"
fresh; prev server.cert "tcp://127.0.0.1:$PREV_PORT" "$NEXT_YEAR"
refused "a previous key that is the current key" "$CFG:$(line 'previous_cert'): server/previous_cert holds the same key"
fresh; prev old.cert "tcp://127.0.0.1:$PREV_PORT" "31.01.2027"
refused "an unreadable previous_until" "$CFG:$(line 'previous_until'): server/previous_until must be a UTC date"
fresh; prev old.cert "tcp://127.0.0.1:$PREV_PORT" "$NEXT_YEAR"; chmod 644 "$C/old.cert_secret"
refused "a previous server secret readable by others" "$CFG:$(line 'previous_cert'): server/previous_cert" "chmod 600"
fresh; prev nosuch.cert "tcp://127.0.0.1:$PREV_PORT" "$NEXT_YEAR"
refused "a missing previous server certificate" "$CFG:$(line 'previous_cert'): server/previous_cert" "nosuch.cert"
fresh; prev old.cert "tcp://127.0.0.1:$PREV_PORT" "$NEXT_YEAR"; sed -i 's/previous_until/previous_untill/' "$C/$CFG"
refused "a misspelt previous_until" "unknown key 'previous_untill'" "did you mean 'previous_until'"
fresh; prev old.cert "tcp://127.0.0.1:$PREV_PORT" "$NEXT_YEAR"
"$B/samhandd" --check-config -c "$C/$CFG" >"$C/check.out" 2>&1
[ $? -eq 0 ] && grep -q "previous server key is accepted on tcp://127.0.0.1:$PREV_PORT until ${NEXT_YEAR}T00:00:00Z" "$C/check.out"
result "config: a complete previous_* set passes, and the check says until when"

#   A port in use: something else listens on it.
fresh
"$PY" -c 'import socket, sys, time
s = socket.socket (); s.bind (("127.0.0.1", int (sys.argv [1]))); s.listen (1)
print ("ready", flush = True); time.sleep (20)' "$PORT" >"$C/holder.out" 2>&1 &
HOLDER=$!
wait_for "$C/holder.out" ready 5
refused "a port in use" "$CFG:$(line 'bind = '): server/bind" "Address already in use"
kill "$HOLDER" 2>/dev/null; wait "$HOLDER" 2>/dev/null

#   Under systemd (JOURNAL_STREAM set) the refusal is a log line with its
#   priority for journald, an RFC 3339 UTC time and the level.
fresh; sed -i 's/inflight_window/inflight_windw/' "$C/$CFG"
JOURNAL_STREAM=8:12345 timeout 10 "$B/samhandd" -c "$C/$CFG" >/dev/null 2>"$C/journal.err"
grep -qE '^<3>[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z samhandd\[[0-9]+\] error: samhandd: .*samhandd.cfg:[0-9]+: unknown key' "$C/journal.err"
result "log: under journald a refused start is an error line (<3>, RFC 3339 UTC)"
fresh; chmod 644 "$C/keys/data-key-1.key"
JOURNAL_STREAM=8:12345 timeout 10 "$B/samhandd" -c "$C/$CFG" >/dev/null 2>"$C/journal.err"
grep -qE '^<3>[0-9T:.-]+Z samhandd\[[0-9]+\] error: .*data-key-1.key' "$C/journal.err"
result "log: a key file others may read stops the start with an error line"

#   The clients refuse a secret certificate others may read, too.
fresh; chmod 644 "$C/nodes/vakt.cert_secret"
"$B/samhand" -c "$C/nodes/vakt.cfg" ping --wait 1 >"$C/ping.out" 2>&1
rc=$?
[ "$rc" -ne 0 ] && grep -q "vakt.cert_secret is not private.*chmod 600" "$C/ping.out"
result "config: the CLI refuses a node secret readable by others"

[ "$FAILS" -eq 0 ]
