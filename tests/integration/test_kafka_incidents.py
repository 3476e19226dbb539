#!/usr/bin/env python3
"""Incidents and TAXII publishing from the alerts topic (docs/kafka.md, "Incidents and TAXII
from the alerts topic"; docs/scale-out.md).

The demo chain's VPN, Entra ID and Microsoft 365 records go to three raw topics of 4 partitions,
keyed by line number; two `match` and two `correlate` instances, all transactional, publish the
alerts to the alerts topic. A third `watch` (role all) reads the alerts topic with an input of
`format: alerts`: it stores each alert under its own id, sends it to its sinks (a JSON lines
file), groups it into incidents and publishes sightings to its TAXII collection. A record on
the alerts topic that is not an alert (produced first) is skipped with a warning.

Asserts:
  - the configuration checks: format alerts is refused in a match watch, and with a kafka sink
    to the topic the input reads (each naming the key and line);
  - the third instance's JSON lines sink holds exactly the alerts of the alerts topic (ids), and
    the alerts per rule id are those of `yagura hunt` over the same records;
  - its incidents (`yagura incidents list/show --json`) are those `yagura hunt --incidents`
    builds over the same records: title, severity, status, alert count, main entity, entities
    and the rules of its alerts; every alert of the topic is a step of one incident, and each
    correlation alert's detections (those not alerts of their own) are detection steps of its
    incident; one critical incident holds both chain alerts;
  - its TAXII collection, read with taxii2-client: every object valid for the OASIS
    stix2-validator, one sighting per rule with alerts at or above publish.min_level, with the
    count, first and last seen of that rule's alerts on the topic (the counts: the hunt's);
  - the record that is not an alert was logged and skipped.
"""
import collections
import datetime
import json
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import taxii_common as tc  # noqa: E402

tc.reexec()

import kafka_broker  # noqa: E402
import kafka_watch as kw  # noqa: E402
import watch_common as wc  # noqa: E402
from stix2validator import ValidationOptions, validate_instance  # noqa: E402
from taxii2client.v21 import Collection, as_pages  # noqa: E402

T = tc.Tally()
COLL = "5b1d7a3c-8e2f-4c6a-9d0b-1f3e5a7c9b2d"
LEVELS = ["informational", "low", "medium", "high", "critical"]
MIN_LEVEL = "low"


def incidents(db):
    """{title: (severity, alerts, main entity, entities, sorted timeline)} of a state database."""
    r = subprocess.run([kw.yagura, "incidents", "list", "--db", db, "--status", "all", "--json"],
                       capture_output=True, text=True)
    out = {}
    for line in r.stdout.splitlines():
        o = json.loads(line)
        s = subprocess.run([kw.yagura, "incidents", "show", o["id"], "--db", db, "--json"],
                           capture_output=True, text=True)
        steps = json.loads(s.stdout)["timeline"]
        timeline = sorted((st["kind"], st["rule"]["id"], st["time"], st["alert_id"])
                          for st in steps)
        ents = sorted((e["kind"], e["value"]) for e in o["entities"])
        out[o["title"]] = (o["severity"], o["status"], o["alerts"], o["main_entity"], ents,
                           timeline)
    return out


def summary(incs):
    """What a hunt over the files and the stages over Kafka must agree on: per incident its
    severity, status, alert count, main entity, entities and the rules of its alerts. (Which
    detections complete a correlation, and so the correlation alert's time and its detection
    steps, depends on the order records arrive in: partitions are read in bursts.)"""
    return {t: v[:5] + (sorted(s[1] for s in v[5] if s[0] != "detection"),)
            for t, v in incs.items()}


def unordered(incs):
    """summary() without the titles and main entities: a sorted list of the rest."""
    return sorted((v[0], v[1], v[2], v[4], v[5]) for v in summary(incs).values())


