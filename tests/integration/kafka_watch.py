"""Shared parts of the Kafka tests: the demo chain's records, the expected alerts, and `yagura
watch` processes configured for a role of docs/kafka.md."""
import collections
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request

import watch_common

yagura = os.environ["YAGURA"]
src = os.environ.get("YG_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))

CHAIN_BY_ADDRESS = "4df17d28-f2bf-41d0-ad99-96d25309c7f6"
CHAIN_BY_ACCOUNT = "2dc890ee-2015-4624-89d7-b618623a120c"
RAW_TOPICS = {"vpn": "fortigate", "entra": None, "m365": None}


def scrape(port):
    """({(topic, partition): lag}, refreshes of those gauges) from one reading of the
    instance's /metrics on port, or (None, None) while it does not answer.  A partition not
    fetched yet reads NaN (docs/kafka.md, "Monitoring")."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
            text = r.read().decode()
    except OSError:
        return None, None
    n = re.search(r"^yagura_kafka_lag_refreshes_total (\S+)$", text, re.M)
    return {(m.group(1), int(m.group(2))): float(m.group(3)) for m in re.finditer(
        r'^yagura_kafka_lag_messages\{topic="([^"]+)",partition="(\d+)"\} (\S+)$', text,
        re.M)}, float(n.group(1)) if n else 0.0


def lags(port):
    """{(topic, partition): lag} of the instance's /metrics on port, or None while it does not
    answer."""
    return scrape(port)[0]


def settled(port, topics=None, readings=1):
    """The instance answers, has partitions assigned (of topics, when given) and every one of
    its lag gauges reads 0: all it was given is committed.  NaN is not 0.  With readings=2,
    in two refreshes of the gauges: they are refreshed about every second from the watermarks
    of the last fetch, so one reading of 0 could predate the last records.  The second reading
    waits for the refresh count to move on by 2 (the gauges are read before the count in one
    reading, so one more could have been under way), not for time to pass."""
    seen = None
    for i in range(readings):
        lg, n = scrape(port)
        end = time.monotonic() + 30
        while seen is not None and (n is None or n < seen + 2) and time.monotonic() < end:
            time.sleep(0.05)  # polling interval of the readiness check
            lg, n = scrape(port)
        if not (lg and (topics is None or any(t in topics for t, _ in lg)) and
                all(v == 0 for v in lg.values())) or (seen is not None and n < seen + 2):
            return False
        seen = n
    return True


def demo(tmp):
    """{topic: (path, [record, ...])} of the demo chain's VPN, Entra ID and Microsoft 365 logs."""
    gen = os.path.join(tmp, "gen")
    subprocess.run([sys.executable, os.path.join(src, "scripts", "gen_demo.py"), "--out", gen],
                   check=True, capture_output=True)
    files = {"vpn": "vpn/fortigate-edge01.log", "entra": "cloud/entra-signins.json",
             "m365": "cloud/m365-audit.json"}
    out = {}
    for topic, rel in files.items():
        with open(os.path.join(gen, "logs", rel), encoding="utf-8") as f:
            out[topic] = (os.path.join(gen, "logs", rel), [l.rstrip("\n") for l in f if l.strip()])
    return out


def hunt_counts(paths):
    """Alerts per rule id of `yagura hunt` over the same records: what the service must raise."""
    r = subprocess.run([yagura, "hunt", "-r", os.path.join(src, "rules")] + paths,
                       capture_output=True, text=True)
    c = collections.Counter()
    for line in r.stdout.splitlines():
        c[json.loads(line)["rule"]["id"]] += 1
    return c


class Phases:
    """The demo's records split the way the failure tests replay them: `data` (demo()),
    `expected` (hunt_counts() over the same files), `background` (n VPN traffic lines,
    repeated in turn), and the Microsoft 365 records before (`early`) and during (`late`) the
    bulk download of the last phase."""

    def __init__(self, tmp, n_background):
        self.data = demo(tmp)
        self.expected = hunt_counts([p for p, _ in self.data.values()])
        traffic = [l for l in self.data["vpn"][1] if 'type="traffic"' in l]
        self.background = [traffic[i % len(traffic)] for i in range(n_background)]
        m365 = self.data["m365"][1]
        self.late = [l for l in m365 if re.search(r'"CreationTime":"2025-06-02T0[2-9]', l)]
        self.early = [l for l in m365 if l not in self.late]


def config(tmp, name, bootstrap, role=None, group="yagura-test", txn=None, http_port=None,
           batch_records=None):
    """A configuration file for one instance; role None is the default (all)."""
    kafka = f"  brokers: '{bootstrap}'\n  group: {group}\n"
    if role:
        kafka += f"  role: {role}\n  detections_topic: detections\n"
    if txn:
        kafka += f"  transactional_id: {txn}\n"
    if batch_records:
        kafka += f"  batch_records: {batch_records}\n"
    # A crashed member's partitions go to the others after the session timeout.
    kafka += "  properties: {session.timeout.ms: '6000', heartbeat.interval.ms: '500'}\n"
    text = (f"rules: ['{src}/rules']\n"
            f"state: {tmp}/{name}.db\n"
            # Partitions are read in bursts, not merged in time: the lateness covers the
            # demo day (docs/kafka.md, "Event time").
            "correlation: {lateness: 1d}\n"
            f"kafka:\n{kafka}")
    if role != "correlate":
        text += "inputs:\n"
        for topic, fmt in RAW_TOPICS.items():
            text += f"  - {{name: {topic}, type: kafka, topic: {topic}"
            text += f", format: {fmt}}}\n" if fmt else "}\n"
    text += "sinks:\n  - {type: kafka, topic: alerts}\n"
    if http_port is not None:
        # Port 0: Watch.start reads the port the system gave from the log (Watch.port).
        text += f"http: {{listen: '127.0.0.1:{http_port}'}}\n"
    path = os.path.join(tmp, name + ".yaml")
    with open(path, "w") as f:
        f.write(text)
    return path


class Watch:
    def __init__(self, tmp, name, cfg):
        self.name, self.cfg, self.tmp = name, cfg, tmp
        self.p = None
        self.log = None
        self.port = None

    def start(self):
        """Start the instance and wait until it is watching (its log says so); self.port is
        then the port of its http endpoint (None without one, or when it exited first)."""
        path = os.path.join(self.tmp, self.name + ".log")
        at = watch_common.log_size(path)
        self.log = open(path, "a")
        self.p = subprocess.Popen([yagura, "watch", "-c", self.cfg], stdout=subprocess.DEVNULL,
                                  stderr=self.log)
        self.port = (watch_common.wait_ready(path, self.p, at) or {}).get("http")
        return self

    def stop(self, timeout=30):
        if not self.p or self.p.poll() is not None:
            return self.p.returncode if self.p else None
        self.p.send_signal(signal.SIGTERM)
        try:
            rc = self.p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            rc = self.p.wait()
        self.log.close()
        return rc

    def kill9(self):
        self.p.send_signal(signal.SIGKILL)
        self.p.wait()
        self.log.close()

    def logtext(self):
        with open(os.path.join(self.tmp, self.name + ".log")) as f:
            return f.read()
