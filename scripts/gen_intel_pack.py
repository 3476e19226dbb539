#!/usr/bin/env python3
"""Generate Yagura's intel packs from the public reporting in ../shared/intel.

    scripts/gen_intel_pack.py [--shared ../shared] [--out intel]

writes
    intel/mirrorface/mirrorface.csv   MirrorFace / Earth Kasha (LODEINFO, NOOPDOOR):
                                      ESET's Operation LiberalFace samples and network
                                      indicators, Cybereason's Cuckoo Spear (NOOPDOOR)
                                      domains, hashes and DGA domains
    intel/ivanti/volexity.csv         Volexity's Ivanti Connect Secure (UTA0178) indicators

in the CSV form `yagura intel check` and `yagura hunt --intel` read (docs/intel.md):
type,value,source,confidence,tlp,valid_from,valid_until,id,description.  All of it is
public reporting: TLP:CLEAR.  Ids are uuid5 of source, type and value, so a rerun gives
the same file.  Defanged values ([.]) are written refanged.  ANEL has no atomic
indicators in the shared data (only JPCERT/CC's YARA rules), so it has none here.
"""
import argparse
import csv
import io
import os
import re
import uuid

NS = uuid.UUID("6ba7b811-9dad-11d1-80b4-00c04fd430c8")  # RFC 4122 URL namespace
HEADER = ["type", "value", "source", "confidence", "tlp", "valid_from", "valid_until", "id",
          "description"]

ESET_URL = ("https://www.welivesecurity.com/2022/12/14/"
            "unmasking-mirrorface-operation-liberalface-targeting-japanese-political-entities")
ESET_REPO = "https://github.com/eset/malware-ioc/tree/master/mirrorface"
CR_REPO = "https://github.com/Cybereason-Open-Source/CuckooSpear"
VX_REPO = "https://github.com/volexity/threat-intel/tree/main/2024"


def refang(v):
    return v.replace("[.]", ".").replace("(.)", ".").replace("hxxp", "http").strip()


def row(typ, value, source, confidence, valid_from, description):
    value = refang(value)
    ident = "indicator--" + str(uuid.uuid5(NS, "yagura-pack/%s/%s/%s" % (source, typ, value.lower())))
    return [typ, value, source, str(confidence), "clear", valid_from, "", ident, description]


def eset(shared):
    d = os.path.join(shared, "intel/intel-mirrorface/eset-mirrorface")
    out = []
    for ext, typ in (("md5", "md5"), ("sha1", "sha1"), ("sha256", "sha256")):
        with open(os.path.join(d, "samples." + ext)) as f:
            for line in f:
                v = line.strip()
                if v and not v.startswith("#"):
                    out.append(row(typ, v.lower(), "ESET", 85, "2022-12-14",
                                   "MirrorFace Operation LiberalFace (LODEINFO, MirrorStealer) sample; "
                                   "ESET " + ESET_URL))
    # The network indicators of the README: the listing block after "Network indicators".
    with open(os.path.join(d, "README.adoc")) as f:
        text = f.read()
    m = re.search(r"== Network indicators\s*\n----\n(.*?)\n----", text, re.S)
    for v in (m.group(1).split("\n") if m else []):
        v = refang(v)
        if not v:
            continue
        typ = "ip" if re.fullmatch(r"[0-9.]+", v) else "domain"
        out.append(row(typ, v, "ESET", 85, "2022-12-14",
                       "MirrorFace Operation LiberalFace C&C; ESET " + ESET_URL))
    return out


def cybereason(shared):
    d = os.path.join(shared, "intel/intel-mirrorface/cybereason-cuckoospear/iocs")
    out = []
    section = None
    with open(os.path.join(d, "discovered_iocs.txt")) as f:
        for line in f:
            v = line.strip()
            if v.startswith("#"):
                section = v.lstrip("# ").lower()
                continue
            if not v:
                continue
            if section == "domains":
                out.append(row("domain", v, "Cybereason", 80, "2024-07-01",
                               "Cuckoo Spear (APT10 / MirrorFace, NOOPDOOR) C&C domain observed in "
                               "incident response; " + CR_REPO))
            elif section == "hashes":
                out.append(row("md5", v.lower(), "Cybereason", 80, "2024-07-01",
                               "Cuckoo Spear (APT10 / MirrorFace) NOOPDOOR / NOOPLDR file; " + CR_REPO))
            # Registry keys are not indicators Yagura matches (Sigma rules cover them).
    with open(os.path.join(d, "generated_dga_domains.txt")) as f:
        for line in f:
            v = line.strip()
            if v and not v.startswith("#"):
                out.append(row("domain", v, "Cybereason", 60, "2024-07-01",
                               "NOOPDOOR DGA domain generated with Cybereason's script; " + CR_REPO))
    return out


def volexity(shared):
    out = []
    for sub, date in (("volexity-2024-01-10", "2024-01-10"), ("volexity-2024-01-18", "2024-01-18")):
        with open(os.path.join(shared, "intel/intel-ivanti", sub, "iocs.csv"), newline="") as f:
            for r in csv.DictReader(f):
                kind = {"ipaddress": "ip", "hostname": "domain", "file": "sha256"}.get(r["entity_type"])
                if not kind:
                    continue
                out.append(row(kind, r["value"], "Volexity", 80, date,
                               "%s (Ivanti Connect Secure CVE-2023-46805 / CVE-2024-21887, UTA0178); "
                               "Volexity %s" % (r["description"], VX_REPO)))
    return out


def write(path, rows, title):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    buf = io.StringIO()
    buf.write("# %s\n" % title)
    buf.write("# Generated by scripts/gen_intel_pack.py from ../shared/intel (public reporting,\n"
              "# TLP:CLEAR); do not edit, run the script again.\n")
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(HEADER)
    seen = set()
    for r in rows:
        key = (r[0], r[1].lower(), r[2])
        if key not in seen:
            seen.add(key)
            w.writerow(r)
    with open(path, "w") as f:
        f.write(buf.getvalue())
    print("%s: %d indicators" % (path, len(seen)))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", default=os.path.join(here, "..", "..", "shared"))
    ap.add_argument("--out", default=os.path.join(here, "..", "intel"))
    a = ap.parse_args()
    write(os.path.join(a.out, "mirrorface", "mirrorface.csv"), eset(a.shared) + cybereason(a.shared),
          "MirrorFace / Earth Kasha (LODEINFO, NOOPDOOR): ESET Operation LiberalFace, "
          "Cybereason Cuckoo Spear")
    write(os.path.join(a.out, "ivanti", "volexity.csv"), volexity(a.shared),
          "Ivanti Connect Secure exploitation (UTA0178): Volexity, January 2024")


if __name__ == "__main__":
    main()