def diff(got, want):
    """What differs between two incidents(), field by field, for the failure message."""
    out = []
    names = ("severity", "status", "alerts", "main entity", "entities", "alert rules")
    for t in sorted(set(got) | set(want)):
        if t not in got or t not in want:
            out.append(f"{t!r} only in {'got' if t in got else 'want'}")
            continue
        for n, g, w in zip(names, got[t], want[t]):
            if g == w:
                continue
            if n == "alert rules":
                g, w = collections.Counter(g), collections.Counter(w)
                out.append(f"{t!r} timeline: only got {sorted((g - w).elements())}, "
                           f"only want {sorted((w - g).elements())}")
            else:
                out.append(f"{t!r} {n}: got {g}, want {w}")
    return "\n  ".join(out)


def stix_time(s):
    return datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))


def expected_sightings(alerts):
    """{rule id: (count, first, last)} of the alerts at or above MIN_LEVEL."""
    by = collections.defaultdict(list)
    for a in alerts:
        if LEVELS.index(a["rule"]["level"]) >= LEVELS.index(MIN_LEVEL):
            by[a["rule"]["id"]].append(stix_time(a["timestamp"]))
    return {r: (len(ts), min(ts), max(ts)) for r, ts in by.items()}


def sightings(objs):
    """{sigma rule id: (count, first_seen, last_seen)} of the collection's latest versions."""
    latest = {}
    for o in objs:
        if o["id"] not in latest or o.get("modified", "") > latest[o["id"]].get("modified", ""):
            latest[o["id"]] = o
    rule_of = {o["id"]: ref["external_id"] for o in latest.values() if o["type"] == "indicator"
               for ref in o.get("external_references", []) if ref.get("source_name") == "sigma"}
    return {rule_of.get(s["sighting_of_ref"]): (s["count"], stix_time(s["first_seen"]),
                                                 stix_time(s["last_seen"]))
            for s in latest.values() if s["type"] == "sighting"}


def collection_objects(port):
    col = Collection(f"http://127.0.0.1:{port}/api1/collections/{COLL}/", user="reader",
                     password="s3cret")
    objs = []
    for env in as_pages(col.get_objects, per_request=500):
        objs += env.get("objects", [])
    return objs


def incidents_config(tmp, bootstrap, pw, http_port, sink_topic="shared-out", role=None):
    kafka = f"kafka:\n  brokers: '{bootstrap}'\n  group: yagura-incidents\n"
    if role:
        kafka += f"  role: {role}\n  detections_topic: detections\n"
    text = (f"rules: ['{kw.src}/rules']\n"
            f"data_dir: '{kw.src}'\n"
            f"state: {tmp}/incidents.db\n"
            + kafka +
            "inputs:\n"
            "  - {name: alerts, type: kafka, topic: alerts, format: alerts}\n"
            f"sinks:\n  - {{type: jsonl, path: '{tmp}/incidents-alerts.jsonl'}}\n"
            f"  - {{type: kafka, topic: {sink_topic}}}\n"
            f"http: {{listen: '127.0.0.1:{http_port}'}}\n"
            "log: {level: info}\n"
            "taxii:\n"
            "  listen: 127.0.0.1:0\n"
            f"  db: {tmp}/taxii.db\n"
            "  api_roots:\n"
            "    - path: api1\n"
            "      collections:\n"
            f"        - {{id: {COLL}, alias: shared, tlp_ceiling: amber}}\n"
            "  users:\n"
            f"    - {{name: reader, password: \"{pw}\", read: [shared]}}\n"
            "  identity_name: Yagura alerts topic\n"
            "  export_tlp: amber\n"
            f"  publish: {{collection: shared, min_level: {MIN_LEVEL}, interval: 1s}}\n")
    path = os.path.join(tmp, "incidents.yaml")
    with open(path, "w") as f:
        f.write(text)
    return path


