#!/usr/bin/env bash
#   deb.sh — the Debian package end to end: `make deb` builds it, `dpkg -i`
#   installs it (system user samhand, /etc/samhand with its config, enrolled/
#   and a server certificate, the unit), `samhandd --check-config` passes as
#   that user, the broker started as that user (no systemd in a container:
#   the binary directly, as the unit would) answers a ping from an enrolled
#   admin node and keeps its store and keys in /var/lib/samhand (0700), a
#   SIGTERM stops it with status 0, and `dpkg --purge` removes it all.
#
#     SAMHAND_BUILD=build tests/install/deb.sh
#
#   Needs root and dpkg-buildpackage; otherwise prints SKIP and exits 0
#   (CI runs as root). Skipped in the sanitizer run (the package is built
#   from source either way). Refuses to touch a samhand package that was
#   installed before it started. Bounded: ~60 s, watchdog at 300 s.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B=${SAMHAND_BUILD:-build}
case $B in /*) ;; *) B=$ROOT/$B ;; esac
case $B in *build-san) echo "SKIP deb: the package is built and tested by the plain make check"; exit 0 ;; esac
if [ "$(id -u)" -ne 0 ]; then echo "SKIP deb: needs root to install a package"; exit 0; fi
for tool in dpkg dpkg-buildpackage dh runuser; do
    command -v $tool >/dev/null || { echo "SKIP deb: $tool is not installed"; exit 0; }
done
if dpkg-query -W -f='${Status}' samhand 2>/dev/null | grep -q installed; then
    echo "SKIP deb: a samhand package is installed on this machine already: not touching it"
    exit 0
fi
# shellcheck source-path=SCRIPTDIR/../.. source=scripts/samhand-common.sh
. "$ROOT/scripts/samhand-common.sh"
samhand_test_begin deb 300 samhand-deb
installed=0
deb_cleanup () {
    [ -n "$BROKER_PID" ] && kill "$BROKER_PID" 2>/dev/null
    [ $installed = 1 ] && dpkg --purge samhand >/dev/null 2>&1
    samhand_test_cleanup
}
trap deb_cleanup EXIT

make -s -C "$ROOT" deb >"$W/deb.log" 2>&1
result "deb: make deb builds the package" || { tail -30 "$W/deb.log"; exit 1; }
DEB=$(ls "$ROOT"/build-deb/samhand_*.deb | head -1)

#   dpkg takes a lock; two checks at once on one machine wait for each other.
exec 9>/tmp/samhand-deb-test.lock
flock -w 120 9 || abort "deb: another deb test holds the lock"
installed=1
dpkg -i "$DEB" >"$W/dpkg.log" 2>&1
result "deb: dpkg -i installs it" || cat "$W/dpkg.log"

getent passwd samhand >/dev/null; result "deb: the system user samhand exists"
st () { stat -c '%U:%G %a' "$1" 2>/dev/null; }
[ "$(st /var/lib/samhand)" = "samhand:samhand 700" ]
result "deb: /var/lib/samhand is samhand's, mode 0700 ($(st /var/lib/samhand))"
[ "$(st /etc/samhand)" = "root:samhand 750" ] && [ "$(st /etc/samhand/enrolled)" = "root:samhand 750" ] \
  && [ "$(st /etc/samhand/samhandd.cfg)" = "root:samhand 640" ]
result "deb: /etc/samhand, enrolled/ and the config are root's, readable by the samhand group only"
[ "$(st /etc/samhand/server.cert_secret)" = "samhand:samhand 600" ] && [ -s /etc/samhand/server.cert ]
result "deb: the server certificate was made, its secret samhand's only (0600)"
[ -f /lib/systemd/system/samhand.service ] && [ -x /usr/sbin/samhandd ] && [ -x /usr/bin/samhand ] \
  && [ -f /usr/share/man/man8/samhandd.8.gz ]
result "deb: the unit, the binaries and the man pages are installed"
if command -v systemd-analyze >/dev/null; then
    out=$(systemd-analyze verify /lib/systemd/system/samhand.service 2>&1); rc=$?
    [ $rc -eq 0 ] && [ -z "$out" ]; result "deb: systemd-analyze verify is clean on the installed unit" || echo "$out"
fi

#   A free port, and an enrolled admin node to ping with.
PORT=$(free_port)
sed -i "s|^    bind = .*|    bind = \"tcp://127.0.0.1:$PORT\"|" /etc/samhand/samhandd.cfg
"$B/samhand" keygen t-admin --role admin --dir "$W" >/dev/null && cp "$W/t-admin.cert" /etc/samhand/enrolled/ \
  || abort "deb: cannot make the test node"
printf 'client\n    endpoint = "tcp://127.0.0.1:%s"\n    broker_cert = "/etc/samhand/server.cert"\n    cert = "%s/t-admin.cert"\n' \
    "$PORT" "$W" >"$W/t-admin.cfg"

out=$(runuser -u samhand -- /usr/sbin/samhandd --check-config -c /etc/samhand/samhandd.cfg 2>&1)
result "deb: samhandd --check-config passes as the samhand user ($out)"

(cd / && exec runuser -u samhand -- /usr/sbin/samhandd -c /etc/samhand/samhandd.cfg) 2>"$W/samhandd.log" &
BROKER_PID=$!
ok=1
for _ in $(seq 50); do
    kill -0 "$BROKER_PID" 2>/dev/null || { ok=0; break; }
    "$B/samhand" -c "$W/t-admin.cfg" ping --wait 1 >"$W/ping.out" 2>&1 && { ok=2; break; }
    sleep 0.2
done
[ $ok = 2 ]; result "deb: the broker runs as samhand and answers a ping" || tail -5 "$W/samhandd.log"
#   runuser stays as the parent: the broker is its child.
DPID=$(pgrep -P "$BROKER_PID" -x samhandd | head -1)
user=$(ps -o user= -p "${DPID:-0}" | tr -d ' ')
[ "$user" = samhand ]; result "deb: samhandd runs as the samhand user (ps says '$user')"
[ -f /var/lib/samhand/samhand.db ] && [ "$(st /var/lib/samhand/keys)" = "samhand:samhand 700" ] \
  && [ ! -e /etc/samhand/samhand.db ] && [ ! -e /etc/samhand/keys ]
result "deb: the store and keys are in /var/lib/samhand, nothing of it in /etc/samhand"
kill -TERM "${DPID:-$BROKER_PID}"
rc=124
for _ in $(seq 100); do
    kill -0 "$BROKER_PID" 2>/dev/null || { wait "$BROKER_PID"; rc=$?; break; }
    sleep 0.1
done
BROKER_PID=""
[ $rc -eq 0 ]; result "deb: SIGTERM stops the broker with status 0 (got $rc)" || tail -5 "$W/samhandd.log"

dpkg --purge samhand >"$W/purge.log" 2>&1
result "deb: dpkg --purge removes it" || cat "$W/purge.log"
installed=0
[ ! -e /usr/sbin/samhandd ] && [ ! -e /var/lib/samhand ] && [ ! -e /etc/samhand ] \
  && [ ! -e /lib/systemd/system/samhand.service ]
result "deb: after the purge no binary, unit, /etc/samhand or /var/lib/samhand remains"
exit $((FAILS > 0))
