#!/usr/bin/env bash
#   metrics.sh — the broker's health for operators, end to end over real
#   sockets: a real scrape of /metrics on the loopback endpoint (metrics_bind)
#   with per-node waiting deliveries, counters and the commit histogram and no
#   personal data; 404/405 for anything but GET /metrics; an idle connection
#   does not stall the broker or the next scrape; `samhand admin status
#   [--json]` for the admin and refused to others; `samhandd --health` with
#   monitoring-plugin exit codes (OK 0 while running, CRITICAL 2 when the
#   broker is down, UNKNOWN 3 without metrics_bind); a metrics_bind that is
#   not loopback refused by --check-config.
#
#     SAMHAND_BUILD=build tests/install/metrics.sh
#
#   Bounded (~10 s; watchdog at 120 s). ALL DATA IS INVENTED: "Kari
#   Oppdiktet", her fødselsnummer (valid check digits, invented date) and
#   phone do not exist.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B=${SAMHAND_BUILD:-build}
case $B in /*) ;; *) B=$ROOT/$B ;; esac
# shellcheck source-path=SCRIPTDIR/../.. source=scripts/samhand-common.sh
. "$ROOT/scripts/samhand-common.sh"
samhand_test_begin metrics 120 samhand-metrics
PORT=$(free_port) && MPORT=$(free_port) || abort "metrics: no free port"
"$B/samhand" init-demo "$INST/i" --port "$PORT" >/dev/null || abort "metrics: init-demo failed"
INST=$INST/i
mkdir -p "$OUT"
CFG=$INST/samhandd.cfg
cp "$CFG" "$W/plain.cfg"
sed -i "s|^server\$|server\n    metrics_bind = \"127.0.0.1:$MPORT\"|" "$CFG"
grep -q "metrics_bind = \"127.0.0.1:$MPORT\"" "$CFG" || abort "metrics: cannot set metrics_bind"
NAME="Kari Oppdiktet"; FNR=$(fnr_from_date 110786 400); PHONE=41234987
TEXT="Invented: Kari Oppdiktet fears her ex-partner tonight"

health () { "$B/samhandd" --health -c "$1" >"$W/health.out" 2>&1; HRC=$?; HOUT=$(cat "$W/health.out"); }

health "$CFG"
[ $HRC -eq 2 ] && [[ $HOUT == "SAMHAND CRITICAL - "* ]] && [ "$(wc -l <"$W/health.out")" -eq 1 ]
result "metrics: --health says CRITICAL (2) in one line when no broker runs ($HOUT)"
health "$W/plain.cfg"
[ $HRC -eq 3 ] && [[ $HOUT == "SAMHAND UNKNOWN - "* ]]
result "metrics: --health says UNKNOWN (3) without metrics_bind"

samhand_start_broker || abort "metrics: the broker did not start"
#   A concern to everyone while tryggest is not listening: it waits there.
sam vakt concern --subject-name "$NAME" --subject-id "$FNR" --subject-phone "$PHONE" \
    --urgency urgent --text "$TEXT" --json >"$W/submit.json" 2>"$W/submit.err"
result "metrics: a concern is submitted (tryggest is not listening)"

#   A disclosure under the duty to avert: one record for review per agency.
sam koordinator concern --subject-name "$NAME" --subject-id "$FNR" --urgency acute \
    --text "Invented: imminent danger tonight" --basis avert \
    --justification "Invented: threat of killing reported tonight" --decision-maker "Invented Leder" \
    --json >"$W/avert.json" 2>"$W/avert.err"
result "metrics: a concern under the duty to avert is submitted" || cat "$W/avert.err"

scrape () { curl -s -m 5 -o "$W/$1.body" -D "$W/$1.head" -w '%{http_code}' "${@:2}"; }
code=$(scrape m "http://127.0.0.1:$MPORT/metrics")
[ "$code" = 200 ] && grep -qi '^Content-Type: text/plain; version=0.0.4' "$W/m.head"
result "metrics: GET /metrics answers 200 with the Prometheus text type (got $code)"
val () { awk -v k="$1" '$1 == k { print $2 }' "$W/m.body"; }
awk -v v="$(val 'samhand_outbox_pending{node="tryggest"}')" 'BEGIN { exit !(v >= 1) }'
result "metrics: samhand_outbox_pending{node=\"tryggest\"} counts the waiting delivery"
[ -n "$(val 'samhand_outbox_oldest_age_seconds{node="tryggest"}')" ] && [ -n "$(val samhand_dead_letters)" ] \
  && [ -n "$(val samhand_connected_nodes)" ] && [ -n "$(val samhand_store_bytes)" ]
result "metrics: oldest age, dead letters, connected nodes and store size are there"
awk -v v="$(val samhand_submits_total)" 'BEGIN { exit !(v >= 1) }' \
  && awk -v v="$(val samhand_commit_duration_seconds_count)" 'BEGIN { exit !(v >= 1) }' \
  && grep -q '^samhand_commit_duration_seconds_bucket{le="+Inf"}' "$W/m.body"
result "metrics: the submit counter and the commit latency histogram count the work"
awk -v v="$(val samhand_duty_to_avert_reviews)" 'BEGIN { exit !(v >= 1) }'
result "metrics: the duty-to-avert disclosure is counted for review ($(val samhand_duty_to_avert_reviews))"
ok=1
for secret in "$NAME" Oppdiktet "$FNR" "$PHONE" "ex-partner" "Invented Leder" "threat of killing"; do
    grep -qF -- "$secret" "$W/m.body" && { echo "# found in the metrics: $secret"; ok=0; }
done
[ $ok = 1 ]; result "metrics: no name, national id, phone or text in the metrics"
code=$(scrape nf "http://127.0.0.1:$MPORT/other")
[ "$code" = 404 ]; result "metrics: another path is 404 (got $code)"
code=$(scrape post -X POST -d x "http://127.0.0.1:$MPORT/metrics")
[ "$code" = 405 ]; result "metrics: POST is 405 (got $code)"

#   An idle connection (nothing sent) must not hold up the broker or a scrape.
exec 7<>"/dev/tcp/127.0.0.1/$MPORT"
start=$(date +%s%N)
sam admin ping --wait 2 >/dev/null 2>&1 && [ "$(scrape m2 "http://127.0.0.1:$MPORT/metrics")" = 200 ]
rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ $rc -eq 0 ] && [ $ms -lt 1500 ]
result "metrics: with an idle connection open the broker still answers and scrapes work (${ms} ms)"
exec 7>&-
#   A request that never ends its headers is cut off, and nothing breaks.
"$PY" - "$MPORT" <<'PY' >"$W/long.out" 2>&1
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
try:
    s.sendall(b"GET /" + b"a" * 5000)
    print("closed" if s.recv(100) == b"" else "answered")
except (ConnectionResetError, BrokenPipeError):
    print("closed")
PY
[ "$(cat "$W/long.out")" = closed ] && [ "$(scrape m3 "http://127.0.0.1:$MPORT/metrics")" = 200 ]
result "metrics: an endless request line is closed and the next scrape works ($(cat "$W/long.out"))"

sam admin admin status --json >"$W/status.json" 2>"$W/status.err"
result "metrics: samhand admin status --json answers the admin node" || cat "$W/status.err"
[ "$(json "$W/status.json" "[n['pending'] >= 1 for n in r['nodes'] if n['node'] == 'tryggest'] == [True]")" = True ] \
  && [ "$(json "$W/status.json" "r['mode'] == 'single' and r['active_broker'] != '' and r['dead_letters'] == 0 and r['submits'] >= 1 and r['store_bytes'] > 0")" = True ]
result "metrics: admin status shows tryggest's waiting delivery, the mode, the broker, the counts"
[ "$(json "$W/status.json" "r['avert_reviews'] >= 1")" = True ]
result "metrics: admin status counts the duty-to-avert disclosure for review"
[ "$(json "$W/status.json" "[n['last_seen'][-1] for n in r['nodes'] if n['node'] == 'vakt'] == ['Z']")" = True ]
result "metrics: admin status says when vakt was last seen (RFC 3339 UTC)"
sam admin admin status >"$W/status.txt" 2>&1 && grep -q '^tryggest ' "$W/status.txt" && grep -q '^Dead letters:  0' "$W/status.txt"
result "metrics: admin status prints a table for people"
ok=1
for secret in "$NAME" Oppdiktet "$FNR" "$PHONE" "ex-partner" "Invented Leder" "threat of killing"; do
    grep -qF -- "$secret" "$W/status.json" "$W/status.txt" && ok=0
done
[ $ok = 1 ]; result "metrics: no personal data in admin status"
sam vakt admin status >/dev/null 2>&1; rc=$?
[ $rc -eq 3 ]; result "metrics: admin status is refused to a duty operator (exit $rc)"

health "$CFG"
[ $HRC -eq 0 ] && [[ $HOUT == "SAMHAND OK - "* ]] && [ "$(wc -l <"$W/health.out")" -eq 1 ]
result "metrics: --health says OK (0) in one line while the broker runs ($HOUT)"

#   A clean stop (and, in the sanitizer run, no leak or error reported).
kill -TERM "$BROKER_PID"; rc=124
for _ in $(seq 100); do kill -0 "$BROKER_PID" 2>/dev/null || { wait "$BROKER_PID"; rc=$?; break; }; sleep 0.1; done
BROKER_PID=""
[ $rc -eq 0 ] && ! grep -q "Sanitizer" "$INST/samhandd.log"
result "metrics: the broker stops cleanly after serving metrics (status $rc)" || tail -20 "$INST/samhandd.log"
health "$CFG"
[ $HRC -eq 2 ]; result "metrics: --health says CRITICAL (2) once the broker stopped"

sed "s|metrics_bind = \"127.0.0.1:$MPORT\"|metrics_bind = \"0.0.0.0:$MPORT\"|" "$CFG" >"$INST/open.cfg"
out=$("$B/samhandd" --check-config -c "$INST/open.cfg" 2>&1); rc=$?
[ $rc -ne 0 ] && [[ $out == *loopback* ]]
result "metrics: --check-config refuses metrics_bind on 0.0.0.0 ($out)"
exit $((FAILS > 0))
