#!/usr/bin/env bash
#   key_refused.sh — a node whose key the broker refuses in the CURVE
#   handshake is told so plainly, at once, with its own exit code (5), not
#   "the broker does not answer" after the whole wait: a node never
#   enrolled, a node revoked (also while listening), and a node that
#   still holds the broker's previous (retired) certificate; --json says
#   KEY_REFUSED. A broker that is simply not there keeps exit code 4.
#   ALL DATA IS INVENTED.
#
#     SAMHAND_BUILD=build tests/cli/key_refused.sh
#
#   Bounded: about 15 s; a watchdog stops it at 90 s.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B=${SAMHAND_BUILD:-build}
case $B in /*) ;; *) B=$ROOT/$B ;; esac
# shellcheck source-path=SCRIPTDIR/../.. source=scripts/samhand-common.sh
. "$ROOT/scripts/samhand-common.sh"

samhand_test_begin key_refused 90 samhand-refused
[ -x "$B/samhand" ] && [ -x "$B/samhandd" ] || abort "key_refused: binaries not built"
PORT=$(free_port)
"$B/samhand" init-demo "$W" --port "$PORT" >/dev/null 2>"$W/init.err" || abort "key_refused: init-demo"
mkdir -p "$OUT"
REFUSED="the broker refused this node's key (not enrolled, revoked, or the broker's key changed)"

#   Kari Oppdiktet's node: a certificate nobody enrolled.
"$B/samhand" keygen kari-ukjent --agency tryggest --role team --dir "$W/nodes" >/dev/null 2>&1 \
    || abort "key_refused: keygen"
sed 's|cert = "tryggest.cert"|cert = "kari-ukjent.cert"|' "$W/nodes/tryggest.cfg" >"$W/nodes/kari-ukjent.cfg"
grep -q 'kari-ukjent.cert' "$W/nodes/kari-ukjent.cfg" || abort "key_refused: node config"
#   A broker key pair the broker never had (as a node that kept the
#   broker's certificate from before a rotation).
"$B/samhand" keygen retired --server --dir "$W" >/dev/null 2>&1 || abort "key_refused: keygen server"
sed 's|"../server.cert"|"../retired.cert"|' "$W/nodes/vakt.cfg" >"$W/nodes/vakt-retired.cfg"
grep -q 'retired.cert' "$W/nodes/vakt-retired.cfg" || abort "key_refused: retired config"

#   No broker yet: that is "no answer" (4), not a refusal.
sam vakt --wait 1 ping >"$W/none.out" 2>"$W/none.err"
[ $? -eq 4 ] && ! grep -q "refused this node's key" "$W/none.err"
result "no broker running: exit 4, no word of a refused key"

samhand_start_broker || abort "key_refused: the broker starts"

#   refused KIND NODE: a ping with --wait 8 must end with 5 well before 8 s
refused () {
    local start end rc
    start=$(date +%s%N)
    sam "$2" --wait 8 ping >"$W/$1.out" 2>"$W/$1.err"
    rc=$?
    end=$(date +%s%N)
    TOOK_MS=$(( (end - start) / 1000000 ))
    [ $rc -eq 5 ] && grep -qF "$REFUSED" "$W/$1.err" && [ $TOOK_MS -lt 6000 ]
}
refused unknown kari-ukjent
result "a node never enrolled: exit 5 and the plain reason, without waiting out --wait (${TOOK_MS} ms)"
grep -q "does not admit .*kari-ukjent.cert" "$W/unknown.err"
result "... naming the certificate the broker does not admit"
refused retired vakt-retired
result "a node holding a broker certificate the broker does not use: exit 5 (${TOOK_MS} ms)"
grep -q "retired.cert is not the key that broker uses now" "$W/retired.err"
result "... naming the broker certificate it holds"
sam kari-ukjent --wait 8 inbox --json >"$W/unknown.json" 2>/dev/null
[ $? -eq 5 ] && [ "$(json "$W/unknown.json" 'r["error"]["code"]')" = KEY_REFUSED ]
result "inbox --json: {\"error\":{\"code\":\"KEY_REFUSED\"}} and exit 5"
sam vakt --wait 3 ping >/dev/null 2>&1
result "an enrolled node is still served"
#   One key in two files (an operator's copy): czmq's zcertstore aborted
#   the broker on it; the ZAP handler keeps one and logs the other.
cp "$W/enrolled/vakt.cert" "$W/enrolled/vakt-kopi.cert"
sam vakt --wait 3 ping >/dev/null 2>&1 && kill -0 "$BROKER_PID" 2>/dev/null \
    && grep -q "vakt.*cert has a public key enrolled already in another file: ignored" "$W/samhandd.log"
result "a second file with an enrolled key: the node is served, the broker lives and logs the copy"
rm -f "$W/enrolled/vakt-kopi.cert"

#   Revocation: a listener is told by the broker (NOT_PERMITTED, exit 3 as
#   before); a new connection afterwards is refused in the handshake.
samhand_listen tryggest || abort "key_refused: tryggest listens"
"$B/samhand" admin revoke tryggest -c "$W/samhandd.cfg" >/dev/null 2>"$W/revoke.err" \
    || abort "key_refused: revoke"
refused revoked tryggest
result "a revoked node: exit 5 and the plain reason at its next connection (${TOOK_MS} ms)"
wait_for "$OUT/tryggest.err" "no longer accepts this certificate" 15
result "the revoked node's open listen is told and stops"
sam tryggest listen --timeout 8 >"$W/listen.out" 2>"$W/listen.err"
[ $? -eq 5 ] && grep -qF "$REFUSED" "$W/listen.err"
result "listen as a revoked node: exit 5, not waiting for a broker that will not take it"

#   Enrolled again: admitted at once (the refusal does not stick).
"$B/samhand" admin enroll "$W/nodes/kari-ukjent.cert" -c "$W/samhandd.cfg" >/dev/null 2>"$W/enroll.err" \
    || abort "key_refused: enroll"
sam kari-ukjent --wait 3 ping >/dev/null 2>&1
result "once enrolled the node is served"

#   samhand-web says the same to its people: koordinator's web client is
#   served, then koordinator is revoked and the broker restarted (a new
#   handshake): a page's request gets 502 KEY_REFUSED, which the page words
#   from error.KEY_REFUSED; a samhand-web started for a revoked node says
#   why it cannot start.
WEB_PORT=$(free_port)
printf 'passord-oppdiktet-1\npassord-oppdiktet-1\n' \
    | "$B/samhand-web" -c "$W/nodes/koordinator.cfg" adduser testa --role coordinator >/dev/null 2>&1 \
    || abort "key_refused: web adduser"
"$B/samhand-web" -c "$W/nodes/koordinator.cfg" --listen "127.0.0.1:$WEB_PORT" \
    --static "$ROOT/clients/web/static" >"$W/web.log" 2>&1 &
WEB_PID=$!
LISTENERS="$LISTENERS $WEB_PID"
web_get () {
    "$PY" - "$WEB_PORT" <<'PYEOF'
import http.cookiejar, json, sys, time, urllib.error, urllib.parse, urllib.request
url = "http://127.0.0.1:%s" % sys.argv [1]
opener = urllib.request.build_opener (urllib.request.HTTPCookieProcessor (http.cookiejar.CookieJar ()))
def call (method, path, data = None):
    body = urllib.parse.urlencode (data).encode () if data is not None else None
    req = urllib.request.Request (url + path, data = body, method = method)
    try:
        with opener.open (req, timeout = 20) as r:
            return r.status, r.read ().decode ()
    except urllib.error.HTTPError as e:
        return e.code, e.read ().decode ()
for _ in range (50):
    try:
        status, _ = call ("POST", "/login", {"name": "testa", "password": "passord-oppdiktet-1"})
        break
    except OSError:
        time.sleep (0.2)
status, body = call ("GET", "/api/inbox")
code = ""
try:
    code = json.loads (body).get ("error", {}).get ("code", "")
except ValueError:
    pass
print (status, code)
PYEOF
}
[ "$(web_get)" = "200 " ]
result "samhand-web: koordinator's inbox is served"
"$B/samhand" admin revoke koordinator -c "$W/samhandd.cfg" >/dev/null 2>&1 || abort "key_refused: revoke koordinator"
kill "$BROKER_PID" 2>/dev/null; wait "$BROKER_PID" 2>/dev/null
samhand_start_broker || abort "key_refused: the broker starts again"
[ "$(web_get)" = "502 KEY_REFUSED" ]
result "samhand-web: after the revocation a page's request gets 502 KEY_REFUSED"
"$PY" -c 'import json, sys; t = json.load (open (sys.argv [1])) ["error.KEY_REFUSED"]; sys.exit (0 if "systemansvarlig" in t else 1)' \
    "$ROOT/clients/web/static/i18n/nb.json"
result "samhand-web: the page has words for KEY_REFUSED (ask the administrator)"
timeout 20 "$B/samhand-web" -c "$W/nodes/koordinator.cfg" --listen "127.0.0.1:$(free_port)" >"$W/web2.log" 2>&1
[ $? -eq 1 ] && grep -qF "$REFUSED" "$W/web2.log"
result "samhand-web started for a revoked node says the broker refused its key"

samhand_stop
[ "$FAILS" -eq 0 ]
