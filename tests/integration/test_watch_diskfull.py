#!/usr/bin/env python3
"""yagura watch when the state database's disk fills up, and is then freed.

The state directory is a small tmpfs (the test mounts one: it needs root and
mount(8); without them it fails loudly, it never passes silently).  The
service starts on it, then a ballast file takes nearly all of the room and a
stream of alerting lines comes in.  The database cannot grow: the commit
fails with a full disk.  The test checks that meanwhile

  * /healthz answers 503 and names the cause ("disk full: PATH");
  * the log names it too, and does not flood (retries with a doubling delay, each attempt
    no sooner than the delay the previous one announced);
  * the JSON-lines sink does not receive the batch again on each retry;

then it deletes the ballast and checks that the service recovers on its own
(/healthz 200 again), and that in the end every alert is in the database
exactly once, in the sink exactly once, and that every incident timeline row
of an alert has its alert stored (incident rows never commit without it).
The tmpfs is unmounted at the end, also when the test fails.
"""
import datetime
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import watch_common as wc

yagura = os.environ["YAGURA"]
failed = 0


def check(ok, msg):
    global failed
    if not ok:
        failed += 1
        print("FAIL", msg, flush=True)


RULE = """title: Failed password
id: 6a1f4c2e-3b5d-4e7f-8a9b-0c1d2e3f4a51
level: medium
logsource: {product: linux, service: sshd}
detection:
  sel:
    message|contains: 'Failed password'
  condition: sel
"""

N = 3000  # alerting lines; several MiB of state, far more than the room left
RETRIES = 4  # failed attempts waited for while the disk is full (250 + 500 + 1000 ms apart)
ATTEMPT = re.compile(r"^(\S+) \S+ storing a batch of \d+ alert\(s\) failed: .*; input paused, "
                     r"attempt (\d+), next in (\d+) ms$", re.M)


def attempts(log_path):
    """(time in s, attempt number, announced delay in ms) of each failed attempt logged."""
    with open(log_path) as f:
        text = f.read()
    return [(datetime.datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp(), int(n),
             int(d)) for t, n, d in ATTEMPT.findall(text)]


