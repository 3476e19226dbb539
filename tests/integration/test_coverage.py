#!/usr/bin/env python3
"""Every log source of SigmaHQ's rules, what serves it, and docs/coverage.md.

The test lists the `logsource` of every rule under <shared>/sigma/rules*
(all products) with its number of rules, and for each finds what serves it:

* Windows: a route of mappings/windows.yml (a channel whose service it is, a
  category entry's channel and event id).  An event of that channel and id,
  written here, must come out of `yagura decode` with that log source.
* Any other product: a decoder, proven by a record below: `yagura decode -f
  FORMAT` must give it a log source the rules' log source selects.
* Otherwise a reason from NOT_SERVED.

It fails when a log source has neither a route nor a reason (a Windows
channel added to SigmaHQ and not to the mapping), when a route or decoder no
longer gives its log source (a route lost), when a reason names a log source
that is now served, and when docs/coverage.md is not what it generates
(YG_UPDATE_DOCS=1 rewrites it).
"""
import collections
import json
import os
import subprocess
import sys
import tempfile

import yaml

yagura = os.environ["YAGURA"]
shared = os.environ["YG_SHARED_DIR"]
src = os.environ["YG_SOURCE_DIR"]
sigma = os.path.join(shared, "sigma")
passed = failed = 0


def check(ok, msg):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAIL", msg)


