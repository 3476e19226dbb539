#!/usr/bin/env python3
"""yagura campaigns over generated multi-year histories (tests/campaigns/gen_campaigns.py).

The generator gives the same bytes for the same seed.  On the generated partners' bundles (one actor in three phases across 30 organisations, plus
commodity phishing, ransomware and scanners sharing cloud ranges and VPN exits with it):

- the campaign holding most of the actor's incidents holds every one of them and nothing else:
  precision and recall against the ground truth at least 0.95, computed here;
- it is cut into three phases, each boundary (the first incident of phases B and C) within 30 days
  of the truth;
- two runs give the same bytes (summary, JSON, STIX), and so does a copy of the bundles whose
  objects are shuffled, given file by file in another order;
- the STIX bundle passes the OASIS stix2-validator object by object: one campaign object per
  campaign, `uses` relationships to attack patterns, vulnerabilities and malware that exist in the
  bundle, one report per phase referring to its campaign, and no `attributed-to` unless
  --attribute names the campaign (then exactly one, to an intrusion set of that name);
- errors exit 2 with the file, line and column (organisations file) or the reason (--attribute
  naming no campaign), --help exits 0;
- the incidents of a state database (`yagura hunt --incidents`) are read too (--db);
- over TAXII: the generated objects, shuffled, are served by `yagura serve` from one collection;
  `yagura campaigns -c CONFIG --pull` pulls them in pages of 150 objects (so an incident's objects
  fall into different page files) and finds the same campaigns and phases as from the bundles.
"""
import datetime as dt
import json
import os
import random
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import taxii_common as tc  # noqa: E402
import watch_common as wc  # noqa: E402

tc.reexec()

from stix2validator import ValidationOptions, validate_instance  # noqa: E402

T = tc.Tally()
yagura = os.environ["YAGURA"]
src = os.environ["YG_SOURCE_DIR"]
GEN = os.path.join(src, "tests", "campaigns", "gen_campaigns.py")


def run(*args, cwd=None):
    return subprocess.run([yagura, "campaigns", *args], capture_output=True, text=True, cwd=cwd)


def gen(out, *extra):
    r = subprocess.run([sys.executable, GEN, "--out", out, *extra], capture_output=True, text=True)
    T.check(r.returncode == 0, f"gen_campaigns.py: exit {r.returncode} {r.stderr[-300:]}")


def when(s):
    return dt.datetime.strptime(s[:19], "%Y-%m-%dT%H:%M:%S")


def check_truth(result, truth):
    actor = set(truth["actor_incidents"])
    camps = result["campaigns"]
    T.check(camps, "campaigns found")
    if not camps:
        return None
    best = max(camps, key=lambda c: len(actor & {i["id"] for i in c["incidents"]}))
    members = {i["id"] for i in best["incidents"]}
    tp = len(members & actor)
    precision, recall = tp / len(members), tp / len(actor)
    print(f"actor campaign: {len(members)} incidents, precision {precision:.3f}, "
          f"recall {recall:.3f} ({len(actor)} actor incidents of {truth['incidents']})")
    T.check(precision >= 0.95, f"precision {precision:.3f} >= 0.95")
    T.check(recall >= 0.95, f"recall {recall:.3f} >= 0.95")
    others = [c for c in camps if c is not best]
    T.check(all(not (actor & {i["id"] for i in c["incidents"]}) for c in others),
            "no other campaign holds an actor incident")
    phases = best["phases"]
    T.check(len(phases) == 3, f"three phases ({len(phases)})")
    for k, (p, b) in enumerate(zip(phases[1:], truth["boundaries"])):
        days = abs((when(p["first_seen"]) - when(b)).total_seconds()) / 86400
        print(f"boundary {k + 1}: found {p['first_seen'][:10]}, truth {b[:10]}: {days:.1f} days")
        T.check(days <= 30, f"boundary {k + 1} within 30 days of the truth ({days:.1f})")
    if len(phases) == 3:
        T.check(phases[1]["cves"] and all(c["name"] in ("CVE-2023-28461", "CVE-2023-27997",
                                                        "CVE-2023-45727")
                                          for c in phases[1]["cves"]),
                "phase B lists the edge-device CVEs")
        T.check(any(m["name"] == "anel" for m in phases[2]["malware"]), "phase C lists ANEL")
        T.check(any(s["name"] == "semiconductors" for s in phases[1]["sectors"]),
                "phase B lists semiconductors")
    for link in best["links"][:20]:
        T.check(link["evidence"] and link["score"] >= 0.35, "each link states its evidence")
    return best


