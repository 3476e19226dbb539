#!/usr/bin/env python3
"""gen_rules.py - N deterministic Sigma rules for the compile benchmark.

Each rule i: process creation, Image ends with \\tool<i>.exe, CommandLine
contains one of three literals of its own, a filter (Sigma meta filter)
naming it by id and an event_count correlation naming it by name. Written 1,000 rules per file (rule files are capped at
YG_MAX_RULE_FILE_BYTES).

Usage: gen_rules.py N OUTDIR
"""
import os
import sys


def rule(i):
    return (f"title: Generated rule {i}\n"
            f"id: 00000000-0000-4000-8000-{i:012d}\n"
            f"name: gen_{i}\n"
            "logsource: {product: windows, category: process_creation}\n"
            "detection:\n"
            "  sel:\n"
            f"    Image|endswith: '\\\\tool{i}.exe'\n"
            f"    CommandLine|contains: ['-arg{i} ', '/opt{i}', '--flag{i}=']\n"
            "  condition: sel\n"
            "level: medium\n"
            "---\n"
            f"title: Filter of rule {i}\n"
            f"id: 00000000-0000-4000-9000-{i:012d}\n"
            "logsource: {product: windows, category: process_creation}\n"
            "filter:\n"
            f"  rules: [00000000-0000-4000-8000-{i:012d}]\n"
            f"  selection: {{User: 'svc{i}'}}\n"
            "  condition: selection\n"
            "---\n"
            f"title: Correlation of rule {i}\n"
            f"id: 00000000-0000-4000-a000-{i:012d}\n"
            "correlation:\n"
            "  type: event_count\n"
            f"  rules: [gen_{i}]\n"
            "  group-by: [User]\n"
            "  timespan: 10m\n"
            "  condition: {gte: 3}\n"
            "level: high\n")


def main():
    n, out = int(sys.argv[1]), sys.argv[2]
    os.makedirs(out, exist_ok=True)
    for k in range(0, n, 1000):
        with open(os.path.join(out, "rules%05d.yml" % (k // 1000)), "w") as f:
            f.write("---\n".join(rule(i) for i in range(k, min(n, k + 1000))))


main()
