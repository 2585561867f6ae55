#!/usr/bin/env bash
#   cli_ops.sh — the CLI and certificate items of issue 12 (§5, §7): an
#   unknown option says so; listen --timeout bounds the wait for a broker
#   that is not there and exits non-zero short of --count; inbox --json says
#   in JSON that the broker did not answer; an endpoint list reaches the
#   broker that listens (issue 13); consent JSON times are RFC 3339
#   with no "ok"; keygen for the server wants no role; a certificate's
#   expiry is honoured (expired: refused with the reason in the log; within
#   30 days: warned once). ALL DATA IS INVENTED.
#
#     SAMHAND_BUILD=build tests/cli/cli_ops.sh
#
#   Bounded: about 15 s; a watchdog stops it at 90 s.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B=${SAMHAND_BUILD:-build}
case $B in /*) ;; *) B=$ROOT/$B ;; esac
# shellcheck source-path=SCRIPTDIR/../.. source=scripts/samhand-common.sh
. "$ROOT/scripts/samhand-common.sh"

samhand_test_begin cli_ops 90 samhand-cliops
[ -x "$B/samhand" ] && [ -x "$B/samhandd" ] || abort "cli_ops: binaries not built"
PORT=$(free_port)
"$B/samhand" init-demo "$W" --port "$PORT" >/dev/null 2>"$W/init.err" || abort "cli_ops: init-demo"
mkdir -p "$OUT"

"$B/samhand" --bogus >/dev/null 2>"$W/bogus.err"
[ $? -eq 2 ] && grep -q "unknown option --bogus" "$W/bogus.err" && ! grep -q "needs a value" "$W/bogus.err"
result "cli: samhand --bogus says unknown option (exit 2)"
"$B/samhand" ping --bogus >/dev/null 2>"$W/bogus2.err"
[ $? -eq 2 ] && grep -q "unknown option --bogus" "$W/bogus2.err"
result "cli: samhand ping --bogus says unknown option (exit 2)"

#   No broker yet: listen --timeout 2 with --wait 20 stops after ~2 s.
start=$(date +%s)
sam tryggest --wait 20 listen --count 1 --timeout 2 >/dev/null 2>"$W/listen0.err"
rc=$?
took=$(( $(date +%s) - start ))
[ "$rc" -ne 0 ] && [ "$took" -le 5 ]
result "cli: listen --timeout bounds the wait for a broker that is not there (${took}s, exit $rc)"
sam koordinator --wait 1 inbox --json >"$W/inbox0.json" 2>/dev/null
rc=$?
[ "$rc" -eq 4 ] && [ "$(json "$W/inbox0.json" "r['error']['code']")" = NO_ANSWER ]
result "cli: inbox --json without a broker prints a JSON error (NO_ANSWER, exit 4)"

#   Certificates: the server's without a role; nodes with an expiry.
mkdir -p "$W/kg"
"$B/samhand" keygen server --dir "$W/kg" >"$W/kg.out" 2>&1
[ $? -eq 0 ] && [ -f "$W/kg/server.cert_secret" ] && ! grep -q "role" "$W/kg/server.cert" \
    && grep -q "samhandd.cfg as server/cert" "$W/kg.out" && ! grep -q "enroll" "$W/kg.out"
result "keygen: the server's certificate needs no role and says where it goes"
"$B/samhand" keygen soon --agency tryggest --role team --days 10 --dir "$W/nodes" >/dev/null 2>&1 \
    && "$B/samhand" keygen late --agency tryggest --role team --days 100 --dir "$W/nodes" >/dev/null 2>&1 \
    && grep -q "expires = \"$(date -u -d '+10 days' +%F)T" "$W/nodes/soon.cert"
result "keygen: --days 10 writes the expiry into the certificate"
#   "late" is made to have expired (both files: the node's and the enrolled copy).
sed -i 's/expires = ".*"/expires = "2020-01-01T00:00:00Z"/' "$W/nodes/late.cert" "$W/nodes/late.cert_secret"
cp "$W/nodes/soon.cert" "$W/nodes/late.cert" "$W/enrolled/"
for n in soon late; do
    sed "s/tryggest/$n/g" "$W/nodes/tryggest.cfg" >"$W/nodes/$n.cfg"
done

samhand_start_broker || abort "cli_ops: the broker answers ping"
sam soon ping >/dev/null 2>&1
result "expiry: a certificate expiring in 10 days still works"
sam late --wait 2 ping >"$W/late.out" 2>&1
rc=$?
[ "$rc" -ne 0 ]
result "expiry: an expired certificate is refused (exit $rc)"
wait_for "$W/samhandd.log" "late" 5
grep -q "late.*certificate expired on 2020-01-01T00:00:00Z: refused" "$W/samhandd.log"
result "expiry: the log says the node's certificate expired, and when"
grep -q "soon.*certificate expires on .*, in [0-9]* days" "$W/samhandd.log"
result "expiry: the log warns of a certificate expiring within 30 days"
sleep 6      #   the folder is read again every 5 s: no repeat of the warning
[ "$(grep -c "soon.*certificate expires on" "$W/samhandd.log")" -eq 1 ]
result "expiry: the warning is not repeated at every re-read"

start=$(date +%s%N)
sam vakt --wait 0 ping >/dev/null 2>"$W/wait0.err"
rc=$?
took=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$rc" -eq 4 ] && grep -q "did not wait" "$W/wait0.err" && [ "$took" -lt 2000 ]
result "cli: --wait 0 does not wait (exit 4 in ${took} ms)"

#   Several brokers (issue 13): --endpoint takes a list; with nothing at the
#   first (a standby), the CLI's requests reach the one that listens.
DEAD=$(free_port)
start=$(date +%s%N)
sam vakt --endpoint "tcp://127.0.0.1:$DEAD,tcp://127.0.0.1:$PORT" ping >"$W/list.out" 2>"$W/list.err"
rc=$?
took=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$rc" -eq 0 ] && grep -q "^vakt" "$W/list.out" && [ "$took" -lt 3000 ]
result "cli: an endpoint list reaches the broker that listens, whatever the order (${took} ms)"
sam vakt --endpoint "tcp://127.0.0.1:$PORT,,tcp://127.0.0.1:$DEAD" ping >/dev/null 2>"$W/list2.err"
rc=$?
[ "$rc" -eq 1 ] && grep -q "separated by commas" "$W/list2.err"
result "cli: a malformed endpoint list is refused with the reason (exit $rc)"

#   Consent JSON: RFC 3339 times, no "ok".
UNTIL=$(date -d "+30 days" +%F)
sam koordinator consent grant --subject-id 15038540083 --subject-name "Testa Testesen" \
    --to police_risk --purpose risk_management --classes identity --until "$UNTIL" \
    --form written --json >"$W/grant.json" 2>"$W/grant.err"
grep -qE '"valid_until":"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z"' "$W/grant.json" \
    && grep -qE '"recorded_at":"[0-9]{4}-' "$W/grant.json" && ! grep -q '"ok"' "$W/grant.json"
result "cli: consent --json gives RFC 3339 times and no ok field"

#   A listen that times out short of --count exits non-zero.
sam tryggest listen --count 5 --timeout 2 >/dev/null 2>"$W/listen.err"
rc=$?
[ "$rc" -eq 4 ] && grep -q "of 5 messages came" "$W/listen.err"
result "cli: listen exits 4 when it timed out before --count messages"

#   Bash completion: the file loads, and completes commands and options.
( . "$ROOT/clients/cli/samhand.bash-completion"
  COMP_WORDS=(samhand lis); COMP_CWORD=1; _samhand; [ "${COMPREPLY[*]}" = listen ] || exit 1
  COMP_WORDS=(samhand -c x.cfg listen --ti); COMP_CWORD=4; _samhand; [ "${COMPREPLY[*]}" = --timeout ] || exit 1
  COMP_WORDS=(samhand keygen n --role co); COMP_CWORD=4; _samhand; [ "${COMPREPLY[*]}" = coordinator ] ) 2>/dev/null
result "cli: bash completion completes commands, options and values"

[ "$FAILS" -eq 0 ]
