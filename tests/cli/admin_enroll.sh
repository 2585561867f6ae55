#!/usr/bin/env bash
#   admin_enroll.sh — issue 12 §5: `samhand admin enroll FILE | revoke NAME |
#   list` on the broker's enrolled folder (named by -c samhandd.cfg, or
#   --enrolled DIR), with a running broker: a node
#   made by keygen is refused until enrolled, answers once enrolled, is
#   listed with agency, role and expiry (text and --json), and is refused
#   again within seconds of its revocation, its certificate kept in revoked/
#   with a time stamp; enroll --replace renews a node's certificate in one
#   step. enroll refuses a secret key, bad metadata, a past
#   expiry, a name or a key enrolled already. ALL DATA IS INVENTED.
#
#     SAMHAND_BUILD=build tests/cli/admin_enroll.sh
#
#   Bounded: about 15 s; a watchdog stops it at 90 s.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B=${SAMHAND_BUILD:-build}
case $B in /*) ;; *) B=$ROOT/$B ;; esac
# shellcheck source-path=SCRIPTDIR/../.. source=scripts/samhand-common.sh
. "$ROOT/scripts/samhand-common.sh"

samhand_test_begin admin_enroll 90 samhand-enroll
[ -x "$B/samhand" ] && [ -x "$B/samhandd" ] || abort "admin_enroll: binaries not built"
PORT=$(free_port)
"$B/samhand" init-demo "$W" --port "$PORT" >/dev/null 2>"$W/init.err" || abort "admin_enroll: init-demo"
mkdir -p "$OUT"
E=$W/enrolled
#   As the README says: -c the broker's samhandd.cfg, whose server/enrolled
#   ("enrolled", beside the file) names the folder; run from elsewhere, so
#   the relative path must be resolved against the config's folder.
adm () { (cd / && "$B/samhand" admin "$@" -c "$W/samhandd.cfg"); }

#   ny: a new TryggEst team node, made as the README says, with an expiry.
"$B/samhand" keygen ny --agency tryggest --role team --days 20 --dir "$W/nodes" >/dev/null 2>&1 \
    || abort "admin_enroll: keygen"
sed "s/tryggest/ny/g" "$W/nodes/tryggest.cfg" >"$W/nodes/ny.cfg"

samhand_start_broker || abort "admin_enroll: the broker answers ping"
sam ny --wait 2 ping >/dev/null 2>&1
[ $? -ne 0 ]
result "enroll: a node not yet enrolled is refused"

#   What enroll refuses.
adm enroll "$W/nodes/ny.cert_secret" >/dev/null 2>"$W/e1.err"
[ $? -eq 1 ] && grep -q "secret key" "$W/e1.err" && [ ! -e "$E/ny.cert" ]
result "enroll: refuses a file holding a secret key"
sed 's/role = "team"/role = "boss"/' "$W/nodes/ny.cert" >"$W/badrole.cert"
adm enroll "$W/badrole.cert" >/dev/null 2>"$W/e2.err"
[ $? -eq 1 ] && grep -q "no known role" "$W/e2.err"
result "enroll: refuses a certificate with an unknown role"
sed 's/agency = "tryggest"/agency = "nav"/' "$W/nodes/ny.cert" >"$W/badagency.cert"
adm enroll "$W/badagency.cert" >/dev/null 2>"$W/e3.err"
[ $? -eq 1 ] && grep -q "no known agency" "$W/e3.err"
result "enroll: refuses a certificate with an unknown agency"
sed 's/expires = ".*"/expires = "2020-01-01T00:00:00Z"/' "$W/nodes/ny.cert" >"$W/old.cert"
adm enroll "$W/old.cert" >/dev/null 2>"$W/e4.err"
[ $? -eq 1 ] && grep -q "expired" "$W/e4.err"
result "enroll: refuses an expired certificate"
sed 's/name = "ny"/name = "tryggest"/' "$W/nodes/ny.cert" >"$W/dupname.cert"
adm enroll "$W/dupname.cert" >/dev/null 2>"$W/e5.err"
[ $? -eq 1 ] && grep -q "name is enrolled already" "$W/e5.err"
result "enroll: refuses a name enrolled already"
sed 's/name = "tryggest"/name = "tvilling"/' "$E/tryggest.cert" >"$W/dupkey.cert"
adm enroll "$W/dupkey.cert" >/dev/null 2>"$W/e6.err"
[ $? -eq 1 ] && grep -q "key is enrolled already" "$W/e6.err"
result "enroll: refuses a key enrolled already under another name"
[ "$(ls "$E" | wc -l)" -eq 6 ]
result "enroll: nothing refused reached the folder"

#   Enrol: the broker takes it up within seconds.
adm enroll "$W/nodes/ny.cert" >"$W/enroll.out" 2>&1
[ $? -eq 0 ] && [ -f "$E/ny.cert" ] && ! grep -q secret "$E/ny.cert"
result "enroll: copies the public certificate into the folder"
ok=1
for _ in $(seq 20); do sam ny --wait 1 ping >/dev/null 2>&1 && { ok=0; break; }; sleep 0.5; done
[ $ok -eq 0 ]
result "enroll: the broker accepts the node within seconds"
adm enroll "$W/nodes/ny.cert" >/dev/null 2>"$W/e7.err"
[ $? -eq 1 ] && grep -q "enrolled already" "$W/e7.err"
result "enroll: the same certificate twice is refused"

#   List: agency, role, expiry, soon-to-expire state. Whole days left,
#   rounded down: 20 when keygen and list fall in the same second (a fast
#   machine: it failed so in CI), 19 once a second has passed, 18 if the
#   run is very slow.
adm list >"$W/list.txt" 2>"$W/list.err"
listrc=$?
[ $listrc -eq 0 ] && grep -qE "^ny +tryggest +team +$(date -u -d '+20 days' +%F)T[0-9:]+Z +expires in (18|19|20) days" "$W/list.txt" \
    && grep -qE "^vakt +resource_centre +duty_operator +- +ok" "$W/list.txt" \
    && grep -qE "^admin +- +admin " "$W/list.txt" && grep -q "7 certificates" "$W/list.err"
result "list: a table of name, agency, role, expiry and state"
adm list --json >"$W/list.json" 2>/dev/null
json "$W/list.json" "[e['agency'] + ' ' + e['role'] + ' ' + str(e['days_left']) for e in r['enrolled'] if e['name'] == 'ny'][0]" \
    | grep -qxE "tryggest team (18|19|20)"
result "list --json: agency, role and days_left"
#   If these two fail, keep what was listed, for whoever meets it next
#   (that is how the same-second case above was found).
if [ "$FAILS" -gt 0 ]; then
    { echo "admin_enroll: list exited $listrc at $(date -u +%FT%TZ); ny.cert says:"
      grep expires "$E/ny.cert"; cat "$W/list.txt" "$W/list.err" "$W/list.json"; } >&2
fi

#   Status: a certificate expiring within 30 days is shown, idle or not.
sam admin admin status >"$W/status.txt" 2>&1
[ $? -eq 0 ] && grep -qE "^Certificate of ny expires $(date -d '+20 days' +%F) [0-9:]+ \(in (18|19|20) days\)" "$W/status.txt" \
    && [ "$(grep -c "^Certificate of" "$W/status.txt")" -eq 1 ]
result "status: shows the certificate expiring within 30 days (ny), and only that one"
sam admin admin status --json >"$W/status.json" 2>/dev/null
[ "$(json "$W/status.json" "[n['node'] for n in r['nodes'] if 'cert_expires' in n]")" = "['ny']" ] \
    && json "$W/status.json" "[n['cert_expires'] for n in r['nodes'] if n['node'] == 'ny'][0]" | grep -qE "^$(date -u -d '+20 days' +%F)T[0-9:]+Z$"
result "status --json: cert_expires (RFC 3339) on the node expiring within 30 days only"

#   Renewal: a new pair for ny replaces the old certificate at once.
mkdir -p "$W/renew"
"$B/samhand" keygen ny --agency tryggest --role team --days 200 --dir "$W/renew" >/dev/null 2>&1 \
    && cp "$W/nodes/ny.cfg" "$W/renew/ny.cfg" || abort "admin_enroll: keygen for the renewal"
renewed () { "$B/samhand" -c "$W/renew/ny.cfg" "$@"; }
adm enroll "$W/renew/ny.cert" >/dev/null 2>"$W/e8.err"
[ $? -eq 1 ] && grep -q -- "--replace" "$W/e8.err"
result "enroll: a new certificate for an enrolled name asks for --replace"
adm enroll "$W/renew/ny.cert" --replace >"$W/replace.out" 2>&1
[ $? -eq 0 ] && cmp -s "$W/renew/ny.cert" "$E/ny.cert" \
    && [ "$(find "$W/revoked" -name 'ny-*.cert' | wc -l)" -eq 1 ] \
    && cmp -s "$W/nodes/ny.cert" "$(find "$W/revoked" -name 'ny-*.cert')"
result "enroll --replace: the new certificate in place, the old one kept in revoked/"
ok=1
for _ in $(seq 20); do
    renewed --wait 1 ping >/dev/null 2>&1 && ! sam ny --wait 1 ping >/dev/null 2>&1 && { ok=0; break; }
    sleep 0.5
done
[ $ok -eq 0 ]
result "enroll --replace: within seconds the new key is answered and the old one refused"

#   Revoke: moved to revoked/ with a time stamp; refused within seconds.
adm revoke ny >"$W/revoke.out" 2>&1
[ $? -eq 0 ] && [ ! -e "$E/ny.cert" ] && [ "$(find "$W/revoked" -name 'ny-*.cert' | wc -l)" -eq 2 ] \
    && ls "$W/revoked/" | grep -qE "^ny-[0-9]{8}T[0-9]{6}Z(-2)?\.cert$"
result "revoke: the certificate moves to revoked/ with the time (the renewal's record kept)"
start=$(date +%s)
refused=1
for _ in $(seq 20); do
    renewed --wait 1 ping >/dev/null 2>&1 || { refused=0; break; }
    sleep 0.5
done
took=$(( $(date +%s) - start ))
[ $refused -eq 0 ] && [ $took -le 12 ]
result "revoke: the revoked node's ping is refused within seconds (${took} s)"
adm revoke ny >/dev/null 2>"$W/r2.err"
[ $? -eq 3 ] && grep -q "no certificate named ny" "$W/r2.err"
result "revoke: an unknown name is refused (exit 3)"
"$B/samhand" admin list >/dev/null 2>"$W/noe.err"
[ $? -eq 2 ] && grep -q -- "-c samhandd.cfg" "$W/noe.err" && grep -q -- "--enrolled DIR" "$W/noe.err"
result "list: without -c or --enrolled says what it needs (exit 2)"
"$B/samhand" admin list --enrolled "$E" >"$W/list2.txt" 2>/dev/null
[ $? -eq 0 ] && diff -q <(adm list 2>/dev/null) "$W/list2.txt" >/dev/null
result "list: --enrolled DIR lists the same folder as -c samhandd.cfg"
(cd / && "$B/samhand" -c "$W/samhandd.cfg" admin list --json) >"$W/list3.json" 2>/dev/null
[ $? -eq 0 ] && [ "$(json "$W/list3.json" "len(r['enrolled'])")" = "$(ls "$E"/*.cert | wc -l)" ]
result "list: -c before the command word works too"
"$B/samhand" admin list -c "$W/nodes/vakt.cfg" >/dev/null 2>"$W/nodecfg.err"
[ $? -eq 2 ] && grep -q "names no server/enrolled folder" "$W/nodecfg.err"
result "list: a node's config in place of the broker's is refused, saying why (exit 2)"
"$B/samhand" admin list -c "$W/nosuch.cfg" >/dev/null 2>"$W/nocfg.err"
[ $? -eq 1 ] && grep -q "cannot read $W/nosuch.cfg" "$W/nocfg.err"
result "list: an unreadable broker config is a local problem (exit 1)"
sam vakt ping >/dev/null 2>&1
result "the other nodes are untouched"

[ "$FAILS" -eq 0 ]
