#!/usr/bin/env python3
"""The hunt's timeline over the real samples: one time form, sorted output.

1. Every sample under ../shared/logs (zip archives unpacked first), hunted
   with every SigmaHQ rule folder and Yagura's own rules: every alert's
   `timestamp` is RFC 3339 UTC with milliseconds, its `timestamp_source` is
   the event's own text and agrees with it; correlation alerts and their
   evidence too.
2. The same samples with one catch-all rule per log source, so that every
   record of every source raises an alert: each timestamp is checked against
   an independent reading of its source text (ISO 8601 with or without zone,
   epochs, Apache, NetScaler, PAN-OS, syslog); events with no time at all
   are only those listed below.
3. `--sort time` over all of it: non-decreasing, byte-identical for 1 and 2
   threads and when sorted through disk (--sort-mem 1: many runs, more than
   one merge pass), the same alerts as unsorted; a TMPDIR that cannot hold
   the runs fails the hunt (exit 2).

Labelled slow (tests/CMakeLists.txt): it hunts 300,000 alerts several times.
Columns, profiles, --timezone and `matched` are in test_profiles.py.
"""
import datetime as dt
import os
import re
import sys
import tempfile
import zipfile

from timeline_common import RFC3339MS, Checks, catch_all_rules, jsonl, logs, ms_of, run, shared, src

check = Checks()
SIGMA = [os.path.join(shared, "sigma", d) for d in sorted(os.listdir(os.path.join(shared, "sigma")))
         if d.startswith("rules")]
# Records that carry no time at all (file relative to the inputs -> why).
TIMELESS = {
    "otrf-security-datasets/apt29_day2_zeek/combined_zeek.log": "Zeek loaded_scripts records have no ts",
    "zed-sample-data/zeek-json/loaded_scripts.json.gz": "Zeek loaded_scripts records have no ts",
    "elastic-integrations/citrix_adc/test-citrix-sslvpn-message.log": "five records without a syslog header",
    "panther-analysis-tests/Azure_Audit.tests.jsonl": "test records keep their times under log.*",
    "panther-analysis-tests/Microsoft365_Audit_Exchange.tests.jsonl": "test records keep their times under log.*",
    "panther-analysis-tests/Microsoft365_Audit_SharePoint.tests.jsonl": "test records keep their times under log.*",
    "panther-analysis-tests/Microsoft365_Audit_AzureActiveDirectory.tests.jsonl": "test records keep their times under log.*",
    "panther-analysis-tests/MicrosoftIntune_AuditLogs.tests.jsonl": "test records keep their times under log.*",
}

MONTHS = {m: i + 1 for i, m in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split())}


def oracle(s):
    """Independent reading of a source time: (epoch ms or None, exact). None
    when the form is not one this oracle knows; for a year-less syslog time
    the result is (month, day, h, m, s) to compare without the year."""
    s = s.strip()
    m = re.fullmatch(r"(-?\d+)(?:\.(\d+))?", s)
    if m:
        v = int(m.group(1))
        if m.group(2) is not None:
            return v * 1000 + int((m.group(2) + "000")[:3])
        if v < 10**11:
            return v * 1000
        if v < 10**14:
            return v
        if v < 10**17:
            return v // 1000
        return v // 10**6
    m = re.fullmatch(r"(\d{4})[-/](\d\d)[-/](\d\d)(?:[T ](\d\d):(\d\d)(?::(\d\d)(?:[.,](\d+))?)?)?"
                     r" ?(Z|[+-]\d\d:?\d\d)?", s)
    if m:
        y, mo, d, h, mi, se, frac, z = m.groups()
        t = dt.datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(se or 0),
                        tzinfo=dt.timezone.utc)
        ms = round(t.timestamp() * 1000) + int(((frac or "") + "000")[:3])
        if z and z != "Z":
            sign = 1 if z[0] == "+" else -1
            z = z[1:].replace(":", "")
            ms -= sign * (int(z[:2]) * 60 + int(z[2:])) * 60000
        return ms
    m = re.fullmatch(r"\[?(\d\d)/(\w{3})/(\d{4}):(\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)\]?", s)
    if m:
        d, mon, y, h, mi, se, sg, zh, zm = m.groups()
        t = dt.datetime(int(y), MONTHS[mon], int(d), int(h), int(mi), int(se), tzinfo=dt.timezone.utc)
        return round(t.timestamp() * 1000) - (1 if sg == "+" else -1) * (int(zh) * 60 + int(zm)) * 60000
    m = re.fullmatch(r"(\d\d)/(\d\d)/(\d{4}):(\d\d):(\d\d):(\d\d)(?: GMT)?", s)
    if m:
        mo, d, y, h, mi, se = map(int, m.groups())
        return round(dt.datetime(y, mo, d, h, mi, se, tzinfo=dt.timezone.utc).timestamp() * 1000)
    m = re.fullmatch(r"(\w{3}) +(\d\d?) (?:(\d{4}) )?(\d\d):(\d\d):(\d\d)", s)
    if m:
        mon, d, y, h, mi, se = m.groups()
        if y:
            t = dt.datetime(int(y), MONTHS[mon], int(d), int(h), int(mi), int(se), tzinfo=dt.timezone.utc)
            return round(t.timestamp() * 1000)
        return (MONTHS[mon], int(d), int(h), int(mi), int(se))
    return None



