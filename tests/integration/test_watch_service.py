#!/usr/bin/env python3
"""yagura watch end to end: crash safety, rotation, reload, signals.

Every scenario runs the real service (`yagura watch -c CONFIG`) on files and
on syslog over TCP on 127.0.0.1, and checks the SQLite alert table, which must
hold every expected alert exactly once (alert ids are deterministic).

1. crash: a known stream (files and TCP) goes in while the service is killed
   with SIGKILL at several points and restarted; in the end each expected
   alert is stored once, and a correlation whose detections straddle a kill
   still fires.
2. rotation: rename, copy-truncate, delete and re-create: no line lost or
   repeated.
3. reload: 20 SIGHUPs while lines are appended: no line lost or doubled; an
   invalid rule set is rejected and the old one keeps running.
4. SIGTERM drains and exits 0; /healthz and /metrics answer.
"""
import json
import re
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request

import watch_common as wc

yagura = os.environ["YAGURA"]
passed = failed = 0

def check(ok, msg):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAIL", msg, flush=True)

RULES = """title: Failed password
id: 3b0c8a52-1f7d-4b8e-9a61-5d2f0e6c7a01
name: failed_password
level: low
logsource: {product: linux, service: sshd}
detection:
  sel:
    message|contains: 'Failed password'
  condition: sel
---
title: Accepted marker
id: 3b0c8a52-1f7d-4b8e-9a61-5d2f0e6c7a02
level: medium
logsource: {product: linux, service: sshd}
detection:
  sel:
    message|contains: 'Accepted publickey for marker'
  condition: sel
---
title: Five failed passwords on one host
id: 3b0c8a52-1f7d-4b8e-9a61-5d2f0e6c7a03
level: high
correlation:
  type: event_count
  rules: [failed_password]
  group-by: [hostname]
  timespan: 1d
  condition: {gte: 5}
"""

def line(i, kind):
    # Lines shaped like loghub's OpenSSH sample; each one unique.
    t = time.strftime("%b %d %H:%M:%S", time.gmtime(1700000000 + i))
    if kind == "fail":
        return f"{t} LabSZ sshd[{1000 + i}]: Failed password for invalid user u{i} from 203.0.113.{i % 250} port {40000 + i} ssh2"
    if kind == "marker":
        return f"{t} LabSZ sshd[{1000 + i}]: Accepted publickey for marker{i} from 198.51.100.1 port 22 ssh2"
    return f"{t} LabSZ sshd[{1000 + i}]: Connection closed by 192.0.2.{i % 250} [preauth]"

class Service:
    def __init__(self, tmp, extra_inputs="", http=False):
        self.tmp = tmp
        self.cfg = os.path.join(tmp, "yagura.yaml")
        rules = os.path.join(tmp, "rules.yml")
        if not os.path.exists(rules):
            open(rules, "w").write(RULES)
        http = "http: {listen: '127.0.0.1:0'}\n" if http else ""
        open(self.cfg, "w").write(
            f"rules: [{rules}]\nstate: {tmp}/state.db\n"
            f"correlation: {{lateness: 1h}}\n"
            f"inputs:\n  - {{name: files, type: file, path: '{tmp}/in/*.log', start_at: beginning}}\n"
            + extra_inputs +
            f"sinks:\n  - {{type: jsonl, path: {tmp}/alerts.jsonl}}\n" + http +
            "log: {level: info}\n")
        self.p = None

    def start(self):
        log = os.path.join(self.tmp, "service.log")
        at = wc.log_size(log)
        self.err = open(log, "a")
        self.p = subprocess.Popen([yagura, "watch", "-c", self.cfg], stdout=subprocess.DEVNULL,
                                  stderr=self.err)
        # Ready when it says it is watching; its listeners' ports are in the same lines.
        self.ports = wc.wait_ready(log, self.p, at)
        check(self.ports is not None, "the service did not start")
        self.ports = self.ports or {}

    def kill(self):
        self.p.send_signal(signal.SIGKILL)
        self.p.wait()

    def stop(self):
        self.p.send_signal(signal.SIGTERM)
        rc = self.p.wait(timeout=30)
        self.err.close()
        return rc

def alerts(tmp):
    db = sqlite3.connect(os.path.join(tmp, "state.db"))
    rows = db.execute("select id, rule_id, record_id, json from alerts").fetchall()
    db.close()
    return rows

def wait_for(pred, timeout=20):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return True
        time.sleep(0.05)  # polling interval
    return pred()

