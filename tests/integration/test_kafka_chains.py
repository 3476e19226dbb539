#!/usr/bin/env python3
"""Chains whose inner correlation feeds several outer ones, on two correlate instances
(docs/kafka.md, "Fan-out").

The demo chain's VPN, Entra ID and Microsoft 365 records go to three raw topics of 4 partitions,
keyed by line number so no key places the events of one chain together; two `match` and two
`correlate` instances, all transactional. The cloud sign-in stage (yagura_stage_cloud_signin)
feeds both intrusion chains, one grouped by address, one by account: its detections are
published once per chain, keyed by that chain, so each chain's instance holds all it needs.

Asserts, on the alerts topic read at read_committed: both critical chain alerts exactly once,
and every rule's alerts exactly those of `yagura hunt` over the same records; no alert id twice;
the stage's detections carry both chains' keys (one copy per chain, "chain" 0 and 1); the two
correlate instances share the detections topic (each owns 2 of its 4 partitions), and whether
the old keying (the stage by itself) would have put the stage on another partition than a
chain is printed, as that is where a single-copy design loses a chain alert.
"""
import collections
import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.request
import zlib

sys.path.insert(0, os.path.dirname(__file__))
import taxii_common as tc  # noqa: E402
import kafka_broker  # noqa: E402
import kafka_watch as kw  # noqa: E402

STAGE = "bdf802f3-9357-4459-8f51-4a68f08b3d77"  # rules/chain/stage_cloud_signin.yml

T = tc.Tally()
check = T.check


def metrics_partitions(w, topic):
    """The partitions of topic assigned to this instance now (yagura_kafka_assigned 1; a
    partition a rebalance took away keeps its series, at 0)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{w.port}/metrics", timeout=5) as r:
        text = r.read().decode()
    return sorted(int(p) for p, v in re.findall(
        r'^yagura_kafka_assigned\{topic="' + re.escape(topic) + r'",partition="(\d+)"\} (\S+)$',
        text, re.M) if float(v) == 1)


def critical_group(tmp):
    """(user, address) of the critical chains, from `yagura hunt`'s chain alerts."""
    data = kw.demo(os.path.join(tmp, "hunt"))
    r = subprocess.run([kw.yagura, "hunt", "-r", os.path.join(kw.src, "rules")]
                       + [p for p, _ in data.values()], capture_output=True, text=True)
    user = ip = None
    for line in r.stdout.splitlines():
        a = json.loads(line)
        if a["rule"]["id"] == kw.CHAIN_BY_ADDRESS:
            ip = a["correlation"]["group"]["ip"]
        elif a["rule"]["id"] == kw.CHAIN_BY_ACCOUNT:
            user = a["correlation"]["group"]["user"]
    return user, ip


