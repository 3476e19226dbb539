#!/usr/bin/env python3
"""gen_campaigns.py - multi-year incident histories of many organisations, as partners' STIX 2.1
bundles, with the ground truth beside them (docs/campaigns.md, "The generated histories").

One actor modelled on public reporting about MirrorFace works in three phases:

  A  Dec 2019 - Jul 2023  think tanks, government, politicians, media; spear-phishing
                          (T1566.001) with LODEINFO, later NOOPDOOR; few incidents after Feb 2023
  B  Feb 2023 - Oct 2023  semiconductors, manufacturing, ICT, academia, aerospace; VPN and edge
                          devices (T1190, T1133): Array AG CVE-2023-28461, FortiOS CVE-2023-27997,
                          Proself CVE-2023-45727; NOOPDOOR and Cobalt Strike
  C  from Jun 2024        academia, think tanks, politicians, media; spear-phishing with ANEL,
                          Windows Sandbox (T1564.006) and VS Code tunnels (T1219, T1572)

across 30 organisations.  Its infrastructure rotates: C2 domains and their cloud addresses, TLS
certificates, sample hashes and sender addresses each live a few months, so consecutive incidents
share some; a few pieces (a NOOPDOOR C2 and sample, an intelligence indicator of a national CERT)
carry over between phases.  Beside it, unrelated activity hits the same and other organisations:
commodity phishing waves, ransomware affiliates (Cobalt Strike, VPN logins), and internet-wide
scanners exploiting the same FortiOS CVE; they share public infrastructure with the actor: the
same VPN exits, and addresses of the same cloud hosting ranges (an address the actor used is later
rented by a phishing kit).

Everything is derived from --seed: the same seed gives the same bytes.  Addresses are drawn at
random from the public ranges CLOUD_RANGES and VPN_RANGES below and mean nothing; domains and names
are made up.

Writes into --out:
  bundles/<partner>-<year>.json   one STIX 2.1 bundle per reporting organisation and year
  organisations.yml               the organisation inventory (yagura campaigns --orgs)
  truth.json                      which incident is whose, the phases and their start dates
  README.generated                says that everything here is generated, and how

--shuffle N shuffles the objects inside each bundle (same objects, same files): the analysis must
not change.
"""
import argparse
import datetime as dt
import json
import os
import random
import uuid

NS = uuid.UUID("6b4f1a44-2b1e-5d0a-9c55-3a1f0e7d2c19")  # this generator's ids
SCO_NS = uuid.UUID("00abedb4-aa42-466c-9c01-fed23315a9b7")  # STIX 2.1 section 2.9

CLOUD = ["64.176.%d.%d", "139.180.%d.%d", "167.179.%d.%d"]  # "cloud hosting ranges" (/16)
CLOUD_RANGES = ["64.176.0.0/16", "139.180.0.0/16", "167.179.0.0/16"]
VPN_RANGES = ["91.207.57.0/24", "193.32.126.0/24"]

