#!/usr/bin/env python3
"""yagura watch publishing its sightings into its own TAXII 2.1 collection.

The service reads the demo's FortiGate log (scripts/gen_demo.py: password
spraying, brute force, a login after the failures) and serves a collection with
taxii.publish set (min_level high).  Checked over HTTP against the running
service: the collection fills with our identity, sightings and the
indicators they sight; every object passes the OASIS stix2-validator; the
sighted Sigma rules are exactly the rules with high or critical alerts in the
state database (a medium one is left out); a reader without rights gets 403.
After a restart with nothing new, publishing adds no object and no version.
A configuration whose publish names an unknown collection is refused.
"""
import base64
import glob
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import taxii_common as tc  # noqa: E402
import watch_common as wc  # noqa: E402

tc.reexec()

from stix2validator import ValidationOptions, validate_instance  # noqa: E402

T = tc.Tally()
yagura = os.environ["YAGURA"]
src = os.environ["YG_SOURCE_DIR"]
COLL = "8f5e1c3a-2b4d-4e6f-9a1b-3c5d7e9f1a2b"
MEDIA = "application/taxii+json;version=2.1"


def get(port, path, user):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={
        "Accept": MEDIA,
        "Authorization": "Basic " + base64.b64encode(f"{user}:s3cret".encode()).decode()})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, None


def all_objects(port, user="reader"):
    """Every object of the collection (all versions), following next."""
    objs, nxt = [], None
    for _ in range(100):
        q = "?match[version]=all&limit=1000" + (f"&next={nxt}" if nxt else "")
        st, body = get(port, f"/api1/collections/{COLL}/objects/{q}", user)
        if st != 200:
            return None
        objs += body.get("objects", [])
        if not body.get("more"):
            return objs
        nxt = body.get("next")
    return objs


def high_rules(state):
    db = sqlite3.connect(state)
    try:
        return {r for (r,) in db.execute(
            "select distinct rule_id from alerts where level in ('high', 'critical')")}, \
            {r for (r,) in db.execute("select distinct rule_id from alerts where level = 'medium'")}
    finally:
        db.close()


def rounds(hport, outcome):
    """Publishing rounds of the service so far with outcome (its /metrics); 0 before the first
    one, and while the endpoint does not answer."""
    return wc.metric(hport, f'yagura_taxii_publish_rounds_total{{outcome="{outcome}"}}') or 0


def start(cfg, log):
    return subprocess.Popen([yagura, "watch", "-c", cfg], stdout=subprocess.DEVNULL, stderr=log)