def main():
    procs = []
    with tempfile.TemporaryDirectory() as tmp:
        data = kw.demo(tmp)
        expected = kw.hunt_counts([p for p, _ in data.values()])
        check(expected[kw.CHAIN_BY_ADDRESS] == 1 and expected[kw.CHAIN_BY_ACCOUNT] == 1,
              f"the hunt raises both chain alerts once: {dict(expected)}")
        with kafka_broker.Broker(tmp, partitions=4) as b:
            b.create_topics(list(kw.RAW_TOPICS) + ["detections", "alerts"])
            for topic, (_, lines) in data.items():
                b.produce(topic, [(f"{topic}-{i}", l) for i, l in enumerate(lines)])
            # The raw keys do not co-partition a chain: its records are spread.
            raw = {t: {p for p, _, _, _ in b.consume(t)} for t in kw.RAW_TOPICS}
            check(all(len(p) > 1 for p in raw.values()),
                  f"each raw topic's records are on several partitions: {raw}")
            try:
                corr = []
                for i in range(2):
                    cfg = kw.config(tmp, f"correlate{i + 1}", b.bootstrap, role="correlate",
                                    group="yagura-correlate", txn=f"correlate-{i + 1}",
                                    http_port=0)
                    # Round robin: one instance owns partitions 0 and 2, the other 1 and 3,
                    # whichever joins first (the range assignor would give 0 and 1 to one).
                    with open(cfg) as f:
                        text = f.read()
                    with open(cfg, "w") as f:
                        f.write(text.replace("properties: {", "properties: {"
                                             "partition.assignment.strategy: roundrobin, "))
                    w = kw.Watch(tmp, f"correlate{i + 1}", cfg).start()
                    procs.append(w)
                    corr.append(w)
                # Both correlate instances own their half of the detections topic before any
                # detection is published.
                T.wait(lambda: all(len(metrics_partitions(w, "detections")) == 2 for w in corr)
                       and sorted(sum((metrics_partitions(w, "detections") for w in corr), []))
                       == [0, 1, 2, 3], 60, "the detections topic split over both instances")
                owner = {p: i for i, w in enumerate(corr)
                         for p in metrics_partitions(w, "detections")}
                for i in range(2):
                    w = kw.Watch(tmp, f"match{i + 1}", kw.config(
                        tmp, f"match{i + 1}", b.bootstrap, role="match", group="yagura-match",
                        txn=f"match-{i + 1}", http_port=0)).start()
                    procs.append(w)
                want = sum(expected.values())
                T.wait(lambda: len(b.consume("alerts")) >= want, 90, f"{want} alerts")
                # Everything is committed once each instance's lag is 0; a duplicate would show
                # on the alerts topic by then.
                for w in procs:
                    T.wait(lambda: kw.settled(w.port), 60, f"{w.name}: lag 0")
            finally:
                rcs = [p.stop() for p in procs]
            check(rcs == [0, 0, 0, 0], f"every instance stops cleanly: {rcs}")
            got = b.consume("alerts")
            counts = collections.Counter(json.loads(v)["rule"]["id"] for _, _, _, v in got)
            check(counts[kw.CHAIN_BY_ADDRESS] == 1,
                  f"the chain by address once: {counts[kw.CHAIN_BY_ADDRESS]}")
            check(counts[kw.CHAIN_BY_ACCOUNT] == 1,
                  f"the chain by account once: {counts[kw.CHAIN_BY_ACCOUNT]}")
            check(counts == expected,
                  f"alerts topic == hunt: got {dict(counts)}, expected {dict(expected)}")
            ids = [json.loads(v)["id"] for _, _, _, v in got]
            check(len(ids) == len(set(ids)), f"no alert id twice: {len(ids)} {len(set(ids))}")
            dets = b.consume("detections")
            stage = [(p, k, json.loads(v)) for p, _, k, v in dets
                     if json.loads(v)["correlation"] == STAGE]
            roots = collections.Counter((k.split("\x1f")[0], m.get("chain")) for _, k, m in stage)
            # Copies 0..N-1, each keyed by another chain, both intrusion chains among them.
            by_copy = collections.defaultdict(set)
            for root, copy in roots:
                by_copy[copy].add(root)
            check(len(stage) > 0 and sorted(by_copy) == list(range(len(by_copy)))
                  and len(by_copy) >= 2 and all(len(r) == 1 for r in by_copy.values())
                  and len(set().union(*by_copy.values())) == len(by_copy)
                  and {kw.CHAIN_BY_ADDRESS, kw.CHAIN_BY_ACCOUNT} <= set().union(*by_copy.values()),
                  f"the stage's detections: one copy per chain, keyed by it: {dict(roots)}")
            check(len(set(roots.values())) == 1,
                  f"every stage detection in both copies: {dict(roots)}")
            # The set-up must be one where a single copy keyed by the stage itself (the design
            # before the fan-out) would land on another instance than a critical chain's group,
            # or this test could not tell the designs apart. librdkafka's default partitioner
            # (consistent_random) places a key at crc32(key) % partitions.
            user, ip = critical_group(tmp)
            single = zlib.crc32(f"{STAGE}\x1f{user}\x1f{ip}".encode()) % 4
            chains = {c: {p for p, _, k, _ in dets if k == f"{c}\x1f{v}"}
                      for c, v in ((kw.CHAIN_BY_ADDRESS, ip), (kw.CHAIN_BY_ACCOUNT, user))}
            print(f"detections partitions by instance {owner}; a single stage copy: partition "
                  f"{single}; the critical chain groups: {chains}")
            check(all(len(p) == 1 for p in chains.values()),
                  f"each critical chain group on one partition: {chains}")
            check(any(owner.get(single) != owner.get(p) for ps in chains.values() for p in ps),
                  "a single copy of the stage would be on another instance than a chain")
        if T.failed:
            for p in procs:
                print(f"--- {p.name}\n" + p.logtext()[-3000:])
    T.done()


if __name__ == "__main__":
    main()
