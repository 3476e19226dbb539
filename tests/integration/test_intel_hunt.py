#!/usr/bin/env python3
"""Threat intelligence in `yagura intel check` and `yagura hunt --intel`.

1. Every file of ../shared/intel loads (STIX examples, MISP events, ESET and Cybereason lists,
   Volexity's Ivanti CSVs): the counts per source, the MISP to_ids skips, the unsupported STIX
   patterns reported with file:line:col; the repository's packs (intel/) load without a problem.
2. Events shaped like real records (Sysmon network/DNS/process as evtx_dump JSON, a FortiGate
   syslog line, a Microsoft 365 audit record) carrying chosen indicators of each source fire
   the built-in intel rules with the right indicator id, source and TLP; every indicator of a
   value shared by several sources is reported.
3. An indicator past its valid_until does not fire on an event after it, and does on an event
   before it (validity at the event's time).
4. An intel hit feeds a correlation rule (event_count over yagura_intel_ip).
5. Benign events do not fire.
"""
import json
import os
import subprocess
import sys
import tempfile

yagura = os.environ["YAGURA"]
shared = os.environ["YG_SHARED_DIR"]
src = os.environ["YG_SOURCE_DIR"]
intel = os.path.join(shared, "intel")
passed = failed = 0


def check(ok, msg):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAIL", msg)


