"""Shared helpers of the console's tests (test_console_http.py, test_console_browser.py).

make_case() builds a state database (schema made by `yagura incidents list`, incidents
written with SQLite as the incident builder writes them, one of them with hostile content),
an organisation inventory and a configuration with an analyst, a viewer and a TAXII-only
user; Server runs `yagura serve` on a free port and waits until it answers.
"""
import http.client
import json
import os
import re
import sqlite3
import subprocess
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from taxii_common import YAGURA, Tally, hash_password  # noqa: E402

PASSWORD = {"ana": "ana-pass-1", "vic": "vic-pass-1", "partner": "partner-pass-1"}
HOSTILE_ENTITY = '<script>alert("x")</script>'
HOSTILE_TITLE = "<img src=x onerror=alert(1)> - account:" + HOSTILE_ENTITY
DAY = 86400000
T0 = 1714557600000  # 2024-05-01T10:00:00Z

# (id, title, level, level_num, status, first, last, entities [(kind, value, alerts)])
INCIDENTS = [
    ("inc-aaaa1111aaaa1111", "VPN brute force then login - account:alice@acme.example", "high",
     4, "open", T0, T0 + 3600000,
     [("account", "alice@acme.example", 3), ("address", "203.0.113.66", 3)]),
    ("inc-bbbb2222bbbb2222", "Mimikatz on a workstation - host:ws1.beta.example", "critical", 5,
     "open", T0 + 2 * DAY, T0 + 2 * DAY + 60000,
     [("host", "ws1.beta.example", 2), ("account", "bob", 2)]),
    ("inc-cccc3333cccc3333", HOSTILE_TITLE, "medium", 3, "open", T0 + DAY, T0 + DAY + 1000,
     [("account", HOSTILE_ENTITY, 1)]),
    ("inc-dddd4444dddd4444", "Port scan - address:198.51.100.9", "low", 2, "closed",
     T0 - 30 * DAY, T0 - 30 * DAY + 5000, [("address", "198.51.100.9", 1)]),
]


def iso(ms):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms / 1000)) + ".%03dZ" % (ms % 1000)


def fill_db(path):
    open(path, "w").close()  # an empty file: `yagura incidents` makes the schema in it
    subprocess.run([YAGURA, "incidents", "list", "--db", path], check=True, capture_output=True)
    db = sqlite3.connect(path)
    seq = 0
    for (iid, title, level, num, status, first, last, ents) in INCIDENTS:
        n = max(a for _, _, a in ents)
        main = "%s:%s" % (ents[0][0], ents[0][1])
        db.execute("INSERT INTO incidents(id, title, level, level_num, status, first_ms, last_ms,"
                   " alert_count, main_entity, close_reason, closed_by, closed_at, created_at,"
                   " updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                   (iid, title, level, num, status, first, last, n, main,
                    "false positive" if status == "closed" else None,
                    "someone" if status == "closed" else None,
                    last if status == "closed" else None, first, last))
        for kind, value, a in ents:
            db.execute("INSERT INTO incident_entities VALUES (?,?,?,?)", (iid, kind, value, a))
        for k in range(n):
            seq += 1
            t = first + k * (last - first) // max(n - 1, 1)
            user = ents[0][1]
            event = {"EventID": 4625, "TargetUserName": user, "IpAddress": "203.0.113.66",
                     "Note": "</pre><script>alert(2)</script>"}
            alert = {"rule": {"id": "r-%d" % k, "title": "Rule step %d" % k, "level": level},
                     "timestamp": iso(t), "event": event}
            ent_json = json.dumps([{"kind": ents[0][0], "value": user}])
            db.execute("INSERT INTO incident_alerts(alert_id, incident_id, t_ms, seq, event_time,"
                       " kind, rule_id, rule_title, level, level_num, source, entities, parent,"
                       " json) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                       ("%032x" % seq, iid, t, seq, iso(t), "rule", "r-%d" % k,
                        "Rule step %d" % k, level, num, "logs/vpn.log:%d" % (k + 1), ent_json,
                        None, json.dumps(alert)))
    db.commit()
    db.close()


