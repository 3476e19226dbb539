#!/usr/bin/env python3
"""yagura watch with an otlp-http input: OTLP/HTTP JSON requests POSTed to /v1/logs (plain and
gzip, as the collector's otlphttp exporter sends them) become one event per log record; the
input's logsource applies to records without logsource.* attributes; two matching records of one
request give two alerts; wrong paths, methods, media types and bodies get the status OTLP/HTTP
names (404, 405, 415, 413, 400) and are counted as errors, not matched."""

import gzip
import json
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time

import watch_common as wc
import urllib.error
import urllib.request

yagura = os.environ["YAGURA"]
failures = 0


def check(ok, msg):
    global failures
    print(("ok   " if ok else "FAIL ") + msg)
    if not ok:
        failures += 1


RULES = """title: Admin login failed at the gateway
id: 7f3e2a10-5b8c-4d2e-9f10-2c4b6d8e0a11
logsource: {product: otel, service: gateway}
detection:
  sel:
    body: login failed
    attributes.user.name: admin
  condition: sel
level: high
---
title: sshd failed password for an invalid user
id: 1c9d7e55-0a3b-4f6c-8d21-6e5f4a3b2c19
logsource: {product: linux, service: sshd}
detection:
  sel:
    body|contains|all: [Failed password, invalid user]
  condition: sel
level: medium
"""


def kv(k, v):
    return {"key": k, "value": {"stringValue": v}}


def request(records, resource=None):
    return {"resourceLogs": [{"resource": {"attributes": [kv(k, v) for k, v in (resource or {}).items()]},
                              "scopeLogs": [{"scope": {"name": "test"}, "logRecords": [
                                  {"timeUnixNano": "1733580000000000000", "body": {"stringValue": b},
                                   "attributes": [kv(k, v) for k, v in a.items()]} for b, a in records]}]}]}


def post(port, body, ctype="application/json", path="/v1/logs", method="POST", encoding=None):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body, method=method)
    if ctype:
        req.add_header("Content-Type", ctype)
    if encoding:
        req.add_header("Content-Encoding", encoding)
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def wait_for(pred, timeout=20):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return True
        time.sleep(0.1)
    return pred()


with tempfile.TemporaryDirectory() as tmp:
    open(os.path.join(tmp, "rules.yml"), "w").write(RULES)
    cfg = os.path.join(tmp, "yagura.yaml")
    open(cfg, "w").write(
        f"rules: [{tmp}/rules.yml]\nstate: {tmp}/state.db\n"
        f"inputs:\n  - {{name: otel, type: otlp-http, listen: '127.0.0.1:0',"
        f" logsource: {{product: otel, service: gateway}}}}\n"
        f"sinks:\n  - {{type: jsonl, path: {tmp}/alerts.jsonl}}\nlog: {{level: info}}\n")
    log = open(os.path.join(tmp, "service.log"), "w")
    p = subprocess.Popen([yagura, "watch", "-c", cfg], stdout=subprocess.DEVNULL, stderr=log)
    try:
        # The port the kernel gave, from the service's log once it is watching.
        port = (wc.wait_ready(os.path.join(tmp, "service.log"), p) or {}).get("otel")
        # Ready when the listener answers (a GET is refused with 405 and matches nothing).
        def ready():
            try:
                return post(port, None, method="GET")[0] == 405
            except OSError:
                return False
        check(wait_for(ready), "the input listens")
        if failures:
            raise SystemExit(1)
        two_admin = request([("login failed", {"user.name": "admin"}), ("login ok", {"user.name": "alice"}),
                             ("login failed", {"user.name": "admin"})])
        st, body = post(port, json.dumps(two_admin).encode())
        check(st == 200 and json.loads(body) == {}, f"POST /v1/logs: 200 with an empty response ({st})")
        sshd = request([("Failed password for invalid user oracle from 203.0.113.9 port 52311 ssh2", {})],
                       {"logsource.product": "linux", "logsource.service": "sshd"})
        st, _ = post(port, gzip.compress(json.dumps(sshd).encode()), encoding="gzip")
        check(st == 200, f"gzip request: 200 ({st})")
        check(post(port, b"\x0a\x00", ctype="application/x-protobuf")[0] == 415, "protobuf: 415")
        check(post(port, b"{}", path="/v1/traces")[0] == 404, "other path: 404")
        check(post(port, b"not gzip", encoding="gzip")[0] == 400, "bad gzip: 400")
        # A body announced past the 4 MB cap is answered before it is sent.
        with socket.create_connection(("127.0.0.1", port), timeout=5) as c:
            c.sendall(b"POST /v1/logs HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                      b"Content-Length: 5000000\r\n\r\n")
            check(c.recv(64).startswith(b"HTTP/1.1 413"), "body past 4 MB: 413")
        path = os.path.join(tmp, "alerts.jsonl")

        def alerts():
            if not os.path.exists(path):
                return []
            return [json.loads(l) for l in open(path) if l.strip()]
        check(wait_for(lambda: len(alerts()) >= 3), "alerts delivered")
        a = alerts()
        ids = [x["rule"]["id"] for x in a]
        check(ids.count("7f3e2a10-5b8c-4d2e-9f10-2c4b6d8e0a11") == 2,
              f"both admin records of one request alert ({ids})")
        check(ids.count("1c9d7e55-0a3b-4f6c-8d21-6e5f4a3b2c19") == 1, "log source from resource attributes")
    finally:
        if p.poll() is None:
            p.terminate()
        rc = p.wait(timeout=30)
        log.close()
        if failures:
            print(open(os.path.join(tmp, "service.log")).read()[-3000:])
    check(rc == 0, f"SIGTERM: exit 0 ({rc})")
    db = sqlite3.connect(os.path.join(tmp, "state.db"))
    rows = db.execute("select id, record_id from alerts").fetchall()
    db.close()
    check(len(rows) == 3 and len({r[0] for r in rows}) == 3, f"three stored alerts, distinct ids ({rows})")
    text = open(os.path.join(tmp, "service.log")).read()
    check("OTLP/HTTP logs on 127.0.0.1:" in text, "the listening address is logged")
    if failures:
        print(text[-3000:])

print(f"test_otlp_watch: {failures} failed")
sys.exit(1 if failures else 0)
