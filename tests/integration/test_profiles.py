#!/usr/bin/env python3
"""Alert columns, output profiles, --timezone and `matched`.

1. `--timezone`: FortiGate's eventtime and tz win; a zone-less FortiGate
   time is read in the zone; a UTC-by-definition source (Microsoft 365) is
   not moved; a zone that does not exist is exit 2 with the reason.
2. `matched` never repeats a key (two selections on one field).
3. CSV and table columns (the table shows the EVTX record); the verbose
   profile; the timesketch CSV and JSONL and the ecs JSONL, field by field
   against the standard alert of the same event; a correlation in the
   timesketch profile.
"""
import csv
import io
import json
import os
import sys
import tempfile

from timeline_common import RFC3339MS, Checks, catch_all_rules, jsonl, logs, ms_of, run, shared, src

check = Checks()

with tempfile.TemporaryDirectory() as tmp:
    every = os.path.join(tmp, "every")
    os.makedirs(every)
    catch_all_rules(every)
    spray = os.path.join(logs, "deepbluecli-evtx/password-spray.evtx")
    corr_rule = os.path.join(src, "tests/correlation/password_spray.yml")
    corr = [a for a in jsonl(run(["-r", corr_rule, "--no-event", spray]).stdout) if "correlation" in a]
    check(len(corr) > 0 and all(RFC3339MS.fullmatch(a["timestamp"]) for a in corr),
          "correlation alerts of the spray")

    # 1. --timezone.
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

    # 2. matched lists a field once.
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

    # 3. Columns and profiles, with the SigmaHQ rules that fire on a Security
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

sys.exit(check.done())