with tempfile.TemporaryDirectory() as tmp:
    unz = os.path.join(tmp, "unzipped")
    os.makedirs(unz)
    for root, _d, names in os.walk(logs):
        for n in sorted(names):
            if n.lower().endswith(".zip"):
                with zipfile.ZipFile(os.path.join(root, n)) as z:
                    for m in z.namelist():
                        if m.endswith("/") or "__MACOSX" in m or m.endswith((".pcap", ".yaml", ".yml")):
                            continue
                        dest = os.path.join(unz, n + "__" + os.path.basename(m))
                        with open(dest, "wb") as o:
                            o.write(z.read(m))
    inputs = [logs, unz]

    # 1. The SigmaHQ rules and Yagura's own over every sample.
    # As a shell glob gives them (-r sigma/rules*): every folder after one -r.
    rule_args = ["-r", *SIGMA, "-r", os.path.join(src, "rules")]
    p = run([*rule_args, "--no-event", "-t", "2", *inputs])
    alerts = jsonl(p.stdout)
    check(p.returncode == 1 and len(alerts) > 3000, f"SigmaHQ hunt: exit {p.returncode}, {len(alerts)} alerts")
    bad = [a for a in alerts if not RFC3339MS.fullmatch(a["timestamp"])]
    check(not bad, f"{len(bad)} alerts without an RFC 3339 UTC ms timestamp, e.g. {bad[:1]}")
    plain = [a for a in alerts if "correlation" not in a]
    check(all(a.get("timestamp_source") for a in plain), "every event alert keeps timestamp_source")
    mism = [a for a in plain if isinstance(oracle(a.get("timestamp_source", "")), int)
            and RFC3339MS.fullmatch(a["timestamp"])
            and oracle(a["timestamp_source"]) != ms_of(a["timestamp"])]
    check(not mism, f"{len(mism)} timestamps differ from their source text, e.g. {mism[:1]}")
    formats = {re.sub(r"\d", "9", a.get("timestamp_source", "")) for a in plain}
    check(len(formats) >= 5, f"the samples' alerts show {len(formats)} time forms: {sorted(formats)}")
    print(f"SigmaHQ + Yagura rules: {len(alerts)} alerts, source time forms {sorted(formats)}")

    # Correlation alerts and their evidence (DeepBlueCLI's password spray).
    spray = os.path.join(logs, "deepbluecli-evtx/password-spray.evtx")
    corr_rule = os.path.join(src, "tests/correlation/password_spray.yml")
    p = run(["-r", corr_rule, "--no-event", spray])
    corr = [a for a in jsonl(p.stdout) if "correlation" in a]
    check(len(corr) > 0 and all(RFC3339MS.fullmatch(a["timestamp"]) for a in corr)
          and all(RFC3339MS.fullmatch(e["timestamp"]) for a in corr for e in a["correlation"]["events"] if e),
          f"correlation alerts and evidence in RFC 3339 ms: {corr[:1]}")

    # 2. Every record of every source.
    every = os.path.join(tmp, "every")
    os.makedirs(every)
    catch_all_rules(every)
    p = run(["-r", every, "--no-event", "-t", "2", *inputs])
    allrec = jsonl(p.stdout)
    check(len(allrec) > 200000, f"catch-all hunt: {len(allrec)} alerts")
    timeless = {}
    checked = year_less = unknown = 0
    for a in allrec:
        if a["timestamp"] == "":
            check(a.get("timestamp_source") == "", f"untimed alert with a source time {a}")
            f = a["source"]["file"]
            rel = os.path.relpath(f, logs) if f.startswith(logs) else os.path.basename(f)
            timeless[rel] = timeless.get(rel, 0) + 1
            continue
        if not RFC3339MS.fullmatch(a["timestamp"]):
            check(False, f"not RFC 3339 UTC ms: {a['timestamp']} ({a['source']})")
            continue
        o = oracle(a.get("timestamp_source", ""))
        if isinstance(o, int):
            checked += 1
            if o != ms_of(a["timestamp"]):
                check(False, f"{a['timestamp_source']} -> {a['timestamp']} ({a['source']})")
        elif isinstance(o, tuple):
            year_less += 1
            t = a["timestamp"]
            if (int(t[5:7]), int(t[8:10]), int(t[11:13]), int(t[14:16]), int(t[17:19])) != o:
                check(False, f"{a['timestamp_source']} -> {a['timestamp']}")
        else:
            unknown += 1
    check(checked > 200000 and year_less > 3000, f"{checked} exact and {year_less} year-less checks")
    check(set(timeless) == set(TIMELESS), f"records without a time only in the known files: {timeless}")
    print(f"catch-all: {len(allrec)} alerts; {checked} exact, {year_less} year-less, {unknown} other; "
          f"untimed {timeless}")

    # 3. --sort time.
    base = ["-r", every, "--no-event", "--sort", "time"]
    s1 = run([*base, "-t", "1", *inputs]).stdout
    s2 = run([*base, "-t", "2", *inputs]).stdout
    s3 = run([*base, "-t", "2", "--sort-mem", "1", *inputs]).stdout
    check(s1 == s2, "--sort time: identical for 1 and 2 threads")
    check(s1 == s3, "--sort time: identical when sorted through disk (--sort-mem 1)")
    # Every line starts {"timestamp":"...": read the times without parsing.
    ts = re.findall(rb'^\{"timestamp":"([^"]*)"', s1, re.M)
    timed = [t for t in ts if t]
    check(len(ts) == len(allrec) and timed == sorted(timed) and ts[:len(timed)] == timed,
          "non-decreasing in timestamp, untimed alerts last")
    check(sorted(s1.splitlines()) == sorted(p.stdout.splitlines()),
          "the sorted stream holds exactly the unsorted alerts")
    print(f"--sort time: {len(ts)} alerts, {len(s1)} bytes")
    p = run([*base, "--sort-mem", "1", *inputs], env={**os.environ, "TMPDIR": os.path.join(tmp, "none")})
    check(p.returncode == 2 and p.stderr.count(b"cannot create a sort file in") == 1,
          f"--sort time without a usable TMPDIR: exit {p.returncode}, {p.stderr[-300:]}")
    p1 = run([*rule_args, "--no-event", "--sort", "time", "-t", "1", *inputs]).stdout
    p2 = run([*rule_args, "--no-event", "--sort", "time", "-t", "2", *inputs]).stdout
    t1 = [a["timestamp"] for a in jsonl(p1)]
    check(p1 == p2 and t1 == sorted(t1) and len(t1) == len(alerts),
          "SigmaHQ + Yagura rules sorted: identical for 1 and 2 threads, non-decreasing")

sys.exit(check.done())
