#!/usr/bin/env python3
"""yagura incidents export: an incident as the STIX 2.1 unit a CERT shares.

The demo's intrusion chain (scripts/gen_demo.py) is hunted into an incident
database; its critical incident is exported and must give a bundle whose
every object the OASIS stix2-validator accepts, with one `incident` object
named as the incident, one `report` on it whose object_refs name the
incident, every sighting, indicator and observed-data of the bundle, and
exist in the bundle; sightings of the chain's correlations carrying the
attacker's address as an observable; TLP markings on the incident and the
report; the same bytes on a second export; exit 1 for an unknown incident.
"""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import taxii_common as tc  # noqa: E402

tc.reexec()

from stix2validator import ValidationOptions, validate_instance  # noqa: E402

T = tc.Tally()
yagura = os.environ["YAGURA"]
src = os.environ["YG_SOURCE_DIR"]
ATTACKER = "203.0.113.66"  # the demo's attacking address (scripts/gen_demo.py)


def run(*args):
    return subprocess.run([yagura, *args], capture_output=True, text=True)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        logs = os.path.join(tmp, "chain")
        r = subprocess.run([sys.executable, os.path.join(src, "scripts", "gen_demo.py"), "--out",
                            logs], capture_output=True, text=True)
        T.check(r.returncode == 0, f"gen_demo.py: exit {r.returncode} {r.stderr[-300:]}")
        db = os.path.join(tmp, "incidents.db")
        r = run("hunt", "-q", "-r", os.path.join(src, "rules"), "-r", os.path.join(src, "analytics"),
                "--incidents", db, "-o", os.path.join(tmp, "alerts.jsonl"), logs)
        T.check(r.returncode == 1, f"hunt finds alerts: exit {r.returncode} {r.stderr[-500:]}")
        r = run("incidents", "list", "--db", db, "--json", "--min-level", "critical")
        T.check(r.returncode == 0, f"incidents list: exit {r.returncode} {r.stderr}")
        crit = [json.loads(l) for l in r.stdout.splitlines() if l.strip()]
        if crit and isinstance(crit[0], list):
            crit = crit[0]
        T.check(len(crit) == 1, f"one critical incident ({len(crit)})")
        if not crit:
            T.done()
        incident = crit[0]

        out1, out2 = os.path.join(tmp, "b1.json"), os.path.join(tmp, "b2.json")
        r = run("incidents", "export", incident["id"], "--db", db, "--identity", "Yagura test",
                "--tlp", "amber", "-o", out1)
        T.check(r.returncode == 0, f"export: exit {r.returncode} {r.stderr}")
        r = run("incidents", "export", incident["id"][:8], "--db", db, "--identity", "Yagura test",
                "--tlp", "amber", "-o", out2)
        T.check(r.returncode == 0, f"export by prefix: exit {r.returncode} {r.stderr}")
        T.check(open(out1, "rb").read() == open(out2, "rb").read(), "export is deterministic")

        bundle = json.load(open(out1))
        T.check(bundle.get("type") == "bundle", "a bundle")
        objs = bundle["objects"]
        opts = ValidationOptions(version="2.1")
        for o in objs:
            res = validate_instance(o, opts)
            T.check(res.is_valid, f"stix2-validator: {o['id']}: {[str(e) for e in res.errors][:2]}")
        byid = {o["id"]: o for o in objs}
        T.check(len(byid) == len(objs), "object ids are unique")
        incs = [o for o in objs if o["type"] == "incident"]
        reps = [o for o in objs if o["type"] == "report"]
        T.check(len(incs) == 1 and incs[0]["name"] == incident["title"],
                "one incident object named as the incident")
        T.check(len(reps) == 1, "one report")
        if incs and reps:
            refs = reps[0]["object_refs"]
            T.check(incs[0]["id"] in refs, "the report refers to the incident")
            T.check(all(ref in byid for ref in refs), "every report reference is in the bundle")
            for kind in ("sighting", "indicator", "observed-data"):
                ids = {o["id"] for o in objs if o["type"] == kind}
                T.check(ids and ids <= set(refs), f"the report refers to every {kind} ({len(ids)})")
            amber = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
            T.check(amber in incs[0].get("object_marking_refs", []) and
                    amber in reps[0].get("object_marking_refs", []), "incident and report TLP:AMBER")
            T.check("critical" in incs[0].get("description", "") and
                    ATTACKER in incs[0].get("description", ""),
                    "the incident's description gives its severity and entities")
        sights = [o for o in objs if o["type"] == "sighting"]
        T.check(len(sights) >= 3, f"sightings of the chain's alerts ({len(sights)})")
        ident = [o for o in objs if o["type"] == "identity"]
        T.check(len(ident) == 1 and ident[0]["name"] == "Yagura test", "our identity")
        T.check(all(s["where_sighted_refs"] == [ident[0]["id"]] for s in sights),
                "sighted by us")
        T.check(all(s["sighting_of_ref"] in byid for s in sights), "sightings of bundled indicators")
        addrs = [o for o in objs if o["type"] == "ipv4-addr" and o.get("value") == ATTACKER]
        T.check(len(addrs) == 1, "the attacker's address is an observable")
        if addrs:
            holders = [o for o in objs if o["type"] == "observed-data" and
                       addrs[0]["id"] in o.get("object_refs", [])]
            T.check(holders, "observed data holds the attacker's address")

        # A confirmed incident's attacking address as an indicator partners can block; the
        # plain export above derives none.
        T.check(not [o for o in objs if o["type"] == "indicator" and o.get("pattern_type") == "stix"],
                "no address indicator without --derive-addresses")
        out3 = os.path.join(tmp, "b3.json")
        r = run("incidents", "export", incident["id"], "--db", db, "--derive-addresses", "-o", out3)
        T.check(r.returncode == 0, f"export --derive-addresses: exit {r.returncode} {r.stderr}")
        objs3 = json.load(open(out3))["objects"]
        derived = [o for o in objs3 if o["type"] == "indicator" and o.get("pattern_type") == "stix"]
        # The demo's attacker is a documentation address (203.0.113.0/24, RFC 5737), which the
        # special-purpose registries mark not globally reachable: nothing is derived from it.
        # test_export_addresses.py derives public addresses and validates those indicators.
        T.check(not derived,
                f"no indicator derived from documentation addresses ({[o.get('pattern') for o in derived]})")

        r = run("incidents", "export", "inc-0000000000000000", "--db", db)
        T.check(r.returncode == 1 and "no such incident" in r.stderr,
                f"unknown incident: exit {r.returncode} {r.stderr}")
        r = run("incidents", "export", "--help")
        T.check(r.returncode == 0 and "STIX 2.1" in r.stdout, "export --help")
    T.done()


main()
