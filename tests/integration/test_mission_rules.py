#!/usr/bin/env python3
"""Yagura's own rules (rules/ except rules/m365 and rules/azure, which have
their own tests) against their test events in tests/mission/<rule-file-stem>/.

1. Every rule file has a test folder with at least one tp.* and one benign.*
   file, and every test folder belongs to a rule file.
2. `yagura hunt -q -t 1 -r rules/` over the folder's tp.* files together
   (correlations join across them in event-time order) reports the rule: its
   id is the rule of an alert, or the rule of an event in a correlation
   alert's evidence. Over the benign.* files it is in neither.
   A rule referenced by correlations raises no alert of its own (unless one
   of them says `generate: true`), and a chained correlation's evidence lists
   the detection rules under it, not the stages in between. So a rule that
   is not visible in the whole-folder run is run again over a copy of rules/
   without the correlations that consume it, directly or through other
   correlations; there it must alert on tp and not on benign.
3. `yagura rules check -q rules/` prints nothing and exits 0.
4. pySigma (the venv's, from pip) loads the whole folder with
   SigmaCollection.load_ruleset(collect_errors=True), correlation rules
   included, without error, and resolves every correlation reference (a
   correlation file alone cannot be loaded: its references point to other
   files).
The last line is "N passed, M failed"; the exit status is 1 on any failure.
"""
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

yagura = os.environ["YAGURA"]
src = os.environ.get("YG_SOURCE_DIR", os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
rules_dir = os.path.join(src, "rules")
tests_dir = os.path.join(src, "tests", "mission")
OWN = ("edge", "vpn", "cloud", "mirrorface", "chain")
passed = failed = 0


def check(ok, msg):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAIL", msg)


def rule_id(path):
    with open(path) as f:
        for line in f:
            if line.startswith("id:"):
                return line.split(":", 1)[1].strip()
    return None


def refs_of(path):
    """(name, [referenced rule names or ids]) of a rule file."""
    name, refs, in_rules = None, [], False
    with open(path) as f:
        for line in f:
            if line.startswith("name:"):
                name = line.split(":", 1)[1].strip()
            if line.rstrip() == "    rules:":
                in_rules = True
                continue
            if in_rules:
                if line.startswith("        - "):
                    refs.append(line.strip()[2:].strip())
                    continue
                in_rules = False
    return name, refs


def consumers(path, files):
    """Every correlation file that references the rule of `path`, directly or
    through other correlations."""
    keys = {k for k in (rule_id(path), refs_of(path)[0]) if k}
    found, grew = set(), True
    while grew:
        grew = False
        for f in files:
            if f in found or f == path:
                continue
            name, refs = refs_of(f)
            if keys & set(refs):
                found.add(f)
                keys |= {k for k in (rule_id(f), name) if k}
                grew = True
    return found


def hunt(rules, paths):
    p = subprocess.run([yagura, "hunt", "-q", "-t", "1", "--no-event", "-r", rules, *paths],
                       capture_output=True, text=True)
    ids = set()
    for line in p.stdout.splitlines():
        a = json.loads(line)
        ids.add(a["rule"]["id"])
        for e in (a.get("correlation") or {}).get("events") or []:
            if e:
                ids.add(e["rule"])
    return p.returncode, ids, p.stderr


rule_files = sorted(f for sub in OWN for f in glob.glob(os.path.join(rules_dir, sub, "**", "*.yml"), recursive=True))
check(len(rule_files) > 0, "no rule files found")
all_files = sorted(glob.glob(os.path.join(rules_dir, "**", "*.yml"), recursive=True))
stems = {os.path.splitext(os.path.basename(f))[0]: f for f in rule_files}
check(len(stems) == len(rule_files), "two rule files share a file name")
folders = {d for d in os.listdir(tests_dir) if os.path.isdir(os.path.join(tests_dir, d))}
for d in sorted(folders - set(stems)):
    check(False, f"tests/mission/{d}: no rule file of that name")

for stem, path in sorted(stems.items()):
    rel = os.path.relpath(path, src)
    rid = rule_id(path)
    d = os.path.join(tests_dir, stem)
    tp = sorted(glob.glob(os.path.join(d, "tp.*")))
    bn = sorted(glob.glob(os.path.join(d, "benign.*")))
    if not tp or not bn:
        check(False, f"{rel}: no test events (tests/mission/{stem}/tp.* and benign.*)")
        continue
    rc, ids, err = hunt(rules_dir, tp)
    seen = rid in ids
    how = "rules/"
    tmp = None
    if not seen:
        drop = consumers(path, all_files)
        tmp = tempfile.mkdtemp()
        for f in all_files:
            if f not in drop:
                dest = os.path.join(tmp, os.path.relpath(f, rules_dir))
                os.makedirs(os.path.dirname(dest), exist_ok=True)
                shutil.copy(f, dest)
        rc2, ids2, err2 = hunt(tmp, tp)
        seen, err = rid in ids2, err + err2
        how = f"rules/ without its {len(drop)} consuming correlation(s)"
    check(seen, f"{rel}: did not fire on its true-positive events ({how}) {err.strip()[-300:]}")
    rc, ids, err = hunt(rules_dir, bn)
    check(rid not in ids, f"{rel}: fired on its benign events")
    if tmp:
        rc, ids, err = hunt(tmp, bn)
        check(rid not in ids, f"{rel}: fired on its benign events ({how})")
        shutil.rmtree(tmp)
    print(f"{rel}: ok ({how})" if seen else f"{rel}: FAILED")

# --- rules check ---------------------------------------------------------------
p = subprocess.run([yagura, "rules", "check", "-q", rules_dir], capture_output=True, text=True)
check(p.returncode == 0 and not p.stdout.strip() and not p.stderr.strip(),
      f"yagura rules check -q rules/: exit {p.returncode}: {(p.stdout + p.stderr).strip()[:2000]}")

# --- pySigma -------------------------------------------------------------------
py = os.path.join(src, ".venv", "bin", "python")
if not os.path.exists(py):
    check(False, f"{py} not found (scripts/setup.sh creates it)")
else:
    code = r"""
import glob, json, sys
from sigma.collection import SigmaCollection
files = sorted(glob.glob(sys.argv[1] + '/**/*.yml', recursive=True))
problems = []
coll = SigmaCollection.load_ruleset(files, collect_errors=True)
for r in coll.rules:
    for e in r.errors:
        problems.append(f"{r.source.path if r.source else '?'}: {e}")
try:
    coll.resolve_rule_references()
except Exception as e:
    problems.append(f"references: {e}")
print(json.dumps({"files": len(files), "rules": len(coll.rules), "problems": sorted(set(problems))}))
"""
    p = subprocess.run([py, "-c", code, rules_dir], capture_output=True, text=True)
    try:
        res = json.loads(p.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        res = None
    check(res is not None, f"pySigma run failed: {p.stderr[-1000:]}")
    if res:
        check(res["rules"] >= res["files"] and not res["problems"],
              f"pySigma: {res['rules']} rules from {res['files']} files; problems: {res['problems'][:20]}")

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
