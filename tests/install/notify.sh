#!/usr/bin/env bash
#   notify.sh — samhandd speaks sd_notify as a Type=notify unit expects, to a
#   real unix datagram socket this test listens on (NOTIFY_SOCKET): READY=1
#   only once the broker answers a ping, WATCHDOG=1 at half of WATCHDOG_USEC
#   (none without it), RELOADING=1 then READY=1 on SIGHUP, STOPPING=1 on
#   SIGTERM, and exit status 0; a standby (issue 13) STATUS= and
#   EXTEND_TIMEOUT_USEC= but no READY=1 until it takes over.
#
#     SAMHAND_BUILD=build tests/install/notify.sh
#
#   Bounded (~8 s; watchdog at 120 s). Demo installation in a temporary
#   folder (invented nodes only), removed unless KEEP=1.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B=${SAMHAND_BUILD:-build}
case $B in /*) ;; *) B=$ROOT/$B ;; esac
# shellcheck source-path=SCRIPTDIR/../.. source=scripts/samhand-common.sh
. "$ROOT/scripts/samhand-common.sh"
samhand_test_begin notify 120 samhand-notify
PORT=$(free_port) || abort "notify: no free port"
"$B/samhand" init-demo "$W/inst" --port "$PORT" >/dev/null || abort "notify: init-demo failed"

"$PY" - "$B" "$W/inst" "$W" <<'PY'
import os, signal, socket, subprocess, sys, time
bindir, inst, work = sys.argv[1:4]

failed = 0
def check(ok, name):
    global failed
    failed += not ok
    print(("PASS " if ok else "FAIL ") + "notify: " + name, flush=True)

def listen(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    return s

def wait_for(s, want, seconds, seen):
    """Reads datagrams until one holds the line WANT; every line goes into SEEN."""
    end = time.time() + seconds
    while time.time() < end:
        s.settimeout(max(0.01, end - time.time()))
        try:
            data = s.recv(4096).decode()
        except socket.timeout:
            break
        lines = data.split("\n")
        seen.extend(lines)
        if want in lines:
            return True
    return False

def ping():
    return subprocess.run([bindir + "/samhand", "-c", inst + "/nodes/admin.cfg", "ping", "--wait", "2"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0

def start(sock_path, watchdog_usec, log):
    env = dict(os.environ, NOTIFY_SOCKET=sock_path)
    env.pop("WATCHDOG_USEC", None); env.pop("WATCHDOG_PID", None)
    if watchdog_usec:
        env["WATCHDOG_USEC"] = str(watchdog_usec)
    return subprocess.Popen([bindir + "/samhandd", "-c", inst + "/samhandd.cfg"], env=env,
                            stdout=subprocess.DEVNULL, stderr=open(log, "w"))

def stop(p):
    if p.poll() is None:
        p.kill()
        p.wait()

# 1. With a watchdog of 0.6 s.
s = listen(work + "/notify.sock")
p = start(work + "/notify.sock", 600000, work + "/samhandd.log")
try:
    seen = []
    ready = wait_for(s, "READY=1", 15, seen)
    check(ready, "READY=1 arrives once the broker has started")
    check(ready and ping(), "right after READY=1 the broker answers a ping")
    check("WATCHDOG=1" not in seen, "no WATCHDOG=1 before READY=1")
    seen = []
    wait_for(s, "never", 1.6, seen)
    n = seen.count("WATCHDOG=1")
    check(n >= 3, "WATCHDOG=1 at half of WATCHDOG_USEC=600000 (%d in 1.6 s)" % n)
    p.send_signal(signal.SIGHUP)
    seen = []
    ok = wait_for(s, "READY=1", 5, seen)
    check(ok and "RELOADING=1" in seen and seen.index("RELOADING=1") < seen.index("READY=1"),
          "SIGHUP gives RELOADING=1, then READY=1 once reloaded")
    p.send_signal(signal.SIGTERM)
    seen = []
    check(wait_for(s, "STOPPING=1", 10, seen), "SIGTERM gives STOPPING=1")
    try:
        rc = p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        rc = None
    check(rc == 0, "the broker then exits with status 0 (got %s)" % rc)
finally:
    stop(p)
    s.close()

# 2. Without WATCHDOG_USEC: ready, but no watchdog pings.
s = listen(work + "/notify2.sock")
p = start(work + "/notify2.sock", 0, work + "/samhandd2.log")
try:
    seen = []
    ready = wait_for(s, "READY=1", 15, seen)
    seen = []
    wait_for(s, "never", 1.0, seen)
    check(ready and "WATCHDOG=1" not in seen, "no WATCHDOG=1 when systemd asks for no watchdog")
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=10)
finally:
    stop(p)
    s.close()
# 3. An active and a standby broker on one store (issue 13): the standby
#    reports no READY=1 while it waits, only its status and a longer start
#    timeout; when the active one is killed it takes over and reports READY=1.
import re, socket as sk
def free_port():
    t = sk.socket(); t.bind(("127.0.0.1", 0)); port = t.getsockname()[1]; t.close(); return port
text = open(inst + "/samhandd.cfg").read()
cfgs = {}
for name in ("a", "b"):
    port = free_port()
    cfgs[name] = (inst + "/broker-%s.cfg" % name, port)
    with open(cfgs[name][0], "w") as f:
        f.write(re.sub(r'(?m)^    bind = .*$', '    bind = "tcp://127.0.0.1:%d"\n    name = "broker-%s"\n'
                       '    standby = "yes"' % (port, name), text, count=1))
def start_cfg(cfg, sock_path, log):
    env = dict(os.environ, NOTIFY_SOCKET=sock_path)
    env.pop("WATCHDOG_USEC", None); env.pop("WATCHDOG_PID", None)
    return subprocess.Popen([bindir + "/samhandd", "-c", cfg], env=env,
                            stdout=subprocess.DEVNULL, stderr=open(log, "w"))
sa = listen(work + "/notify-a.sock")
sb = listen(work + "/notify-b.sock")
pa = start_cfg(cfgs["a"][0], work + "/notify-a.sock", work + "/broker-a.log")
pb = None
try:
    seen = []
    check(wait_for(sa, "READY=1", 15, seen), "the first broker of a pair reports READY=1")
    pb = start_cfg(cfgs["b"][0], work + "/notify-b.sock", work + "/broker-b.log")
    seen = []
    waiting = wait_for(sb, "EXTEND_TIMEOUT_USEC=30000000", 15, seen)
    wait_for(sb, "never", 1.0, seen)
    check(waiting and "STATUS=standby: another broker is active" in seen and "READY=1" not in seen
          and pb.poll() is None,
          "the standby reports its status and extends the start timeout, never READY=1")
    pa.kill(); pa.wait()
    seen = []
    took = time.time()
    ready = wait_for(sb, "READY=1", 5, seen)
    took = time.time() - took
    ok = ready and subprocess.run([bindir + "/samhand", "-c", inst + "/nodes/admin.cfg", "--endpoint",
                                   "tcp://127.0.0.1:%d" % cfgs["b"][1], "ping", "--wait", "2"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0
    check(ok, "when the active broker is killed the standby reports READY=1 (%.1f s) and answers" % took)
    pb.send_signal(signal.SIGTERM)
    check(pb.wait(timeout=10) == 0, "the broker that took over stops with status 0")
finally:
    stop(pa)
    if pb:
        stop(pb)
    sa.close()
    sb.close()
sys.exit(1 if failed else 0)
PY
PYRC=$?
[ $PYRC -le 1 ] || fail "notify: the test script stopped with status $PYRC"
exit $((PYRC != 0))
