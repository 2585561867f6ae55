#!/usr/bin/python3
"""Starts a samhand broker and a samhand-web client for each demo node, with
invented demo users, on loopback. `make web-demo` runs it until Ctrl-C; the
browser tests (tests/web/) import it to set up the same thing.

Each web client gets its own loopback address (127.0.0.2, .3, ...) so a
browser keeps the agencies' sessions apart. All people are invented."""
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

#   node, person, role, address
NODES = [
    ("vakt", "vera", "duty_operator", "127.0.0.2"),
    ("koordinator", "anne", "coordinator", "127.0.0.3"),
    ("tryggest", "tore", "team", "127.0.0.4"),
    ("politi-risk", "petter", "team", "127.0.0.5"),
    ("krisesenter", "kristin", "team", "127.0.0.6"),
    ("admin", "ada", "admin", "127.0.0.7"),
]
#   More people on the coordinator's node: a team member (may not see the
#   coordinator's pages) beside the coordinator.
EXTRA = [("koordinator", "tim", "team")]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class WebEnv:
    def __init__(self, build, folder=None, passwords=None, idle=None, broker_extra=""):
        self.build = os.path.abspath(build)
        self.dir = folder or tempfile.mkdtemp(prefix="samhand-web-")
        self.passwords = passwords or {}
        self.idle = idle or {}
        self.broker_extra = broker_extra
        self.procs = []
        self.urls = {}
        self.logs = {}

    def sam(self, node, *args, check=True):
        return subprocess.run([self.build + "/samhand", "-c", self.cfg(node)] + list(args),
                              capture_output=True, text=True, check=check, timeout=30)

    def cfg(self, node):
        return os.path.join(self.dir, "nodes", node + ".cfg")

    def password(self, user):
        if user not in self.passwords:
            self.passwords[user] = "demo-" + secrets.token_urlsafe(9)
        return self.passwords[user]

    def adduser(self, node, user, role):
        subprocess.run([self.build + "/samhand-web", "-c", self.cfg(node), "adduser", user, "--role", role],
                       input=self.password(user) + "\n", capture_output=True, text=True, check=True,
                       timeout=60)

    def start(self):
        port = free_port()
        subprocess.run([self.build + "/samhand", "init-demo", self.dir, "--port", str(port)],
                       capture_output=True, check=True, timeout=60)
        if self.broker_extra:
            with open(os.path.join(self.dir, "samhandd.cfg"), "a") as f:
                f.write(self.broker_extra)
        broker_log = open(os.path.join(self.dir, "samhandd.log"), "w")
        self.procs.append(subprocess.Popen([self.build + "/samhandd", "-c",
                                            os.path.join(self.dir, "samhandd.cfg")],
                                           stderr=broker_log, stdout=broker_log))
        for _ in range(100):
            if self.sam("admin", "ping", "--wait", "1", check=False).returncode == 0:
                break
            time.sleep(0.1)
        else:
            raise RuntimeError("the broker did not answer")
        for node, user, role, _ in NODES:
            self.adduser(node, user, role)
        for node, user, role in EXTRA:
            self.adduser(node, user, role)
        for node, _, _, host in NODES:
            self.start_web(node, host)
        return self

    def start_web(self, node, host, extra=()):
        port = free_port()
        log_path = os.path.join(self.dir, "web-%s.log" % node)
        log = open(log_path, "w")
        args = [self.build + "/samhand-web", "-c", self.cfg(node), "--listen", "%s:%d" % (host, port)]
        if node in self.idle:
            args += ["--idle", str(self.idle[node])]
        p = subprocess.Popen(args + list(extra), stdout=log, stderr=log)
        self.procs.append(p)
        url = "http://%s:%d" % (host, port)
        for _ in range(100):
            try:
                urllib.request.urlopen(url + "/login.html", timeout=1).read()
                break
            except Exception:
                if p.poll() is not None:
                    raise RuntimeError("samhand-web for %s stopped: %s" % (node, open(log_path).read()))
                time.sleep(0.1)
        self.urls[node] = url
        self.logs[node] = log_path
        return url

    def stop(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in reversed(self.procs):
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        self.procs = []


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    folder = tempfile.mkdtemp(prefix="samhand-web-demo-")
    env = WebEnv(build, folder)
    try:
        env.start()
    except Exception as e:
        print("web-demo: %s" % e, file=sys.stderr)
        env.stop()
        return 1
    print("samhand web demo (all people invented). Open in a browser:\n")
    for node, user, role, _ in NODES:
        print("  %-12s %-32s user %-8s password %s" % (node, env.urls[node] + "/", user, env.password(user)))
    for node, user, role in EXTRA:
        print("  %-12s %-32s user %-8s password %s (%s)" % (node, env.urls[node] + "/", user,
                                                          env.password(user), role))
    print("\nThe demo lives in %s. Ctrl-C stops it." % folder)
    stop = []
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    while not stop:
        time.sleep(0.5)
    env.stop()
    shutil.rmtree(folder, ignore_errors=True)
    print("web-demo: stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
