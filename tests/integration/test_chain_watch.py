#!/usr/bin/env python3
"""The intrusion chain through `yagura watch`: three inputs, out of order, across a restart.

The demo generator (scripts/gen_demo.py) writes the chain; the service gets its three sources
on different inputs:

  - the FortiGate SSL VPN log as syslog over TCP on 127.0.0.1 (framed by newlines),
  - the Entra ID sign-ins as a tailed file,
  - the Microsoft 365 audit log as another tailed file.

Records are fed out of order within the configured lateness of 2 h (each source's records
shuffled in small blocks, and the sign-in file written before the VPN log, an hour older, is
sent), and the service is
restarted (SIGTERM, start) between the cloud sign-in and the bulk download. Asserts that each
chain correlation's critical alert is delivered exactly once (alerts table and JSON-lines sink),
that one incident holds them, and that it is the only critical incident.
"""
import json
import os
import random
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time

import watch_common as wc

yagura = os.environ["YAGURA"]
src = os.environ.get("YG_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
passed = failed = 0

CHAIN_BY_ADDRESS = "4df17d28-f2bf-41d0-ad99-96d25309c7f6"
CHAIN_BY_ACCOUNT = "2dc890ee-2015-4624-89d7-b618623a120c"
SIGNIN_FROM_ATTACKER = "4deb92e4-31b0-4186-af79-ac79ba806904"


def check(ok, msg):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAIL", msg, flush=True)


def shuffled(lines, block, rng):
    """Shuffle within consecutive blocks: each record moves by less than a block."""
    out = []
    for i in range(0, len(lines), block):
        b = lines[i:i + block]
        rng.shuffle(b)
        out.extend(b)
    return out


TIME = re.compile(r"(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})|date=(\d{4}-\d{2}-\d{2}) "
                  r"time=(\d{2}:\d{2}:\d{2})")


def until(lines, hhmm):
    """The records of the demo day before hhmm (the generator's files are in time order)."""
    out = []
    for l in lines:
        m = TIME.search(l)
        if m and (m.group(2) or m.group(4))[:5] >= hhmm:
            continue
        out.append(l)
    return out


def alerts(db_path):
    db = sqlite3.connect(db_path)
    try:
        return db.execute("select id, rule_id, level from alerts").fetchall()
    except sqlite3.OperationalError:
        return []  # the service has created the file but not yet its tables
    finally:
        db.close()


def wait_for(pred, timeout=30):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return True
        time.sleep(0.25)
    return pred()


class Service:
    def __init__(self, tmp):
        self.tmp = tmp
        self.cfg = os.path.join(tmp, "yagura.yaml")
        with open(self.cfg, "w") as f:
            f.write(f"rules: ['{src}/rules']\n"
                    f"data_dir: '{src}'\n"
                    f"state: {tmp}/state.db\n"
                    "correlation: {lateness: 2h}\n"
                    "incidents: {window: 24h}\n"
                    "inputs:\n"
                    f"  - {{name: vpn, type: syslog-tcp, listen: '127.0.0.1:0', "
                    "format: fortigate}\n"
                    f"  - {{name: entra, type: file, path: '{tmp}/in/entra/*.json', "
                    "start_at: beginning}\n"
                    f"  - {{name: m365, type: file, path: '{tmp}/in/m365/*.json', "
                    "start_at: beginning}\n"
                    f"sinks:\n  - {{type: jsonl, path: {tmp}/alerts.jsonl}}\n"
                    "http: {listen: '127.0.0.1:0'}\n"
                    "log: {level: info}\n")
        self.p = None

    def start(self):
        log = os.path.join(self.tmp, "service.log")
        at = wc.log_size(log)
        self.err = open(log, "a")
        self.p = subprocess.Popen([yagura, "watch", "-c", self.cfg], stdout=subprocess.DEVNULL,
                                  stderr=self.err)
        # Ready when it says it is watching; its ports are in the same lines.
        self.ports = wc.wait_ready(log, self.p, at) or {}
        check("vpn" in self.ports and "http" in self.ports, "the service did not start")

    def read_all(self, name, n):
        """Wait until input name has read n records (its events counter)."""
        return wait_for(lambda: wc.metric(self.ports.get("http"),
                                          f'yagura_events_total{{input="{name}"}}') == n)

    def stop(self):
        self.p.send_signal(signal.SIGTERM)
        try:
            rc = self.p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.p.kill()
            rc = self.p.wait()
        self.err.close()
        return rc

    def kill(self):
        if self.p and self.p.poll() is None:
            self.p.kill()
            self.p.wait()


def tcp_send(port, lines, timeout=10):
    end = time.time() + timeout
    while True:
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            break
        except OSError:
            if time.time() > end:
                raise
            time.sleep(0.2)
    s.sendall("".join(l + "\n" for l in lines).encode())
    s.close()


def main():
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        gen = os.path.join(tmp, "gen")
        r = subprocess.run([sys.executable, os.path.join(src, "scripts", "gen_demo.py"),
                            "--out", gen], capture_output=True, text=True)
        check(r.returncode == 0, f"gen_demo.py: {r.stderr[-300:]}")
        if r.returncode:
            return

        def lines(rel):
            with open(os.path.join(gen, "logs", rel), encoding="utf-8",
                      errors="surrogateescape") as f:
                return [l.rstrip("\n") for l in f if l.strip()]
        vpn = lines("vpn/fortigate-edge01.log")
        entra = lines("cloud/entra-signins.json")
        m365 = lines("cloud/m365-audit.json")
        # The night of the chain: background and attack records up to the bulk download.
        vpn, entra, m365 = until(vpn, "02:00"), until(entra, "02:10"), until(m365, "03:10")
        # Out of order within the lateness (2h): the sign-ins (up to 02:10) go in before the
        # VPN log (01:10 to 01:22); within each source, blocks of records are shuffled (the VPN
        # attack lines are 15 to 20 s apart, the downloads 35 s).
        vpn = shuffled(vpn, 6, rng)
        m365 = shuffled(m365, 8, rng)
        for d in ("in/entra", "in/m365"):
            os.makedirs(os.path.join(tmp, d))

        svc = Service(tmp)
        state = os.path.join(tmp, "state.db")
        try:
            svc.start()
            # The cloud sign-in file first, then the VPN log over TCP: the sign-in's
            # detection is older than nothing the service has seen yet, the VPN records
            # arrive after it but carry earlier times (within the lateness).
            with open(os.path.join(tmp, "in/entra/signins.json"), "w") as f:
                f.write("".join(l + "\n" for l in entra))
            check(svc.read_all("entra", len(entra)), "the sign-ins are read before the VPN log")
            tcp_send(svc.ports["vpn"], vpn)
            ok = wait_for(lambda: os.path.exists(state) and any(
                a[1] == SIGNIN_FROM_ATTACKER for a in alerts(state)))
            check(ok, "before the restart: the cloud sign-in from the attacking address is "
                      "stored")
            check(svc.read_all("vpn", len(vpn)), "the whole VPN log is read before the stop")
            rc = svc.stop()
            check(rc == 0, f"SIGTERM exit {rc}")
            before = alerts(state)
            check(not any(a[2] == "critical" for a in before),
                  "no critical alert before the bulk download")

            svc.start()
            with open(os.path.join(tmp, "in/m365/audit.json"), "w") as f:
                f.write("".join(l + "\n" for l in m365))
            ok = wait_for(lambda: {CHAIN_BY_ADDRESS, CHAIN_BY_ACCOUNT} <=
                          {a[1] for a in alerts(state)})
            check(ok, "after the restart: both chain correlations fired")
            # Every record is read before the stop, so a second chain alert would be there.
            check(svc.read_all("m365", len(m365)), "the whole audit log is read before the stop")
            rc = svc.stop()
            check(rc == 0, f"SIGTERM exit {rc} (second run)")
        finally:
            svc.kill()

        rows = alerts(state)
        for rid in (CHAIN_BY_ADDRESS, CHAIN_BY_ACCOUNT):
            n = sum(1 for a in rows if a[1] == rid)
            check(n == 1, f"chain {rid}: {n} alert(s) stored, expected exactly 1")
        sink = []
        with open(os.path.join(tmp, "alerts.jsonl")) as f:
            for l in f:
                sink.append(json.loads(l))
        for rid in (CHAIN_BY_ADDRESS, CHAIN_BY_ACCOUNT):
            n = sum(1 for a in sink if a.get("rule", {}).get("id") == rid)
            check(n == 1, f"chain {rid}: delivered {n} time(s) to the sink, expected exactly 1")
        crit = [a for a in rows if a[2] == "critical"]
        check(len(crit) == 2, f"{len(crit)} critical alerts, expected the two chain alerts")

        db = sqlite3.connect(state)
        inc = db.execute("select distinct incident_id from incident_timeline where alert_id in "
                         "(select id from alerts where level = 'critical')").fetchall()
        check(len(inc) == 1, f"the critical alerts are in {len(inc)} incident(s), expected 1")
        crit_inc = db.execute("select id, alert_count from incidents where status = 'open' "
                              "and level = 'critical'").fetchall()
        check(len(crit_inc) == 1, f"{len(crit_inc)} critical incidents, expected 1")
        if inc and crit_inc:
            check(inc[0][0] == crit_inc[0][0], "the chain alerts' incident is the critical one")
        db.close()
        r = subprocess.run([yagura, "incidents", "list", "--db", state, "--min-level",
                            "critical", "--json"], capture_output=True, text=True)
        listed = [json.loads(l) for l in r.stdout.splitlines() if l.strip()]
        check(r.returncode == 0 and len(listed) == 1,
              f"incidents list --min-level critical: exit {r.returncode}, {len(listed)} row(s)")
        if listed:
            r = subprocess.run([yagura, "incidents", "show", "--db", state, listed[0]["id"],
                                "--json"], capture_output=True, text=True)
            try:
                shown = json.loads(r.stdout)
            except ValueError:
                shown = {"timeline": []}
            ids = [s["rule"]["id"] for s in shown["timeline"]]
            for rid in (CHAIN_BY_ADDRESS, CHAIN_BY_ACCOUNT):
                check(ids.count(rid) == 1, f"timeline holds chain {rid} once ({ids.count(rid)})")
        if failed:
            with open(os.path.join(tmp, "service.log")) as f:
                print(f.read()[-3000:])
        min_level_run(gen, vpn, entra, m365)


def min_level_run(gen, vpn, entra, m365):
    """min_level: high stores and sends only high and critical alerts, and the
    correlations still count the low and medium detections they are built from:
    both chain alerts are stored."""
    with tempfile.TemporaryDirectory() as tmp:
        for d in ("in/vpn", "in/entra", "in/m365"):
            os.makedirs(os.path.join(tmp, d))
        for rel, recs in (("in/vpn/fgt.log", vpn), ("in/entra/signins.json", entra),
                          ("in/m365/audit.json", m365)):
            with open(os.path.join(tmp, rel), "w") as f:
                f.write("".join(l + "\n" for l in recs))
        cfg = os.path.join(tmp, "yagura.yaml")
        state = os.path.join(tmp, "state.db")
        with open(cfg, "w") as f:
            f.write(f"rules: ['{src}/rules']\n"
                    f"data_dir: '{src}'\n"
                    f"state: {state}\n"
                    "min_level: high\n"
                    "correlation: {lateness: 2h}\n"
                    "inputs:\n"
                    f"  - {{name: vpn, type: file, path: '{tmp}/in/vpn/*.log', format: fortigate, "
                    "start_at: beginning}\n"
                    f"  - {{name: entra, type: file, path: '{tmp}/in/entra/*.json', "
                    "start_at: beginning}\n"
                    f"  - {{name: m365, type: file, path: '{tmp}/in/m365/*.json', "
                    "start_at: beginning}\n"
                    f"sinks:\n  - {{type: jsonl, path: {tmp}/alerts.jsonl}}\n")
        err = open(os.path.join(tmp, "service.log"), "w")
        p = subprocess.Popen([yagura, "watch", "-c", cfg], stdout=subprocess.DEVNULL, stderr=err)
        try:
            ok = wait_for(lambda: os.path.exists(state) and
                          {CHAIN_BY_ADDRESS, CHAIN_BY_ACCOUNT} <= {a[1] for a in alerts(state)})
            check(ok, "min_level: high: both chain alerts stored")
        finally:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
            err.close()
        rows = alerts(state) if os.path.exists(state) else []
        low = [a for a in rows if a[2] not in ("high", "critical")]
        check(rows and not low, f"min_level: high: {len(low)} alert(s) below high stored: {low[:3]}")
        with open(os.path.join(tmp, "alerts.jsonl")) as f:
            levels = {json.loads(l)["rule"]["level"] for l in f if l.strip()}
        check(levels <= {"high", "critical"} and "critical" in levels,
              f"min_level: high: levels sent to the sink {sorted(levels)}")
        if failed:
            with open(os.path.join(tmp, "service.log")) as f:
                print(f.read()[-2000:])


main()
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