# A record per decoder and log source: (format, line).  Written after vendor
# documentation layouts; the smallest record the decoder accepts for it.
SYSLOG = "Mar  5 10:11:12 web01 "
SAMPLES = [
    ("syslog", SYSLOG + "sshd[811]: Failed password for root from 203.0.113.9 port 51514 ssh2"),
    ("syslog", SYSLOG + "sudo: alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/id"),
    ("syslog", SYSLOG + "CRON[2211]: (root) CMD (run-parts /etc/cron.hourly)"),
    ("syslog", SYSLOG + "su[902]: pam_unix(su:session): session opened for user root by alice(uid=1000)"),
    ("syslog", SYSLOG + "vsftpd[77]: [ftp] OK LOGIN: Client \"203.0.113.9\", anon password \"x\""),
    ("syslog", SYSLOG + "clamd[410]: /tmp/eicar.com: Eicar-Signature FOUND"),
    ("syslog", SYSLOG + "guacd[1220]: User \"alice\" joined connection \"$abc\" (1 users now present)"),
    ("syslog", SYSLOG + "kernel: [ 12.345] usb 1-1: new high-speed USB device number 2"),
    ("combined", '203.0.113.9 - - [05/Mar/2024:10:11:12 +0000] "GET /index.php HTTP/1.1" 200 512 "-" "curl/8.0"'),
    ("combined", "[Tue Mar 05 10:11:12.123456 2024] [core:error] [pid 4242] [client 203.0.113.9:5151] AH00126: Invalid URI in request"),
    ("combined", "2024/03/05 10:11:12 [error] 811#811: *1 open() \"/usr/share/nginx/html/x\" failed (2: No such file or directory), client: 203.0.113.9, server: _, request: \"GET /x HTTP/1.1\", host: \"web01\""),
    ("w3c", "#Software: Microsoft Internet Information Services 10.0\n#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) sc-status\n2024-03-05 10:11:12 10.0.0.5 GET /default.aspx - 443 - 203.0.113.9 curl/8.0 200"),
    ("fortigate", 'date=2024-03-05 time=10:11:12 logid="0100044547" type="event" subtype="system" level="information" vd="root" action="Edit" cfgpath="system.admin" msg="x"'),
    ("zeek_json", '{"ts":1709633472.0,"_path":"dce_rpc","uid":"C1","id.orig_h":"10.0.0.5","id.orig_p":50123,"id.resp_h":"10.0.0.6","id.resp_p":135,"endpoint":"svcctl","operation":"CreateServiceW"}'),
    ("zeek_json", '{"ts":1709633472.0,"_path":"dns","uid":"C2","id.orig_h":"10.0.0.5","id.orig_p":50124,"id.resp_h":"10.0.0.53","id.resp_p":53,"query":"example.com"}'),
    ("zeek_json", '{"ts":1709633472.0,"_path":"http","uid":"C3","id.orig_h":"10.0.0.5","id.orig_p":50125,"id.resp_h":"10.0.0.80","id.resp_p":80,"method":"GET","uri":"/"}'),
    ("zeek_json", '{"ts":1709633472.0,"_path":"kerberos","uid":"C4","id.orig_h":"10.0.0.5","id.orig_p":50126,"id.resp_h":"10.0.0.2","id.resp_p":88,"request_type":"TGS"}'),
    ("zeek_json", '{"ts":1709633472.0,"_path":"rdp","uid":"C5","id.orig_h":"10.0.0.5","id.orig_p":50127,"id.resp_h":"10.0.0.7","id.resp_p":3389,"cookie":"alice"}'),
    ("zeek_json", '{"ts":1709633472.0,"_path":"smb_files","uid":"C6","id.orig_h":"10.0.0.5","id.orig_p":50128,"id.resp_h":"10.0.0.8","id.resp_p":445,"action":"SMB::FILE_OPEN","name":"x.exe"}'),
    ("zeek_json", '{"ts":1709633472.0,"_path":"x509","id":"F1","certificate.subject":"CN=example.com"}'),
    ("m365", '{"CreationTime":"2024-03-05T10:11:12","Id":"a1","Operation":"FileAccessed","OrganizationId":"o1","RecordType":6,"UserId":"alice@example.com","Workload":"SharePoint"}'),
    ("m365", '{"CreationTime":"2024-03-05T10:11:12","Id":"a2","Operation":"New-InboxRule","OrganizationId":"o1","RecordType":1,"UserId":"alice@example.com","Workload":"Exchange"}'),
    ("m365", '{"CreationTime":"2024-03-05T10:11:12","Id":"a3","Operation":"AlertTriggered","OrganizationId":"o1","RecordType":40,"UserId":"SecurityComplianceAlerts","Workload":"SecurityComplianceCenter","AlertId":"x","Name":"Suspicious email sending patterns detected","Category":"ThreatManagement"}'),
    ("m365", '{"CreationTime":"2024-03-05T10:11:12","Id":"a4","Operation":"AlertTriggered","OrganizationId":"o1","RecordType":40,"UserId":"SecurityComplianceAlerts","Workload":"SecurityComplianceCenter","AlertId":"y","Name":"Activity from infrequent country","Category":"ThreatDetection"}'),
    ("entra", '{"time":"2024-03-05T10:11:12Z","category":"SignInLogs","operationName":"Sign-in activity","properties":{"userPrincipalName":"alice@example.com","appDisplayName":"Azure Portal","status":{"errorCode":0}}}'),
    ("entra", '{"time":"2024-03-05T10:11:12Z","category":"AuditLogs","operationName":"Add member to role","properties":{"activityDisplayName":"Add member to role","loggedByService":"Core Directory"}}'),
    ("cisco_ios", "000013: *Mar  1 18:46:11: %SYS-5-CONFIG_I: Configured from console by vty2 (10.34.195.36)"),
    ("cisco_ios", "%PARSER-5-CFGLOG_LOGGEDCMD: User:cisco  logged command:no logging console"),
    ("cisco_ios", "*Mar  1 00:01:02: %TCP-6-BADAUTH: Invalid MD5 digest from 192.0.2.1(179) to 192.0.2.2(11003)"),
    ("cisco_ios", "%LDP-5-NBRCHG: LDP Neighbor 192.0.2.9:0 (1) is DOWN (TCPMD5AuthenFail)"),
    ("entra", '{"id":"r1","riskEventType":"unlikelyTravel","riskState":"atRisk","userPrincipalName":"alice@example.com"}'),
]

