#!/usr/bin/env python3
"""Web server logs as servers and collectors write them (sources: docs/sources.md).

1. Access logs with a one-digit day (`[1/Apr/2014:06:36:37 +0200]`) are
   access-log records, converted to UTC, and SigmaHQ's webserver rules run.
2. Apache 2.0 error lines without their date (`[notice] child pid ...`) are
   Apache error records; SigmaHQ's Apache segmentation-fault rule fires.
3. nginx error lines give the request context nginx appends (server,
   request, host, referrer, upstream) as fields; the core-dump rule fires.
4. IIS W3C logs with a custom field order, and without #Software, keep their
   field names and are still IIS (product windows, service iis).
"""
import json
import os
import subprocess
import sys
import tempfile

yagura = os.environ["YAGURA"]
web = os.path.join(os.environ["YG_SHARED_DIR"], "sigma", "rules", "web")
passed = failed = 0


def check(ok, msg):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAIL", msg)


def write(tmp, name, lines):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def decode(path):
    p = subprocess.run([yagura, "decode", "-q", path], capture_output=True, text=True)
    return p.returncode, [json.loads(l) for l in p.stdout.splitlines()], p.stderr


def hunt(path):
    p = subprocess.run([yagura, "hunt", "-q", "--no-event", "-t", "1", "-r", web, path],
                       capture_output=True, text=True)
    return p.returncode, sorted((json.loads(l)["source"]["line"], json.loads(l)["rule"]["title"])
                                for l in p.stdout.splitlines()), p.stderr


