#!/usr/bin/env python3
"""Panther's Microsoft 365 and Entra ID rule tests, run through yagura hunt.

../shared/logs/panther-analysis-tests/ holds the unit tests of Panther's
detection rules as JSON lines: {panther_rule_id, rule_file, test_name,
expected_alert, log}.  For every Panther rule over Microsoft 365 audit or
Entra ID logs, rules/m365/ or rules/azure/ holds a Sigma rule with the same
logic whose references name the Panther rule file.

For each test file this script writes the `log` objects one per line, runs
`yagura decode` (every record must decode as the m365 or entra format with
the expected product) and `yagura hunt` with the rules/ folder, and checks,
record by record, that the equivalent Sigma rule alerts exactly when Panther's
test expects an alert.  Records of other log types in the folder (Windows
event logs, Defender XDR, Graph security alerts, Intune) have no decoder here
and are listed as not covered.

Environment: YAGURA (binary), YG_SHARED_DIR, YG_SOURCE_DIR (set by CTest).
"""
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get("YG_SOURCE_DIR", os.path.join(HERE, "..", ".."))
SHARED = os.environ.get("YG_SHARED_DIR", os.path.join(SRC, "..", "shared"))
YAGURA = os.environ.get("YAGURA", os.path.join(SRC, "build", "yagura"))
CASES = os.path.join(SHARED, "logs", "panther-analysis-tests")
RULES = os.path.join(SRC, "rules")
PANTHER_REF = "https://github.com/panther-labs/panther-analysis/blob/main/"

# Test file -> the product its records must decode to.
COVERED = {
    "Microsoft365_Audit_AzureActiveDirectory.tests.jsonl": "m365",
    "Microsoft365_Audit_Exchange.tests.jsonl": "m365",
    "Microsoft365_Audit_SharePoint.tests.jsonl": "m365",
    "Azure_Audit.tests.jsonl": "azure",
}

passed = failed = 0


def check(ok, what):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAIL: " + what)


def sigma_rules_by_panther_file():
    """Map a Panther rule file (its repository path) to our Sigma rule file."""
    out = {}
    for d in ("m365", "azure"):
        folder = os.path.join(RULES, d)
        for name in sorted(os.listdir(folder)):
            if not name.endswith(".yml"):
                continue
            path = os.path.join(folder, name)
            with open(path, encoding="utf-8") as f:
                for m in re.finditer(r"^\s*- " + re.escape(PANTHER_REF) + r"(\S+)$", f.read(), re.M):
                    out[m.group(1)] = os.path.relpath(path, SRC)
    return out


def run(args):
    return subprocess.run([YAGURA] + args, capture_output=True, text=True, cwd=SRC)


def main():
    if not os.path.isdir(CASES):
        print("no Panther cases in " + CASES)
        return 1
    formats = run(["decode", "--list"]).stdout.split()
    for f in ("m365", "m365_csv", "entra"):
        check(f in formats, "format %s is not linked into %s" % (f, YAGURA))
    if failed:
        print("%d passed, %d failed" % (passed, failed))
        return 1
    by_file = sigma_rules_by_panther_file()
    results = []  # (panther rule, test name, expected, got)
    not_covered = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in sorted(os.listdir(CASES)):
            if not name.endswith(".tests.jsonl"):
                continue
            with open(os.path.join(CASES, name), encoding="utf-8") as f:
                cases = [json.loads(l) for l in f if l.strip()]
            if name not in COVERED:
                for c in cases:
                    not_covered.setdefault(c["panther_rule_id"], 0)
                    not_covered[c["panther_rule_id"]] += 1
                continue
            lines = os.path.join(tmp, name.replace(".tests.jsonl", ".jsonl"))
            with open(lines, "w", encoding="utf-8") as f:
                for c in cases:
                    f.write(json.dumps(c["log"]) + "\n")
            # Every record decodes, as the format of its product.
            dec = run(["decode", "-q", lines])
            check(dec.returncode == 0, "%s: yagura decode exit %d: %s" % (name, dec.returncode, dec.stderr))
            decoded = [json.loads(l) for l in dec.stdout.splitlines() if l.strip()]
            check(len(decoded) == len(cases), "%s: %d records decoded of %d" % (name, len(decoded), len(cases)))
            for i, d in enumerate(decoded):
                check(d["logsource"].get("product") == COVERED[name],
                      "%s line %d: log source %s" % (name, i + 1, d["logsource"]))
            hunt = run(["hunt", "-q", "--no-event", "--format", "jsonl", "-r", RULES, lines])
            check(hunt.returncode in (0, 1), "%s: yagura hunt exit %d: %s" % (name, hunt.returncode, hunt.stderr))
            fired = {}  # line -> rule files that alerted
            for l in hunt.stdout.splitlines():
                a = json.loads(l)
                rf = a["rule"]["file"]
                rf = os.path.relpath(rf if os.path.isabs(rf) else os.path.join(SRC, rf), SRC)
                fired.setdefault(a["source"]["line"], set()).add(rf)
            if COVERED[name] == "m365":
                # The same records as a Purview CSV export (no real export is
                # shared: quoted as Purview quotes AuditData) alert alike.
                csv = lines[:-len(".jsonl")] + ".csv"
                with open(csv, "w", encoding="utf-8") as f:
                    f.write("CreationDate,UserIds,Operations,AuditData\n")
                    for c in cases:
                        f.write('2024-05-01T10:00:00Z,u@example.com,Op,"%s"\n'
                                % json.dumps(c["log"]).replace('"', '""'))
                hc = run(["hunt", "-q", "--no-event", "--format", "jsonl", "-r", RULES, csv])
                got_csv = sorted((json.loads(l)["source"]["line"] - 1, json.loads(l)["rule"]["id"])
                                 for l in hc.stdout.splitlines())
                got_json = sorted((json.loads(l)["source"]["line"], json.loads(l)["rule"]["id"])
                                  for l in hunt.stdout.splitlines())
                check(got_csv == got_json, "%s: the CSV export alerts differently from the JSON" % name)
            for i, c in enumerate(cases):
                rule = by_file.get(c["rule_file"])
                check(rule is not None, "no Sigma rule references %s" % c["rule_file"])
                got = rule in fired.get(i + 1, set())
                results.append((c["panther_rule_id"], c["test_name"], c["expected_alert"], got))
                check(got == c["expected_alert"],
                      "%s / %s: expected alert=%s, Sigma rule %s gave %s"
                      % (c["panther_rule_id"], c["test_name"], c["expected_alert"], rule, got))
    rules = sorted({r[0] for r in results})
    agree = sum(1 for r in results if r[2] == r[3])
    print("Panther cases: %d records of %d rules, %d agree with the expected alert"
          % (len(results), len(rules), agree))
    for rid in sorted(not_covered):
        print("not covered (no m365/entra decoder for its log type): %s (%d records)" % (rid, not_covered[rid]))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
