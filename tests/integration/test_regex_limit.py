#!/usr/bin/env python3
"""A regex that reaches its PCRE2 step limit is counted and named, not silent.

`(.*a){20}` on twenty `a` matches in principle but backtracks past
YG_REGEX_MATCH_LIMIT, so the rule cannot be decided and counts as no match.
hunt names the rule in its summary (standard error) and in --stats-json with
the number of such evaluations; a second rule sharing the same regex item is
charged too (the item's result is cached); a rule whose regex decides stays
out.  watch exports yagura_regex_limit_total{rule="..."} on /metrics and logs
the rule once.
"""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

yagura = os.environ["YAGURA"]
passed = failed = 0


def check(ok, msg):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAIL", msg, flush=True)


R1, R2, R3 = ("5f1e7a52-2d55-4d8f-8a0e-7c1b4f0f1a0%d" % i for i in (1, 2, 3))
RULES = f"""title: Backtracking regex
id: {R1}
logsource: {{product: test}}
detection:
  sel: {{CommandLine|re: '(.*a){{20}}'}}
  condition: sel
level: high
---
title: Same regex in another rule
id: {R2}
logsource: {{product: test}}
detection:
  sel: {{CommandLine|re: '(.*a){{20}}'}}
  other: {{User: bob}}
  condition: sel or other
level: medium
---
title: Plain regex
id: {R3}
logsource: {{product: test}}
detection:
  sel: {{CommandLine|re: '^a+b$'}}
  condition: sel
level: low
"""
# Two events where the backtracking regex gives up, one where it fails fast
# (no 'a' at all), one that the plain rule matches.
EVENTS = [{"CommandLine": "a" * 20, "User": "x"},
          {"CommandLine": "a" * 24 + "c", "User": "x"},
          {"CommandLine": "zzz", "User": "x"},
          {"CommandLine": "ab", "User": "x"}]

with tempfile.TemporaryDirectory() as tmp:
    rules = os.path.join(tmp, "rules.yml")
    open(rules, "w").write(RULES)
    ev = os.path.join(tmp, "ev.jsonl")
    open(ev, "w").write("".join(json.dumps(e) + "\n" for e in EVENTS))

    # ---- hunt: summary and --stats-json -----------------------------------
    st = os.path.join(tmp, "st.json")
    r = subprocess.run([yagura, "hunt", "-r", rules, "--logsource", "product=test", "-t", "1",
                        "--stats-json", st, ev], capture_output=True, text=True)
    check(r.returncode == 1, f"hunt: exit {r.returncode} {r.stderr[-300:]}")
    alerts = [json.loads(l) for l in r.stdout.splitlines() if l.strip()]
    check([a["rule"]["id"] for a in alerts] == [R3], f"only the plain rule alerts: {r.stdout[:300]}")
    m = re.search(r"regex limit: (\d+) evaluation\(s\) of (\d+) rule\(s\)", r.stderr)
    check(m and m.groups() == ("4", "2"), f"summary counts 4 evaluations of 2 rules: {r.stderr}")
    for rid, title in ((R1, "Backtracking regex"), (R2, "Same regex in another rule")):
        check(re.search(r"^\s+2\s+%s\s+%s$" % (rid, re.escape(title)), r.stderr, re.M),
              f"summary names {rid} with 2")
    check(R3 not in r.stderr.split("regex limit:")[-1], "the plain rule is not named there")
    stats = json.load(open(st))
    rl = stats.get("regex_limit", {})
    check(rl.get("total") == 4, f"stats total: {rl}")
    check(sorted((x["id"], x["count"]) for x in rl.get("rules", [])) == [(R1, 2), (R2, 2)],
          f"stats rules: {rl}")
    # Without any limit reached the summary says nothing of it and the stats say 0.
    ok = os.path.join(tmp, "ok.jsonl")
    open(ok, "w").write(json.dumps(EVENTS[3]) + "\n")
    r = subprocess.run([yagura, "hunt", "-r", rules, "--logsource", "product=test",
                        "--stats-json", st, ok], capture_output=True, text=True)
    check("regex limit" not in r.stderr, "no limit line when none was reached")
    check(json.load(open(st)).get("regex_limit") == {"total": 0, "rules": []}, "stats: zero")

    # ---- watch: /metrics and the log --------------------------------------
    indir = os.path.join(tmp, "in")
    os.mkdir(indir)
    cfg = os.path.join(tmp, "yagura.yaml")
    sk = socket.socket()
    sk.bind(("127.0.0.1", 0))
    port = sk.getsockname()[1]
    sk.close()
    open(cfg, "w").write(
        f"rules: [{rules}]\nstate: {tmp}/state.db\n"
        f"inputs:\n  - {{name: files, type: file, path: '{indir}/*.jsonl', start_at: beginning,"
        f" logsource: {{product: test}}}}\n"
        f"sinks:\n  - {{type: jsonl, path: {tmp}/alerts.jsonl}}\n"
        f"http: {{listen: '127.0.0.1:{port}'}}\nlog: {{level: info}}\n")
    open(os.path.join(indir, "a.jsonl"), "w").write(
        "".join(json.dumps(e) + "\n" for e in EVENTS))
    logf = os.path.join(tmp, "watch.log")
    with open(logf, "w") as lf:
        p = subprocess.Popen([yagura, "watch", "-c", cfg], stdout=subprocess.DEVNULL, stderr=lf)
    try:
        text, deadline = "", time.time() + 30
        while time.time() < deadline and p.poll() is None:
            if "http: listening on" in open(logf).read():
                text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
                if re.search(r'^yagura_events_total\{input="files"\} 4$', text, re.M):
                    break
            time.sleep(0.05)  # polling interval of the readiness check above
        check(re.search(r'^yagura_events_total\{input="files"\} 4$', text, re.M),
              f"watch read the 4 records: {text[-600:]} {open(logf).read()[-600:]}")
        for rid in (R1, R2):
            check(re.search(r'^yagura_regex_limit_total\{rule="%s"\} 2$' % rid, text, re.M),
                  f"/metrics counts {rid}: {[l for l in text.splitlines() if 'regex' in l]}")
        check(f'rule="{R3}"' not in "".join(l for l in text.splitlines() if "regex_limit" in l),
              "the plain rule has no series")
        check("# TYPE yagura_regex_limit_total counter" in text, "declared as a counter")
    finally:
        p.send_signal(signal.SIGTERM)
        rc = p.wait(timeout=30)
    check(rc == 0, f"watch exit {rc}")
    log = open(logf).read()
    check(log.count(f"rule {R1} (Backtracking regex): a regex reached its PCRE2 step limit") == 1,
          f"the log names the rule once: {log[-800:]}")

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
