#!/usr/bin/env python3
"""Rule behaviour as data: tests/rules/<case>/{rule.yml,events.jsonl,expected.json}.

For each case, `yagura hunt -r rule.yml [args] events.jsonl` must produce
exactly the (rule id, event index) pairs of expected.json: a missing match
and an extra match both fail the case.
"""
import json
import os
import subprocess
import sys

yagura = os.environ["YAGURA"]
root = os.path.join(os.environ["YG_SOURCE_DIR"], "tests", "rules")
passed = failed = 0
for case in sorted(os.listdir(root)):
    d = os.path.join(root, case)
    exp = json.load(open(os.path.join(d, "expected.json")))
    cmd = [yagura, "hunt", "-q", "--no-event", "-t", "1", "-r", os.path.join(d, "rule.yml")]
    cmd += exp.get("args", [])
    cmd.append(os.path.join(d, "events.jsonl"))
    p = subprocess.run(cmd, capture_output=True, text=True)
    want_exit = 1 if exp["matches"] else 0
    got = sorted((a["rule"]["id"], a["source"]["index"]) for a in map(json.loads, p.stdout.splitlines()))
    want = sorted((m[0], m[1]) for m in exp["matches"])
    # Coverage warnings (events of a log source no loaded rule covers) are
    # expected when a case has such events; anything else on stderr fails.
    stderr = "\n".join(l for l in p.stderr.splitlines()
                       if "no loaded rule covers" not in l and "route to no log source" not in l)
    if not exp["matches"] and p.returncode == 3 and p.stderr != stderr:
        want_exit = 3  # nothing found, and the warning said some events were not checked
    if got == want and p.returncode == want_exit and not stderr.strip():
        passed += 1
        continue
    failed += 1
    print(f"FAIL {case}: exit {p.returncode} (want {want_exit})")
    for m in sorted(set(want) - set(got)):
        print("  missing", m)
    for m in sorted(set(got) - set(want)):
        print("  extra  ", m)
    if stderr.strip():
        print("  stderr:", stderr.strip()[:2000])
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
