#!/usr/bin/env python3
"""The two stages of docs/kafka.md on a real broker: two `match` instances and one `correlate`
instance raise the same alerts as one watch, every one exactly once, in transactions.

The demo chain's VPN, Entra ID and Microsoft 365 records go to three topics of 4 partitions,
keyed by line number so no key places the events of one chain together. The match instances
(one consumer group over the three topics; the second joins while the first is reading, so the
group rebalances under load) publish the detections that feed correlations to the detections
topic, keyed by correlation and group-by value, and their other alerts to the alerts topic; the
correlate instance reads the detections topic and publishes the correlation alerts. Every
instance produces in transactions (kafka.transactional_id).

Asserts, on the alerts topic read at read_committed: the alerts per rule id are exactly those of
`yagura hunt` over the same records (both critical chain alerts once each, no duplicate alert id);
an inner correlation feeding one chain is keyed by that chain; a SIGHUP of the correlate
instance rebuilds its windows from the detections topic.
"""
import collections
import json
import os
import re
import signal
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
import taxii_common as tc  # noqa: E402
import kafka_broker  # noqa: E402
import kafka_watch as kw  # noqa: E402

T = tc.Tally()
check = T.check


def main():
    with tempfile.TemporaryDirectory() as tmp:
        data = kw.demo(tmp)
        expected = kw.hunt_counts([p for p, _ in data.values()])
        check(expected[kw.CHAIN_BY_ADDRESS] == 1 and expected[kw.CHAIN_BY_ACCOUNT] == 1,
              f"the hunt raises both chain alerts once: {dict(expected)}")
        procs = []
        with kafka_broker.Broker(tmp) as b:
            b.create_topics(list(kw.RAW_TOPICS) + ["detections", "alerts"])
            for topic, (_, lines) in data.items():
                b.produce(topic, [(f"{topic}-{i}", l) for i, l in enumerate(lines)])
            try:
                # Each instance's endpoint on a port the system picks (Watch.port).
                corr = kw.Watch(tmp, "correlate", kw.config(
                    tmp, "correlate", b.bootstrap, role="correlate", group="yagura-correlate",
                    txn="correlate-1", http_port=0)).start()
                procs.append(corr)
                m1 = kw.Watch(tmp, "match1", kw.config(
                    tmp, "match1", b.bootstrap, role="match", group="yagura-match",
                    txn="match-1", http_port=0)).start()
                procs.append(m1)
                # The second match instance joins once the first is assigned: a rebalance
                # while records are being read.
                end = time.time() + 30
                while time.time() < end and "partition(s) assigned" not in m1.logtext():
                    time.sleep(0.2)
                m2 = kw.Watch(tmp, "match2", kw.config(
                    tmp, "match2", b.bootstrap, role="match", group="yagura-match",
                    txn="match-2", http_port=0)).start()
                procs.append(m2)
                want = sum(expected.values())
                end = time.time() + 90
                got = []
                while time.time() < end:
                    got = b.consume("alerts")
                    if len(got) >= want:
                        break
                    time.sleep(0.5)
                # A rule reload (SIGHUP) of the correlate instance rebuilds its windows from
                # the detections topic, not from its state database (which holds none).
                corr.p.send_signal(signal.SIGHUP)
                end = time.time() + 30
                while time.time() < end and "reload done" not in corr.logtext():
                    time.sleep(0.2)
                replayed = re.findall(r"correlation: (\d+) detection\(s\) replayed",
                                      corr.logtext())
                check(len(replayed) >= 2 and int(replayed[-1]) > 0,
                      f"the reload replayed the detections topic: {replayed}")
                # Everything is committed once each instance's lag is 0; a duplicate would show
                # on the alerts topic by then.
                for w in procs:
                    T.wait(lambda: kw.settled(w.port), 60, f"{w.name}: lag 0")
            finally:
                rcs = [p.stop() for p in procs]
            check(rcs == [0, 0, 0], f"every instance stops cleanly: {rcs}")
            got = b.consume("alerts")
            counts = collections.Counter(json.loads(v)["rule"]["id"] for _, _, _, v in got)
            check(counts == expected,
                  f"alerts topic == hunt: got {dict(counts)}, expected {dict(expected)}")
            ids = [json.loads(v)["id"] for _, _, _, v in got]
            check(len(ids) == len(set(ids)), f"no alert id twice: {len(ids)} {len(set(ids))}")
            dets = b.consume("detections")
            check(len(dets) > 0 and all(k.split("\x1f")[0] for _, _, k, _ in dets),
                  f"detections keyed by correlation: {len(dets)}")
            # Keys: the correlation at the top of the chain and its group values. An inner
            # correlation that feeds only the chain by address (its bulk-download stage) is
            # keyed by the chain, so the chain's windows and that stage's are on one partition.
            inner = {json.loads(v)["correlation"] for _, _, k, v in dets
                     if k.split("\x1f")[0] == kw.CHAIN_BY_ADDRESS}
            check(len(inner - {kw.CHAIN_BY_ADDRESS}) >= 1,
                  f"an inner correlation's detections carry the chain's key: {inner}")
            check(all(k.split("\x1f")[0] for _, _, k, _ in dets), "every detection is keyed")
            assigned = [("partition(s) assigned" in p.logtext()) for p in procs]
            check(all(assigned), f"every instance was assigned partitions: {assigned}")
        if T.failed:
            for p in procs:
                print(f"--- {p.name}\n" + p.logtext()[-3000:])
    T.done()


if __name__ == "__main__":
    main()
