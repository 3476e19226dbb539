#!/usr/bin/env python3
"""hunt --html and incidents report --html, checked in a real browser.

Real EVTX samples (../shared/logs/deepbluecli-evtx) are hunted with the SigmaHQ
rules into an incident database, with --html, --stats-json and the alerts as JSON
lines.  Debian's Chromium loads the report from its file, headless, with the network
cut off (report_browser.py): no console message, no error; the numbers it shows equal
the run's --stats-json (events, files, alerts by level, events per log source,
alerts per computer and rule); it lists every alert of the JSON-lines output and the
first one's details are that alert; the incidents are those `yagura incidents list`
gives.  The report of the largest incident lists exactly its alerts.  Screenshots of
both go to the build folder (test-artifacts/).  Bad paths and unknown incidents fail
with a clear message.
"""
import glob
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report_browser as rb  # noqa: E402

yagura = os.environ["YAGURA"]
shared = os.environ["YG_SHARED_DIR"]
build = os.environ["YG_BUILD_DIR"]
artifacts = os.path.join(build, "test-artifacts")
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def run(*args):
    return subprocess.run([yagura, *args], capture_output=True, text=True, timeout=300)


def main():
    os.makedirs(artifacts, exist_ok=True)
    # The small samples (the 3,561 alerts of smb-password-guessing make the
    # incident database slow to build and add nothing here).
    logs = sorted(p for p in glob.glob(os.path.join(shared, "logs", "deepbluecli-evtx", "*.evtx"))
                  if "smb-password-guessing" not in p)
    check(len(logs) >= 3, "the deepbluecli samples are there (%d)" % len(logs))
    with tempfile.TemporaryDirectory() as tmp:
        stats_p, html_p = os.path.join(tmp, "stats.json"), os.path.join(tmp, "report.html")
        alerts_p, db = os.path.join(tmp, "alerts.jsonl"), os.path.join(tmp, "case.db")
        r = run("hunt", "-q", "-r", os.path.join(shared, "sigma", "rules"), "--stats-json", stats_p,
                "--incidents", db, "--html", html_p, "-o", alerts_p, *logs)
        check(r.returncode == 1, "hunt --html exits 1 (alerts): %d %s" % (r.returncode, r.stderr[-500:]))
        if r.returncode != 1:
            return
        stats = json.load(open(stats_p))
        alerts = [json.loads(l) for l in open(alerts_p) if l.strip()]
        rb.self_contained(html_p)
        st, dom, took = rb.load(html_p, tmp)
        print("browser: %.1f s, first paint %s" % (took, st["paint"]))

        shown = rb.stats_shown(dom)
        for k in ("events", "files", "alerts"):
            check(shown.get(k) == stats[k], "%s shown %s == stats %s" % (k, shown.get(k), stats[k]))
        for lv in ("critical", "high", "medium", "low", "informational"):
            check(shown.get(lv) == stats["by_level"][lv],
                  "%s alerts shown %s == stats %s" % (lv, shown.get(lv), stats["by_level"][lv]))
        check(stats["alerts"] == len(alerts) > 0, "stats count the JSON-lines alerts (%d)" % len(alerts))

        cov = [int(x) for x in __import__("re").findall(r'data-events="([0-9]+)"', dom)]
        check(cov == [r["events"] for r in stats["logsources"]],
              "events per log source shown %s == stats %s" % (cov, [r["events"] for r in stats["logsources"]]))

        comps = rb.table_rows(dom, "computers")
        want = [(c["key"], [c["total"], c["critical"], c["high"], c["medium"], c["low"],
                            c["informational"]]) for c in stats["by_computer"]]
        check(comps == want, "computers by level == stats by_computer: %s" % comps)

        rules = {k: n[0] for k, n in rb.table_rows(dom, "rules")}
        for rr in stats["by_rule"]:
            check(rules.get(rr["title"]) == rr["alerts"],
                  "rule %r: %s alerts shown == stats %s" % (rr["title"], rules.get(rr["title"]), rr["alerts"]))

        # Accounts: each row's alerts all name the account in their event.
        accounts = rb.table_rows(dom, "accounts")
        check(bool(accounts), "accounts table is there (%d rows)" % len(accounts or []))
        for key, nums in accounts or []:
            naming = sum(1 for a in alerts if json.dumps(key) in json.dumps(a.get("event", {})))
            check(nums[0] == sum(nums[1:]) and nums[0] <= naming,
                  "account %r: %d alert(s), %d alerts name it" % (key, nums[0], naming))

        check(st["listed"] == len(alerts), "alerts listed %d == %d" % (st["listed"], len(alerts)))
        first = min(alerts, key=lambda a: a["timestamp"])["timestamp"]
        check(st["detail"] in [a for a in alerts if a["timestamp"] == first],
              "the first row's details are the earliest alert, whole (with its event)")
        check("event" in (st["detail"] or {}), "the details carry the event")

        inc = [json.loads(l) for l in run("incidents", "list", "--db", db, "--status", "all",
                                          "--json").stdout.splitlines() if l.strip()]
        ids = __import__("re").findall(r'data-incident="([^"]+)"', dom)
        check(sorted(ids) == sorted(i["id"] for i in inc) and inc,
              "incidents shown %s == incidents list %s" % (sorted(ids), sorted(i["id"] for i in inc)))
        png = os.path.join(artifacts, "report_html.png")
        rb.screenshot(html_p, png, tmp)
        check(os.path.getsize(png) > 10000, "screenshot " + png)

        # One incident's report: its alerts, its timeline.
        big = max(inc, key=lambda i: i["alerts"])
        inc_html = os.path.join(tmp, "incident.html")
        r = run("incidents", "report", big["id"], "--db", db, "--html", inc_html)
        check(r.returncode == 0, "incidents report exits 0: %s" % r.stderr)
        rb.self_contained(inc_html)
        st2, dom2, _ = rb.load(inc_html, tmp)
        shown2 = rb.stats_shown(dom2)
        check(shown2.get("alerts") == big["alerts"] == st2["listed"],
              "incident report: %s alerts shown, %d listed, incident has %d" %
              (shown2.get("alerts"), st2["listed"], big["alerts"]))
        ids2 = __import__("re").findall(r'data-incident="([^"]+)"', dom2)
        check(ids2 == [big["id"]], "incident report shows that incident only: %s" % ids2)
        check(st2["detail"] is not None and st2["detail"]["rule"]["title"] in dom2,
              "incident report opens an alert's details")
        png2 = os.path.join(artifacts, "report_incident_html.png")
        rb.screenshot(inc_html, png2, tmp, height=1400)

        r = run("incidents", "report", "inc-0000000000000000", "--db", db, "--html", inc_html)
        check(r.returncode == 1 and "no such incident" in r.stderr,
              "unknown incident: exit 1, says so (%d %s)" % (r.returncode, r.stderr.strip()))
        bad = os.path.join(tmp, "no", "such", "dir", "r.html")
        r = run("hunt", "-q", "-r", os.path.join(shared, "sigma", "rules"), "--html", bad, logs[0])
        check(r.returncode == 2 and bad in r.stderr,
              "unwritable --html: exit 2 naming the path (%d %s)" % (r.returncode, r.stderr.strip()))


main()
if failures:
    print("%d check(s) failed" % len(failures))
    sys.exit(1)
print("all checks passed")
