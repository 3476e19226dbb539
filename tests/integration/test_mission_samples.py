#!/usr/bin/env python3
"""The whole rules/ folder (Yagura's own rules and rules/m365, rules/azure)
over every real sample in ../shared/logs that Yagura reads.

Inputs, as tests/integration/test_samples_decode.py walks them: every file
under logs/ except documentation, licences and expected outputs; zip
archives unpacked (packet captures and dataset descriptions inside them are
not logs); and the `log` records of Panther's rule tests
(panther-analysis-tests/*.tests.jsonl) written one per line, since the
wrapper objects carry no log source of their own.

1. No rule under rules/edge, vpn, cloud, mirrorface or chain raises a high or
   critical alert.
2. The alerts, counted per (rule id, sample file), are exactly the rows of
   the table in docs/mission-samples.md; a correlation alert counts against
   every file its evidence comes from. An alert that is not listed, a listed
   one that no longer fires, or a different count fails, so the document
   cannot drift from what the rules do.
The last line is "N passed, M failed"; the exit status is 1 on any failure.
"""
import collections
import json
import os
import re
import subprocess
import sys
import tempfile
import zipfile

yagura = os.environ["YAGURA"]
shared = os.environ["YG_SHARED_DIR"]
src = os.environ.get("YG_SOURCE_DIR", os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
logs = os.path.join(shared, "logs")
rules_dir = os.path.join(src, "rules")
doc = os.path.join(src, "docs", "mission-samples.md")
OWN = ("edge", "vpn", "cloud", "mirrorface", "chain")
NOT_LOGS = re.compile(r"(README|LICENSE|SOURCES|\.md$|-expected\.json$|\.txt$|\.pcap$|\.ya?ml$)")
passed = failed = 0


def check(ok, msg):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAIL", msg)


def expected_rows():
    rows = {}
    uuid = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
    with open(doc) as f:
        for line in f:
            cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
            if len(cells) >= 5 and uuid.match(cells[0]):
                key = (cells[0], cells[2])
                check(key not in rows, f"docs/mission-samples.md lists {key} twice")
                rows[key] = int(cells[3])
    return rows


with tempfile.TemporaryDirectory() as tmp:
    inputs = {}   # path given to hunt -> name in the document
    for root, dirs, names in os.walk(logs):
        dirs.sort()
        for n in sorted(names):
            full = os.path.join(root, n)
            rel = os.path.relpath(full, logs)
            if NOT_LOGS.search(n):
                continue
            if n.lower().endswith(".zip"):
                with zipfile.ZipFile(full) as z:
                    for m in sorted(z.namelist()):
                        if m.endswith("/") or NOT_LOGS.search(m) or "__MACOSX" in m:
                            continue
                        dest = os.path.join(tmp, rel.replace("/", "_") + "__" + os.path.basename(m))
                        with open(dest, "wb") as o:
                            o.write(z.read(m))
                        inputs[dest] = rel + "!" + m
                continue
            if rel.startswith("panther-analysis-tests/") and n.endswith(".tests.jsonl"):
                dest = os.path.join(tmp, "panther__" + n)
                with open(full) as i, open(dest, "w") as o:
                    for line in i:
                        if line.strip():
                            o.write(json.dumps(json.loads(line)["log"]) + "\n")
                inputs[dest] = rel + "#log"
                continue
            inputs[full] = rel
    p = subprocess.run([yagura, "hunt", "-q", "--no-event", "-t", "2", "-r", rules_dir, *sorted(inputs)],
                       capture_output=True, text=True)
    check(p.returncode in (0, 1), f"hunt exit {p.returncode}: {p.stderr[-500:]}")
    got = collections.Counter()
    for line in p.stdout.splitlines():
        a = json.loads(line)
        rule = a["rule"]
        rel_rule = os.path.relpath(rule["file"], src) if os.path.isabs(rule["file"]) else rule["file"]
        sub = rel_rule.split("/")[1] if rel_rule.startswith("rules/") else ""
        if "correlation" in a:
            files = {inputs.get(e["file"], e["file"]) for e in a["correlation"]["events"] if e}
        else:
            files = {inputs.get(a["source"]["file"], a["source"]["file"])}
        for f in files:
            got[(rule["id"], f)] += 1
        if sub in OWN:
            check(rule["level"] not in ("high", "critical"),
                  f"{rel_rule} raised a {rule['level']} alert on {sorted(files)}")
    want = expected_rows()
    for key in sorted(set(got) | set(want)):
        if key not in want:
            check(False, f"alert not listed in docs/mission-samples.md: rule {key[0]} on {key[1]} ({got[key]}x)")
        elif key not in got:
            check(False, f"docs/mission-samples.md lists rule {key[0]} on {key[1]}, which no longer fires")
        else:
            check(got[key] == want[key], f"rule {key[0]} on {key[1]}: {got[key]} alerts, the document says {want[key]}")
    print(f"{len(inputs)} inputs, {sum(got.values())} (rule, file) alerts in {len(got)} rows")
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