def make_case(work, idle="30m"):
    """The state database, inventory and configuration in work; returns the config path."""
    os.makedirs(work, exist_ok=True)
    state = os.path.join(work, "state.db")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(state + suffix):
            os.remove(state + suffix)
    fill_db(state)
    orgs = os.path.join(work, "organisations.yml")
    with open(orgs, "w") as f:
        f.write("organisations:\n"
                "  - name: ACME\n    sector: manufacturing\n    domains: [acme.example]\n"
                "    addresses: [203.0.113.0/24]\n"
                "  - name: Beta University\n    sector: academia\n    domains: [beta.example]\n")
    hashes = {u: hash_password(p) for u, p in PASSWORD.items()}
    cfg = os.path.join(work, "yagura.yaml")
    with open(cfg, "w") as f:
        f.write(f"""state: {state}
taxii:
  listen: 127.0.0.1:0
  db: {os.path.join(work, 'taxii.db')}
  api_roots:
    - path: api1
      collections:
        - id: 91a7b528-80eb-42ed-a74d-c6fbd5a26116
          alias: community
  console:
    session_idle: {idle}
    organisations: {orgs}
  users:
    - name: ana
      password: "{hashes['ana']}"
      console: analyst
      read: ["*"]
    - name: vic
      password: "{hashes['vic']}"
      console: viewer
    - name: partner
      password: "{hashes['partner']}"
      read: [community]
""")
    return cfg


class Server:
    """`yagura serve -c cfg` on a free port, until stop()."""

    def __init__(self, cfg, work):
        self.port_file = os.path.join(work, "port")
        if os.path.exists(self.port_file):
            os.remove(self.port_file)
        self.log = open(os.path.join(work, "serve.log"), "w")
        self.proc = subprocess.Popen([YAGURA, "serve", "-c", cfg, "--port-file",
                                      self.port_file], stdout=self.log, stderr=subprocess.STDOUT)
        end = time.time() + 30
        self.port = None
        while time.time() < end and self.proc.poll() is None:
            try:
                with open(self.port_file) as f:
                    text = f.read()
                if text.endswith("\n"):
                    self.port = int(text)
                    break
            except OSError:
                pass
            time.sleep(0.05)
        if not self.port:
            self.stop()
            raise SystemExit("FAIL: yagura serve did not start (see %s)" % self.log.name)

    def stop(self):
        """SIGTERM; the exit status (0 for a clean stop; a sanitizer's report makes it other)."""
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)
        self.log.close()
        return self.proc.returncode


class Client:
    """One browser-like client: cookies, and the last page's CSRF token."""

    def __init__(self, port):
        self.port = port
        self.cookies = {}

    def request(self, method, path, form=None, headers=None, raw_body=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        h = dict(headers or {})
        if self.cookies:
            h["Cookie"] = "; ".join("%s=%s" % kv for kv in self.cookies.items())
        body = raw_body
        if form is not None:
            body = urllib.parse.urlencode(form)
            h.setdefault("Content-Type", "application/x-www-form-urlencoded")
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read().decode("utf-8", "replace")
        for k, v in r.getheaders():
            if k.lower() == "set-cookie":
                name, val = v.split(";")[0].split("=", 1)
                if "Max-Age=0" in v:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = val
        c.close()
        return r.status, dict((k.lower(), v) for k, v in r.getheaders()), data, r.getheaders()

    def csrf(self, page):
        m = re.search(r'name="csrf" value="([^"]+)"', page)
        return m.group(1) if m else None

    def login(self, user, password=None):
        _, _, page, _ = self.request("GET", "/console/login")
        tok = self.csrf(page)
        return self.request("POST", "/console/login", form={
            "csrf": tok, "user": user, "password": password or PASSWORD[user]})


__all__ = ["Tally", "YAGURA", "make_case", "Server", "Client", "INCIDENTS", "HOSTILE_ENTITY",
           "HOSTILE_TITLE", "PASSWORD"]
