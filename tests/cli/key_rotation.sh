#!/usr/bin/env bash
#   key_rotation.sh — issue 12 §5: the broker's server key is rotated
#   without cutting every node at once, as README "Operating samhand" says.
#   A new server pair is made, the config names the old one as
#   previous_cert on previous_bind (the old endpoint) until a moment a few
#   seconds ahead: during the transition a node still on the old key and
#   endpoint and a node switched to the new ones are both served, and the
#   log names the node still on the old key; each key works only on its
#   own endpoint. When the moment passes the old endpoint closes (an open
#   connection on it is cut), the old key is refused, the new one still
#   served, and the end is audited. ALL DATA IS INVENTED.
#
#     SAMHAND_BUILD=build tests/cli/key_rotation.sh
#
#   Bounded: about 20 s; a watchdog stops it at 90 s.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B=${SAMHAND_BUILD:-build}
case $B in /*) ;; *) B=$ROOT/$B ;; esac
# shellcheck source-path=SCRIPTDIR/../.. source=scripts/samhand-common.sh
. "$ROOT/scripts/samhand-common.sh"

samhand_test_begin key_rotation 90 samhand-rotate
[ -x "$B/samhand" ] && [ -x "$B/samhandd" ] || abort "key_rotation: binaries not built"
OLD_PORT=$(free_port)
NEW_PORT=$(free_port)
[ "$OLD_PORT" != "$NEW_PORT" ] || NEW_PORT=$((OLD_PORT + 1))
"$B/samhand" init-demo "$W" --port "$OLD_PORT" >/dev/null 2>"$W/init.err" || abort "key_rotation: init-demo"
mkdir -p "$OUT"
CFG=$W/samhandd.cfg

#   The README's steps: a new pair for the broker, the old one kept as the
#   previous key on the old endpoint, the new key on a new endpoint.
"$B/samhand" keygen server-new --server --dir "$W" >/dev/null 2>"$W/keygen.err" \
    || abort "key_rotation: keygen of the new server pair"
UNTIL_S=$(( $(date +%s) + 18 ))
UNTIL=$(date -u -d "@$UNTIL_S" +%Y-%m-%dT%H:%M:%SZ)
sed -i -e "s|bind = \"tcp://127.0.0.1:$OLD_PORT\"|bind = \"tcp://127.0.0.1:$NEW_PORT\"|" \
       -e 's|cert = "server.cert" .*|cert = "server-new.cert"|' "$CFG"
printf '    previous_cert = "server.cert"\n    previous_bind = "tcp://127.0.0.1:%s"\n    previous_until = "%s"\n' \
    "$OLD_PORT" "$UNTIL" >"$W/prev"
METRICS_PORT=$(free_port)
printf '    metrics_bind = "127.0.0.1:%s"\n' "$METRICS_PORT" >>"$W/prev"
sed -i '/^server/r '"$W/prev" "$CFG"
grep -q "previous_until = \"$UNTIL\"" "$CFG" && grep -q 'cert = "server-new.cert"' "$CFG" \
    || abort "key_rotation: config edited"
"$B/samhandd" --check-config -c "$CFG" >"$W/check.out" 2>&1
[ $? -eq 0 ] && grep -q "previous server key is accepted on tcp://127.0.0.1:$OLD_PORT until $UNTIL" "$W/check.out"
result "rotation: --check-config passes and says until when the previous key is accepted"

#   tryggest switches (new broker certificate and endpoint); vakt and the
#   admin node keep their old settings.
sed -i -e "s|tcp://127.0.0.1:$OLD_PORT|tcp://127.0.0.1:$NEW_PORT|" \
       -e 's|"../server.cert"|"../server-new.cert"|' "$W/nodes/tryggest.cfg"
#   Mismatches: the old key on the new endpoint, the new key on the old one.
sed "s|tcp://127.0.0.1:$OLD_PORT|tcp://127.0.0.1:$NEW_PORT|" "$W/nodes/vakt.cfg" >"$W/nodes/vakt-oldkey-newport.cfg"
sed "s|tcp://127.0.0.1:$NEW_PORT|tcp://127.0.0.1:$OLD_PORT|" "$W/nodes/tryggest.cfg" >"$W/nodes/tryggest-newkey-oldport.cfg"

samhand_start_broker || abort "key_rotation: the broker starts and the admin node (old key) answers"
grep -q "previous server key (.*server.cert) is accepted on tcp://127.0.0.1:$OLD_PORT until $UNTIL" "$W/samhandd.log"
result "rotation: the broker logs the transition and its end"
sam vakt --wait 3 ping >"$W/vakt1.out" 2>&1
result "rotation: during the transition a node on the old key and endpoint is served"
sam tryggest --wait 3 ping >"$W/try1.out" 2>&1
result "rotation: during the transition a node on the new key and endpoint is served"
grep -q "transport: vakt (key .*) connected with the PREVIOUS server key, accepted until $UNTIL" "$W/samhandd.log"
result "rotation: the log names the node still on the previous key"
! grep -q "transport: tryggest (key .*) connected with the PREVIOUS" "$W/samhandd.log"
result "rotation: ... and not the node that switched"
sam vakt-oldkey-newport --wait 2 ping >/dev/null 2>&1
[ $? -ne 0 ]
result "rotation: the old key is refused on the new endpoint"
sam tryggest-newkey-oldport --wait 2 ping >/dev/null 2>&1
[ $? -ne 0 ]
result "rotation: the new key is refused on the old endpoint"

#   A listener on the old key, open when the transition ends.
"$B/samhand" -c "$W/nodes/vakt.cfg" listen --timeout 40 >"$OUT/vakt.out" 2>"$OUT/vakt.err" &
LISTENERS="$LISTENERS $!"
wait_for "$OUT/vakt.err" "listening as" 10
result "rotation: a listener on the old key is served during the transition"

#   What the operator sees: admin status, metrics and --health say that the
#   previous key is accepted, until when, and which nodes are still on it.
metrics () {
    "$PY" -c 'import sys, urllib.request; print (urllib.request.urlopen ("http://127.0.0.1:%s/metrics" % sys.argv [1], timeout = 5).read ().decode ())' "$METRICS_PORT"
}
sam admin admin status --json >"$W/status1.json" 2>"$W/status1.err"
[ "$(json "$W/status1.json" 'r["previous_key"]["accepted"]')" = True ] \
    && [ "$(json "$W/status1.json" 'r["previous_key"]["until"]')" = "$UNTIL" ] \
    && [ "$(json "$W/status1.json" 'r["previous_key"]["bind"]')" = "tcp://127.0.0.1:$OLD_PORT" ] \
    && [ "$(json "$W/status1.json" '[n["connected"] for n in r["previous_key"]["nodes"] if n["node"] == "vakt"]')" = "[True]" ] \
    && [ "$(json "$W/status1.json" '[n for n in r["previous_key"]["nodes"] if n["node"] == "tryggest"]')" = "[]" ]
result "rotation: admin status --json: previous key accepted, until, where; vakt connected on it, tryggest not"
sam admin admin status >"$W/status1.txt" 2>&1
grep -q "the PREVIOUS server key is still accepted on tcp://127.0.0.1:$OLD_PORT until" "$W/status1.txt" \
    && grep -q "vakt (connected now)" "$W/status1.txt" && grep -q "not yet safe to end" "$W/status1.txt"
result "rotation: admin status says the previous key is accepted until when, vakt on it, not yet safe"
metrics >"$W/metrics1.txt" 2>/dev/null
grep -q '^samhand_previous_key_accepted 1$' "$W/metrics1.txt" \
    && grep -q "^samhand_previous_key_until_timestamp_seconds $UNTIL_S.000$" "$W/metrics1.txt" \
    && grep -Eq '^samhand_node_previous_key_connected\{node="vakt"\} 1(\.000)?$' "$W/metrics1.txt" \
    && ! grep -q 'previous_key.*node="tryggest"' "$W/metrics1.txt"
result "rotation: metrics: previous key accepted, its end, vakt connected on it (tryggest not listed)"
"$B/samhandd" --health -c "$CFG" >"$W/health1.txt" 2>&1
[ $? -eq 1 ] && grep -q "^SAMHAND WARNING - .*; previous server key accepted until $UNTIL, 1 node still on it: vakt |.* previous_key_nodes=1$" "$W/health1.txt"
result "rotation: --health: WARNING, nodes still on the previous key within a day of its end, named"

#   The end.
while [ "$(date +%s)" -le "$UNTIL_S" ]; do sleep 0.3; done
wait_for "$W/samhandd.log" "previous server key retired at $UNTIL: tcp://127.0.0.1:$OLD_PORT closed" 5
result "rotation: at previous_until the broker closes the old endpoint and says so"
wait_for "$OUT/vakt.err" "does not answer" 15
result "rotation: the open connection on the old key is cut"
sam vakt --wait 2 ping >/dev/null 2>&1
[ $? -ne 0 ]
result "rotation: after the transition the old key is refused"
sam tryggest --wait 3 ping >/dev/null 2>&1
result "rotation: after the transition the new key is still served"
#   A node that took the new endpoint but kept the retired broker key is
#   told so plainly (exit 5), not "the broker does not answer".
sam vakt-oldkey-newport --wait 6 ping >/dev/null 2>"$W/retired.err"
[ $? -eq 5 ] && grep -q "the broker refused this node's key (not enrolled, revoked, or the broker's key changed)" "$W/retired.err" \
    && grep -q "server.cert is not the key that broker uses now" "$W/retired.err"
result "rotation: after the transition the retired key on the new endpoint: exit 5 and the plain reason"
stop_listeners
sed -i -e "s|tcp://127.0.0.1:$OLD_PORT|tcp://127.0.0.1:$NEW_PORT|" \
       -e 's|"../server.cert"|"../server-new.cert"|' "$W/nodes/vakt.cfg" "$W/nodes/admin.cfg"
sam vakt --wait 3 ping >/dev/null 2>&1
result "rotation: the late node is served once its config names the new key and endpoint"
sam admin admin status --json >"$W/status2.json" 2>"$W/status2.err"
[ "$(json "$W/status2.json" 'r["previous_key"]["accepted"]')" = False ] \
    && [ "$(json "$W/status2.json" '[n["connected"] for n in r["previous_key"]["nodes"] if n["node"] == "vakt"]')" = "[False]" ]
result "rotation: after the end admin status says the previous key is no longer accepted, vakt not on it"
metrics >"$W/metrics2.txt" 2>/dev/null
"$B/samhandd" --health -c "$CFG" >"$W/health2.txt" 2>&1
[ $? -eq 0 ] && grep -q '^samhand_previous_key_accepted 0$' "$W/metrics2.txt" \
    && ! grep -q "previous server key" "$W/health2.txt"
result "rotation: after the end metrics say 0 and --health is OK again"
samhand_stop
[ "$("$PY" -c 'import sqlite3, sys
db = sqlite3.connect (sys.argv [1])
print (db.execute ("SELECT count(*) FROM audit WHERE event = ? AND detail LIKE ?",
                   ("server_key_retired", "previous server key retired at " + sys.argv [2] + "%")).fetchone () [0])' \
    "$W/samhand.db" "$UNTIL")" = 1 ]
result "rotation: the end of the transition is in the audit log"

#   A restart after the date: the old endpoint is not opened at all.
"$B/samhandd" --check-config -c "$CFG" >"$W/check2.out" 2>&1
[ $? -eq 0 ] && grep -q "previous_until $UNTIL has passed" "$W/check2.out"
result "rotation: after the date --check-config says the previous_* settings are spent"
"$B/samhandd" -c "$CFG" 2>"$W/restart.log" &
BROKER_PID=$!
ok=1
for _ in $(seq 30); do sam tryggest --wait 1 ping >/dev/null 2>&1 && { ok=0; break; }; sleep 0.2; done
[ $ok -eq 0 ] && grep -q "has passed: the previous server key is refused and tcp://127.0.0.1:$OLD_PORT is not opened" "$W/restart.log"
result "rotation: restarted after the date, the old endpoint stays closed (and the log says why)"
sed "s|tcp://127.0.0.1:$NEW_PORT|tcp://127.0.0.1:$OLD_PORT|" "$W/nodes/vakt.cfg" \
    | sed 's|"../server-new.cert"|"../server.cert"|' >"$W/nodes/vakt-old.cfg"
sam vakt-old --wait 2 ping >/dev/null 2>&1
[ $? -ne 0 ]
result "rotation: ... and the old key is refused"

[ "$FAILS" -eq 0 ]
