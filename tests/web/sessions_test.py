#!/usr/bin/python3
"""What a page that is no longer logged in, a person without the role, a
local reader of the node's files, or anyone after the node was revoked can
get from samhand-web (an attacker's review). Plain HTTP, no browser: a real
broker and samhand-web for three demo nodes. Prints PASS/FAIL lines
(tests/testlib.h format). All people are invented ("Kari Oppdiktet")."""
import http.client
import http.cookiejar
import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "clients", "web"))
import webdemo  # noqa: E402

BUILD = os.environ.get("SAMHAND_BUILD", "build")
PASSWORDS = {u: "passord-for-%s-test" % u for u in ("vera", "anne", "tore", "tim")}
passed = 0
failed = 0


def check(ok, what, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print("PASS %s" % what, flush=True)
    else:
        failed += 1
        print("FAIL %s%s" % (what, (": " + detail) if detail else ""), flush=True)
    return ok


class Http:
    def __init__(self, url):
        self.url = url
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.csrf = None

    def call(self, method, path, data=None):
        body = urllib.parse.urlencode(data or {}, doseq=True).encode() if method == "POST" else None
        req = urllib.request.Request(self.url + path, data=body, method=method)
        if body is not None:
            req.add_header("Content-Type", "application/x-www-form-urlencoded")
        if self.csrf and method == "POST":
            req.add_header("X-CSRF-Token", self.csrf)
        try:
            with self.opener.open(req, timeout=15) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def login(self, user):
        status, _ = self.call("POST", "/login", {"name": user, "password": PASSWORDS[user]})
        if status == 200:
            self.csrf = json.loads(self.call("GET", "/api/me")[1])["csrf"]
        return status

    def cookie(self):
        return "; ".join("%s=%s" % (c.name, c.value) for c in self.jar)

    def raw_get(self, path):
        """GET PATH exactly as written (no client-side normalising)."""
        host, port = self.url[len("http://"):].split(":")
        c = http.client.HTTPConnection(host, int(port), timeout=10)
        c.putrequest("GET", path, skip_accept_encoding=True)
        c.putheader("Cookie", self.cookie())
        c.endheaders()
        r = c.getresponse()
        status = r.status
        r.read()
        c.close()
        return status


class Stream:
    """The page's event stream, read from a plain socket."""
    def __init__(self, client, last=None):
        host, port = client.url[len("http://"):].split(":")
        self.sock = socket.create_connection((host, int(port)), timeout=10)
        extra = "Last-Event-ID: %s\r\n" % last if last is not None else ""
        self.sock.sendall(("GET /api/events HTTP/1.1\r\nHost: %s:%s\r\nCookie: %s\r\n%s\r\n"
                           % (host, port, client.cookie(), extra)).encode())
        self.data = b""
        self.closed = False

    def read(self, seconds, until=None):
        end = time.time() + seconds
        while time.time() < end and not self.closed:
            if until and until in self.data:
                break
            self.sock.settimeout(max(0.05, end - time.time()))
            try:
                d = self.sock.recv(65536)
            except socket.timeout:
                break
            if not d:
                self.closed = True
            self.data += d
        return self.data.decode(errors="replace")

    def close(self):
        self.sock.close()


class Env(webdemo.WebEnv):
    """The demo broker with samhand-web for three of its nodes only."""
    def start_some(self, nodes, before_web=None):
        port = webdemo.free_port()
        subprocess.run([self.build + "/samhand", "init-demo", self.dir, "--port", str(port)],
                       capture_output=True, check=True, timeout=60)
        log = open(os.path.join(self.dir, "samhandd.log"), "w")
        self.procs.append(subprocess.Popen([self.build + "/samhandd", "-c",
                                            os.path.join(self.dir, "samhandd.cfg")],
                                           stderr=log, stdout=log))
        for _ in range(100):
            if self.sam("admin", "ping", "--wait", "1", check=False).returncode == 0:
                break
            time.sleep(0.1)
        else:
            raise RuntimeError("the broker did not answer")
        for node, user, role, _ in webdemo.NODES + [e + (None,) for e in webdemo.EXTRA]:
            if node in nodes and user in PASSWORDS:
                self.adduser(node, user, role)
        if before_web:
            before_web(self)
        for node, _, _, host in webdemo.NODES:
            if node in nodes:
                self.start_web(node, host)


def concern(env, text):
    r = env.sam("vakt", "concern", "--subject-name", "Kari Oppdiktet", "--subject-phone", "41234567",
                "--text", text, "--urgency", "routine", check=False)
    return r.returncode == 0


def main():
    env = Env(BUILD, passwords=dict(PASSWORDS))
    sent_path = os.path.join(env.dir, "nodes", "koordinator.sent")
    loose_path = os.path.join(env.dir, "nodes", "vakt.sent")

    def old_files(e):
        #   A NODE.sent an older samhand-web left readable by others.
        with open(loose_path, "w") as f:
            f.write("%s concern_report vera RC-2345-6789-ABCD\n" % ("ab" * 16))
        os.chmod(loose_path, 0o644)
        #   1,005 messages sent from the coordinator's node before a restart.
        with open(sent_path, "w") as f:
            for i in range(1005):
                f.write("%032x concern_report anne -\n" % i)
        os.chmod(sent_path, 0o600)
    try:
        env.start_some(("vakt", "koordinator", "tryggest"), before_web=old_files)
        run(env, sent_path, loose_path)
    finally:
        env.stop()
        shutil.rmtree(env.dir, ignore_errors=True)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


def run(env, sent_path, loose_path):
    koord, tryg = env.urls["koordinator"], env.urls["tryggest"]

    # ---- NODE.sent: who sent what about which case, this node's own
    mode = stat.S_IMODE(os.stat(loose_path).st_mode)
    check(mode & 0o077 == 0, "web: a NODE.sent readable by others is made 0600 at start", oct(mode))
    anne = Http(koord)
    check(anne.login("anne") == 200, "web: the coordinator logs in")
    status, body = anne.call("GET", "/api/sent")
    newest = json.loads(body)["messages"][0]["message_id"] if status == 200 else ""
    check(newest == "%032x" % 1004, "web: after a restart \"my messages\" starts from the newest"
          " of 1,005 sent (not the 1,000th)", newest)
    lines = len(open(sent_path).read().splitlines())
    check(lines == 1000, "web: NODE.sent is cut to the 1,000 newest at start", str(lines))
    status, body = anne.call("POST", "/api/concern", {"name": "Kari Oppdiktet", "text":
                                                      "Oppdiktet bekymring fra nettsiden",
                                                      "urgency": "routine"})
    check(status == 200, "web: a concern from the page is taken", body[:200])
    os.unlink(sent_path)
    status, body = anne.call("POST", "/api/concern", {"name": "Kari Oppdiktet", "text":
                                                      "Oppdiktet bekymring nummer to",
                                                      "urgency": "routine"})
    mode = stat.S_IMODE(os.stat(sent_path).st_mode) if os.path.exists(sent_path) else -1
    check(status == 200 and mode == 0o600, "web: NODE.sent is made 0600 (was 0644 by the umask)",
          "%d %s" % (status, oct(mode)))

    # ---- a page whose person logged out (in another tab) gets nothing more
    s = Stream(anne)
    s.read(3, until=b"retry:")
    time.sleep(0.7)                     # the stream waits for the next event now
    out = anne.call("POST", "/logout")[0]
    marker = "Oppdiktet etter utlogging"
    check(out == 200 and concern(env, marker), "web: logged out, then a concern comes in")
    got = s.read(4, until=marker.encode())
    s.close()
    check(marker not in got and "Kari" not in got.split("retry: 1000", 1)[-1],
          "web: the open event stream of a logged-out session gets nothing more", got[-300:])

    # ---- a new password (the old one leaked) ends the sessions made with it
    vera = Http(env.urls["vakt"])
    check(vera.login("vera") == 200 and vera.call("GET", "/api/me")[0] == 200,
          "web: the duty operator logs in")
    r = subprocess.run([env.build + "/samhand-web", "-c", env.cfg("vakt"), "passwd", "vera"],
                       input="nytt-passord-for-vera\n", capture_output=True, text=True, timeout=60)
    check(r.returncode == 0, "web: the administrator gives vera a new password", r.stderr[-200:])
    check(vera.call("GET", "/api/me")[0] == 401,
          "web: the session logged in with the old password is ended by the new one")
    again = Http(env.urls["vakt"])
    status, _ = again.call("POST", "/login", {"name": "vera", "password": "nytt-passord-for-vera"})
    check(status == 200, "web: the new password logs in")

    # ---- a TLS key others can read is refused, as the users file is
    tls = os.path.join(env.dir, "tls")
    os.makedirs(tls)
    g = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-subj", "/CN=127.0.0.9", "-keyout", tls + "/key.pem", "-out", tls + "/cert.pem"],
                       capture_output=True, timeout=60)
    if g.returncode == 0:
        os.chmod(tls + "/key.pem", 0o644)
        r = subprocess.run([env.build + "/samhand-web", "-c", env.cfg("admin"), "--listen",
                            "127.0.0.9:%d" % webdemo.free_port(), "--tls-cert", tls + "/cert.pem",
                            "--tls-key", tls + "/key.pem"], capture_output=True, text=True, timeout=30)
        check(r.returncode != 0 and "readable by others" in r.stderr,
              "web: a TLS key readable by others is refused at start", r.stderr[-200:])
    else:
        check(False, "web: a TLS key readable by others is refused at start", "openssl failed")

    # ---- pages a role may not have, by another spelling of their path
    tim = Http(koord)
    check(tim.login("tim") == 200, "web: a team member of the coordinator's node logs in")
    spelled = {p: tim.raw_get(p) for p in ("/admin.html", "/./admin.html", "//admin.html",
                                           "/./koordinator.html", "/.//koordinator.html")}
    check(all(v in (403, 404) for v in spelled.values()),
          "web: /./admin.html or //koordinator.html is not served to a role without it",
          str(spelled))
    check(tim.raw_get("/i18n/nb.json") == 200 and tim.raw_get("/live.html") == 200,
          "web: the pages and files a team member may have are still served")

    # ---- logins with made-up names, all at once, need no session
    proc = [p for p in env.procs if "koordinator.cfg" in " ".join(p.args)][0]

    def peak():
        for line in open("/proc/%d/status" % proc.pid):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) // 1024
        return -1
    codes = []

    def guess(i):
        codes.append(Http(koord).call("POST", "/login", {"name": "gjest%02d" % i, "password": "feil"})[0])
    threads = [threading.Thread(target=guess, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    check(codes.count(401) == 12 and peak() < 300,
          "web: 12 logins at once with made-up names take one Argon2id's memory at a time"
          " (64 MiB each)", "codes %s, peak %d MB" % (sorted(set(codes)), peak()))

    # ---- after the broker revoked the node, nothing kept is replayed
    tore = Http(tryg)
    check(tore.login("tore") == 200, "web: TryggEst's user logs in")
    marker = "Oppdiktet for tilbakekalling"
    concern(env, marker)
    replay = ""
    for _ in range(40):
        replay = Stream(tore, last=0).read(0.5)
        if '"type":"deliver"' in replay:
            break
    check('"type":"deliver"' in replay, "web: TryggEst's stream replays its deliveries (Last-Event-ID 0)",
          replay[-200:])
    r = subprocess.run([env.build + "/samhand", "admin", "revoke", "tryggest", "-c",
                        os.path.join(env.dir, "samhandd.cfg")], capture_output=True, text=True, timeout=30)
    check(r.returncode == 0, "web: the administrator revokes TryggEst's node", r.stderr[-200:])
    deadline = time.time() + 20
    while time.time() < deadline:
        replay = Stream(tore, last=0).read(0.5)
        if '"type":"deliver"' not in replay:
            break
        time.sleep(0.5)
    check('"type":"deliver"' not in replay,
          "web: after the node is revoked its web client replays none of the deliveries it kept",
          replay[-300:])
    late = Http(tryg)
    late.login("tore")
    replay = Stream(late, last=0).read(1)
    check('"type":"deliver"' not in replay, "web: nor to a person who logs in after the revocation",
          replay[-300:])
    logs = open(env.logs["tryggest"]).read()
    check("Oppdiktet" not in logs and "Kari" not in logs, "web: the web client's log names nobody")


if __name__ == "__main__":
    sys.exit(main())