# The actor's 30 victims: (name, sector, domain).  Sectors are STIX industry-sector names where one
# fits, else plain words (think-tanks, politics, media, semiconductors, academia).
ACTOR_ORGS = [
    ("Kasumi Policy Institute", "think-tanks"), ("Oshima Foundation for Security Studies", "think-tanks"),
    ("Tokai Strategy Forum", "think-tanks"), ("Hokuriku Institute of International Affairs", "think-tanks"),
    ("Ministry of Coastal Affairs", "government"), ("Prefectural Office of Minato", "government"),
    ("National Agency for Maritime Policy", "government"), ("Cabinet Research Secretariat", "government"),
    ("Office of Representative Aoyama", "politics"), ("Office of Councillor Fujita", "politics"),
    ("Policy Office of the Green Party", "politics"),
    ("Asahigawa Shimbun", "media"), ("Kanto Broadcasting", "media"), ("Weekly Seiron", "media"),
    ("Nanbu Semiconductor", "semiconductors"), ("Kitano Wafer Works", "semiconductors"),
    ("Sagami Microdevices", "semiconductors"),
    ("Daito Heavy Industries", "manufacturing"), ("Mizuho Precision", "manufacturing"),
    ("Yamate Machinery", "manufacturing"),
    ("Hikari Networks", "technology"), ("Sora Cloud Services", "technology"),
    ("Tsubasa Systems", "technology"),
    ("University of Minami", "academia"), ("Kita Institute of Technology", "academia"),
    ("Chubu Graduate School of Policy", "academia"), ("Seto University", "academia"),
    ("Amane Aerospace", "aerospace"), ("Orbital Dynamics Japan", "aerospace"),
    ("Hayabusa Propulsion", "aerospace"),
]
OTHER_ORGS = [
    ("Midori Bank", "financial-services"), ("Sakura Retail", "retail"),
    ("Kyowa Hospital Group", "healthcare"), ("Nishi Logistics", "transportation"),
    ("Umi Insurance", "insurance"), ("Hoshi Pharmaceuticals", "pharmaceuticals"),
    ("Tanaka Construction", "construction"), ("Aozora Hotels", "hospitality-leisure"),
    ("Kaze Energy", "energy"), ("Yuki Foods", "retail"),
]
PHASE_SECTORS = {
    "A": ["think-tanks", "government", "politics", "media"],
    "B": ["semiconductors", "manufacturing", "technology", "academia", "aerospace"],
    "C": ["academia", "think-tanks", "politics", "media"],
}
CVES_B = ["CVE-2023-28461", "CVE-2023-27997", "CVE-2023-45727"]
TECH = {
    "A": ["T1566.001", "T1204.002", "T1547.001", "T1071.001", "T1027", "T1140", "T1574.002"],
    "B": ["T1190", "T1133", "T1505.003", "T1059.003", "T1003.001", "T1021.001", "T1071.001",
          "T1574.002"],
    "C": ["T1566.001", "T1204.002", "T1564.006", "T1219", "T1572", "T1574.002", "T1071.001",
          "T1027"],
}


def d(y, m, day):
    return dt.datetime(y, m, day, tzinfo=dt.timezone.utc)


