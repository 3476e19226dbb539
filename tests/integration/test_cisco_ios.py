#!/usr/bin/env python3
"""Cisco IOS / IOS-XE system messages, and plain text with --logsource.

1. Messages in the forms of Cisco's documentation (sources in docs/sources.md),
   with and without sequence number, device time, origin id and a relay's
   syslog header, decode to product cisco with the service of SigmaHQ's
   rules/network/cisco folders, and their fields.
2. SigmaHQ's Cisco rules and the CVE-2023-20198 rule fire on exactly the
   records they are about; an ASA line beside them stays an ASA record.
3. `--input-format text --logsource ...` runs keyword rules over lines no
   decoder reads; without --input-format the same file is not decoded.
"""
import json
import os
import subprocess
import sys
import tempfile

yagura = os.environ["YAGURA"]
sigma = os.path.join(os.environ["YG_SHARED_DIR"], "sigma")
passed = failed = 0


def check(ok, msg):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAIL", msg)


LINES = [
    # Cisco IOS Configuration Fundamentals, "service sequence-numbers" / timestamps.
    ("000013: *Mar  1 18:46:11: %SYS-5-CONFIG_I: Configured from console by vty2 (10.34.195.36)",
     "syslog", {"sequence": "000013", "timestamp": "Mar  1 18:46:11", "facility": "SYS",
                "severity": "5", "mnemonic": "CONFIG_I"}),
    # Relayed with PRI, sequence number and `logging origin-id hostname`.
    ("<189>52: rtr1: *Mar  1 00:00:52.187 UTC: %LINK-3-UPDOWN: Interface FastEthernet0/0, changed state to up",
     "syslog", {"syslog_pri": "189", "sequence": "52", "host": "rtr1",
                "timestamp": "Mar  1 00:00:52.187 UTC", "facility": "LINK", "severity": "3"}),
    # Login Enhancements (login block): failure, behind a syslog server's header.
    ("Nov 12 10:11:12 10.0.0.1 123: Nov 12 10:11:11.123 UTC: %SEC_LOGIN-4-LOGIN_FAILED: Login failed "
     "[user: sdfs] [Source: 10.4.2.11] [localport: 23] [Reason: Invalid login] at 20:55:40 UTC Fri Feb 28 2003",
     "syslog", {"syslog_timestamp": "Nov 12 10:11:12", "syslog_host": "10.0.0.1", "sequence": "123",
                "user": "sdfs", "src_ip": "10.4.2.11", "dst_port": "23", "reason": "Invalid login"}),
    # Configuration Change Notification and Logging (archive / log config / notify syslog).
    ("*Mar  2 04:24:35.307: %PARSER-5-CFGLOG_LOGGEDCMD: User:cisco  logged command:no logging console",
     "aaa", {"user": "cisco", "command": "no logging console", "facility": "PARSER"}),
    ("%PARSER-5-CFGLOG_LOGGEDCMD: User:cisco  logged command:interface Loopback101",
     "aaa", {"user": "cisco", "command": "interface Loopback101"}),
    # TCP MD5 authentication failure of a BGP session (port 179), sub-facility form.
    ("*Mar  1 00:01:02: %IP-TCP-3-BADAUTH: Invalid MD5 digest from 192.0.2.1:179 to 192.0.2.2:11003",
     "bgp", {"facility": "IP-TCP", "severity": "3", "mnemonic": "BADAUTH"}),
    ("%BGP-5-ADJCHANGE: neighbor 192.0.2.1 Up", "bgp", {"facility": "BGP"}),
    ("%LDP-5-NBRCHG: LDP Neighbor 192.0.2.9:0 (1) is DOWN (TCPMD5AuthenFail)", "ldp", {"facility": "LDP"}),
    # Cisco's CVE-2023-20198 advisory (IOS-XE web UI): the messages of the implant's account.
    ("Oct 11 03:42:13.123 UTC: %SEC_LOGIN-5-WEBLOGIN_SUCCESS: Login Success [user: cisco_tac_admin] "
     "[Source: 198.51.100.66] at 03:42:13 UTC Wed Oct 11 2023",
     "syslog", {"user": "cisco_tac_admin", "src_ip": "198.51.100.66"}),
    ("%WEBUI-6-INSTALL_OPERATION_INFO: User: cisco_tac_admin, Install Operation: ADD implant.bin",
     "syslog", {"facility": "WEBUI", "mnemonic": "INSTALL_OPERATION_INFO"}),
]
ASA = "Oct 10 2018 12:34:56 fw01 : %ASA-6-113039: Group VPN_USERS User alice IP 67.43.156.14 AnyConnect parent session started."

