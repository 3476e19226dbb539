#!/usr/bin/env python3
"""A rebalance of the correlate stage loses no correlation window (docs/kafka.md, "State moves
with partitions").

One transactional match instance and two correlate instances over a broker; the rules are the
test's own: failed logins, and an event_count correlation of 3 of them per user within an hour.
Phase 1 gives each of 8 users 2 failed logins (no alert yet) and waits until every instance has
committed them. Then one correlate instance is killed with SIGKILL (removed: after the session
timeout the other owns all 4 partitions of the detections topic) and a third one starts (added:
the partitions are shared again); each assignment rebuilds the windows of the partitions from
the detections topic. Phase 2 gives each user a third failed login.

Asserts on the alerts topic (read_committed): exactly one correlation alert per user, 8 in all,
each with a window of 3 detections; the surviving and the added instance both replayed
detections.
"""
import collections
import datetime
import json
import os
import re
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import taxii_common as tc  # noqa: E402
import kafka_broker  # noqa: E402
import kafka_watch as kw  # noqa: E402

T = tc.Tally()
check = T.check
USERS = [f"user{i}" for i in range(8)]
RULES = """title: Failed login
id: 6b1c0e1e-0000-4000-8000-000000000001
name: test_failed_login
logsource: {product: test}
detection:
  sel: {action: login_failed}
  condition: sel
level: low
---
title: Three failed logins for one user
id: 6b1c0e1e-0000-4000-8000-000000000002
correlation:
  type: event_count
  rules: [test_failed_login]
  group-by: [user]
  timespan: 1h
  condition: {gte: 3}
level: high
"""


def config(tmp, name, bootstrap, role, port):
    # Partitions are read in bursts: the lateness covers their skew (docs/kafka.md).
    text = (f"rules: ['{tmp}/rules.yml']\nstate: {tmp}/{name}.db\ncorrelation: {{lateness: 1h}}\n"
            f"kafka:\n  brokers: '{bootstrap}'\n  group: yagura-{role}\n  role: {role}\n"
            f"  detections_topic: detections\n  transactional_id: {name}\n"
            "  properties: {session.timeout.ms: '6000', heartbeat.interval.ms: '500'}\n")
    if role == "match":
        text += "inputs:\n  - {name: raw, type: kafka, topic: raw, format: json, " \
                "logsource: {product: test}}\n"
    text += f"sinks:\n  - {{type: kafka, topic: alerts}}\nhttp: {{listen: '127.0.0.1:{port}'}}\n"
    path = os.path.join(tmp, name + ".yaml")
    with open(path, "w") as f:
        f.write(text)
    return path


def logins(phase):
    now = datetime.datetime.now(datetime.timezone.utc)
    out = []
    for i, u in enumerate(USERS):
        for j in range(2 if phase == 1 else 1):
            t = (now + datetime.timedelta(seconds=i + j)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            out.append((f"{phase}-{i}-{j}", json.dumps(
                {"@timestamp": t, "user": u, "action": "login_failed"})))
    return out


def main():
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "rules.yml"), "w") as f:
            f.write(RULES)
        procs = {}
        with kafka_broker.Broker(tmp) as b:
            b.create_topics(["raw", "detections", "alerts"])

            def start(name, role):
                w = kw.Watch(tmp, name, config(tmp, name, b.bootstrap, role, 0))
                procs[name] = w.start()
                return w

            def assigned(name):
                return len(re.findall(r"kafka: \d+ partition\(s\) assigned", procs[name].logtext()))

            try:
                start("match", "match")
                start("c1", "correlate")
                start("c2", "correlate")
                b.produce("raw", logins(1))
                T.wait(lambda: all(kw.settled(procs[n].port) for n in ("match", "c1", "c2")) and
                     len(b.consume("detections")) == 2 * len(USERS), 90, "phase 1 committed")
                check(b.consume("alerts") == [], "no alert after two failed logins per user")
                # Removed: c2 takes c1's partitions once c1's session times out.
                before = assigned("c2")
                procs["c1"].kill9()
                T.wait(lambda: assigned("c2") > before and re.findall(
                      r"kafka: (\d+) partition\(s\) assigned", procs["c2"].logtext())[-1] == "4",
                      60, "c2 to own every partition")
                # Added: the partitions are shared with c3.
                start("c3", "correlate")
                T.wait(lambda: assigned("c3") > 0, 60, "c3 to be assigned partitions")
                b.produce("raw", logins(2))
                T.wait(lambda: len(b.consume("alerts")) >= len(USERS), 90, "the alerts")
                T.wait(lambda: all(kw.settled(procs[n].port) for n in ("match", "c2", "c3")), 60,
                     "phase 2 committed")
            finally:
                rcs = {n: w.stop() for n, w in procs.items() if n != "c1"}
            check(rcs == {"match": 0, "c2": 0, "c3": 0}, f"clean stops: {rcs}")
            got = [json.loads(v) for _, _, _, v in b.consume("alerts")]
            per_user = collections.Counter(a["correlation"]["group"]["user"] for a in got)
            check(per_user == collections.Counter(USERS),
                  f"one alert per user: {dict(per_user)}")
            check(all(a["correlation"]["value"] == 3 for a in got),
                  f"each over 3 detections: {[a['correlation']['value'] for a in got]}")
            for n in ("c2", "c3"):
                replayed = [int(x) for x in re.findall(r"correlation: (\d+) detection\(s\) replayed",
                                                       procs[n].logtext())]
                check(any(replayed), f"{n} rebuilt windows from the detections topic: {replayed}")
        if T.failed:
            for w in procs.values():
                print(f"--- {w.name}\n" + w.logtext()[-2500:])
    T.done()


if __name__ == "__main__":
    main()