def ts(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def slug(name):
    return "".join(c for c in name.lower() if c.isalnum() or c == " ").replace(" ", "-")


class Gen:
    def __init__(self, seed):
        self.rnd = random.Random(seed)
        self.n = 0
        self.incidents = []  # dicts: id, org, time, kind, phase, features
        self.truth = {"actor": [], "phases": {"A": [], "B": [], "C": []}, "unrelated": {}}

    def uid(self, *parts):
        return str(uuid.uuid5(NS, "|".join(str(p) for p in parts)))

    def hexs(self, n, *parts):
        h = ""
        i = 0
        while len(h) < n:
            h += uuid.uuid5(NS, "|".join(str(p) for p in parts) + f"|{i}").hex
            i += 1
        return h[:n]

    def cloud_ip(self):
        return self.rnd.choice(CLOUD) % (self.rnd.randrange(1, 255), self.rnd.randrange(1, 255))

    def word(self):
        syl = ["ka", "shi", "to", "ne", "ru", "mi", "sa", "ko", "ya", "ri", "po", "lu", "ve", "da"]
        return "".join(self.rnd.choice(syl) for _ in range(self.rnd.randrange(3, 5)))

    def add(self, kind, org, t, feats, phase=None):
        self.n += 1
        iid = "incident--" + self.uid("incident", kind, org, ts(t), self.n)
        self.incidents.append({"id": iid, "org": org, "t": t, "kind": kind, "phase": phase,
                               "f": feats})
        if phase:
            self.truth["actor"].append(iid)
            self.truth["phases"][phase].append(iid)
        else:
            self.truth["unrelated"].setdefault(kind, []).append(iid)
        return iid

    def rotating(self, start, end, every_days, life_days, make):
        """Infrastructure pieces, each alive [born, born + life]: a new one every every_days."""
        out, t = [], start - dt.timedelta(days=life_days // 2)
        while t < end:
            out.append((t, t + dt.timedelta(days=life_days), make(t)))
            t += dt.timedelta(days=every_days)
        return out

    @staticmethod
    def alive(pool, t):
        return [p for (a, b, p) in pool if a <= t <= b]

    def c2(self, tag):
        w = self.word()
        kind = self.rnd.choice(["cdn", "update", "mail", "sync"])
        dom = f"{w}-{kind}.{self.rnd.choice(['com', 'net', 'org'])}"
        return {"domain": dom, "ip": self.cloud_ip(), "cert": self.hexs(64, "cert", tag, dom)}

    # ---- the actor ------------------------------------------------------------------------

    def actor(self):
        r = self.rnd
        orgs_of = {}
        for name, sector in ACTOR_ORGS:
            orgs_of.setdefault(sector, []).append(name)
        c2a = self.rotating(d(2019, 12, 1), d(2023, 7, 31), 75, 240, lambda t: self.c2("A"))
        c2b = self.rotating(d(2023, 2, 1), d(2023, 10, 31), 60, 150, lambda t: self.c2("B"))
        c2c = self.rotating(d(2024, 6, 1), d(2025, 3, 31), 60, 150, lambda t: self.c2("C"))
        lodeinfo = self.rotating(d(2019, 12, 1), d(2023, 7, 31), 90, 200,
                                 lambda t: self.hexs(64, "lodeinfo", ts(t)))
        noopdoor = self.rotating(d(2022, 1, 1), d(2025, 3, 31), 120, 300,
                                 lambda t: self.hexs(64, "noopdoor", ts(t)))
        anel = self.rotating(d(2024, 6, 1), d(2025, 3, 31), 90, 180,
                             lambda t: self.hexs(64, "anel", ts(t)))
        senders = self.rotating(d(2019, 12, 1), d(2025, 3, 31), 120, 200,
                                lambda t: f"{self.word()}.{self.word()}@{self.word()}-mail.com")
        carry = self.c2("carry")  # a NOOPDOOR C2 kept from 2022 into 2024
        self.vpn = sorted({f"91.207.57.{r.randrange(2, 250)}" for _ in range(6)} |
                          {f"193.32.126.{r.randrange(2, 250)}" for _ in range(6)})
        self.actor_ips = []

        def one(phase, t):
            sector = r.choice(PHASE_SECTORS[phase])
            org = r.choice(orgs_of[sector])
            tech = TECH[phase][:2] + [x for x in TECH[phase][2:] if r.random() < 0.6]
            if phase == "B":
                tech = [r.choice(["T1190", "T1190", "T1133"])] + TECH["B"][2:4] + \
                    [x for x in TECH["B"][4:] if r.random() < 0.6]
            f = {"tech": tech, "ip": [], "domain": [], "cert": [], "hash": [], "email": [],
                 "malware": [], "cve": [], "intel": []}
            pool = {"A": c2a, "B": c2b, "C": c2c}[phase]
            alive = self.alive(pool, t)
            for c in r.sample(alive, min(len(alive), r.choice([1, 2]))):
                f["domain"].append(c["domain"])
                f["ip"].append(c["ip"])
                self.actor_ips.append((t, c["ip"]))
                if r.random() < 0.5:
                    f["cert"].append(c["cert"])
            if phase in ("A", "C") and r.random() < 0.6:
                f["email"].append(r.choice(self.alive(senders, t)))
            if phase == "A":
                f["malware"].append("LODEINFO")
                f["hash"].append(r.choice(self.alive(lodeinfo, t)))
            if phase == "C":
                f["malware"] += ["ANEL", "Windows Sandbox", "Visual Studio Code"]
                f["hash"].append(r.choice(self.alive(anel, t)))
            late = t >= d(2022, 1, 1)
            if (phase == "B" or (late and r.random() < 0.4)) and self.alive(noopdoor, t):
                f["malware"].append("NOOPDOOR")
                f["hash"].append(r.choice(self.alive(noopdoor, t)))
            if phase == "B":
                f["cve"].append(r.choice(CVES_B))
                if r.random() < 0.5:
                    f["malware"].append("Cobalt Strike")
                if r.random() < 0.5:
                    f["ip"].append(r.choice(self.vpn))
            if late and r.random() < 0.3:
                f["domain"].append(carry["domain"])
                f["ip"].append(carry["ip"])
                f["cert"].append(carry["cert"])
            self.add("actor", org, t, f, phase)

        def spread(phase, a, b, n):
            for _ in range(n):
                one(phase, a + dt.timedelta(seconds=r.randrange(int((b - a).total_seconds()))))

        spread("A", d(2019, 12, 2), d(2023, 1, 31), 70)
        spread("A", d(2023, 2, 1), d(2023, 7, 31), 3)
        spread("B", d(2023, 2, 1), d(2023, 10, 31), 32)
        spread("C", d(2024, 6, 1), d(2025, 3, 31), 36)

    # ---- unrelated activity ---------------------------------------------------------------

    def unrelated(self):
        r = self.rnd
        everyone = [o for o, _ in ACTOR_ORGS] + [o for o, _ in OTHER_ORGS]
        families = ["Emotet", "Qakbot", "Agent Tesla", "Formbook", "IcedID", "Emotet"]
        for w in range(6):
            start = d(2020, 3, 1) + dt.timedelta(days=r.randrange(0, 1700))
            doms = [f"{self.word()}-{self.word()}.{r.choice(['top', 'xyz', 'com'])}" for _ in range(2)]
            ips = [self.cloud_ip() for _ in range(2)]
            # The cloud address the actor used earlier, now rented by a phishing kit.
            old = [ip for (t, ip) in self.actor_ips if t < start - dt.timedelta(days=120)]
            if old and w % 2 == 0:
                ips[0] = r.choice(old)
            h = self.hexs(64, "commodity", w)
            attach = w % 3 == 0
            for _ in range(12):
                t = start + dt.timedelta(hours=r.randrange(0, 24 * 20))
                tech = (["T1566.001", "T1204.002", "T1059.001"] if attach
                        else ["T1566.002", "T1204.001", "T1056.003"])
                self.add("commodity-phishing", r.choice(everyone), t,
                         {"tech": tech, "ip": [r.choice(ips)], "domain": [r.choice(doms)],
                          "hash": [h] if attach else [], "malware": [families[w]], "cert": [],
                          "email": [], "cve": [], "intel": []})
        for aff, fam in enumerate(["LockBit", "BlackCat", "Akira"]):
            start = d(2021 + aff, 2, 1)
            c2s = [self.cloud_ip() for _ in range(3)]
            dom = f"{self.word()}-api.com"
            for _ in range(8):
                t = start + dt.timedelta(days=r.randrange(0, 365))
                vic = r.choice([o for o, s in OTHER_ORGS] + ["Daito Heavy Industries",
                                                               "Mizuho Precision"])
                self.add("ransomware", vic, t,
                         {"tech": ["T1133", "T1078", "T1486", "T1490", "T1021.001", "T1003.001",
                                   "T1059.001"],
                          "ip": [r.choice(self.vpn), r.choice(c2s)], "domain": [dom],
                          "malware": [fam, "Cobalt Strike"], "hash": [self.hexs(64, fam, t)],
                          "cert": [], "email": [], "cve": [], "intel": []})
        for _ in range(50):
            t = d(2023, 1, 1) + dt.timedelta(days=r.randrange(0, 700))
            src = r.choice(self.vpn) if r.random() < 0.6 else self.cloud_ip()
            cve = "CVE-2023-27997" if r.random() < 0.6 else r.choice(
                ["CVE-2023-46805", "CVE-2024-21887", "CVE-2023-3519"])
            self.add("scanner", r.choice(everyone), t,
                     {"tech": ["T1595.002", "T1190"], "ip": [src], "cve": [cve], "domain": [],
                      "hash": [], "malware": [], "cert": [], "email": [], "intel": []})

    # ---- STIX -----------------------------------------------------------------------------

    def identity(self, name, sectors):
        o = {"type": "identity", "spec_version": "2.1", "id": "identity--" + self.uid("identity", name),
             "created": "2019-01-01T00:00:00.000Z", "modified": "2019-01-01T00:00:00.000Z",
             "name": name, "identity_class": "organization"}
        if sectors:
            o["sectors"] = sectors
        return o

    def sco(self, typ, key, obj):
        obj = dict(obj, type=typ, spec_version="2.1")
        obj["id"] = f"{typ}--" + str(uuid.uuid5(SCO_NS, json.dumps(key, sort_keys=True)))
        return obj

    def incident_objects(self, inc, victim, cert_id):
        """The objects one partner shares about one incident."""
        r, f, t = self.rnd, inc["f"], inc["t"]
        end = t + dt.timedelta(hours=r.randrange(2, 24 * 10))
        base = {"spec_version": "2.1", "created": ts(t), "modified": ts(end)}
        objs, refs = [], []
        incident = dict(base, type="incident", id=inc["id"], name=f"Intrusion at {inc['org']}",
                        created_by_ref=victim["id"])
        objs.append(incident)
        scos = []
        for ip in f["ip"]:
            scos.append(self.sco("ipv4-addr", {"value": ip}, {"value": ip}))
        for h in f["hash"]:
            scos.append(self.sco("file", {"hashes": {"SHA-256": h}}, {"hashes": {"SHA-256": h}}))
        for c in f["cert"]:
            scos.append(self.sco("x509-certificate", {"hashes": {"SHA-256": c}},
                                 {"hashes": {"SHA-256": c}}))
        for e in f["email"]:
            scos.append(self.sco("email-addr", {"value": e}, {"value": e}))
        sighted = []
        for dom in f["domain"]:
            if r.random() < 0.7:
                sighted.append(dom)
            else:
                scos.append(self.sco("domain-name", {"value": dom}, {"value": dom}))
        od = dict(base, type="observed-data", id="observed-data--" + self.uid("od", inc["id"]),
                  first_observed=ts(t), last_observed=ts(end), number_observed=1,
                  object_refs=[s["id"] for s in scos] or None)
        if scos:
            objs += scos + [od]
            refs += [od["id"]]
        for dom in sighted:
            ind = {"type": "indicator", "spec_version": "2.1",
                   "id": "indicator--" + self.uid("indicator", dom), "created_by_ref": cert_id,
                   "created": "2019-06-01T00:00:00.000Z", "modified": "2019-06-01T00:00:00.000Z",
                   "name": f"C2 domain {dom}", "pattern": f"[domain-name:value = '{dom}']",
                   "pattern_type": "stix", "valid_from": "2019-06-01T00:00:00.000Z",
                   "indicator_types": ["malicious-activity"]}
            s = dict(base, type="sighting", id="sighting--" + self.uid("sighting", inc["id"], dom),
                     sighting_of_ref=ind["id"], first_seen=ts(t), last_seen=ts(end), count=1,
                     where_sighted_refs=[victim["id"]])
            objs += [ind, s]
            refs.append(s["id"])
        for tech in f["tech"]:
            ap = {"type": "attack-pattern", "spec_version": "2.1",
                  "id": "attack-pattern--" + self.uid("ap", tech), "created": "2019-01-01T00:00:00.000Z",
                  "modified": "2019-01-01T00:00:00.000Z", "name": tech,
                  "external_references": [{"source_name": "mitre-attack", "external_id": tech}]}
            objs.append(ap)
            refs.append(ap["id"])
        for cve in f["cve"]:
            v = {"type": "vulnerability", "spec_version": "2.1",
                 "id": "vulnerability--" + self.uid("vuln", cve), "created": "2019-01-01T00:00:00.000Z",
                 "modified": "2019-01-01T00:00:00.000Z", "name": cve,
                 "external_references": [{"source_name": "cve", "external_id": cve}]}
            objs.append(v)
            refs.append(v["id"])
        for m in f["malware"]:
            mw = {"type": "malware", "spec_version": "2.1", "id": "malware--" + self.uid("malware", m),
                  "created": "2019-01-01T00:00:00.000Z", "modified": "2019-01-01T00:00:00.000Z",
                  "name": m, "is_family": True}
            objs.append(mw)
            if r.random() < 0.5:  # said by a relationship, or by the report
                objs.append(dict(base, type="relationship", relationship_type="uses",
                                 id="relationship--" + self.uid("uses", inc["id"], m),
                                 source_ref=inc["id"], target_ref=mw["id"]))
            else:
                refs.append(mw["id"])
        if r.random() < 0.3:
            objs.append(dict(base, type="relationship", relationship_type="targets",
                             id="relationship--" + self.uid("targets", inc["id"]),
                             source_ref=inc["id"], target_ref=victim["id"]))
        objs.append(dict(base, type="report", id="report--" + self.uid("report", inc["id"]),
                         name=f"Incident report: {inc['org']}", published=ts(end),
                         report_types=["threat-report"], object_refs=[inc["id"]] + refs))
        for o in objs:
            if o.get("object_refs") is None:
                o.pop("object_refs", None)
        return objs

    def write(self, out, shuffle):
        os.makedirs(os.path.join(out, "bundles"), exist_ok=True)
        sectors = dict(ACTOR_ORGS + OTHER_ORGS)
        cert = self.identity("National CERT", None)
        # Half of the partners say their sector in their identity; the inventory has the rest.
        says = {name: i % 2 == 0 for i, name in enumerate(sorted(sectors))}
        groups = {}
        for inc in sorted(self.incidents, key=lambda x: x["id"]):
            groups.setdefault((inc["org"], inc["t"].year), []).append(inc)
        shuf = random.Random(shuffle)
        for (org, year), incs in sorted(groups.items()):
            victim = self.identity(org, [sectors[org]] if says[org] else None)
            objs, seen = [victim, cert], {victim["id"], cert["id"]}
            for inc in incs:
                for o in self.incident_objects(inc, victim, cert["id"]):
                    if o["id"] not in seen:
                        seen.add(o["id"])
                        objs.append(o)
            if shuffle:
                shuf.shuffle(objs)
            bid = "bundle--" + self.uid("bundle", org, year)
            path = os.path.join(out, "bundles", f"{slug(org)}-{year}.json")
            with open(path, "w") as fh:
                json.dump({"type": "bundle", "id": bid, "objects": objs}, fh, indent=1)
                fh.write("\n")

    def inventory(self, out):
        lines = ["# The organisation inventory of the generated histories (gen_campaigns.py).",
                 "organisations:"]
        for i, (name, sector) in enumerate(ACTOR_ORGS + OTHER_ORGS):
            lines += [f"  - name: {name}", f"    sector: {sector}",
                      f"    domains: [{slug(name)}.example]",
                      f"    ranges: [10.{i + 1}.0.0/16]"]
        lines += ["shared:", "  - name: cloud hosting", f"    ranges: [{', '.join(CLOUD_RANGES)}]",
                  "    weight: 0.3", "  - name: commercial VPN exits",
                  f"    ranges: [{', '.join(VPN_RANGES)}]", "    weight: 0.1"]
        with open(os.path.join(out, "organisations.yml"), "w") as fh:
            fh.write("\n".join(lines) + "\n")

    def write_truth(self, out):
        by = {i["id"]: i for i in self.incidents}
        phases = []
        for p in "ABC":
            ts_ = sorted(by[i]["t"] for i in self.truth["phases"][p])
            phases.append({"name": p, "start": ts(ts_[0]), "end": ts(ts_[-1]),
                           "incidents": sorted(self.truth["phases"][p])})
        truth = {"seed": self.seed, "actor_incidents": sorted(self.truth["actor"]),
                 "phases": phases,
                 "boundaries": [phases[1]["start"], phases[2]["start"]],
                 "unrelated": {k: sorted(v) for k, v in sorted(self.truth["unrelated"].items())},
                 "incidents": len(self.incidents)}
        with open(os.path.join(out, "truth.json"), "w") as fh:
            json.dump(truth, fh, indent=1, sort_keys=True)
            fh.write("\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--shuffle", type=int, default=0, help="shuffle objects in bundles (seed)")
    a = ap.parse_args()
    g = Gen(a.seed)
    g.seed = a.seed
    g.actor()
    g.unrelated()
    os.makedirs(a.out, exist_ok=True)
    g.write(a.out, a.shuffle)
    g.inventory(a.out)
    g.write_truth(a.out)
    with open(os.path.join(a.out, "README.generated"), "w") as fh:
        fh.write(f"Generated by tests/campaigns/gen_campaigns.py --seed {a.seed}: made-up "
                 "organisations, infrastructure and incidents (docs/campaigns.md).\n")


if __name__ == "__main__":
    main()