with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "ios.log")
    with open(path, "w") as f:
        for line, _, _ in LINES:
            f.write(line + "\n")
        f.write(ASA + "\n")
    p = subprocess.run([yagura, "decode", "-q", path], capture_output=True, text=True)
    recs = [json.loads(l) for l in p.stdout.splitlines()]
    check(p.returncode == 0 and len(recs) == len(LINES) + 1, f"decode: exit {p.returncode}, {len(recs)} records {p.stderr[-300:]}")
    for i, (line, svc, fields) in enumerate(LINES):
        if i >= len(recs):
            break
        r = recs[i]
        check(r["logsource"] == {"product": "cisco", "service": svc}, f"line {i + 1}: {r['logsource']}, expected {svc}")
        check(r["fields"].get("message") == line[line.index("%"):], f"line {i + 1}: message {r['fields'].get('message')!r}")
        for k, v in fields.items():
            check(r["fields"].get(k) == v, f"line {i + 1}: {k} = {r['fields'].get(k)!r}, expected {v!r}")
    if len(recs) > len(LINES):
        check(recs[-1]["logsource"] == {"product": "cisco", "service": "asa"}, f"ASA line: {recs[-1]['logsource']}")

    # A line with a `%` that is no tag is refused with its reason.
    bad = os.path.join(tmp, "bad.log")
    with open(bad, "w") as f:
        f.write("%SYS-5-CONFIG_I: Configured from console by console\n%SYS-5-CONFIG_I Configured from console\n")
    p = subprocess.run([yagura, "decode", "-q", "-f", "cisco_ios", bad], capture_output=True, text=True)
    check(p.returncode == 1 and "bad.log:2:1" in p.stderr and "%FACILITY-SEVERITY-MNEMONIC" in p.stderr,
          f"refusal: exit {p.returncode} {p.stderr[-300:]}")

    # --- 2. SigmaHQ's rules ---------------------------------------------------
    cmd = [yagura, "hunt", "-q", "--no-event", "-t", "1", "-r", os.path.join(sigma, "rules", "network", "cisco"),
           "-r", os.path.join(sigma, "rules-emerging-threats", "2023", "Exploits", "CVE-2023-20198"), path]
    p = subprocess.run(cmd, capture_output=True, text=True)
    got = sorted((json.loads(l)["source"]["line"], json.loads(l)["rule"]["title"]) for l in p.stdout.splitlines())
    want = [(4, "Cisco Disabling Logging"), (6, "Cisco BGP Authentication Failures"),
            (8, "Cisco LDP Authentication Failures"),
            (9, "Exploitation Indicators Of CVE-2023-20198"),
            (10, "Exploitation Indicators Of CVE-2023-20198")]
    check(p.returncode == 1 and got == want, f"rules: exit {p.returncode}, {got} {p.stderr[-300:]}")

    # --- 3. Plain text ----------------------------------------------------------
    txt = os.path.join(tmp, "tacacs.txt")
    with open(txt, "w") as f:
        f.write("2024-03-05 10:11:12 10.0.0.1 admin tty2 10.0.0.5 stop task_id=7 cmd=show running-config <cr>\n"
                "2024-03-05 10:11:13 10.0.0.1 admin tty2 10.0.0.5 stop task_id=8 cmd=terminal length 0 <cr>\n")
    aaa = os.path.join(sigma, "rules", "network", "cisco", "aaa", "cisco_cli_collect_data.yml")
    p = subprocess.run([yagura, "hunt", "-q", "--no-event", "-i", "text", "--logsource",
                        "product=cisco,service=aaa", "-r", aaa, txt], capture_output=True, text=True)
    got = [(json.loads(l)["source"]["line"], json.loads(l)["logsource"]) for l in p.stdout.splitlines()]
    check(p.returncode == 1 and got == [(1, {"product": "cisco", "service": "aaa"})],
          f"text mode: exit {p.returncode}, {got} {p.stderr[-300:]}")
    p = subprocess.run([yagura, "hunt", "-q", "--no-event", "-r", aaa, txt], capture_output=True, text=True)
    check(p.returncode != 1 and not p.stdout, f"without -i text: exit {p.returncode} {p.stdout[:200]}")
    p = subprocess.run([yagura, "decode", "-q", "-f", "text", txt], capture_output=True, text=True)
    recs = [json.loads(l) for l in p.stdout.splitlines()]
    check(p.returncode == 0 and len(recs) == 2 and recs[1]["fields"] ==
          {"message": "2024-03-05 10:11:13 10.0.0.1 admin tty2 10.0.0.5 stop task_id=8 cmd=terminal length 0 <cr>"},
          f"decode -f text: {p.returncode} {recs}")

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