def run(*args):
    p = subprocess.run([yagura, *args], capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


# ---- 1. loading -----------------------------------------------------------
rc, out, err = run("intel", "check", "--json", intel)
check(rc == 1, "intel check of the shared folder exits 1 (some patterns unsupported): %d %s" % (rc, err))
rep = json.loads(out)
src_counts = rep["by_source"]
check(rep["indicators"] >= 380, "indicators loaded: %d" % rep["indicators"])
check(rep["files"] >= 30, "files read: %d" % rep["files"])
for name, least in (("ESET", 70), ("CIRCL", 3), ("Stark Industries", 1),
                    ("The MITRE Corporation - DHS Support Team", 2),
                    ("volexity-2024-01-10/iocs.csv", 16), ("volexity-2024-01-18/iocs.csv", 25),
                    ("iocs/generated_dga_domains.txt", 139), ("eset-mirrorface/samples.sha256", 5)):
    check(src_counts.get(name, 0) >= least, "source %s: %s" % (name, src_counts.get(name)))
check(rep["skipped_not_ids"] >= 5, "MISP to_ids false skipped: %d" % rep["skipped_not_ids"])
check(rep["by_type"]["hash"] >= 100 and rep["by_type"]["ip"] >= 50 and rep["by_type"]["url"] >= 2,
      "types: %s" % rep["by_type"])
unsup = [p for p in rep["problems"] if p["kind"] == "unsupported" and p["pattern"]]
check(any("MATCHES" in p["pattern"] for p in unsup), "MATCHES patterns reported unsupported")
check(all(p["line"] > 0 and p["column"] > 0 and p["object_id"] for p in unsup),
      "unsupported patterns carry line, column and object id")
bad = [p for p in rep["problems"] if p["kind"] == "error"]
check(any("autuo.xicp.net" in p["message"] for p in bad), "the malformed poisonivy domain is an error")

rc, out, err = run("intel", "check", "--json", os.path.join(src, "intel"))
pack = json.loads(out)
check(rc == 0 and pack["errors"] == 0 and pack["unsupported"] == 0, "packs load cleanly: %d %s" % (rc, err))
check(pack["by_source"].get("Cybereason", 0) >= 150 and pack["by_source"].get("ESET", 0) >= 20 and
      pack["by_source"].get("Volexity", 0) >= 41, "pack sources: %s" % pack["by_source"])

# ---- 2. events ----------------------------------------------------------------


def sysmon(eid, when, data, rec=1):
    return json.dumps({"Event": {
        "#attributes": {"xmlns": "http://schemas.microsoft.com/win/2004/08/events/event"},
        "System": {"Provider": {"#attributes": {"Name": "Microsoft-Windows-Sysmon",
                                                "Guid": "5770385F-C22A-43E0-BF4C-06F5698FFBD9"}},
                   "EventID": eid, "Version": 5, "Level": 4, "Task": eid, "Opcode": 0,
                   "Keywords": "0x8000000000000000",
                   "TimeCreated": {"#attributes": {"SystemTime": when}},
                   "EventRecordID": rec, "Correlation": None,
                   "Execution": {"#attributes": {"ProcessID": 3324, "ThreadID": 4076}},
                   "Channel": "Microsoft-Windows-Sysmon/Operational", "Computer": "WS01.corp.example",
                   "Security": {"#attributes": {"UserID": "S-1-5-18"}}},
        "EventData": data}})


def net(dst_ip, dst_host="", src_ip="10.20.30.40", when="2024-01-12T10:00:00.000Z", rec=1):
    return sysmon(3, when, {"RuleName": "-", "UtcTime": when[:19].replace("T", " "),
                            "ProcessGuid": "{a1b2c3d4-0000-0000-0000-000000000001}", "ProcessId": 4242,
                            "Image": "C:\\Users\\alice\\AppData\\Local\\Temp\\svc.exe", "User": "CORP\\alice",
                            "Protocol": "tcp", "Initiated": True, "SourceIsIpv6": False,
                            "SourceIp": src_ip, "SourceHostname": "WS01.corp.example", "SourcePort": 50123,
                            "SourcePortName": "-", "DestinationIsIpv6": False, "DestinationIp": dst_ip,
                            "DestinationHostname": dst_host, "DestinationPort": 443,
                            "DestinationPortName": "https"}, rec)


def dns(name, when="2024-01-12T10:00:01.000Z"):
    return sysmon(22, when, {"RuleName": "-", "UtcTime": when[:19].replace("T", " "),
                             "ProcessGuid": "{a1b2c3d4-0000-0000-0000-000000000002}", "ProcessId": 4242,
                             "QueryName": name, "QueryStatus": "0", "QueryResults": "::ffff:192.0.2.10;",
                             "Image": "C:\\Windows\\System32\\svchost.exe", "User": "NT AUTHORITY\\SYSTEM"})


def proc(hashes, when="2024-01-12T10:00:02.000Z"):
    return sysmon(1, when, {"RuleName": "-", "UtcTime": when[:19].replace("T", " "),
                            "ProcessGuid": "{a1b2c3d4-0000-0000-0000-000000000003}", "ProcessId": 5000,
                            "Image": "C:\\Users\\Public\\K7SysMon.exe", "FileVersion": "-",
                            "CommandLine": "C:\\Users\\Public\\K7SysMon.exe", "CurrentDirectory": "C:\\Users\\Public\\",
                            "User": "CORP\\alice", "LogonId": "0x3e7", "IntegrityLevel": "Medium",
                            "Hashes": hashes, "ParentImage": "C:\\Windows\\explorer.exe",
                            "ParentCommandLine": "C:\\Windows\\explorer.exe"})


def m365(ip):
    return json.dumps({"CreationTime": "2024-01-12T10:05:00", "Id": "5b4b1a2c-0000-4000-8000-000000000001",
                       "Operation": "UserLoggedIn", "OrganizationId": "00000000-0000-0000-0000-000000000000",
                       "RecordType": 15, "ResultStatus": "Success", "UserKey": "1003200000000000",
                       "UserType": 0, "Version": 1, "Workload": "AzureActiveDirectory",
                       "ClientIP": ip, "ObjectId": "00000003-0000-0ff1-ce00-000000000000",
                       "UserId": "alice@corp.example", "AzureActiveDirectoryEventType": 1})


# Source files whose defaults (source, TLP) the hits must show.
ioc_dir = os.path.join(intel, "intel-ivanti")
mf = os.path.join(intel, "intel-mirrorface")
with tempfile.TemporaryDirectory() as tmp:
    ev = os.path.join(tmp, "events.jsonl")
    lines = [
        net("206.189.208.156", rec=1),                      # Volexity (CSV)
        net("192.0.2.200", "c2.gpoaccess.com", rec=2),        # Volexity domain, via a subdomain
        dns("www.aesorunwe.com"),                             # ESET README network indicator (pack)
        dns("www.aceaeianjqtch.com"),                         # Cybereason DGA (plain list)
        proc("SHA1=0000000000000000000000000000000000000000,MD5=EA474E87F23CE6575057E76108665FFB,"
             "SHA256=00,IMPHASH=00"),                          # Cybereason hash (plain list)
        proc("SHA256=2B0635ECDCAC6C4A9DDE337E76C6107012CD6511796B83603B4DBFBD8878DDD6"),  # ESET
        net("223.167.9.9", rec=3),                            # APT1 report CIDR 223.166.0.0/15
        # benign
        net("10.1.1.1", "intranet.corp.example", rec=4),
        dns("www.microsoft.com"),
        proc("SHA1=1111111111111111111111111111111111111111,MD5=22222222222222222222222222222222"),
    ]
    with open(ev, "w") as f:
        f.write("\n".join(lines) + "\n")
    o365 = os.path.join(tmp, "audit.json")
    with open(o365, "w") as f:
        f.write(m365("10.0.0.0") + "\n" + m365("198.51.100.99") + "\n")  # STIX examples; benign
    forti = os.path.join(tmp, "fortigate.log")
    with open(forti, "w") as f:
        f.write('<189>date=2024-01-12 time=10:06:00 devname="FGT60F" devid="FGT60FTK0000000" '
                'logid="0000000013" type="traffic" subtype="forward" level="notice" vd="root" '
                'eventtime=1705053960000000000 srcip=10.20.30.40 srcport=50999 srcintf="internal" '
                'dstip=45.32.13.180 dstport=443 dstintf="wan1" proto=6 action="accept" '
                'policyid=1 service="HTTPS" sentbyte=1200 rcvdbyte=3400\n')
        f.write('<189>date=2024-01-12 time=10:06:01 devname="FGT60F" devid="FGT60FTK0000000" '
                'logid="0000000013" type="traffic" subtype="forward" level="notice" vd="root" '
                'eventtime=1705053961000000000 srcip=10.20.30.40 srcport=51000 srcintf="internal" '
                'dstip=93.184.216.34 dstport=443 dstintf="wan1" proto=6 action="accept" '
                'policyid=1 service="HTTPS" sentbyte=1200 rcvdbyte=3400\n')
    sources = [os.path.join(intel, "intel-ivanti"), os.path.join(mf, "cybereason-cuckoospear"),
               os.path.join(intel, "misp-events"), os.path.join(intel, "stix-examples"),
               os.path.join(src, "intel", "mirrorface")]
    args = ["hunt", "-q", "--no-event", "-t", "2", "-r", os.path.join(tmp, "none")]
    os.mkdir(os.path.join(tmp, "none"))
    # Indicator hits only: one rule that never matches (a rule path that
    # loads nothing is refused).
    with open(os.path.join(tmp, "none", "never.yml"), "w") as f:
        f.write("title: Never\nid: 00000000-0000-4000-8000-00000000abcd\nlevel: low\n"
                "logsource: {product: yagura-test}\ndetection:\n  sel:\n    Never: never\n"
                "  condition: sel\n")
    for s in sources:
        args += ["--intel", s]
    rc, out, err = run(*args, ev, forti, o365)
    alerts = [json.loads(l) for l in out.splitlines()]
    check(rc == 1, "hunt with intel exits 1 (alerts): %d %s" % (rc, err))

    def hits(line=None, file=None):
        return [a for a in alerts if "intel" in a and (line is None or a["source"]["line"] == line)
                and (file is None or a["source"]["file"].endswith(file))]

    def has(line, value, source, tlp, file="events.jsonl", rule="yagura_intel"):
        for a in hits(line, file):
            i = a["intel"]
            if i["value"] == value and i["source"] == source and i["tlp"] == tlp:
                return a
        return None

    a = has(1, "206.189.208.156", "volexity-2024-01-10/iocs.csv", "TLP:AMBER")
    check(a is not None, "Volexity IP fires from its CSV: %s" % hits(1))
    a = has(1, "206.189.208.156", "Volexity", "TLP:CLEAR")
    check(a is None, "the mirrorface pack holds no Volexity indicator")
    a1 = hits(1)[0] if hits(1) else None
    check(a1 and a1["rule"]["title"] == "Threat intelligence: ip indicator" and
          a1["rule"]["id"] == "53029179-8e5d-557c-8e4a-fdcf63c693fa" and a1["rule"]["level"] == "high" and
          a1["matched"] == {"DestinationIp": "206.189.208.156"} and
          a1["logsource"].get("category") == "network_connection",
          "ip hit as an alert of the built-in rule: %s" % a1)
    check(has(2, "gpoaccess.com", "volexity-2024-01-10/iocs.csv", "TLP:AMBER") is not None,
          "a subdomain hits the domain indicator: %s" % hits(2))
    a = has(3, "www.aesorunwe.com", "ESET", "TLP:CLEAR")
    check(a is not None and a["intel"]["indicator_id"].startswith("indicator--") and
          a["intel"].get("confidence") == 85, "ESET network indicator from the pack: %s" % hits(3))
    check(has(4, "www.aceaeianjqtch.com", "iocs/generated_dga_domains.txt", "TLP:AMBER") is not None,
          "Cybereason DGA domain: %s" % hits(4))
    a = has(5, "ea474e87f23ce6575057e76108665ffb", "iocs/discovered_iocs.txt", "TLP:AMBER")
    check(a is not None and a["intel"]["hash_kind"] == "md5", "Cybereason MD5 in Sysmon Hashes: %s" % hits(5))
    check(has(5, "ea474e87f23ce6575057e76108665ffb", "Cybereason", "TLP:CLEAR") is not None,
          "the same MD5 from the MirrorFace pack, reported as well")
    # ESET SHA-256 2b0635ec... is in samples.sha256 (pack, TLP:CLEAR).
    check(has(6, "2b0635ecdcac6c4a9dde337e76c6107012cd6511796b83603b4dbfbd8878ddd6", "ESET",
              "TLP:CLEAR") is not None, "ESET SHA-256 from the pack: %s" % hits(6))
    stark = has(1, "10.0.0.0", "Stark Industries", "TLP:AMBER", file="audit.json")
    check(stark is not None and stark["intel"]["indicator_id"] ==
          "indicator--33fe3b22-0201-47cf-85d0-97c02164528d", "STIX TLP 1.0 amber marking and identity: %s"
          % [h["intel"] for h in hits(1, "audit.json")])
    check(has(1, "10.0.0.0", "The MITRE Corporation - DHS Support Team", "TLP:AMBER",
              file="audit.json") is not None, "every source of a shared value is reported")
    check(len(hits(1, "audit.json")) >= 4, "one hit per indicator: %d" % len(hits(1, "audit.json")))
    check(hits(1, "audit.json") and hits(1, "audit.json")[0]["matched"] == {"ClientIP": "10.0.0.0"},
          "M365 ClientIP checked")
    check(has(7, "223.166.0.0/15", "threat-reports/apt1.json", "TLP:AMBER") is not None,
          "APT1 CIDR range: %s" % hits(7))
    check(has(1, "45.32.13.180", "ESET", "TLP:CLEAR", file="fortigate.log") is not None,
          "FortiGate dstip hits the ESET C&C address: %s" % hits(file="fortigate.log"))
    check(not hits(8) and not hits(9) and not hits(10) and not hits(2, "audit.json") and
          not hits(2, "fortigate.log"), "benign events do not fire: %s" % hits(8))

    # ---- 3. expiry at the event's time --------------------------------------
    feed = os.path.join(tmp, "expiring.csv")
    with open(feed, "w") as f:
        f.write("type,value,source,tlp,valid_until,id\n"
                "ip,198.18.0.66,expiry-feed,green,2023-06-30T00:00:00Z,exp-1\n")
    ev2 = os.path.join(tmp, "expiry.jsonl")
    with open(ev2, "w") as f:
        f.write(net("198.18.0.66", when="2024-01-12T10:00:00.000Z") + "\n")
        f.write(net("198.18.0.66", when="2023-01-12T10:00:00.000Z") + "\n")
    rc, out, err = run("hunt", "-q", "--no-event", "-r", os.path.join(tmp, "none"), "--intel", feed, ev2)
    al = [json.loads(l) for l in out.splitlines()]
    check(len(al) == 1 and al[0]["source"]["line"] == 2 and al[0]["intel"]["indicator_id"] == "exp-1" and
          al[0]["intel"]["tlp"] == "TLP:GREEN" and al[0]["intel"]["valid_until"].startswith("2023-06-30"),
          "expired indicator fires only before valid_until: %s" % al)

    # ---- 4. correlation over intel hits --------------------------------------
    corr = os.path.join(tmp, "corr.yml")
    with open(corr, "w") as f:
        f.write("title: Repeated connections to known-bad addresses\n"
                "id: 9d9a4bde-1f65-4d3a-9d3e-5a1c8f0e7a11\n"
                "status: experimental\n"
                "correlation:\n"
                "  type: event_count\n"
                "  rules: [yagura_intel_ip]\n"
                "  group-by: [SourceIp]\n"
                "  timespan: 10m\n"
                "  condition: {gte: 3}\n"
                "level: critical\n")
    ev3 = os.path.join(tmp, "corr.jsonl")
    with open(ev3, "w") as f:
        for i, ip in enumerate(["206.189.208.156", "75.145.243.85", "47.207.9.89"]):
            f.write(net(ip, src_ip="10.9.9.9", when="2024-01-12T10:0%d:00.000Z" % i, rec=10 + i) + "\n")
        f.write(net("206.189.208.156", src_ip="10.8.8.8", when="2024-01-12T10:04:00.000Z", rec=20) + "\n")
    rc, out, err = run("hunt", "-q", "--no-event", "-r", corr, "--intel", os.path.join(intel, "intel-ivanti"), ev3)
    al = [json.loads(l) for l in out.splitlines()]
    cors = [a for a in al if "correlation" in a]
    check(len(cors) == 1 and "10.9.9.9" in json.dumps(cors[0]),
          "event_count over yagura_intel_ip fires once for 10.9.9.9: rc %d %s %s" % (rc, cors, err))

print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
