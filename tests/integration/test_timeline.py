#!/usr/bin/env python3
"""The hunt's timeline: one time form, sorted output, analyst columns, profiles.

1. Every sample under ../shared/logs (zip archives unpacked first), hunted
   with every SigmaHQ rule folder and Yagura's own rules: every alert's
   `timestamp` is RFC 3339 UTC with milliseconds and its `timestamp_source`
   is the event's own text; correlation alerts and their evidence too.
2. The same samples with one catch-all rule per log source, so that every
   record of every source raises an alert: each timestamp is checked against
   an independent reading of its source text (ISO 8601 with or without zone,
   epochs, Apache, NetScaler, PAN-OS, syslog); events with no time at all
   are only those listed below.
3. `--sort time` over all of it: non-decreasing, byte-identical for 1 and 2
   threads and when sorted through disk (--sort-mem 1: many runs, more than
   one merge pass), and the same alerts as unsorted.
4. `--timezone`: FortiGate's eventtime and tz win; a zone-less FortiGate
   time is read in the zone; a UTC-by-definition source (Microsoft 365) is
   not moved; a zone that does not exist is exit 2 with the reason.
5. `matched` never repeats a key (two selections on one field).
6. CSV and table columns; the timesketch CSV and JSONL and the ecs JSONL,
   field by field against the standard alert of the same event.
"""
import csv
import datetime as dt
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import zipfile

yagura = os.environ["YAGURA"]
shared = os.environ["YG_SHARED_DIR"]
src = os.environ["YG_SOURCE_DIR"]
logs = os.path.join(shared, "logs")
RFC3339MS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
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
passed = failed = 0


def check(ok, msg):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAIL", msg)


def run(args, **kw):
    return subprocess.run([yagura, "hunt", "-q", *args], capture_output=True, **kw)


def jsonl(out):
    return [json.loads(l) for l in out.decode().splitlines()]


def ms_of(ts):
    y, mo, d, h, mi, s, ms = map(int, (ts[0:4], ts[5:7], ts[8:10], ts[11:13], ts[14:16],
                                       ts[17:19], ts[20:23]))
    return (dt.datetime(y, mo, d, h, mi, s, tzinfo=dt.timezone.utc) -
            dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)) // dt.timedelta(milliseconds=1) + ms


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