def health(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except OSError as e:
        return 0, str(e)


def wait_for(pred, timeout):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return True
        time.sleep(0.1)
    return pred()


def sink_ids(path):
    ids = []
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                ids.append(json.loads(line).get("id"))
    return ids


def line(i):
    t = time.strftime("%b %d %H:%M:%S", time.gmtime(1700000000 + i))
    return (f"{t} LabSZ sshd[{1000 + i}]: Failed password for invalid user u{i} "
            f"from 203.0.113.{i % 250} port {40000 + i} ssh2 " + "x" * 200 + "\n")


tmp = tempfile.mkdtemp(prefix="yg-diskfull-")
state = os.path.join(tmp, "state")
os.mkdir(state)
os.mkdir(os.path.join(tmp, "in"))
mounted = False
proc = None
try:
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=32m", "tmpfs", state],
                       capture_output=True, text=True)
    if r.returncode != 0:
        print(f"FAIL cannot mount a tmpfs on {state} (needs root and mount(8)): "
              f"{r.stderr.strip()}; this test cannot run here", flush=True)
        sys.exit(1)
    mounted = True
    db = os.path.join(state, "state.db")
    sink = os.path.join(tmp, "alerts.jsonl")
    with open(os.path.join(tmp, "rules.yml"), "w") as f:
        f.write(RULE)
    cfg = os.path.join(tmp, "yagura.yaml")
    with open(cfg, "w") as f:
        f.write(f"rules: [{tmp}/rules.yml]\nstate: {db}\n"
                f"inputs:\n  - {{name: files, type: file, path: '{tmp}/in/*.log',"
                f" start_at: beginning}}\n"
                f"sinks:\n  - {{type: jsonl, path: {sink}}}\n"
                f"http: {{listen: '127.0.0.1:0'}}\n"
                "log: {level: info}\n")
    log_path = os.path.join(tmp, "service.log")
    log = open(log_path, "w")
    proc = subprocess.Popen([yagura, "watch", "-c", cfg], stdout=subprocess.DEVNULL, stderr=log)
    # The port the kernel gave, from the service's log once it is watching.
    port = (wc.wait_ready(log_path, proc) or {}).get("http")
    check(wait_for(lambda: health(port)[0] == 200, 30), "the service did not become healthy")

    # Leave 1 MiB: the first batches fit, the whole stream does not.
    st = os.statvfs(state)
    room = st.f_bavail * st.f_frsize - 1024 * 1024
    ballast = os.path.join(state, "ballast")
    with open(ballast, "wb") as f:
        while room > 0:
            k = min(room, 1 << 20)
            f.write(b"\0" * k)
            room -= k

    # The stream: 100 lines every 20 ms.
    path = os.path.join(tmp, "in", "auth.log")
    for start in range(0, N, 100):
        with open(path, "a") as f:
            for i in range(start, min(start + 100, N)):
                f.write(line(i))
        time.sleep(0.02)

    unhealthy = []

    def saw_disk_full():
        code, body = health(port)
        if code != 200 and code != 0:
            unhealthy.append((code, body))
        return code == 503 and "disk full" in body and db in body

    check(wait_for(saw_disk_full, 60), f"/healthz never said 'disk full: {db}': {unhealthy[-3:]}")
    # The service is now stalled on a batch: while it retries (with backoff),
    # the sink must not receive that batch again and again.
    before = len(sink_ids(sink))
    check(0 < before < N, f"{before} alerts reached the sink before the disk was full")
    # Several retry periods, counted in the log rather than slept through: each failed attempt
    # logs one line with its number and the delay to the next one.
    check(wait_for(lambda: len(attempts(log_path)) >= RETRIES, 60),
          f"{len(attempts(log_path))} failed attempt(s) logged, waiting for {RETRIES}")
    during = len(sink_ids(sink))
    check(during == before, f"the sink got {during - before} more alert(s) while the disk was "
          f"full ({len(attempts(log_path))} attempts)")
    with open(log_path) as f:
        text = f.read()
    check("disk full: " + db in text, "the log does not name the cause 'disk full: PATH'")
    # Backoff: the delays double from 250 ms (to at most 5 s), and each attempt comes no sooner
    # than the delay the previous one announced (the log's clock, in ms): the log cannot flood.
    tries = attempts(log_path)
    numbers = [n for _, n, _ in tries]
    check(numbers == list(range(1, len(tries) + 1)), f"attempts numbered 1, 2, ...: {numbers}")
    delays = [d for _, _, d in tries]
    check(delays == [min(250 << i, 5000) for i in range(len(tries))],
          f"retry delays double from 250 ms: {delays}")
    gaps = [round((b[0] - a[0]) * 1000) for a, b in zip(tries, tries[1:])]
    check(all(g >= d - 2 for g, d in zip(gaps, delays)),
          f"attempts at least their announced delay apart: gaps {gaps} ms, delays {delays} ms")
    check(proc.poll() is None, "the service exited while the disk was full")

    os.unlink(ballast)
    check(wait_for(lambda: len(sink_ids(sink)) >= N and health(port)[0] == 200, 60),
          f"after freeing the disk: {len(sink_ids(sink))} of {N} alerts in the sink, "
          f"/healthz {health(port)}")
    proc.send_signal(signal.SIGTERM)
    rc = proc.wait(timeout=60)
    proc = None
    log.close()
    check(rc == 0, f"exit status {rc} after SIGTERM")

    with open(log_path) as f:
        text = f.read()
    check("the batch is stored after" in text, "the log does not say when storing resumed")
    c = sqlite3.connect(db)
    rows = [r[0] for r in c.execute("select id from alerts")]
    check(len(rows) == N and len(set(rows)) == N,
          f"{len(rows)} alerts stored ({len(set(rows))} distinct), expected {N} once each")
    ids = sink_ids(sink)
    check(len(ids) == N and len(set(ids)) == N,
          f"sink: {len(ids)} lines of {len(set(ids))} distinct ids, expected {N} once each")
    check(set(ids) == set(rows), "the sink and the database hold different alerts")
    # Timeline rows of their own, and alerts that joined an incident in their row.
    orphans = c.execute("select count(*) from incident_alerts i where kind <> 'detection' and"
                        " not exists (select 1 from alerts a where a.id = i.alert_id)").fetchone()[0]
    check(orphans == 0, f"{orphans} incident timeline row(s) without their alert")
    lost = c.execute("select count(*) from alerts a where incident_id is not null and not exists"
                     " (select 1 from incidents i where i.id = a.incident_id)").fetchone()[0]
    check(lost == 0, f"{lost} alert(s) in an incident that was not stored")
    timeline = (c.execute("select count(*) from incident_alerts where kind <> 'detection'").fetchone()[0]
                + c.execute("select count(*) from alerts where incident_id is not null").fetchone()[0])
    check(timeline == N, f"{timeline} alerts in incident timelines, expected {N}")
    counted = c.execute("select coalesce(sum(alert_count), 0) from incidents"
                        " where status <> 'merged'").fetchone()[0]
    check(counted == N, f"incidents count {counted} alerts, expected {N}")
    c.close()
finally:
    if proc is not None:
        proc.kill()
        proc.wait()
    if mounted:
        r = subprocess.run(["umount", state], capture_output=True, text=True)
        if r.returncode != 0:
            subprocess.run(["umount", "-l", state])
    if os.environ.get("YG_KEEP_LOG"):
        subprocess.run(["cp", os.path.join(tmp, "service.log"), os.environ["YG_KEEP_LOG"]])
    subprocess.run(["rm", "-rf", tmp])

print("PASS" if not failed else f"{failed} check(s) failed")
sys.exit(1 if failed else 0)