# Log sources no decoder or channel serves, and why.  A key is
# (product, service, category) with None for a key the rules leave unset.
NOT_SERVED = {
    ("aws", "cloudtrail", None): "no AWS CloudTrail decoder",
    ("azure", "activitylogs", None): "no Azure Activity log decoder (the Entra decoder reads sign-in, audit and risk logs)",
    ("azure", "pim", None): "no Entra Privileged Identity Management alert decoder",
    ("bitbucket", "audit", None): "no Bitbucket audit log decoder",
    ("cisco", "duo", None): "no Cisco Duo admin log decoder",
    ("django", None, "application"): "no decoder: JSON application logs run with --logsource, text ones with --input-format text --logsource",
    ("fortios", "sslvpnd", None): "FortiGate records are product fortigate (the SigmaHQ FortiGate folder's name); this rule's fortios product names no decoder",
    ("gcp", "gcp.audit", None): "no Google Cloud audit log decoder",
    ("gcp", "google_workspace.admin", None): "no Google Workspace decoder",
    ("gcp", "google_workspace.login", None): "no Google Workspace decoder",
    ("github", "audit", None): "no GitHub audit log decoder",
    ("huawei", "bgp", None): "no Huawei VRP syslog decoder",
    ("juniper", "bgp", None): "no Junos syslog decoder",
    ("jvm", None, "application"): "no decoder: JSON application logs run with --logsource, text ones with --input-format text --logsource",
    ("kubernetes", "audit", "application"): "no Kubernetes audit log decoder (its JSON runs with --logsource)",
    ("kubernetes", "audit", None): "no Kubernetes audit log decoder (its JSON runs with --logsource)",
    ("linux", "auditd", None): "no auditd decoder",
    ("linux", None, "file_event"): "Linux EDR events (Sysmon for Linux): no decoder for their syslog-wrapped XML",
    ("linux", None, "network_connection"): "Linux EDR events (Sysmon for Linux): no decoder for their syslog-wrapped XML",
    ("linux", None, "process_creation"): "Linux EDR events (Sysmon for Linux, auditd EXECVE): no decoder",
    ("macos", None, "file_event"): "macOS endpoint events (ESF): no decoder",
    ("macos", None, "process_creation"): "macOS endpoint events (ESF): no decoder",
    ("nodejs", None, "application"): "no decoder: JSON application logs run with --logsource, text ones with --input-format text --logsource",
    ("okta", "okta", None): "no Okta System Log decoder",
    ("onelogin", "onelogin.events", None): "no OneLogin event decoder",
    ("opencanary", None, "application"): "OpenCanary JSON: run it with --input-format json --logsource product=opencanary,category=application",
    ("paloalto", "globalprotect", "appliance"): "the PAN-OS decoder gives GlobalProtect records no category",
    ("paloalto", "globalprotect", "file_event"): "GlobalProtect client file events: no decoder",
    ("python", None, "application"): "no decoder: JSON application logs run with --logsource, text ones with --input-format text --logsource",
    ("qualys", None, None): "no Qualys decoder",
    ("rpc_firewall", None, "application"): "RPC Firewall events are Windows Application-log events of their own provider; rules name product rpc_firewall, which no route gives",
    ("ruby_on_rails", None, "application"): "no decoder: JSON application logs run with --logsource, text ones with --input-format text --logsource",
    ("spring", None, "application"): "no decoder: JSON application logs run with --logsource, text ones with --input-format text --logsource",
    ("sql", None, "application"): "no decoder: JSON application logs run with --logsource, text ones with --input-format text --logsource",
    ("velocity", None, "application"): "no decoder: JSON application logs run with --logsource, text ones with --input-format text --logsource",
    ("windows", "microsoft-servicebus-client", None): "the taxonomy's service for these channels is servicebus-client, which they get; this rule names another",
    (None, "netflow", None): "no NetFlow/IPFIX decoder",
    (None, None, "antivirus"): "antivirus is a category of Windows Defender events (product windows); vendor AV logs have no decoder",
    (None, None, "database"): "no database audit log decoder",
    (None, None, "firewall"): "no generic firewall category: appliance decoders give their vendor's product",
    (None, None, "proxy"): "no web proxy decoder (Squid, Zscaler, Bluecoat)",
}


def rule_logsources():
    c = collections.Counter()
    for d in sorted(os.listdir(sigma)):
        if not d.startswith("rules"):
            continue
        for root, _, files in os.walk(os.path.join(sigma, d)):
            for f in files:
                if not f.endswith(".yml"):
                    continue
                with open(os.path.join(root, f), encoding="utf-8") as fh:
                    for doc in yaml.safe_load_all(fh):
                        if isinstance(doc, dict) and isinstance(doc.get("logsource"), dict):
                            ls = doc["logsource"]
                            c[(ls.get("product"), ls.get("service"), ls.get("category"))] += 1
    return c


def selects(rule_ls, ev_ls):
    """Whether a rule of log source rule_ls runs on an event of log source ev_ls."""
    p, s, c = rule_ls
    cats = ev_ls.get("category") or []
    if isinstance(cats, str):
        cats = [cats]
    return ((p is None or ev_ls.get("product") == p) and (s is None or ev_ls.get("service") == s)
            and (c is None or c in cats))


def decode(args, text, tmp, name):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write(text)
    p = subprocess.run([yagura, "decode", "-q", "-t", "1"] + args + [path], capture_output=True, text=True)
    return p.returncode, [json.loads(l)["logsource"] for l in p.stdout.splitlines()], p.stderr


with open(os.path.join(src, "mappings", "windows.yml"), encoding="utf-8") as f:
    win = yaml.safe_load(f)["windows"]