def check_stix(path, result, best):
    bundle = json.load(open(path))
    objs = bundle["objects"]
    opts = ValidationOptions(version="2.1")
    bad = 0
    for o in objs:
        res = validate_instance(o, opts)
        if not res.is_valid:
            bad += 1
            if bad <= 3:
                print(f"stix2-validator: {o['id']}: {[str(e) for e in res.errors][:2]}")
    T.check(bad == 0, f"every object passes stix2-validator ({bad} fail of {len(objs)})")
    byid = {o["id"]: o for o in objs}
    T.check(len(byid) == len(objs), "object ids are unique")
    camps = [o for o in objs if o["type"] == "campaign"]
    T.check(len(camps) == len(result["campaigns"]), "one campaign object per campaign")
    uses = [o for o in objs if o["type"] == "relationship" and o["relationship_type"] == "uses"]
    T.check(all(byid.get(u["target_ref"], {}).get("type") in
                ("attack-pattern", "vulnerability", "malware") and u["source_ref"] in byid
                for u in uses), "uses relationships join campaigns to objects in the bundle")
    targets = {byid[u["target_ref"]]["type"] for u in uses if u["source_ref"] == best["id"]}
    T.check(targets == {"attack-pattern", "vulnerability", "malware"},
            f"the actor campaign uses attack patterns, vulnerabilities and malware ({targets})")
    reps = [o for o in objs if o["type"] == "report" and best["id"] in o["object_refs"]]
    T.check(len(reps) == len(best["phases"]), f"a report per phase ({len(reps)})")
    return objs


def check_attribution(d, best_id):
    out = os.path.join(d, "attr.json")
    T.check(not any(o["type"] == "relationship" and o["relationship_type"] == "attributed-to"
                    for o in json.load(open(os.path.join(d, "c1.stix.json")))["objects"]),
            "no attributed-to without the operator's confirmation")
    r = run("--orgs", "organisations.yml", "--stix", out, "--attribute",
            best_id[:18] + "=MirrorFace", "bundles", cwd=d)
    T.check(r.returncode == 1, f"--attribute: exit {r.returncode} {r.stderr[-300:]}")
    objs = json.load(open(out))["objects"] if os.path.exists(out) else []
    att = [o for o in objs if o["type"] == "relationship" and
           o["relationship_type"] == "attributed-to"]
    sets = {o["id"]: o for o in objs if o["type"] == "intrusion-set"}
    T.check(len(att) == 1 and att[0]["source_ref"] == best_id and
            sets.get(att[0]["target_ref"], {}).get("name") == "MirrorFace",
            "one attributed-to, from the confirmed campaign to the named intrusion set")
    opts = ValidationOptions(version="2.1")
    T.check(all(validate_instance(o, opts).is_valid for o in att + list(sets.values())),
            "attribution objects pass stix2-validator")
    r = run("--orgs", "organisations.yml", "--stix", out, "--attribute",
            "campaign--00000000=X", "bundles", cwd=d)
    T.check(r.returncode == 2 and "names no campaign" in r.stderr,
            f"--attribute of no campaign: exit 2 ({r.returncode}: {r.stderr.strip()})")


def check_errors(d):
    r = run("--help")
    T.check(r.returncode == 0 and "Exit status" in r.stdout, "--help exits 0")
    r = run()
    T.check(r.returncode == 2, f"no input: exit 2 ({r.returncode})")
    bad = os.path.join(d, "bad-orgs.yml")
    with open(bad, "w") as f:
        f.write("organisations:\n  - name: X\n    sectros: [media]\n")
    r = run("--orgs", bad, "bundles", cwd=d)
    T.check(r.returncode == 2 and "bad-orgs.yml:3:5: unknown key" in r.stderr,
            f"organisations file error with line and column ({r.stderr.strip()})")
    badj = os.path.join(d, "bad.json")
    with open(badj, "w") as f:
        f.write('{"type":"bundle","objects":[{"type":"incident",]}')
    r = run(badj)
    T.check(r.returncode == 2 and "bad.json:1:" in r.stderr,
            f"malformed bundle: exit 2 with its position ({r.stderr.strip()})")


