#!/usr/bin/env python3
"""Exactly once under repeated SIGKILL on a real broker (docs/kafka.md, "Exactly once";
docs/scale-out.md, "Failure cases").

Two match instances and two correlate instances, all transactional, over the demo chain's VPN,
Entra ID and Microsoft 365 records on three topics of 4 partitions, with 100,000 FortiGate traffic
records (no rule covers them) among them on the VPN topic. The records are produced in six
phases: each topic's records are cut into five contiguous slices, one per round, and the
Microsoft 365 records from 02:00 on (the bulk download that completes both chains) are held
back to the sixth, so the chains' windows stay open across every kill and restart below.

Each of five rounds, with a seeded random generator (YG_CRASH_SEED, default 14; the schedule is
printed):
  - one match instance ("match-a") runs with YG_KAFKA_CRASH_BEFORE_COMMIT=N, N drawn from 1..3:
    it kills itself with SIGKILL just before its Nth commit that carries produced detections or
    alerts (they are on the broker, uncommitted: the point where a duplicate or a loss arises).
    If its partitions hold fewer such commits in this round, it is killed with SIGKILL from
    outside once it has read them all;
  - one correlate instance ("correlate-a") is killed with SIGKILL from outside at a drawn delay
    (0 to 1.5 s) after the round's records are produced, and restarted at once: its partitions
    go to "correlate-b" and come back, and each instance rebuilds the windows of the partitions
    it is given from the detections topic (rebalances of the correlate group);
  - match-a is restarted (a rebalance of the match group: its partitions went to "match-b" and
    come back).

Asserts, on the alerts topic read at read_committed once both stages have read everything:
the alerts per rule id are exactly those of `yagura hunt` over the same records (nothing lost,
nothing twice, both critical chain alerts once), no alert id twice, every kill was a SIGKILL (5
of each stage) and at least one was at the commit point, and the correlate instance replayed
detections on a restart.

Two correlate instances are exact here because the demo's chains have one fan-out each (the
cloud sign-in stage feeds both intrusion chains and is published once per chain,
docs/kafka.md, "Fan-out"); a chain with a second fan-out higher up would be exact only with one
correlate instance (docs/scale-out.md, "Limits").
"""
import collections
import json
import os
import random
import re
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
import taxii_common as tc  # noqa: E402
import kafka_broker  # noqa: E402
import kafka_watch as kw  # noqa: E402

T = tc.Tally()
check = T.check
BACKGROUND = 100000
ROUNDS = 5
SEED = int(os.environ.get("YG_CRASH_SEED", "14"))