def main():
    procs = []
    with tempfile.TemporaryDirectory() as tmp:
        data = kw.demo(tmp)
        paths = [p for p, _ in data.values()]
        r = subprocess.run([kw.yagura, "hunt", "-r", os.path.join(kw.src, "rules"),
                            "--incidents", os.path.join(tmp, "hunt.db")] + paths,
                           capture_output=True, text=True)
        hunt_alerts = [json.loads(l) for l in r.stdout.splitlines()]
        expected = collections.Counter(a["rule"]["id"] for a in hunt_alerts)
        T.check(expected[kw.CHAIN_BY_ADDRESS] == 1 and expected[kw.CHAIN_BY_ACCOUNT] == 1,
                f"the hunt raises both chain alerts once: {dict(expected)}")
        want_incidents = incidents(os.path.join(tmp, "hunt.db"))
        T.check(len(want_incidents) >= 2, f"the hunt builds incidents: {list(want_incidents)}")
        pw = tc.hash_password("s3cret")

        # The configuration checks name the key and its line.
        bad = incidents_config(tmp, "127.0.0.1:9", pw, 1, role="match")
        r = subprocess.run([kw.yagura, "watch", "-c", bad, "--check"], capture_output=True,
                           text=True)
        T.check(r.returncode == 2 and "inputs[0].format: line" in r.stderr and
                "kafka.role match" in r.stderr,
                f"format alerts refused in a match watch: {r.returncode} {r.stderr[-300:]}")
        bad = incidents_config(tmp, "127.0.0.1:9", pw, 1, sink_topic="alerts")
        r = subprocess.run([kw.yagura, "watch", "-c", bad, "--check"], capture_output=True,
                           text=True)
        T.check(r.returncode == 2 and "inputs[0].format: line" in r.stderr and
                "sinks[1] writes to the topic this input reads" in r.stderr,
                f"a kafka sink to the topic read refused: {r.returncode} {r.stderr[-300:]}")

        with kafka_broker.Broker(tmp) as b:
            b.create_topics(list(kw.RAW_TOPICS) + ["detections", "alerts", "shared-out"])
            # Not an alert: skipped with a warning, never stored or sent.
            b.produce("alerts", [("junk", '{"rule":"not an alert"}')])
            for topic, (_, lines) in data.items():
                b.produce(topic, [(f"{topic}-{i}", l) for i, l in enumerate(lines)])
            try:
                inc = kw.Watch(tmp, "incidents", incidents_config(tmp, b.bootstrap, pw, 0))
                inc.start()
                procs.append(inc)
                taxii_port = (wc.wait_ready(os.path.join(tmp, "incidents.log"), inc.p) or {}
                              ).get("taxii")
                T.check(taxii_port, "the third instance's TAXII server listens")
                for i, role in enumerate(["correlate", "correlate", "match", "match"]):
                    name = f"{role}{i % 2 + 1}"
                    w = kw.Watch(tmp, name, kw.config(
                        tmp, name, b.bootstrap, role=role, group="yagura-" + role,
                        txn=name, http_port=0)).start()
                    procs.append(w)
                want = sum(expected.values())
                T.wait(lambda: len(b.consume("alerts")) >= want + 1, 90, f"{want} alerts")
                # Every instance committed everything it was given (the third one every alert:
                # its batch is stored, incidents included, before its offsets are committed).
                for w in procs:
                    T.wait(lambda: kw.settled(w.port), 60, f"{w.name}: lag 0")
                # The sightings are of the alerts on the topic: their counts per rule are the
                # hunt's (checked below), their times those of the alerts the stages raised
                # (a correlation completed by another detection than in the hunt's file order
                # carries that detection's time).
                want_sightings = expected_sightings(
                    json.loads(v) for _, _, k, v in b.consume("alerts") if k != "junk")
                got_sightings = {}

                def published():
                    nonlocal got_sightings
                    got_sightings = sightings(collection_objects(taxii_port))
                    return got_sightings == want_sightings
                T.wait(published, 60, "the sightings of every alert in the collection")
                objs = collection_objects(taxii_port)
            finally:
                rcs = [p.stop() for p in procs]
            T.check(rcs == [0] * 5, f"every instance stops cleanly: {rcs}")
            topic = [json.loads(v) for _, _, k, v in b.consume("alerts") if k != "junk"]
            counts = collections.Counter(a["rule"]["id"] for a in topic)
            T.check(counts == expected,
                    f"alerts topic == hunt: got {dict(counts)}, expected {dict(expected)}")
            with open(os.path.join(tmp, "incidents-alerts.jsonl")) as f:
                sunk = [json.loads(l) for l in f if l.strip()]
            T.check(sorted(a["id"] for a in sunk) == sorted(a["id"] for a in topic),
                    f"the third instance's sink holds the alerts topic's alerts: {len(sunk)} "
                    f"{len(topic)}")
            T.check(len(b.consume("shared-out")) == len(topic),
                    "its kafka sink got every alert once")

        got_incidents = incidents(os.path.join(tmp, "incidents.db"))
        # The incidents as sets of alerts: per incident its severity, status, alert count,
        # entities and the rules of its alerts, whatever its title.  The title names the top
        # alert and the main entity, and both can follow the order records arrive in: of two
        # critical chain alerts the earlier in event time is the top one, and a correlation
        # alert's time and entities are those of the detections that completed it
        # (docs/kafka.md, "Incidents and TAXII from the alerts topic").
        T.check(unordered(got_incidents) == unordered(want_incidents),
                "incidents from the alerts topic == hunt --incidents (but their titles): " +
                diff(summary(got_incidents), summary(want_incidents)))
        T.check(all(v[3] in {f"{k}:{e}" for k, e in v[4]} for v in got_incidents.values()),
                "each incident's main entity is one of its entities: "
                f"{[(v[3], v[4][:4]) for v in got_incidents.values()]}")
        # Exactly the alerts of the topic, each once, with the detections that completed each
        # correlation alert (those that are not alerts of their own) as steps.
        steps = [s for v in got_incidents.values() for s in v[5]]
        alert_steps = [s[3] for s in steps if s[0] != "detection"]
        T.check(sorted(alert_steps) == sorted(a["id"] for a in topic),
                f"every alert of the topic is one step: {len(alert_steps)} {len(topic)}")
        by_id = {a["id"]: a for a in topic}
        alert_times = {(a["rule"]["id"], a["timestamp"]) for a in topic}
        for t, v in got_incidents.items():
            want_det = {(e["rule"], e["timestamp"]) for s in v[5] if s[0] == "correlation"
                        for e in by_id[s[3]]["correlation"]["events"]} - alert_times
            got_det = {(s[1], s[2]) for s in v[5] if s[0] == "detection"}
            T.check(got_det == want_det,
                    f"{t!r}: detection steps == the correlation alerts' detections: only got "
                    f"{sorted(got_det - want_det)}, only want {sorted(want_det - got_det)}")
        chains = [t for t, v in summary(got_incidents).items()
                  if {kw.CHAIN_BY_ADDRESS, kw.CHAIN_BY_ACCOUNT} <= set(v[5])]
        T.check(len(chains) == 1 and got_incidents[chains[0]][0] == "critical",
                f"one critical incident holds both chain alerts: {chains}")

        T.check(got_sightings == want_sightings,
                f"TAXII sightings == hunt's alerts per rule: got {got_sightings}, "
                f"want {want_sightings}")
        hunt_sightings = expected_sightings(hunt_alerts)
        T.check({r: c for r, (c, _, _) in got_sightings.items()} ==
                {r: c for r, (c, _, _) in hunt_sightings.items()},
                f"one sighting per rule at or above {MIN_LEVEL}, counting the hunt's alerts")
        opts = ValidationOptions(version="2.1")
        bad_objs = [o["id"] for o in objs if not validate_instance(o, opts).is_valid]
        T.check(objs and not bad_objs, f"stix2-validator accepts every object: {bad_objs[:3]}")
        log = inc.logtext()
        T.check(re.search(r"kafka:alerts/\d+:\d+: not an alert: .*record skipped", log),
                "the record that is not an alert is logged and skipped")
        if T.failed:
            for p in procs:
                print(f"--- {p.name}\n" + p.logtext()[-3000:])
    T.done()


if __name__ == "__main__":
    main()
