#!/usr/bin/env python3
"""SigmaHQ's rules fire on the decoded sources where they should.

1. FortiGate: the seven SigmaHQ configuration-change rules each fire once on
   seven change records in the FortiOS Log Reference layout (log ids
   0100044546/0100044547; the shared FortiGate sample holds no configuration
   change), sent through a syslog header as a device would, and none fires on
   the real FortiGate sample.
2. Real samples: the whole SigmaHQ corpus over the shared Zeek, Entra ID,
   Suricata, appliance and Linux samples gives exactly the alerts below, per
   (rule, file); any other alert on these files fails the test.
"""
import json
import os
import subprocess
import sys
import tempfile

yagura = os.environ["YAGURA"]
shared = os.environ["YG_SHARED_DIR"]
# Rule folders with rule files (a -r that loads nothing is an error).
rules = [os.path.join(shared, "sigma", d) for d in sorted(os.listdir(os.path.join(shared, "sigma")))
         if d.startswith("rules")
         and any(f.endswith(".yml") for _, _, fs in os.walk(os.path.join(shared, "sigma", d)) for f in fs)]
passed = failed = 0

def check(ok, msg):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAIL", msg)

def hunt(paths, rule_paths):
    cmd = [yagura, "hunt", "-q", "--no-event", "-t", "2"]
    for r in rule_paths:
        cmd += ["-r", r]
    p = subprocess.run(cmd + paths, capture_output=True, text=True)
    return p.returncode, [json.loads(l) for l in p.stdout.splitlines()], p.stderr

# --- 1. FortiGate configuration changes --------------------------------------
HDR = "<189>Apr 12 10:14:05 fgt-edge-01 "
CFG = [
    ('action="Add" cfgtid=1863 cfgpath="firewall.policy" cfgobj="7" cfgattr="srcintf[port2]dstintf[port1]"', "New Firewall Policy Added"),
    ('action="Add" cfgtid=1870 cfgpath="system.admin" cfgobj="backdoor" cfgattr="accprofile[super_admin]"', "New Administrator Account Created"),
    ('action="Add" cfgtid=1871 cfgpath="user.local" cfgobj="eve" cfgattr="type[password]passwd[*]"', "New Local User Created"),
    ('action="Edit" cfgtid=1872 cfgpath="user.group" cfgobj="SSL-VPN-Users" cfgattr="member[alice->alice, eve]"', "User Group Modified"),
    ('action="Add" cfgtid=1873 cfgpath="firewall.address" cfgobj="c2-server" cfgattr="subnet[198.51.100.7 255.255.255.255]"', "Firewall Address Object Added"),
    ('action="Add" cfgtid=1874 cfgpath="vpn.ssl.web.portal" cfgobj="full-access-2" cfgattr="tunnel-mode[enable]"', "New VPN SSL Web Portal"),
    ('action="Edit" cfgtid=1875 cfgpath="vpn.ssl.settings" cfgattr="port[443->10443]"', "SSL Settings Modified"),
]
with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "fortigate-changes.log")
    with open(path, "w") as f:
        for i, (tail, _) in enumerate(CFG):
            f.write(f'{HDR}date=2023-04-12 time=10:{14 + i}:05 eventtime=16813196{i}5123456789 '
                    f'tz="+0200" logid="0100044547" type="event" subtype="system" '
                    f'level="information" vd="root" logdesc="Object attribute configured" '
                    f'user="admin" ui="GUI(192.0.2.10)" {tail} msg="change {i}"\n')
    rc, alerts, err = hunt([path], [os.path.join(shared, "sigma", "rules", "network", "fortinet")])
    lines = sorted(a["source"]["line"] for a in alerts)
    check(rc == 1 and lines == list(range(1, 8)), f"fortigate: exit {rc}, alerts on lines {lines} {err[-300:]}")
    for i, (_, title_part) in enumerate(CFG):
        got = [a["rule"]["title"] for a in alerts if a["source"]["line"] == i + 1]
        check(len(got) == 1 and title_part.lower() in got[0].lower(),
              f"fortigate line {i + 1}: expected a rule about '{title_part}', got {got}")
        if got:
            a = [a for a in alerts if a["source"]["line"] == i + 1][0]
            check(a["logsource"] == {"product": "fortigate", "service": "event"}, f"logsource {a['logsource']}")
rc, alerts, err = hunt([os.path.join(shared, "logs/elastic-integrations/fortinet_fortigate")],
                       [os.path.join(shared, "sigma", "rules", "network", "fortinet")])
# No alert, but most FortiGate log types have no rule in that folder: exit 3
# ("nothing found, and not everything was checked"), with the warning.
check(rc == 3 and not alerts and "no loaded rule covers" in err,
      f"no FortiGate rule on the real sample: exit {rc}, {len(alerts)} alerts")

# --- 2. The corpus over real samples -------------------------------------------
SAMPLES = ["logs/zed-sample-data", "logs/elastic-integrations", "logs/loghub",
           "logs/otrf-security-datasets/apt29_day1_zeek", "logs/otrf-security-datasets/apt29_day2_zeek"]
EXPECTED = {
    # Zeek DCE-RPC calls of remote execution (svcctl, atsvc, ...) in the red-team traffic.
    ("MITRE BZAR Indicators for Execution", "logs/zed-sample-data/zeek-default/dce_rpc.log.gz"): 24,
    ("MITRE BZAR Indicators for Execution", "logs/zed-sample-data/zeek-json/dce_rpc.json.gz"): 24,
    # DNS queries for domains under low-reputation top-level domains.
    ("Low Reputation Effective Top-Level Domain (eTLD)", "logs/zed-sample-data/zeek-default/dns.log.gz"): 2,
    ("Low Reputation Effective Top-Level Domain (eTLD)", "logs/zed-sample-data/zeek-json/dns.json.gz"): 2,
    # Failed Entra sign-ins (errorCode 50140) outside the placeholder country list.
    ("Failed Authentications From Countries You Do Not Operate Out Of",
     "logs/elastic-integrations/azure_signinlogs/test-signinlogs-raw.log"): 5,
}
rc, alerts, err = hunt([os.path.join(shared, s) for s in SAMPLES], rules)
got = {}
for a in alerts:
    rel = os.path.relpath(a["source"]["file"], shared)
    key = (a["rule"]["title"], rel)
    got[key] = got.get(key, 0) + 1
for key, n in EXPECTED.items():
    check(got.get(key, 0) == n, f"{key}: {got.get(key, 0)} alerts, expected {n}")
for key, n in got.items():
    check(key in EXPECTED, f"unexpected alert: {key} x{n}")
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
