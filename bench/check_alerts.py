#!/usr/bin/env python3
"""Check a hunt's counts per log source against a reference, so that a routing or matching
regression fails the benchmark instead of passing as speed.

  check_alerts.py --stats STATS.json --reference REF.json [--factor N]
  check_alerts.py --stats STATS.json --write REF.json [--factor N] [--note TEXT]

STATS is the document of `yagura hunt --stats-json`. Two tables of it are compared, key by key:
  alerts_by_logsource  alerts per log source ("product:P service:S category:C", or
                       "correlation"): what the rules matched;
  logsources           events per log source (product/service/category): where each record
                       was routed.
The reference holds the counts of one copy of the workload; every count seen must equal the
reference's times --factor (the number of copies in the hunted file), and a log source present
on one side only is a mismatch too. Each mismatch is printed with the log source, the expected
and the seen count; the exit status is then 1 (0 all equal, 2 unreadable input).

--write makes REF.json from STATS (each count divided by --factor, which must divide it).
"""
import argparse
import json
import sys

TABLES = ("alerts", "events")


def ls_key(row):
    return " ".join("%s:%s" % (k, row[k]) for k in ("product", "service", "category") if k in row)


def tables(stats):
    return {
        "alerts": {r["key"]: r["total"] for r in stats.get("alerts_by_logsource", [])},
        "events": {ls_key(r): r["events"] for r in stats.get("logsources", [])},
    }


def load(path, what):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        print("check_alerts: %s %s: %s" % (what, path, e), file=sys.stderr)
        sys.exit(2)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--stats", required=True)
    ap.add_argument("--reference")
    ap.add_argument("--write")
    ap.add_argument("--factor", type=int, default=1)
    ap.add_argument("--note", default="")
    a = ap.parse_args()
    if bool(a.reference) == bool(a.write) or a.factor < 1:
        ap.error("give one of --reference and --write, and a --factor of at least 1")
    stats = load(a.stats, "stats")
    for key in ("alerts_by_logsource", "logsources"):
        if key not in stats:
            print("check_alerts: stats %s: no \"%s\" member (is yagura too old?)" %
                  (a.stats, key), file=sys.stderr)
            sys.exit(2)
    seen = tables(stats)

    if a.write:
        ref = {"note": a.note, "alerts_by_logsource": {}, "events_by_logsource": {}}
        for t in TABLES:
            for k, v in sorted(seen[t].items()):
                if v % a.factor:
                    print("check_alerts: %s of %s: %d is not a multiple of --factor %d" %
                          (t, k, v, a.factor), file=sys.stderr)
                    sys.exit(1)
                ref["%s_by_logsource" % t][k] = v // a.factor
        with open(a.write, "w", encoding="utf-8") as f:
            json.dump(ref, f, indent=1, sort_keys=True)
            f.write("\n")
        print("check_alerts: wrote %s (counts of one copy, from %s / %d)" %
              (a.write, a.stats, a.factor))
        return 0

    ref = load(a.reference, "reference")
    bad = 0
    for t in TABLES:
        want = ref.get("%s_by_logsource" % t)
        if not isinstance(want, dict):
            print("check_alerts: reference %s: no \"%s_by_logsource\" object" %
                  (a.reference, t), file=sys.stderr)
            sys.exit(2)
        for k in sorted(set(want) | set(seen[t])):
            exp = want.get(k, 0) * a.factor
            got = seen[t].get(k, 0)
            if exp != got:
                bad += 1
                print("MISMATCH %s of log source '%s': expected %d (%d x %d copies), seen %d" %
                      (t, k, exp, want.get(k, 0), a.factor, got))
    n = sum(len(ref["%s_by_logsource" % t]) for t in TABLES)
    if bad:
        print("FAIL  %d count(s) per log source differ from %s" % (bad, a.reference))
        return 1
    print("PASS  alerts and events of %d log source rows = %s x %d" % (n, a.reference, a.factor))
    return 0


if __name__ == "__main__":
    sys.exit(main())
