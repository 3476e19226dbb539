#!/usr/bin/env python3
"""Exactly once across SIGKILL on a real broker (docs/kafka.md, "Exactly once").

One match and one correlate instance, both transactional. The demo chain's records go to three
topics of 4 partitions, with 20,000 FortiGate traffic records (no rule covers them) around them on
the VPN topic, in two phases:

  1. everything but the Microsoft 365 records from 02:00 on (the bulk download that completes
     both chains). The match instance kills itself with SIGKILL just before its first commit
     that carries produced alerts and detections (YG_KAFKA_CRASH_BEFORE_COMMIT=1: they are sent
     to the broker, uncommitted) and is restarted. Once both instances have committed every
     record (their lag gauges read 0), the correlate instance is killed with SIGKILL: its
     windows hold the VPN and cloud sign-in detections of the chains.
  2. the rest is produced and the correlate instance restarted: it rebuilds its windows from the
     detections topic (records since now - longest timespan - lateness, before its committed
     offsets) and the chains complete.

Asserts, on the alerts topic read at read_committed once every instance's lag is 0: the alerts
per rule id are exactly those of `yagura hunt` over the same records (nothing lost, nothing
twice; both critical chain alerts once), no alert id twice, the crash happened (exit by SIGKILL),
and the restarted correlate instance replayed detections.
"""
import collections
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
BACKGROUND = 20000


def main():
    with tempfile.TemporaryDirectory() as tmp:
        ph = kw.Phases(tmp, BACKGROUND)
        data, expected = ph.data, ph.expected
        vpn, background, early, late = data["vpn"][1], ph.background, ph.early, ph.late
        check(expected[kw.CHAIN_BY_ADDRESS] == 1 and expected[kw.CHAIN_BY_ACCOUNT] == 1,
              f"the hunt raises both chain alerts once: {dict(expected)}")
        check(len(late) > 0 and len(early) > 0, f"the download is in phase 2: {len(late)}")
        procs = {}
        with kafka_broker.Broker(tmp) as b:
            b.create_topics(list(kw.RAW_TOPICS) + ["detections", "alerts"])
            half = BACKGROUND // 2
            b.produce("vpn", [(f"bg-{i}", l) for i, l in enumerate(background[:half])])
            b.produce("vpn", [(f"vpn-{i}", l) for i, l in enumerate(vpn)])
            b.produce("entra", [(f"entra-{i}", l) for i, l in enumerate(data["entra"][1])])
            b.produce("m365", [(f"m365-{i}", l) for i, l in enumerate(early)])
            b.produce("vpn", [(f"bg-{i}", l) for i, l in enumerate(background[half:], half)])

            def start(role, env=None):
                cfg = kw.config(tmp, role, b.bootstrap, role=role, group="yagura-" + role,
                                txn=role + "-1", http_port=0)
                w = kw.Watch(tmp, role, cfg)
                if env:
                    os.environ.update(env)
                try:
                    w.start()
                finally:
                    for k in env or {}:
                        del os.environ[k]
                procs[role] = w
                return w

            try:
                start("correlate")
                m = start("match", {"YG_KAFKA_CRASH_BEFORE_COMMIT": "1"})
                rc = m.p.wait(timeout=120)
                m.log.close()
                check(rc == -9, f"the match instance died by SIGKILL before its commit: {rc}")
                start("match")
                T.wait(lambda: kw.settled(procs["match"].port, kw.RAW_TOPICS, readings=2), 120,
                       "match to commit phase 1")
                T.wait(lambda: kw.settled(procs["correlate"].port, ["detections"], readings=2), 60,
                     "correlate to commit phase 1")
                procs["correlate"].kill9()
                b.produce("m365", [(f"m365-late-{i}", l) for i, l in enumerate(late)])
                start("correlate")
                T.wait(lambda: kw.settled(procs["match"].port, kw.RAW_TOPICS, readings=2), 60,
                       "match to commit phase 2")
                T.wait(lambda: len(b.consume("detections")) > 0 and
                       kw.settled(procs["correlate"].port, ["detections"], readings=2), 60,
                       "correlate to commit phase 2")
            finally:
                rcs = {r: w.stop() for r, w in procs.items()}
            check(rcs == {"match": 0, "correlate": 0}, f"clean stops: {rcs}")
            got = b.consume("alerts")
            counts = collections.Counter(json.loads(v)["rule"]["id"] for _, _, _, v in got)
            check(counts == expected,
                  f"alerts topic == hunt: got {dict(counts)}, expected {dict(expected)}")
            ids = [json.loads(v)["id"] for _, _, _, v in got]
            check(len(ids) == len(set(ids)), f"no alert id twice: {len(ids)} {len(set(ids))}")
            # Uncommitted copies of the crashed transaction are in the log, never visible.
            raw = b.consume("alerts", committed=False)
            check(len(raw) >= len(got), f"read_uncommitted sees at least as much: {len(raw)}")
            replayed = re.findall(r"correlation: (\d+) detection\(s\) replayed",
                                  procs["correlate"].logtext())
            check(any(int(n) > 0 for n in replayed),
                  f"the restarted correlate instance rebuilt its windows: {replayed}")
        if T.failed:
            for p in procs.values():
                print(f"--- {p.name}\n" + p.logtext()[-3000:])
    T.done()


if __name__ == "__main__":
    main()
