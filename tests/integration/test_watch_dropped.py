#!/usr/bin/env python3
"""yagura watch: a record over the 4 MiB event limit is dropped, counted once
in yagura_dropped_total and logged.

A file input gets a 5 MiB line between two alerting lines, and a TCP syslog
input an octet-counted message of 5 MiB between two alerting messages.  The
alerting records are stored; /metrics counts exactly one dropped record per
input; the log has one line per input naming the input, the source and the
limit.  A second burst of 50 oversize lines in the file is logged as a count
on few lines, never one line per record.
"""
import os
import re
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
failed = 0
LIMIT = 4 * 1024 * 1024


def check(ok, msg):
    global failed
    if not ok:
        failed += 1
        print("FAIL", msg, flush=True)


RULE = """title: Marker
id: 0b6f2d1e-7c3a-4e5b-9f80-1a2b3c4d5e61
level: high
logsource: {product: linux, service: sshd}
detection:
  sel:
    message|contains: 'Accepted publickey for marker'
  condition: sel
"""


def wait_for(pred, timeout):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return True
        time.sleep(0.1)
    return pred()


def marker(i):
    return (f"Jan 10 10:00:{i % 60:02d} LabSZ sshd[{100 + i}]: Accepted publickey for marker{i} "
            f"from 198.51.100.1 port 22 ssh2")


def metric(port, name, labels):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
        text = r.read().decode()
    for ln in text.splitlines():
        m = re.match(r'^(\w+)\{(.*)\} (\S+)$', ln)
        if m and m.group(1) == name:
            got = dict(re.findall(r'(\w+)="([^"]*)"', m.group(2)))
            if got == labels:
                return float(m.group(3))
    return None


def stored(db):
    try:
        c = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        n = c.execute("select count(*) from alerts").fetchone()[0]
        c.close()
        return n
    except sqlite3.Error:
        return 0


keep = os.environ.get("YG_KEEP_LOG")
with tempfile.TemporaryDirectory() as tmp:
    os.mkdir(os.path.join(tmp, "in"))
    db = os.path.join(tmp, "state.db")
    with open(os.path.join(tmp, "rules.yml"), "w") as f:
        f.write(RULE)
    cfg = os.path.join(tmp, "yagura.yaml")
    with open(cfg, "w") as f:
        f.write(f"rules: [{tmp}/rules.yml]\nstate: {db}\n"
                f"inputs:\n  - {{name: files, type: file, path: '{tmp}/in/*.log',"
                f" start_at: beginning}}\n"
                f"  - {{name: tcp, type: syslog-tcp, listen: '127.0.0.1:0'}}\n"
                f"http: {{listen: '127.0.0.1:0'}}\n"
                "log: {level: info}\n")
    log_path = os.path.join(tmp, "service.log")
    log = open(log_path, "w")
    proc = subprocess.Popen([yagura, "watch", "-c", cfg], stdout=subprocess.DEVNULL, stderr=log)
    try:
        # Ready when it says it is watching; the ports the kernel gave are in the same lines.
        ports = wc.wait_ready(log_path, proc) or {}
        check("tcp" in ports and "http" in ports, "the service did not listen")
        port, tcp = ports.get("http"), ports.get("tcp")
        big = "x" * (LIMIT + LIMIT // 4)
        with open(os.path.join(tmp, "in", "auth.log"), "w") as f:
            f.write(marker(1) + "\n" + big + "\n" + marker(2) + "\n")
        s = socket.create_connection(("127.0.0.1", tcp), timeout=10)
        for m in (marker(3), "<38>1 2024-01-10T10:00:00Z h sshd 1 - - " + big, marker(4)):
            b = (m if m.startswith("<") else "<38>1 2024-01-10T10:00:00Z h sshd 1 - - "
                 + m.split(": ", 1)[1]).encode()
            s.sendall(str(len(b)).encode() + b" " + b)
        s.close()
        check(wait_for(lambda: stored(db) >= 4, 30), f"{stored(db)} of 4 alerts stored")
        lab = lambda name: {"reason": "input", "input": name}
        check(wait_for(lambda: metric(port, "yagura_dropped_total", lab("files")) == 1, 10),
              f"files: yagura_dropped_total is {metric(port, 'yagura_dropped_total', lab('files'))}, "
              "expected 1")
        check(wait_for(lambda: metric(port, "yagura_dropped_total", lab("tcp")) == 1, 10),
              f"tcp: yagura_dropped_total is {metric(port, 'yagura_dropped_total', lab('tcp'))}, "
              "expected 1")
        # A burst: 50 oversize lines, then a marker.
        with open(os.path.join(tmp, "in", "auth.log"), "a") as f:
            for _ in range(50):
                f.write(big + "\n")
            f.write(marker(5) + "\n")
        check(wait_for(lambda: stored(db) >= 5, 60), f"{stored(db)} of 5 alerts stored")
        check(wait_for(lambda: metric(port, "yagura_dropped_total", lab("files")) == 51, 10),
              "files: yagura_dropped_total after the burst is "
              f"{metric(port, 'yagura_dropped_total', lab('files'))}, expected 51")
    finally:
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=60)
        log.close()
    check(rc == 0, f"exit status {rc}")
    if keep:
        subprocess.run(["cp", log_path, keep])
    with open(log_path) as f:
        lines = [ln for ln in f if "record(s) dropped" in ln]
    files = [ln for ln in lines if "inputs: files:" in ln]
    tcps = [ln for ln in lines if "inputs: tcp:" in ln]
    check(files and f"auth.log: a line longer than {LIMIT} bytes was skipped" in files[0],
          f"the file drop is not logged with its file and the limit: {files[:1]}")
    check(tcps and f"a message longer than {LIMIT} bytes was skipped" in tcps[0]
          and "syslog-tcp:" in tcps[0], f"the TCP drop is not logged with its source: {tcps[:1]}")
    counted = sum(int(re.search(r"(\d+) record\(s\) dropped", ln).group(1)) for ln in files)
    check(counted == 51, f"the log counts {counted} dropped file records, expected 51")
    check(len(files) <= 6, f"{len(files)} log lines for 51 dropped file records (not rate-limited)")

print("PASS" if not failed else f"{failed} check(s) failed")
sys.exit(1 if failed else 0)