def check_db(tmp):
    logs, db = os.path.join(tmp, "chain"), os.path.join(tmp, "incidents.db")
    r = subprocess.run([sys.executable, os.path.join(src, "scripts", "gen_demo.py"), "--out", logs],
                       capture_output=True, text=True)
    T.check(r.returncode == 0, f"gen_demo.py: exit {r.returncode}")
    r = subprocess.run([yagura, "hunt", "-q", "-r", os.path.join(src, "rules"), "--incidents", db,
                        "-o", os.path.join(tmp, "alerts.jsonl"), logs], capture_output=True,
                       text=True)
    T.check(r.returncode == 1, f"hunt --incidents: exit {r.returncode} {r.stderr[-300:]}")
    r = subprocess.run([yagura, "incidents", "list", "--db", db, "--status", "all", "--json"],
                       capture_output=True, text=True)
    n = len([ln for ln in r.stdout.splitlines() if ln.strip()])
    orgs = os.path.join(tmp, "contoso.yml")
    with open(orgs, "w") as f:
        f.write("organisations:\n  - name: Contoso\n    sector: aerospace\n"
                "    domains: [contoso.example]\n")
    r = run("--db", db, "--orgs", orgs, "--json")
    T.check(r.returncode in (0, 1), f"--db: exit {r.returncode} {r.stderr[-300:]}")
    res = json.loads(r.stdout) if r.returncode in (0, 1) else {}
    T.check(n > 0 and res.get("incidents") == n,
            f"every incident of the database is read ({res.get('incidents')} of {n})")
    wcfg = os.path.join(tmp, "watch.yaml")
    with open(wcfg, "w") as f:
        f.write(f"state: {db}\ninputs:\n  - {{name: in, type: stdin}}\n")
    r = run("-c", wcfg, "--orgs", orgs, "--json")
    T.check(r.returncode in (0, 1) and json.loads(r.stdout) == res,
            f"-c with the configuration of yagura watch: its state database ({r.stderr[-200:]})")
    incs = res.get("unlinked_incidents", []) + [i for c in res.get("campaigns", [])
                                                 for i in c["incidents"]]
    T.check(all(i["id"].startswith("incident--") and i["origin"].startswith("inc-") for i in incs),
            "local incidents: STIX ids, local ids as origin")
    chain = [i for i in incs if "T1190" in i["techniques"]]
    T.check(len(chain) == 1 and chain[0]["organisation"] == "Contoso" and
            chain[0]["sectors"] == ["aerospace"],
            f"the chain's incident: techniques from its rules' tags, victim from the account's domain "
            f"({[(i['organisation'], i['techniques'][:3]) for i in incs]})")


