#!/usr/bin/env python3
"""`yagura watch` on a real Apache Kafka broker: kafka inputs, the kafka sink, lag in /metrics.

The demo chain (scripts/gen_demo.py) is produced with kcat to three topics of 4 partitions each,
the FortiGate VPN log, the Entra ID sign-ins and the Microsoft 365 audit log, each record keyed by
its line number so one source's records spread over all partitions and arrive out of time order.
One watch (role all) consumes the three topics as one consumer group and produces its alerts to
the alerts topic.

Asserts: the alerts topic holds exactly the alerts `yagura hunt` raises on the same records
(rule ids and counts), both critical chain correlations exactly once, every alert keyed by its
id; /metrics has yagura_kafka_lag_messages for each of the 12 partitions, at 0 once all is read;
a configuration error names the key and line.
"""
import collections
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
import taxii_common as tc  # noqa: E402
import kafka_broker  # noqa: E402
import kafka_watch as kw  # noqa: E402
import watch_common as wc  # noqa: E402
from kafka_watch import CHAIN_BY_ACCOUNT, CHAIN_BY_ADDRESS, yagura, src  # noqa: E402

T = tc.Tally()
check = T.check

def metrics(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
        return r.read().decode()


def lag_series(text):
    out = {}
    for line in text.splitlines():
        if line.startswith("yagura_kafka_lag_messages{"):
            labels, value = line.rsplit(" ", 1)
            out[labels[len("yagura_kafka_lag_messages"):]] = float(value)
    return out


def main():
    with tempfile.TemporaryDirectory() as tmp:
        data = kw.demo(tmp)
        expected = kw.hunt_counts([p for p, _ in data.values()])
        check(expected[CHAIN_BY_ADDRESS] == 1 and expected[CHAIN_BY_ACCOUNT] == 1,
              f"the hunt raises both chain alerts once: {dict(expected)}")

        # A kafka input without the kafka: section is refused with its place.
        bad = os.path.join(tmp, "bad.yaml")
        with open(bad, "w") as f:
            f.write(f"rules: ['{src}/rules']\nstate: {tmp}/bad.db\ninputs:\n"
                    "  - {name: vpn, type: kafka, topic: vpn}\n")
        r = subprocess.run([yagura, "watch", "-c", bad, "--check"], capture_output=True,
                           text=True)
        check(r.returncode == 2 and "inputs[0]: line 4" in r.stderr and "kafka:" in r.stderr,
              f"kafka input without kafka: refused with its line: {r.returncode} {r.stderr}")

        # --check passes the properties through librdkafka: an unknown one is named.
        with open(bad, "w") as f:
            f.write(f"rules: ['{src}/rules']\nstate: {tmp}/bad.db\n"
                    "kafka: {brokers: '127.0.0.1:9', group: g, properties: {ssl.nonsense: x}}\n"
                    "inputs:\n  - {name: vpn, type: kafka, topic: vpn}\n")
        r = subprocess.run([yagura, "watch", "-c", bad, "--check"], capture_output=True,
                           text=True)
        check(r.returncode == 2 and
              "kafka.properties.ssl.nonsense: not a librdkafka property" in r.stderr,
              f"--check names an unknown librdkafka property: {r.returncode} {r.stderr[-300:]}")

        with kafka_broker.Broker(tmp) as b:
            b.create_topics(["vpn", "entra", "m365", "alerts"])
            for topic, (_, lines) in data.items():
                b.produce(topic, [(f"{topic}-{i}", l) for i, l in enumerate(lines)])
            cfg = os.path.join(tmp, "yagura.yaml")
            with open(cfg, "w") as f:
                f.write(f"rules: ['{src}/rules']\n"
                        f"state: {tmp}/state.db\n"
                        # Partitions are read in bursts, not merged in time: the lateness
                        # covers the demo day (docs/kafka.md, "Event time").
                        "correlation: {lateness: 1d}\n"
                        f"kafka: {{brokers: '{b.bootstrap}', group: yagura-test,\n"
                        "        properties: {session.timeout.ms: '6000'}}\n"
                        "inputs:\n"
                        "  - {name: vpn, type: kafka, topic: vpn, format: fortigate}\n"
                        "  - {name: entra, type: kafka, topic: entra}\n"
                        "  - {name: m365, type: kafka, topic: m365}\n"
                        "sinks:\n  - {type: kafka, topic: alerts}\n"
                        "http: {listen: '127.0.0.1:0'}\n")
            log = open(os.path.join(tmp, "watch.log"), "w")
            p = subprocess.Popen([yagura, "watch", "-c", cfg], stdout=subprocess.DEVNULL,
                                 stderr=log)
            try:
                # The endpoint's port, which the system picked, from the log once it watches.
                port = (wc.wait_ready(log.name, p) or {}).get("http")
                check(port, "the service watches, with its http endpoint")
                want = sum(expected.values())
                end = time.time() + 90
                got = []
                while time.time() < end:
                    got = b.consume("alerts")
                    if len(got) >= want:
                        break
                    time.sleep(0.5)
                # Lag: every partition of the three topics, 0 once everything is read.
                lag = {}
                end = time.time() + 20
                while time.time() < end:
                    lag = lag_series(metrics(port))
                    if len(lag) == 12 and not any(lag.values()):
                        break
                    time.sleep(0.5)
                check(len(lag) == 12 and not any(lag.values()),
                      f"lag series of 12 partitions, all 0: {lag}")
                check(all(any(f'topic="{t}"' in k for k in lag) for t in ("vpn", "entra", "m365")),
                      f"lag of every topic: {sorted(lag)}")
            finally:
                p.send_signal(signal.SIGTERM)
                try:
                    rc = p.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    p.kill()
                    rc = p.wait()
                log.close()
            check(rc == 0, f"watch stops cleanly on SIGTERM: {rc}")
            got = b.consume("alerts")
            counts = collections.Counter(json.loads(v)["rule"]["id"] for _, _, _, v in got)
            check(counts == expected,
                  f"alerts topic == hunt: got {dict(counts)}, expected {dict(expected)}")
            check(counts[CHAIN_BY_ADDRESS] == 1 and counts[CHAIN_BY_ACCOUNT] == 1,
                  f"both chain alerts exactly once: {dict(counts)}")
            check(all(k == json.loads(v).get("id") for _, _, k, v in got),
                  "every alert is keyed by its id")
        if T.failed and os.path.exists(os.path.join(tmp, "watch.log")):
            with open(os.path.join(tmp, "watch.log")) as f:
                print(f.read()[-6000:])
    T.done()


if __name__ == "__main__":
    main()