counts = rule_logsources()
served = {}  # log source -> what serves it

with tempfile.TemporaryDirectory() as tmp:
    # --- Windows routes, each tried on an event of its channel and id ---------
    events, claims = [], []
    for key in sorted((k for k in counts if k[0] == "windows"), key=str):
        _, svc, cat = key
        cands = []
        if cat:
            for e in win["categories"]:
                if e["category"] == cat:
                    cands.append((e["channel"], e["event_ids"][0], e.get("where") or {},
                                  f"{e['channel']} {', '.join(str(i) for i in e['event_ids'])}"))
        elif svc:
            cands = [(ch, 1, {}, ch) for ch, s in win["services"].items() if s == svc]
        else:
            cands = [("Security", 4624, {}, "every Windows channel")]
        for ch, eid, where, label in cands:
            events.append({"Event": {"System": {"Channel": ch, "EventID": eid}, "EventData": dict(where)}})
            claims.append((key, label))
    rc, ls, err = decode([], "".join(json.dumps(e) + "\n" for e in events), tmp, "win.json")
    check(rc == 0 and len(ls) == len(events), f"windows decode: exit {rc}, {len(ls)}/{len(events)} {err[-300:]}")
    for (key, label), got in zip(claims, ls):
        ok = selects(key, got)
        check(ok, f"windows route {label} gives {got}, not {key}")
        if ok:
            served.setdefault(key, []).append("channel " + label)

    # --- Line and JSON record decoders ----------------------------------------
    for i, (fmt, text) in enumerate(SAMPLES):
        rc, ls, err = decode(["-f", fmt], text + "\n", tmp, f"s{i}.log")
        check(rc == 0 and len(ls) == 1, f"{fmt} sample {i}: exit {rc}, {len(ls)} records {err[-300:]}")
        hits = [k for k in counts if k[0] != "windows" and ls and selects(k, ls[0])]
        check(hits, f"{fmt} sample {i} ({ls}) serves no SigmaHQ log source")
        for k in hits:
            if fmt not in served.get(k, []):
                served.setdefault(k, []).append(fmt)

for key in sorted(counts, key=str):
    name = ", ".join(f"{n}: {v}" for n, v in zip(("product", "service", "category"), key) if v)
    if key in served:
        check(key not in NOT_SERVED, f"{name} is served ({served[key]}): remove its reason")
    else:
        check(key in NOT_SERVED, f"{name} ({counts[key]} rules): no route, no decoder and no reason")
for key in NOT_SERVED:
    check(key in counts, f"reason for {key}, which no SigmaHQ rule uses")

# --- docs/coverage.md ---------------------------------------------------------
total = sum(counts.values())
nserved = sum(n for k, n in counts.items() if k in served)
lines = [
    "# SigmaHQ log-source coverage",
    "",
    "<!-- Generated by tests/integration/test_coverage.py (YG_UPDATE_DOCS=1 rewrites it); do not edit. -->",
    "",
    f"Every `logsource` of the SigmaHQ rules in the shared rule folders (`rules*`), the number of rules "
    f"that name it, and what serves it: a Windows channel of `mappings/windows.yml` (with the event "
    f"ids of a category) or a line decoder (`yagura decode --list`), each proven by the test on a "
    f"record of that source; or why nothing does. Line-based logs of a source without a decoder can "
    f"still be hunted with `--input-format text --logsource ...` (keyword rules). {nserved} of {total} rules have a served log source "
    f"({sum(1 for k in counts if k in served)} of {len(counts)} log sources).",
    "",
    "| product | service | category | rules | served by |",
    "| --- | --- | --- | ---: | --- |",
]
for key in sorted(counts, key=lambda k: tuple(x or "" for x in k)):
    p, s, c = (f"`{x}`" if x else "" for x in key)
    what = "; ".join(served[key]) if key in served else "not served: " + NOT_SERVED.get(key, "?")
    lines.append(f"| {p} | {s} | {c} | {counts[key]} | {what} |")
doc = "\n".join(lines) + "\n"
path = os.path.join(src, "docs", "coverage.md")
if os.environ.get("YG_UPDATE_DOCS") == "1":
    with open(path, "w", encoding="utf-8") as f:
        f.write(doc)
try:
    with open(path, encoding="utf-8") as f:
        current = f.read()
except FileNotFoundError:
    current = ""
check(current == doc, "docs/coverage.md is stale: run this test with YG_UPDATE_DOCS=1 and commit it")
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