def check_taxii(tmp, gen_dir, result):
    """The same campaigns from the objects pulled page by page from a TAXII collection."""
    objs = {}
    for f in sorted(os.listdir(os.path.join(gen_dir, "bundles"))):
        for o in json.load(open(os.path.join(gen_dir, "bundles", f)))["objects"]:
            objs[o["id"]] = o
    order = sorted(objs)
    random.Random(3).shuffle(order)
    lines = os.path.join(tmp, "objects.jsonl")
    with open(lines, "w") as f:
        for i in order:
            f.write(json.dumps(objs[i]) + "\n")
    token, token_hash = tc.new_token()
    coll = "6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b"
    # The server listens on a port the system picks; the pulling side's configuration, the
    # same file with that port in listen and in the partner's URL, is written once it is known.
    cfg = os.path.join(tmp, "taxii.yaml")
    text = f"""state: {tmp}/pull-state.db
taxii:
  listen: 127.0.0.1:@PORT@
  db: {tmp}/taxii.db
  page_size: 1000
  api_roots:
    - path: api1
      collections:
        - {{id: {coll}, alias: shared, title: Shared, tlp_ceiling: red}}
  users:
    - name: unit
      tokens: ["{token_hash}"]
      read: ["*"]
      write: ["*"]
  pull_dir: {tmp}/pulled
  partners:
    - name: cert
      url: http://127.0.0.1:@PORT@/api1/
      collection: {coll}
      token: "{token}"
      page_size: 150
"""
    with open(cfg, "w") as f:
        f.write(text.replace("@PORT@", "0"))
    r = subprocess.run([yagura, "serve", "-c", cfg, "--import", "shared", lines],
                       capture_output=True, text=True)
    T.check(r.returncode == 0, f"import into the collection: {r.stderr.strip()[-300:]}")
    log = os.path.join(tmp, "serve.log")
    with open(log, "w") as err:
        srv = subprocess.Popen([yagura, "serve", "-c", cfg], stderr=err)
    try:
        # The port the system gave, logged once the server serves.
        port = (wc.wait_ports(log, srv, ("taxii",)) or {}).get("taxii")
        if not T.check(port, "yagura serve listens"):
            return
        with open(cfg, "w") as f:
            f.write(text.replace("@PORT@", str(port)))
        r = run("-c", cfg, "--pull", "--orgs", os.path.join(gen_dir, "organisations.yml"), "--json")
    finally:
        tc.stop(srv)
    T.check(r.returncode == 1, f"campaigns -c --pull: exit {r.returncode} {r.stderr[-400:]}")
    pages = os.listdir(os.path.join(tmp, "pulled", "cert")) if r.returncode == 1 else []
    T.check(len(pages) > 10, f"the collection came in many pages ({len(pages)})")
    pulled = json.loads(r.stdout) if r.returncode == 1 else {"campaigns": []}

    def shape(res):
        return [(sorted(i["id"] for i in c["incidents"]),
                 [(p["first_seen"], p["last_seen"], sorted(p["incidents"])) for p in c["phases"]])
                for c in res["campaigns"]]

    T.check(pulled.get("incidents") == result["incidents"] and shape(pulled) == shape(result),
            f"pulled over TAXII: the same campaigns and phases ({pulled.get('incidents')} incidents)")


def main():
    with tempfile.TemporaryDirectory() as tmp:
        a, b = os.path.join(tmp, "a"), os.path.join(tmp, "b")
        gen(a)
        gen(b, "--shuffle", "7")
        c = os.path.join(tmp, "c")
        gen(c)
        same = all(open(os.path.join(a, "bundles", f), "rb").read() ==
                   open(os.path.join(c, "bundles", f), "rb").read()
                   for f in os.listdir(os.path.join(a, "bundles")))
        T.check(same and open(os.path.join(a, "truth.json")).read() ==
                open(os.path.join(c, "truth.json")).read(), "the generator: same seed, same bytes")
        truth = json.load(open(os.path.join(a, "truth.json")))
        outs = []
        for k in (1, 2):
            r = run("--orgs", "organisations.yml", "--json", "--stix", f"c{k}.stix.json",
                    "bundles", cwd=a)
            T.check(r.returncode == 1, f"campaigns found: exit 1 ({r.returncode}) {r.stderr[-300:]}")
            outs.append(r.stdout)
        T.check(outs[0] == outs[1], "two runs give the same JSON")
        T.check(open(os.path.join(a, "c1.stix.json"), "rb").read() ==
                open(os.path.join(a, "c2.stix.json"), "rb").read(), "two runs give the same STIX")
        text = [run("--orgs", "organisations.yml", "bundles", cwd=a).stdout for _ in (1, 2)]
        T.check(text[0] == text[1] and "phase 3" in text[0], "two runs give the same summary")
        files = sorted(os.listdir(os.path.join(b, "bundles")))
        random.Random(11).shuffle(files)
        r = run("--orgs", "organisations.yml", "--json", "--stix", "c1.stix.json",
                *[os.path.join("bundles", f) for f in files], cwd=b)
        T.check(r.stdout == outs[0], "shuffled objects, files in another order: the same JSON")
        T.check(open(os.path.join(a, "c1.stix.json"), "rb").read() ==
                open(os.path.join(b, "c1.stix.json"), "rb").read(),
                "shuffled input: the same STIX")
        result = json.loads(outs[0])
        best = check_truth(result, truth)
        if best:
            check_stix(os.path.join(a, "c1.stix.json"), result, best)
            check_attribution(a, best["id"])
        check_errors(a)
        check_db(tmp)
        check_taxii(tmp, a, result)
    T.done()


if __name__ == "__main__":
    main()