def catch_all_rules(folder):
    products = ["windows", "linux", "fortigate", "cisco", "paloalto", "ivanti", "citrix", "zeek",
                "suricata", "m365", "azure", "apache", "nginx"]
    for i, p in enumerate(products):
        with open(os.path.join(folder, f"every_{p}.yml"), "w") as f:
            f.write(f"title: Every {p} event\nid: 00000000-0000-4000-8000-{i:012d}\nstatus: test\n"
                    f"logsource:\n  product: {p}\ndetection:\n  never:\n    YaguraNoSuchField: never\n"
                    f"  condition: not never\nlevel: informational\n")
    with open(os.path.join(folder, "every_web.yml"), "w") as f:
        f.write("title: Every web server event\nid: 00000000-0000-4000-8000-000000000999\n"
                "status: test\nlogsource:\n  category: webserver\ndetection:\n  never:\n"
                "    YaguraNoSuchField: never\n  condition: not never\nlevel: informational\n")


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
    rule_args = sum((["-r", d] for d in SIGMA), []) + ["-r", os.path.join(src, "rules")]
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

    # 4. --timezone.
    fgt = os.path.join(tmp, "fgt.log")
    with open(fgt, "w") as f:
        f.write('date=2019-05-10 time=11:37:47 logid="0000000013" type="traffic" subtype="forward" '
                'level="notice" vd="vdom1" eventtime=1557513467369913239 srcip=10.1.100.11 '
                'dstip=81.2.69.142 action="close" tz="-0700"\n')
        f.write('date=2020-03-29 time=16:41:30 logid="0100032001" type="event" subtype="system" '
                'level="information" vd="root" logdesc="Admin login successful" tz="-0700"\n')
        f.write('date=2019-02-20 time=09:57:22 logid="0100032001" type="event" subtype="system" '
                'level="information" vd="root" logdesc="Admin login successful"\n')
    m365 = os.path.join(tmp, "m365.json")
    with open(m365, "w") as f:
        f.write('{"CreationTime":"2020-02-07T16:44:07","Id":"ec04aa09","Operation":"FileDeleted",'
                '"RecordType":6,"UserId":"a@b.c","Workload":"OneDrive","ClientIP":"67.43.156.15"}\n')
    for zone, want in ((None, ["2019-05-10T18:37:47.369Z", "2020-03-29T23:41:30.000Z",
                               "2019-02-20T09:57:22.000Z", "2020-02-07T16:44:07.000Z"]),
                       ("Asia/Tokyo", ["2019-05-10T18:37:47.369Z", "2020-03-29T23:41:30.000Z",
                                       "2019-02-20T00:57:22.000Z", "2020-02-07T16:44:07.000Z"]),
                       ("-05:00", ["2019-05-10T18:37:47.369Z", "2020-03-29T23:41:30.000Z",
                                   "2019-02-20T14:57:22.000Z", "2020-02-07T16:44:07.000Z"])):
        args = ["-r", every, "--no-event", "-t", "1", fgt, m365]
        if zone:
            args += ["--timezone", zone]
        got = [a["timestamp"] for a in jsonl(run(args).stdout)]
        check(got == want, f"--timezone {zone}: {got}, want {want}")
    p = run(["-r", every, "--timezone", "Mars/Olympus_Mons", fgt])
    check(p.returncode == 2 and b"no such zone" in p.stderr, f"unknown zone: {p.returncode} {p.stderr}")

    # 5. matched lists a field once.
    dup_rule = os.path.join(tmp, "dup.yml")
    with open(dup_rule, "w") as f:
        f.write("title: Two selections on one field\nid: 5f0c1d2e-3a4b-4c5d-8e6f-7a8b9c0d1e2f\n"
                "logsource:\n  product: windows\n  category: process_creation\ndetection:\n"
                "  a:\n    CommandLine|contains: whoami\n  b:\n    CommandLine|contains: '/all'\n"
                "  c:\n    Image|endswith: '\\whoami.exe'\n  condition: a and b and c\nlevel: high\n")
    ev = os.path.join(tmp, "ev.json")
    with open(ev, "w") as f:
        f.write(json.dumps({"Event": {"System": {"Channel": "Microsoft-Windows-Sysmon/Operational",
                 "EventID": 1, "Computer": "ws1", "EventRecordID": 7,
                 "TimeCreated": {"#attributes": {"SystemTime": "2025-06-02T01:10:00Z"}}},
                 "EventData": {"Image": "C:\\Windows\\System32\\whoami.exe",
                               "CommandLine": "whoami /all", "User": "CORP\\bob"}}}) + "\n")
    out = run(["-r", dup_rule, ev]).stdout.decode()
    matched = dict(json.loads(out, object_pairs_hook=lambda kv: kv))["matched"] if out else None
    check([k for k, _ in matched] == ["CommandLine", "Image"], f"matched keys once each: {matched}")

    # 6. Columns and profiles, with the SigmaHQ rules that fire on a Security
    # log and a Zeek log (found once, then named alone to keep the runs short).
    evtx = os.path.join(logs, "deepbluecli-evtx/new-user-security.evtx")
    zeek = os.path.join(logs, "zed-sample-data/zeek-json/dce_rpc.json.gz")
    first = jsonl(run(["-r", os.path.join(shared, "sigma/rules"), "--no-event", evtx, zeek]).stdout)
    sig = sum((["-r", f] for f in sorted({a["rule"]["file"] for a in first})), [])
    std = jsonl(run([*sig, evtx]).stdout)
    check(len(std) >= 2, f"new-user-security.evtx: {len(std)} alerts")
    table = run([*sig, "-f", "table", evtx]).stdout.decode().splitlines()
    check(table[0].startswith("Timestamp") and "EventID" in table[0], f"table heading {table[:1]}")
    for a, row in zip(std, table[1:]):
        sysm = a["event"]["Event"]["System"]
        check(f"record {sysm['EventRecordID']}" in row and ":1 " not in row and
              sysm["Computer"] in row and str(sysm["EventID"]) in row and a["timestamp"] in row,
              f"table row shows time, computer, event id and the EVTX record: {row}")
    rows = list(csv.DictReader(io.StringIO(run([*sig, "-f", "csv", evtx]).stdout.decode())))
    check(len(rows) == len(std), "csv rows")
    for a, r in zip(std, rows):
        sysm, data = a["event"]["Event"]["System"], a["event"]["Event"]["EventData"]
        want = {"timestamp": a["timestamp"], "computer": sysm["Computer"], "channel": sysm["Channel"],
                "event_id": str(sysm["EventID"]), "record_id": str(sysm["EventRecordID"]),
                "level": a["rule"]["level"], "rule_title": a["rule"]["title"],
                "rule_id": a["rule"]["id"], "rule_file": a["rule"]["file"],
                "source_file": evtx, "line": "1", "index": str(a["source"]["index"])}
        check({k: r[k] for k in want} == want, f"csv columns {r} != {want}")
        check(f"TargetUserName: {data['TargetUserName']}" in r["details"] and
              f"SubjectUserName: {data['SubjectUserName']}" in r["details"], f"details {r['details']}")

    # verbose: the summary object (jsonl) and the extra columns (csv).
    verb = jsonl(run([*sig, "--profile", "verbose", evtx]).stdout)
    vrows = list(csv.DictReader(io.StringIO(
        run([*sig, "--profile", "verbose", "-f", "csv", evtx]).stdout.decode())))
    for a, v, r, vr in zip(std, verb, rows, vrows):
        check(v["summary"] == {"computer": r["computer"], "channel": r["channel"],
                               "event_id": r["event_id"], "record_id": r["record_id"],
                               "details": r["details"]} and
              {k: v[k] for k in a} == a, f"verbose jsonl {v}")
        check({k: vr[k] for k in r} == r and vr["timestamp_source"] == a["timestamp_source"] and
              json.loads(vr["matched"]) == a["matched"] and json.loads(vr["attack"]) == a["rule"]["attack"]
              and json.loads(vr["tags"]) == a["rule"]["tags"] and json.loads(vr["logsource"]) == a["logsource"]
              and vr["intel"] == "", f"verbose csv {vr}")
    check(len(verb) == len(vrows) == len(std), "verbose: one alert each")

    def ts_us(a):
        return ms_of(a["timestamp"]) * 1000

    std2 = jsonl(run([*sig, evtx, zeek]).stdout)
    ts_csv = list(csv.DictReader(io.StringIO(
        run([*sig, "--profile", "timesketch", "-f", "csv", evtx, zeek]).stdout.decode())))
    ts_json = jsonl(run([*sig, "--profile", "timesketch", evtx, zeek]).stdout)
    ecs = jsonl(run([*sig, "--profile", "ecs", evtx, zeek]).stdout)
    sev = {"informational": 1, "low": 21, "medium": 47, "high": 73, "critical": 99}
    check(len(ecs) == len(std2), "ecs: one document per alert")
    for a, x in zip(std2, ecs):
        ls = a["logsource"]
        techniques = sorted({t.split(".")[0] for t in a["rule"]["attack"] if t.startswith("T")})
        ok = (x["@timestamp"] == a["timestamp"] and x["message"] == a["rule"]["title"]
              and x["event"]["kind"] == "alert" and x["event"]["severity"] == sev[a["rule"]["level"]]
              and x["event"]["module"] == ls["product"]
              and x["event"]["dataset"] == ls["product"] + "." + ls["service"]
              and json.loads(x["event"]["original"]) == a["event"]
              and x["rule"] == {"id": a["rule"]["id"], "name": a["rule"]["title"], "ruleset": "sigma"}
              and x["log"] == {"level": a["rule"]["level"], "file": {"path": a["source"]["file"]}}
              and x["tags"] == a["rule"]["tags"]
              and sorted(x.get("threat", {}).get("technique", {}).get("id", [])) == techniques
              and x["yagura"]["matched"] == a["matched"]
              and x["yagura"]["timestamp_source"] == a["timestamp_source"]
              and x["yagura"]["rule_file"] == a["rule"]["file"]
              and x["yagura"]["source"] == a["source"])
        e = a["event"]
        if "Event" in e:
            sysm, data = e["Event"]["System"], e["Event"]["EventData"]
            ok = ok and x["host"]["name"] == sysm["Computer"] and x["event"]["code"] == str(sysm["EventID"]) \
                and x["winlog"] == {"channel": sysm["Channel"], "record_id": str(sysm["EventRecordID"])} \
                and x["user"]["name"] == data["TargetUserName"]
        else:
            ok = ok and x["source"]["ip"] == e["id.orig_h"] and x["destination"]["ip"] == e["id.resp_h"] \
                and "host" not in x and "winlog" not in x
        check(ok, f"ecs document {x} vs alert {a}")
    p = run([*sig, "--profile", "ecs", "-f", "csv", evtx])
    check(p.returncode == 2 and b"JSON lines only" in p.stderr, "ecs refuses csv")
    p = run([*sig, "--profile", "splunk", evtx])
    check(p.returncode == 2 and b"not standard, verbose, timesketch or ecs" in p.stderr, "unknown profile")

    # A correlation in the timesketch profile: its last event's time, the rule and its group.
    p = run(["-r", corr_rule, "--profile", "timesketch", "-f", "csv", spray])
    crow = list(csv.DictReader(io.StringIO(p.stdout.decode())))
    check(len(crow) == len(corr) and all(r["timestamp_desc"] == "Correlation Last Event" and
          r["channel"] == "correlation" and r["datetime"] == c["timestamp"] for r, c in zip(crow, corr)),
          f"timesketch correlation rows {crow[:1]}")

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