def tcp_send(port, msgs):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    for m in msgs:
        b = ("<38>1 2024-01-10T10:00:00Z host sshd 42 - - " + m.split(": ", 1)[1]).encode()
        s.sendall(str(len(b)).encode() + b" " + b)
    s.close()

# ---- 1. crash ---------------------------------------------------------------
with tempfile.TemporaryDirectory() as tmp:
    os.mkdir(os.path.join(tmp, "in"))
    svc = Service(tmp, "  - {name: tcp, type: syslog-tcp, listen: '127.0.0.1:0'}\n")
    rng = random.Random(7)
    kinds = [("fail" if i % 5 == 0 else "marker" if i % 7 == 0 else "other") for i in range(3000)]
    path = os.path.join(tmp, "in", "auth.log")
    svc.start()
    written = 0
    kills = 0
    tcp_msgs = [line(100000 + i, "marker") for i in range(50)]
    tcp_sent = 0
    while written < len(kinds):
        n = rng.randint(100, 400)
        with open(path, "a") as f:
            for i in range(written, min(written + n, len(kinds))):
                f.write(line(i, kinds[i]) + "\n")
        written = min(written + n, len(kinds))
        # New syslog messages, each sent once during this service's life.
        upto = min(len(tcp_msgs), written // 60)
        try:
            tcp_send(svc.ports["tcp"], tcp_msgs[tcp_sent:upto])
            tcp_sent = upto
        except OSError:
            pass
        # How long this service lives before the next kill: random, so that the kills land at
        # random points of its work (not a wait for anything).
        time.sleep(rng.uniform(0.05, 0.4))
        if kills < 5 and rng.random() < 0.5:
            svc.kill()
            kills += 1
            svc.start()
            # Syslog has no acknowledgement: after a reconnect the sender
            # sends again everything it sent before (its messages in flight
            # at the kill may be lost); the repeats give the same ids.
            tcp_send(svc.ports["tcp"], tcp_msgs[:tcp_sent])
    tcp_send(svc.ports["tcp"], tcp_msgs[tcp_sent:])
    tcp_sent = len(tcp_msgs)
    exp_fail = sum(1 for k in kinds if k == "fail")
    exp_marker = sum(1 for k in kinds if k == "marker") + len(tcp_msgs)
    def done():
        rows = alerts(tmp)
        m = sum(1 for r in rows if r[1].endswith("7a02"))
        return m >= exp_marker
    wait_for(done, 30)
    rc = svc.stop()
    rows = alerts(tmp)
    ids = [r[0] for r in rows]
    markers = [r for r in rows if r[1].endswith("7a02")]
    corr = [r for r in rows if r[1].endswith("7a03")]
    check(rc == 0, f"crash: SIGTERM exit {rc}")
    check(kills >= 3, f"crash: only {kills} kills")
    check(len(ids) == len(set(ids)), "crash: duplicate alert ids")
    check(len(markers) == exp_marker, f"crash: {len(markers)} marker alerts, expected {exp_marker}")
    recs = [r[2] for r in markers]
    check(len(recs) == len(set(recs)), "crash: a record alerted twice")
    # failed_password only reports through the correlation (no generate).
    check(not [r for r in rows if r[1].endswith("7a01")], "crash: suppressed base rule stored")
    # Every 5 failures on host LabSZ give one correlation alert, also when the
    # five straddle a kill: the windows are rebuilt from stored detections.
    check(len(corr) == exp_fail // 5, f"crash: {len(corr)} correlation alerts, expected {exp_fail // 5}")

# ---- 2. rotation ------------------------------------------------------------
with tempfile.TemporaryDirectory() as tmp:
    os.mkdir(os.path.join(tmp, "in"))
    svc = Service(tmp)
    svc.start()
    path = os.path.join(tmp, "in", "auth.log")
    i = 0
    def write(n, p=path):
        global i
        with open(p, "a") as f:
            for _ in range(n):
                f.write(line(i, "marker") + "\n")
                i += 1
    write(100)
    wait_for(lambda: len(alerts(tmp)) >= i, 30)   # the service has read the file
    os.rename(path, path + ".1")        # rename rotation (the old name leaves the glob)
    write(10, path + ".1")              # late writes to the renamed file
    write(100)                          # the new file
    # Copy-truncate loses what the service has not read yet (the copy leaves the glob), so
    # the truncation waits until every line written so far has its alert.
    wait_for(lambda: len(alerts(tmp)) >= i, 30)
    with open(path, "r+") as f:         # copy-truncate
        data = f.read()
        open(path + ".2", "w").write(data)
        f.truncate(0)
    write(100)
    wait_for(lambda: len(alerts(tmp)) >= i, 30)
    os.unlink(path)                     # delete and re-create
    write(100)
    wait_for(lambda: len(alerts(tmp)) >= i, 30)
    write(50, os.path.join(tmp, "in", "new.log"))   # a new file matching the glob
    wait_for(lambda: len(alerts(tmp)) >= i, 30)
    svc.stop()
    rows = alerts(tmp)
    recs = sorted(json.loads(r[3])["matched"]["message"] for r in rows)
    expect = sorted(line(k, "marker").split(": ", 1)[1] for k in range(i))
    check(len(rows) == i, f"rotation: {len(rows)} alerts for {i} lines")
    check(recs == expect, "rotation: a line lost or repeated")
    # Every stored alert carries its time as RFC 3339 UTC with milliseconds, read from the
    # syslog time kept beside it (the year is inferred, the rest is the line's own).
    bad = []
    for r in rows:
        a = json.loads(r[3])
        ts, src = a["timestamp"], a.get("timestamp_source", "")
        want = time.strptime(src, "%b %d %H:%M:%S") if src else None
        if not (re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", ts) and want and
                time.strftime("%m-%dT%H:%M:%S", want) == ts[5:19]):
            bad.append((ts, src))
    check(not bad, f"rotation: alert times not RFC 3339 UTC ms from their source: {bad[:3]}")

# ---- 3. reload under load ------------------------------------------------------
with tempfile.TemporaryDirectory() as tmp:
    os.mkdir(os.path.join(tmp, "in"))
    svc = Service(tmp)
    svc.start()
    path = os.path.join(tmp, "in", "auth.log")
    n = 0
    def reloads():
        with open(os.path.join(tmp, "service.log")) as f:
            return f.read().count("reload done")
    for k in range(20):
        with open(path, "a") as f:
            for _ in range(50):
                f.write(line(n, "marker") + "\n")
                n += 1
        svc.p.send_signal(signal.SIGHUP)
        # The next reload once this one is done (a signal during a reload
        # coalesces with it), so every one of the 20 is a reload under load.
        wait_for(lambda: reloads() >= k + 1, 30)
    # An invalid rule set is rejected; the old rules keep working.
    rules = os.path.join(tmp, "rules.yml")
    good = open(rules).read()
    open(rules, "w").write(good + "---\ntitle: broken\nlogsource: {product: linux}\ndetection: {sel: {a|nosuchmod: 1}, condition: sel}\n")
    svc.p.send_signal(signal.SIGHUP)
    wait_for(lambda: "reload rejected" in open(os.path.join(tmp, "service.log")).read(), 30)
    with open(path, "a") as f:
        for _ in range(50):
            f.write(line(n, "marker") + "\n")
            n += 1
    wait_for(lambda: len(alerts(tmp)) >= n, 30)
    rc = svc.stop()
    rows = alerts(tmp)
    log = open(os.path.join(tmp, "service.log")).read()
    check(rc == 0, f"reload: exit {rc}")
    check(len(rows) == n and len({r[2] for r in rows}) == n, f"reload: {len(rows)} alerts for {n} lines")
    check("reload rejected" in log, "reload: the invalid rule set was not reported")
    check(log.count("reload done") >= 20, f"reload: {log.count('reload done')} reloads done")

# ---- 4. SIGTERM and HTTP -------------------------------------------------------
with tempfile.TemporaryDirectory() as tmp:
    os.mkdir(os.path.join(tmp, "in"))
    svc = Service(tmp, http=True)
    svc.start()
    hp = svc.ports.get("http")
    with open(os.path.join(tmp, "in", "a.log"), "w") as f:
        for k in range(30):
            f.write(line(k, "marker") + "\n")
    wait_for(lambda: len(alerts(tmp)) >= 30, 10)
    health = urllib.request.urlopen(f"http://127.0.0.1:{hp}/healthz", timeout=5)
    check(health.status == 200 and health.read() == b"ok\n", "healthz")
    metrics = urllib.request.urlopen(f"http://127.0.0.1:{hp}/metrics", timeout=5).read().decode()
    check("# TYPE yagura_events_total counter" in metrics, "metrics exposition")
    check('yagura_events_total{input="files"} 30' in metrics, "events per input in metrics")
    rc = svc.stop()
    check(rc == 0, f"SIGTERM exit {rc}")
    check(len(alerts(tmp)) == 30, "SIGTERM: all alerts stored")

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
