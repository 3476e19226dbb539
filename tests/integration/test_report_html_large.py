#!/usr/bin/env python3
"""A 100,000-alert HTML report opens fast and stays usable.

100,000 events are generated deterministically (event i: action i mod 5, one
rule per action at each level from critical to informational, 40 computers, 97
accounts, one event a second), hunted with --html, and the report loaded in
Debian's Chromium, headless, network cut off (report_browser.py).  It must paint
its first content within 3 s of navigation, list all 100,000 alerts, show the
run's numbers, open an alert's details, and filter by each level (counts equal
to --stats-json) and turn a page in under a second each.  A screenshot goes to the
build folder (test-artifacts/).
"""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report_browser as rb  # noqa: E402

yagura = os.environ["YAGURA"]
build = os.environ["YG_BUILD_DIR"]
N = 100000
ACTIONS = ["exfil", "login_fail", "scan", "lookup", "heartbeat"]
LEVELS = ["critical", "high", "medium", "low", "informational"]
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def generate(d):
    with open(os.path.join(d, "events.jsonl"), "w") as f:
        for i in range(N):
            f.write(json.dumps({
                "@timestamp": "2024-05-%02dT%02d:%02d:%02d.000Z" % (1 + i // 86400, (i // 3600) % 24,
                                                                    (i // 60) % 60, i % 60),
                "hostname": "pc-%02d" % (i % 40), "user": "user-%03d" % (i % 97),
                "action": ACTIONS[i % 5], "message": "request %d from 10.0.%d.%d" % (i, (i // 256) % 256, i % 256),
            }) + "\n")
    for k, (a, lv) in enumerate(zip(ACTIONS, LEVELS)):
        with open(os.path.join(d, "r_%s.yml" % a), "w") as f:
            f.write("title: Generated %s\nid: 00000000-0000-4000-8000-%012d\nlevel: %s\n"
                    "logsource:\n  product: ygtest\ndetection:\n  sel:\n    action: %s\n"
                    "  condition: sel\n" % (a, k, lv, a))


def main():
    with tempfile.TemporaryDirectory() as tmp:
        generate(tmp)
        stats_p, html_p = os.path.join(tmp, "stats.json"), os.path.join(tmp, "big.html")
        r = subprocess.run([yagura, "hunt", "-q", "-r", tmp, "--logsource", "product=ygtest",
                            "--stats-json", stats_p, "--html", html_p, "-o", os.devnull,
                            os.path.join(tmp, "events.jsonl")], capture_output=True, text=True,
                           timeout=300)
        check(r.returncode == 1, "hunt exits 1: %d %s" % (r.returncode, r.stderr[-300:]))
        stats = json.load(open(stats_p))
        check(stats["alerts"] == N, "%d alerts" % stats["alerts"])
        print("report: %.1f MB" % (os.path.getsize(html_p) / 1e6))
        rb.self_contained(html_p)
        st, dom, took = rb.load(html_p, tmp, timeout=120)
        fcp = dict(st["paint"]).get("first-contentful-paint")
        print("browser ran %.1f s; first contentful paint %s ms, DOMContentLoaded %.0f ms after "
              "navigation" % (took, fcp, st["dom_content_loaded"]))
        check(fcp is not None and fcp < 3000, "first contentful paint under 3 s (%s ms)" % fcp)
        check(st["listed"] == N, "all %d alerts listed" % st["listed"])
        check(st["rows"] == 100, "one page of 100 rows shown")
        check(st["detail"] is not None and st["detail"]["rule"]["title"].startswith("Generated"),
              "an alert's details open")
        shown = rb.stats_shown(dom)
        check(shown.get("alerts") == N and shown.get("events") == N, "alerts and events shown")
        want = 0
        for lv, rows, ms in st["filter"]:
            want += stats["by_level"][LEVELS[5 - lv]]
            check(rows == want, "filter %s and above: %d alerts == stats %d" % (LEVELS[5 - lv], rows, want))
            check(ms < 1000, "filter %s and above in %.0f ms" % (LEVELS[5 - lv], ms))
        check(st["page"][0] == 1 and st["page"][1] == 100 and st["page"][2] < 1000,
              "next page in %.0f ms" % st["page"][2])
        os.makedirs(os.path.join(build, "test-artifacts"), exist_ok=True)
        rb.screenshot(html_p, os.path.join(build, "test-artifacts", "report_html_large.png"), tmp,
                      height=1400, timeout=120)


main()
if failures:
    print("%d check(s) failed" % len(failures))
    sys.exit(1)
print("all checks passed")