def stop(p):
    p.send_signal(signal.SIGTERM)
    try:
        return p.wait(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
        return p.wait()


def main():
    with tempfile.TemporaryDirectory() as tmp:
        gen = os.path.join(tmp, "gen")
        r = subprocess.run([sys.executable, os.path.join(src, "scripts", "gen_demo.py"), "--out",
                            gen], capture_output=True, text=True)
        if not T.check(r.returncode == 0, f"gen_demo.py: {r.stderr[-300:]}"):
            T.done()
        logs = os.path.join(gen, "logs")
        pw = tc.hash_password("s3cret")
        state = os.path.join(tmp, "state.db")
        cfg = os.path.join(tmp, "yagura.yaml")
        body = f"""rules: ['{src}/rules']
data_dir: '{src}'
state: {state}
correlation: {{lateness: 2h}}
inputs:
  - {{name: vpn, type: file, path: '{logs}/vpn/*.log', start_at: beginning, format: fortigate}}
log: {{level: info}}
http: {{listen: '127.0.0.1:0'}}
taxii:
  listen: 127.0.0.1:0
  db: {tmp}/taxii.db
  api_roots:
    - path: api1
      collections:
        - {{id: {COLL}, alias: shared, tlp_ceiling: amber}}
  users:
    - {{name: reader, password: "{pw}", read: [shared]}}
    - {{name: nobody, password: "{pw}", read: []}}
  identity_name: Yagura publish test
  export_tlp: amber
  publish: {{collection: shared, min_level: high, interval: 1s}}
"""
        with open(cfg, "w") as f:
            f.write(body)
        r = subprocess.run([yagura, "watch", "-c", cfg, "--check"], capture_output=True, text=True)
        T.check(r.returncode == 0, f"--check accepts taxii.publish: {r.stderr[-400:]}")
        bad = os.path.join(tmp, "bad.yaml")
        with open(bad, "w") as f:
            f.write(body.replace("collection: shared", "collection: nosuch"))
        r = subprocess.run([yagura, "watch", "-c", bad, "--check"], capture_output=True, text=True)
        T.check(r.returncode != 0 and "taxii.publish.collection" in r.stderr,
                f"an unknown publish collection is refused: {r.returncode} {r.stderr[-300:]}")

        records = 0
        for name in glob.glob(os.path.join(logs, "vpn", "*.log")):
            with open(name, "rb") as f:
                records += sum(1 for line in f if line.strip())
        log = open(os.path.join(tmp, "service.log"), "a")
        p = start(cfg, log)
        objs = None
        try:
            # The ports the system gave, from the service's log once it is watching.
            ports = wc.wait_ready(log.name, p) or {}
            port, hport = ports.get("taxii"), ports.get("http")
            T.check(port and hport, "the service's TAXII server and metrics endpoint listen")
            # Published once the alerts are stored: wait until the service has read the whole
            # log, then for a publishing round that finds nothing new (every alert read is
            # stored and published); the collection is then complete, and stays so.
            T.wait(lambda: wc.metric(hport, 'yagura_events_total{input="vpn"}') == records, 60,
                   f"the service reading the {records} records of the VPN log")
            idle = rounds(hport, "nothing_new")
            T.wait(lambda: rounds(hport, "nothing_new") > idle, 60,
                   "a publishing round with nothing new after the whole log")
            objs = all_objects(port)
            st, _ = get(port, f"/api1/collections/{COLL}/objects/", "nobody")
            T.check(st == 404, f"a user without read rights does not see the collection: 404 ({st})")
            rc = stop(p)
            T.check(rc == 0, f"SIGTERM exit {rc}")
        finally:
            if p.poll() is None:
                p.kill()
        if not T.check(objs, "the collection holds published objects"):
            print(open(os.path.join(tmp, "service.log")).read()[-3000:])
            T.done()
        opts = ValidationOptions(version="2.1")
        for o in objs:
            res = validate_instance(o, opts)
            T.check(res.is_valid, f"stix2-validator: {o['id']}: {[str(e) for e in res.errors][:2]}")
        byid = {o["id"]: o for o in objs}
        ident = [o for o in objs if o["type"] == "identity"]
        T.check(len(ident) == 1 and ident[0]["name"] == "Yagura publish test", "our identity")
        sights = [o for o in objs if o["type"] == "sighting"]
        T.check(all(s["sighting_of_ref"] in byid for s in sights),
                "every sighting's indicator is in the collection")
        T.check(all(s["where_sighted_refs"] == [ident[0]["id"]] for s in sights if ident),
                "sighted by us")
        sighted = {ref["external_id"] for s in sights
                   for ref in byid.get(s["sighting_of_ref"], {}).get("external_references", [])
                   if ref.get("source_name") == "sigma"}
        high, medium = high_rules(state)
        T.check(high and sighted == high,
                f"sighted rules = rules with high/critical alerts ({sorted(sighted)} vs {sorted(high)})")
        T.check(medium and not (sighted & medium), "medium alerts are not published (min_level high)")
        amber = tc.TLP["amber"]
        T.check(all(amber in o.get("object_marking_refs", []) for o in objs
                    if o["type"] in ("sighting", "indicator", "observed-data")), "marked TLP:AMBER")

        # A restart with nothing new publishes nothing new.
        n_before = len(objs)
        at = wc.log_size(os.path.join(tmp, "service.log"))
        log = open(os.path.join(tmp, "service.log"), "a")
        p = start(cfg, log)
        try:
            ports = wc.wait_ready(log.name, p, at) or {}
            port, hport = ports.get("taxii"), ports.get("http")
            T.check(port and hport, "the service listens again")
            # Two rounds due that found nothing new (an interval apart): the publisher has
            # passed the points where it would have published.
            T.wait(lambda: rounds(hport, "nothing_new") >= 2, 60,
                   "two publishing rounds with nothing new after the restart")
            again = all_objects(port)
            rc = stop(p)
            T.check(rc == 0, f"SIGTERM exit {rc} (second run)")
        finally:
            if p.poll() is None:
                p.kill()
        T.check(again is not None and len(again) == n_before,
                f"no new object or version after a restart ({n_before} -> "
                f"{len(again) if again is not None else None})")
        text = open(os.path.join(tmp, "service.log")).read()
        T.check("taxii publish:" in text and "new object(s)" in text,
                "the service logs what it published")
    T.done()


main()