with tempfile.TemporaryDirectory() as tmp:
    # --- 1. one-digit day ---------------------------------------------------------
    acc = write(tmp, "access.log", [
        '66.249.65.159 - - [1/Apr/2014:06:36:37 +0200] "GET /cgi-bin/../../../../etc/passwd HTTP/1.1" 404 209 "-" "Mozilla/5.0"',
        '66.249.65.159 - - [9/Apr/2014:23:59:59 -0700] "GET /index.html HTTP/1.1" 200 2326',
        '127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326',
    ])
    rc, recs, err = decode(acc)
    check(rc == 0 and len(recs) == 3, f"access: exit {rc}, {len(recs)} records {err[-300:]}")
    want = [("2014-04-01", "04:36:37"), ("2014-04-10", "06:59:59"), ("2000-10-10", "20:55:36")]
    for r, (d, t) in zip(recs, want):
        check(r["logsource"] == {"category": "webserver"} and r["fields"].get("date") == d
              and r["fields"].get("time") == t, f"access {r['source']}: {r['logsource']} {r['fields']}")
    rc, got, err = hunt(acc)
    check(rc == 1 and got == [(1, "Path Traversal Exploitation Attempts")], f"access rules: exit {rc}, {got} {err[-300:]}")
    # A malformed one-digit date is refused where it is wrong.
    bad = write(tmp, "bad.log", ['66.249.65.159 - - [1/Apr/2014:06:36:37 +0200] "GET / HTTP/1.1" 200 1',
                                 '66.249.65.159 - - [1/Apx/2014:06:36:37 +0200] "GET / HTTP/1.1" 200 1'])
    rc, recs, err = decode(bad)
    check(rc == 1 and len(recs) == 1 and "bad.log:2:" in err and "invalid date or time" in err,
          f"bad date: exit {rc} {err[-300:]}")

    # --- 2. Apache 2.0 error log without dates -----------------------------------
    ap = write(tmp, "error_log", [
        "[notice] Apache/2.0.52 (Unix) configured -- resuming normal operations",
        "[error] [client 192.0.2.5] File does not exist: /var/www/html/favicon.ico",
        "[notice] child pid 2926 exit signal Segmentation fault (11)",
        "[Wed Oct 11 14:32:52 2000] [error] [client 127.0.0.1] client denied by server configuration: /export/home/live/ap/htdocs/test",
    ])
    rc, recs, err = decode(ap)
    check(rc == 0 and len(recs) == 4, f"apache: exit {rc}, {len(recs)} records {err[-300:]}")
    if len(recs) == 4:
        check(all(r["logsource"] == {"product": "apache", "service": "apache"} for r in recs),
              f"apache log sources {[r['logsource'] for r in recs]}")
        check(recs[1]["fields"] == {"level": "error", "c-ip": "192.0.2.5",
                                    "message": "File does not exist: /var/www/html/favicon.ico"},
              f"apache undated fields {recs[1]['fields']}")
        check("date" not in recs[0]["fields"] and recs[3]["fields"].get("date") == "2000-10-11",
              f"apache dates {recs[0]['fields']} {recs[3]['fields']}")
    rc, got, err = hunt(ap)
    check(rc == 1 and got == [(3, "Apache Segmentation Fault")], f"apache rules: exit {rc}, {got} {err[-300:]}")

    # --- 3. nginx error log --------------------------------------------------------
    ng = write(tmp, "nginx_error.log", [
        '2024/05/01 12:00:03 [warn] 31#31: *10 a client request body is buffered to a temporary file /var/cache/nginx/client_temp/0000000001, client: 203.0.113.5, server: example.com, request: "POST /upload?id=7 HTTP/1.1", host: "example.com", referrer: "https://example.com/form"',
        '2024/05/01 12:00:05 [error] 31#31: *11 connect() failed (111: Connection refused) while connecting to upstream, client: 203.0.113.6, server: api.example.com, request: "GET /v1/users HTTP/1.1", upstream: "http://127.0.0.1:8080/v1/users", host: "api.example.com"',
        "2024/05/01 12:00:06 [alert] 1234#0: worker process 5678 exited on signal 6 (core dumped)",
    ])
    rc, recs, err = decode(ng)
    check(rc == 0 and len(recs) == 3, f"nginx: exit {rc}, {len(recs)} records {err[-300:]}")
    if len(recs) == 3:
        f0, f1 = recs[0]["fields"], recs[1]["fields"]
        exp0 = {"c-ip": "203.0.113.5", "server": "example.com", "cs-method": "POST", "cs-uri-stem": "/upload",
                "cs-uri-query": ["/upload?id=7", "id=7"], "cs-version": "HTTP/1.1", "cs-host": "example.com",
                "cs-referer": "https://example.com/form", "connection": "10"}
        for k, v in exp0.items():
            check(f0.get(k) == v, f"nginx line 1: {k} = {f0.get(k)!r}, expected {v!r}")
        check(f1.get("upstream") == "http://127.0.0.1:8080/v1/users" and f1.get("cs-host") == "api.example.com"
              and "cs-referer" not in f1, f"nginx line 2: {f1}")
        check(all(r["logsource"] == {"product": "nginx", "service": "nginx"} for r in recs), "nginx log source")
    rc, got, err = hunt(ng)
    check(rc == 1 and got == [(3, "Nginx Core Dump")], f"nginx rules: exit {rc}, {got} {err[-300:]}")

    # --- 4. IIS with a custom field order ----------------------------------------
    iis = write(tmp, "u_ex161102.log", [
        "#Version: 1.0",
        "#Date: 2016-11-02 21:49:52",
        "#Fields: s-sitename s-computername date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip "
        "cs-version cs(User-Agent) cs(Cookie) cs(Referer) cs-host sc-status sc-substatus sc-win32-status sc-bytes "
        "cs-bytes time-taken X-Forwarded-For",
        "W3SVC1 WEB01 2016-11-02 21:49:52 10.0.0.5 GET /owa/auth/logon.aspx url=%2fowa%2f 443 - 10.0.0.1 HTTP/1.1 "
        "Mozilla/5.0+(Windows+NT+10.0) - - mail.example.com 200 0 0 5120 410 15 198.51.100.7",
    ])
    rc, recs, err = decode(iis)
    check(rc == 0 and len(recs) == 1, f"iis: exit {rc}, {len(recs)} records {err[-300:]}")
    if recs:
        r = recs[0]
        check(r["logsource"] == {"product": "windows", "service": "iis", "category": "webserver"},
              f"iis log source {r['logsource']}")
        for k, v in {"s-sitename": "W3SVC1", "date": "2016-11-02", "time": "21:49:52", "cs-host": "mail.example.com",
                     "sc-bytes": "5120", "X-Forwarded-For": "198.51.100.7", "c-ip": "10.0.0.1"}.items():
            check(r["fields"].get(k) == v, f"iis {k} = {r['fields'].get(k)!r}")

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