def slices(items, n):
    """n contiguous slices of items, in order."""
    return [items[len(items) * i // n:len(items) * (i + 1) // n] for i in range(n)]


def main():
    rng = random.Random(SEED)
    t_start = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        ph = kw.Phases(tmp, BACKGROUND)
        data, expected = ph.data, ph.expected
        vpn, background, early, late = data["vpn"][1], ph.background, ph.early, ph.late
        check(expected[kw.CHAIN_BY_ADDRESS] == 1 and expected[kw.CHAIN_BY_ACCOUNT] == 1,
              f"the hunt raises both chain alerts once: {dict(expected)}")
        check(len(late) > 0 and len(early) > 0, f"the download is in the last phase: {len(late)}")
        phases = list(zip(slices(vpn, ROUNDS), slices(data["entra"][1], ROUNDS),
                          slices(early, ROUNDS), slices(background, ROUNDS)))
        schedule = [(rng.randint(1, 3), round(rng.uniform(0, 1.5), 2)) for _ in range(ROUNDS)]
        print(f"seed {SEED}: (match-a crash before commit N, correlate kill delay s) per round: "
              f"{schedule}", flush=True)
        procs = {}
        kills = collections.Counter()
        with kafka_broker.Broker(tmp) as b:
            b.create_topics(list(kw.RAW_TOPICS) + ["detections", "alerts"])
            names = ("match-a", "match-b", "correlate-a", "correlate-b")

            def start(name, env=None):
                role = name.split("-")[0]
                # Small batches: many commits, so the crash points (before the
                # Nth commit) fall while the records are still being read.
                cfg = kw.config(tmp, name, b.bootstrap, role=role, group="yagura-" + role,
                                txn=name, http_port=0, batch_records=512)
                w = kw.Watch(tmp, name, cfg)
                saved = dict(os.environ)
                os.environ.update(env or {})
                try:
                    w.start()
                finally:
                    os.environ.clear()
                    os.environ.update(saved)
                procs[name] = w
                return w

            def kill9(name):
                w = procs[name]
                if w.p.poll() is None:
                    w.kill9()
                else:
                    w.log.close()
                kills[(name, w.p.returncode)] += 1

            def produce(i, vpn_s, entra_s, m365_s, bg_s):
                half = len(bg_s) // 2
                b.produce("vpn", [(f"bg-{i}-{j}", l) for j, l in enumerate(bg_s[:half])])
                b.produce("vpn", [(f"vpn-{i}-{j}", l) for j, l in enumerate(vpn_s)])
                b.produce("entra", [(f"entra-{i}-{j}", l) for j, l in enumerate(entra_s)])
                b.produce("m365", [(f"m365-{i}-{j}", l) for j, l in enumerate(m365_s)])
                b.produce("vpn", [(f"bg-{i}-{j}", l) for j, l in enumerate(bg_s[half:], half)])

            try:
                start("correlate-a")
                start("correlate-b")
                start("match-b")
                for i, (n, delay) in enumerate(schedule):
                    a = start("match-a", {"YG_KAFKA_CRASH_BEFORE_COMMIT": str(n)})
                    # The correlate kill happens while this round's records flow.
                    t0 = time.time()
                    produce(i, *phases[i])
                    killer = threading.Timer(max(0.0, delay - (time.time() - t0)),
                                             lambda: (kill9("correlate-a"), start("correlate-a")))
                    killer.start()
                    # match-a dies at its Nth commit with produced messages, or is killed once
                    # it has read everything it holds.
                    T.wait(lambda: a.p.poll() is not None or
                           kw.settled(a.port, kw.RAW_TOPICS, readings=2),
                           120, f"round {i}: match-a to crash or read its partitions")
                    kill9("match-a")
                    killer.join()
                    print(f"round {i}: match-a exit {a.p.returncode}, "
                          f"{time.time() - t_start:.1f} s", flush=True)
                produce(ROUNDS, [], [], late, [])
                start("match-a")
                total = sum(expected.values())
                T.wait(lambda: len(b.consume("alerts")) >= total, 120,
                       f"{total} alerts on the alerts topic")
                for name in names:
                    topics = ["detections"] if name.startswith("correlate") else kw.RAW_TOPICS
                    T.wait(lambda: kw.settled(procs[name].port, topics, readings=2), 60,
                           f"{name} to commit everything")
            finally:
                rcs = {r: w.stop() for r, w in procs.items()}
            check(rcs == {n: 0 for n in names}, f"clean stops: {rcs}")
            got = b.consume("alerts")
            counts = collections.Counter(json.loads(v)["rule"]["id"] for _, _, _, v in got)
            check(counts == expected,
                  f"alerts topic == hunt: got {dict(counts)}, expected {dict(expected)}")
            ids = [json.loads(v)["id"] for _, _, _, v in got]
            check(len(ids) == len(set(ids)), f"no alert id twice: {len(ids)} {len(set(ids))}")
            check(kills[("match-a", -9)] == ROUNDS and kills[("correlate-a", -9)] == ROUNDS,
                  f"{ROUNDS} SIGKILLs of each stage: {dict(kills)}")
            hooked = procs["match-a"].logtext().count("YG_KAFKA_CRASH_BEFORE_COMMIT reached")
            check(hooked >= 1, f"at least one match kill at the commit point: {hooked}")
            replayed = {n: re.findall(r"correlation: (\d+) detection\(s\) replayed",
                                      procs[n].logtext()) for n in ("correlate-a", "correlate-b")}
            # Which partitions each instance gets is the group's choice (member ids are
            # random): one whose partitions had nothing committed yet at each of its
            # assignments has nothing to rebuild, so the check is on the two together.
            check(any(int(x) > 0 for r in replayed.values() for x in r),
                  f"a correlate instance rebuilt the windows of partitions it was given: "
                  f"{replayed}")
            print(f"{hooked} of {ROUNDS} match kills at the commit point; "
                  f"{time.time() - t_start:.1f} s in all", flush=True)
        if T.failed:
            for p in procs.values():
                print(f"--- {p.name}\n" + p.logtext()[-3000:])
    T.done()


if __name__ == "__main__":
    main()
