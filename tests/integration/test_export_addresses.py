#!/usr/bin/env python3
"""`yagura incidents export --derive-addresses` publishes public addresses only.

One account connects from addresses of every spelling the special-purpose
registries cover (private, shared, loopback, link-local, documentation,
benchmarking, "this network", unique-local, IPv4-mapped and IPv4-compatible
forms of private addresses, upper-case hex) and from three public ones.
The incident's export must derive an indicator for each public address, in
canonical text (an IPv4-mapped public address as its IPv4 address), and for
nothing else; each derived indicator passes the OASIS stix2-validator and
the report refers to it.
"""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import taxii_common as tc  # noqa: E402

tc.reexec()

from stix2validator import ValidationOptions, validate_instance  # noqa: E402

T = tc.Tally()
check = T.check
yagura = os.environ["YAGURA"]


def run(*args):
    return subprocess.run([yagura, *args], capture_output=True, text=True)


# Must never leave: the addresses of the report first.
INTERNAL = ["::FFFF:10.0.0.5", "0:0:0:0:0:ffff:10.0.0.5", "::ffff:a00:5", "0.1.2.3", "192.0.2.10",
            "198.18.0.1", "10.1.2.3", "172.16.0.9", "192.168.1.1", "100.64.0.1", "127.0.0.2",
            "169.254.3.3", "203.0.113.66", "198.51.100.7", "240.0.0.1", "224.0.0.251",
            "fe80::1", "fd00::5", "2001:db8::1", "::ffff:192.168.0.1", "64:ff9b::10.0.0.5",
            "::10.0.0.5", "[fe80::2]:443", "3fff::1"]
# Must leave, as these patterns.
PUBLIC = {"9.9.9.9": "[ipv4-addr:value = '9.9.9.9']",
          "::ffff:8.8.4.4": "[ipv4-addr:value = '8.8.4.4']",
          "2A00:1450:4001:80B::200E": "[ipv6-addr:value = '2a00:1450:4001:80b::200e']"}

RULE = """title: Export test connection
id: 7d0c5f8e-1b7a-4c55-9a55-2f7b0c1e9a01
status: test
logsource: {product: windows, category: network_connection}
detection:
  sel: {Image|endswith: '\\\\svc.exe'}
  condition: sel
level: high
"""


def event(i, ip):
    when = "2024-01-12T10:%02d:00.000Z" % i
    return json.dumps({"Event": {
        "System": {"Provider": {"#attributes": {"Name": "Microsoft-Windows-Sysmon"}},
                   "EventID": 3, "TimeCreated": {"#attributes": {"SystemTime": when}},
                   "EventRecordID": i + 1, "Channel": "Microsoft-Windows-Sysmon/Operational",
                   "Computer": "WS01.corp.example"},
        "EventData": {"UtcTime": when[:19].replace("T", " "), "ProcessId": 4242,
                      "Image": "C:\\Users\\alice\\AppData\\Local\\Temp\\svc.exe",
                      "User": "CORP\\alice", "Protocol": "tcp", "SourceIp": ip,
                      "SourcePort": 50123, "DestinationIp": "10.9.9.9", "DestinationPort": 443}}})


with tempfile.TemporaryDirectory() as tmp:
    rules = os.path.join(tmp, "rules")
    os.mkdir(rules)
    with open(os.path.join(rules, "r.yml"), "w") as f:
        f.write(RULE)
    ev = os.path.join(tmp, "events.jsonl")
    addrs = INTERNAL + list(PUBLIC)
    with open(ev, "w") as f:
        f.write("\n".join(event(i, ip) for i, ip in enumerate(addrs)) + "\n")
    db = os.path.join(tmp, "inc.db")
    r = run("hunt", "-q", "-r", rules, "--incidents", db, "-o", os.path.join(tmp, "a.jsonl"), ev)
    check(r.returncode == 1, f"hunt alerts: exit {r.returncode} {r.stderr[-400:]}")
    r = run("incidents", "list", "--db", db, "--json")
    check(r.returncode == 0, f"incidents list: exit {r.returncode} {r.stderr}")
    incs = [json.loads(l) for l in r.stdout.splitlines() if l.strip()]
    if incs and isinstance(incs[0], list):
        incs = incs[0]
    check(len(incs) >= 1, f"incidents ({len(incs)})")
    patterns, described = [], ""
    for inc in incs:
        out = os.path.join(tmp, inc["id"] + ".json")
        r = run("incidents", "export", inc["id"], "--db", db, "--derive-addresses", "-o", out)
        check(r.returncode == 0, f"export {inc['id']}: exit {r.returncode} {r.stderr}")
        if r.returncode:
            continue
        objs = json.load(open(out))["objects"]
        derived = [o for o in objs if o["type"] == "indicator" and o.get("pattern_type") == "stix"]
        patterns += [o["pattern"] for o in derived]
        for o in derived:
            res = validate_instance(o, ValidationOptions(version="2.1"))
            check(res.is_valid, f"stix2-validator: {o['id']}: {[str(e) for e in res.errors][:2]}")
        reps = [o for o in objs if o["type"] == "report"]
        check(reps and all(o["id"] in reps[0]["object_refs"] for o in derived),
              "the report refers to every derived indicator")
        described += " ".join(o.get("description", "") for o in objs if o["type"] == "incident")
    # The alerts did reach the incident with their addresses: the export is not empty by accident.
    check("9.9.9.9" in described and "10.0.0.5" in described,
          f"the incident names the public and the internal addresses: {described[:300]}")
    check(sorted(patterns) == sorted(PUBLIC.values()),
          f"derived exactly the public addresses: {sorted(patterns)}")
    for ip in INTERNAL:
        bare = ip.strip("[]").split("]")[0].lower()
        check(not any(bare in p.lower() for p in patterns), f"{ip} never derived")

T.done()
