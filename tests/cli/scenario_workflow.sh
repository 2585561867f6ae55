#!/usr/bin/env bash
#   scenario_workflow.sh — the workflow deadlines end to end, over real
#   sockets, with the samhand CLI only and deadlines of seconds: an unread
#   acute concern is escalated to the resource centre, again at its interval,
#   and no more once TryggEst marks it read (`inbox --read`); `status` shows
#   each recipient node's state; a concern with `--ttl 1` to a node that is
#   offline gives the sender a non_delivery alert; the admin's `audit verify`
#   says the chain is intact and `audit who-received` lists the deliveries.
#
#     SAMHAND_BUILD=build tests/cli/scenario_workflow.sh
#
#   Prints "PASS name" / "FAIL name" per check; exit 1 if any failed. Bounded
#   (~15 s; a watchdog stops it at 120 s). Runs in a temporary folder that
#   is removed (KEEP=1 keeps it); the broker and listeners started here are
#   stopped. ALL DATA IS INVENTED: "Ola Oppdiktet" and "Kari Testesen" and
#   their fødselsnummer (valid check digits, from invented dates) do not
#   exist.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B=${SAMHAND_BUILD:-build}
case $B in /*) ;; *) B=$ROOT/$B ;; esac
# shellcheck source-path=SCRIPTDIR/../.. source=scripts/samhand-common.sh
. "$ROOT/scripts/samhand-common.sh"

EVERY=2                         # escalate_after and escalate_every, seconds

samhand_test_begin scenario_workflow 120 samhand-workflow
KARI=$(fnr_from_date 150385 400)     # Kari Testesen, invented, born 15.03.1985
OLA=$(fnr_from_date 020791 401)      # Ola Oppdiktet, invented, born 02.07.1991

#   alerts NODE TYPE MID: how many alerts of TYPE about MID the node's
#   listener has written so far.
alerts () {
    "$PY" -c '
import json, sys
n = 0
try:
    for line in open (sys.argv [1]):
        a = json.loads (line).get ("alert") or {}
        n += a.get ("type") == sys.argv [2] and a.get ("message_id") == sys.argv [3]
except (OSError, ValueError):
    pass
print (n)' "$W/out/$1.jsonl" "$2" "$3"
}

#   wait_alerts NODE TYPE MID COUNT SECONDS: polls until COUNT have come.
wait_alerts () {
    for _ in $(seq $(($5 * 10))); do
        [ "$(alerts "$1" "$2" "$3")" -ge "$4" ] && return 0
        sleep 0.1
    done
    return 1
}

#   find_key FILE KEY MATCH_KEY MATCH_VALUE: the KEY of the first object
#   anywhere in FILE (one JSON document, or JSON Lines) whose MATCH_KEY is
#   MATCH_VALUE. Tolerant of the shape, so the test names the behaviour,
#   not the layout.
find_key () {
    "$PY" -c '
import json, sys
path, key, mkey, mval = sys.argv [1:5]
text = open (path).read ()
try:
    docs = [json.loads (text)]
except ValueError:
    docs = [json.loads (l) for l in text.splitlines () if l.strip ()]
def walk (x):
    if isinstance (x, dict):
        if str (x.get (mkey)) == mval and key in x:
            print (x [key]); sys.exit (0)
        for v in x.values (): walk (v)
    elif isinstance (x, list):
        for v in x: walk (v)
for d in docs: walk (d)
sys.exit (1)' "$@" 2>/dev/null
}

# ------------------------------------------------------------------ setup

[ -x "$B/samhand" ] && [ -x "$B/samhandd" ] || abort "scenario_workflow: $B/samhand and $B/samhandd are not built"
for cmd in status inbox audit admin; do
    "$B/samhand" "$cmd" --help >/dev/null 2>&1 \
        || echo "scenario_workflow: this samhand has no '$cmd' command yet; its checks will FAIL" >&2
done
PORT=$(free_port)
"$B/samhand" init-demo "$W" --port "$PORT" >/dev/null 2>"$W/init.err" || abort "scenario_workflow: init-demo"
cat >>"$W/samhandd.cfg" <<EOF
workflow
    escalate_after = "${EVERY}s"
    escalate_every = "${EVERY}s"
    tick = "1s"
EOF
mkdir -p "$W/out"
samhand_start_broker || abort "scenario_workflow: the broker answers ping (with the workflow section)"
#   tryggest stays offline all along: its mail waits at the broker.
samhand_listen vakt koordinator politi-risk || abort "scenario_workflow: the listeners start"

# ------------------------------------------------------------------ expiry

#   A concern about Ola that may live one second, to TryggEst, which is
#   offline: it expires undelivered and the sender hears of it.
submit ttl vakt concern --subject-name "Ola Oppdiktet" --subject-id "$OLA" --urgency urgent \
    --to tryggest --ttl 1 --text "Invented: short-lived concern for an offline team"
TTL_MID=$MID
[ "$RC" -eq 0 ] && [ -n "$TTL_MID" ]
result "ttl: a concern with --ttl 1 is accepted"
wait_alerts vakt non_delivery "$TTL_MID" 1 10
result "ttl: undelivered after its ttl, the sender gets a non_delivery alert in its listen output"
"$PY" -c '
import json, sys
for line in open (sys.argv [1]):
    a = json.loads (line).get ("alert") or {}
    if a.get ("type") == "non_delivery" and a.get ("message_id") == sys.argv [2]:
        sys.exit (0 if "tryggest" in a.get ("text", "") else 1)
sys.exit (1)' "$W/out/vakt.jsonl" "$TTL_MID"
result "ttl: the non_delivery alert names the node it did not reach"
[ "$(alerts vakt non_delivery "$TTL_MID")" -ge 1 ] && ! grep -qF -e "$OLA" -e "Oppdiktet" "$W/out/vakt.jsonl"
result "ttl: the non_delivery alert carries no personal data"
sam vakt status "$TTL_MID" --json >"$W/ttl-status.json" 2>"$W/ttl-status.err"
[ $? -eq 0 ] && [ "$(find_key "$W/ttl-status.json" state node tryggest)" = "expired" ]
result "ttl: status shows the entry for tryggest expired"

# ------------------------------------------------------------------ escalation

submit acute vakt concern --subject-name "Kari Testesen" --subject-id "$KARI" --urgency acute \
    --violence physical --not-informed "we cannot reach her" \
    --text "Invented: neighbour reports screams from her flat, she does not answer"
AC_MID=$MID
[ "$RC" -eq 0 ] && [ -n "$AC_MID" ]
result "escalation: an acute concern is accepted"
wait_for "$W/out/politi-risk.jsonl" "$AC_MID" 10 && wait_for "$W/out/koordinator.jsonl" "\"$AC_MID\"" 10
result "escalation: the acute concern reaches the online recipients (received, not read)"
[ "$(alerts koordinator escalation "$AC_MID")" -eq 0 ]
result "escalation: none before its deadline"
wait_alerts koordinator escalation "$AC_MID" 1 $((EVERY + 8))
result "escalation: received but unread, the coordinator's listen shows an escalation"
wait_alerts vakt escalation "$AC_MID" 1 5
result "escalation: the duty phone gets it too"
wait_alerts koordinator escalation "$AC_MID" 2 $((EVERY + 8))
result "escalation: it repeats at its interval"
"$PY" -c '
import json, sys
for line in open (sys.argv [1]):
    d = json.loads (line); a = d.get ("alert") or {}
    if a.get ("type") == "escalation" and a.get ("message_id") == sys.argv [2]:
        sys.exit (0 if d.get ("acute") and sys.argv [3] not in line else 1)
sys.exit (1)' "$W/out/koordinator.jsonl" "$AC_MID" "$KARI"
result "escalation: the alert is acute and carries no fødselsnummer"

#   TryggEst (offline, never listened) looks at its inbox and reads it.
sam tryggest inbox --json >"$W/inbox.json" 2>"$W/inbox.err"
rc=$?
DID=$(find_key "$W/inbox.json" delivery_id message_id "$AC_MID")
[ $rc -eq 0 ] && [ -n "$DID" ]
result "inbox: TryggEst's inbox lists the acute concern waiting, with its delivery id"
sam tryggest inbox --read "$DID" >"$W/read.out" 2>"$W/read.err"
[ $? -eq 0 ]
result "inbox: --read marks it read"
sleep 1     # an alert already on its way when it was read may still land
AFTER_READ=$(alerts koordinator escalation "$AC_MID")
sleep $((2 * EVERY + 1))
[ "$(alerts koordinator escalation "$AC_MID")" -eq "$AFTER_READ" ]
result "escalation: once read, no more escalations ($((2 * EVERY + 1)) s watched)"
sam tryggest inbox --json >"$W/inbox2.json" 2>/dev/null
[ $? -eq 0 ] && ! find_key "$W/inbox2.json" delivery_id message_id "$AC_MID" >/dev/null
result "inbox: once read it is no longer waiting"

# ------------------------------------------------------------------ status

sam vakt status "$AC_MID" --json >"$W/status.json" 2>"$W/status.err"
STATUS_RC=$?
[ $STATUS_RC -eq 0 ] && [ "$(find_key "$W/status.json" message_id message_id "$AC_MID")" = "$AC_MID" ]
result "status: the sender gets the status of its message"
[ "$(find_key "$W/status.json" state node tryggest)" = "read" ]
result "status: tryggest read"
[ "$(find_key "$W/status.json" state node politi-risk)" = "received" ]
result "status: politi-risk received (listening, not read)"
[ "$(find_key "$W/status.json" state node koordinator)" = "received" ]
result "status: koordinator received (listening, not read)"
[ $STATUS_RC -eq 0 ] && [ "$(find_key "$W/status.json" state node krisesenter)" = "" ]
result "status: the crisis centre, withheld, has no entry"
sam vakt status "$AC_MID" >"$W/status.txt" 2>&1
[ $? -eq 0 ] && grep -q "tryggest.*read" "$W/status.txt" && grep -q "politi-risk.*received" "$W/status.txt"
result "status: the text table shows each node's state"
sam politi-risk status "$AC_MID" >/dev/null 2>&1
[ $? -eq 3 ]
result "status: another agency may not ask about a message it did not send (refused)"

# ------------------------------------------------------------------ audit

sam admin audit verify >"$W/verify.txt" 2>&1
[ $? -eq 0 ] && grep -qi "intact" "$W/verify.txt"
result "audit: verify says the chain is intact"
sam admin audit who-received --subject-id "$KARI" >"$W/who.txt" 2>&1
WHO_RC=$?
[ $WHO_RC -eq 0 ] && grep -q "politi-risk" "$W/who.txt" && grep -q "koordinator" "$W/who.txt" \
    && grep -q "tryggest" "$W/who.txt"
result "audit: who-received lists the deliveries about Kari (politi-risk, koordinator, tryggest)"
[ $WHO_RC -eq 0 ] && ! grep -q "krisesenter" "$W/who.txt"
result "audit: who-received shows nothing sent to the crisis centre"
sam admin audit who-received --subject-id "$KARI" --json >"$W/who.json" 2>/dev/null
[ "$(find_key "$W/who.json" view node politi-risk)" = "pseudonymised" ]
result "audit: who-received --json names the view each node got"
sam admin audit export --since "$(date -d yesterday +%F)" >"$W/export.txt" 2>&1
[ $? -eq 0 ] && grep -q "escalat" "$W/export.txt" && grep -q "expired" "$W/export.txt"
result "audit: export holds the escalations and the expiry"
sam vakt audit verify >/dev/null 2>&1
[ $? -eq 3 ]
result "audit: a duty operator may not query the audit (refused)"
sam admin admin dead-letters --json >"$W/dead.json" 2>&1
[ $? -eq 0 ] && [ "$(json "$W/dead.json" "len(r['dead_letters'])")" = "0" ]
result "admin: dead-letters lists none (everything was received, read or expired)"
sam vakt admin dead-letters >/dev/null 2>&1
[ $? -eq 3 ]
result "admin: a duty operator may not list dead letters (refused)"

exit $((FAILS > 0))
