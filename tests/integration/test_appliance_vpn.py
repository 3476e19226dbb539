#!/usr/bin/env python3
"""VPN logins of the appliance decoders reach rules/vpn and the chain.

For each appliance (SonicWall firewall and SMA, Sophos Firewall, Check Point,
Juniper SRX, F5 BIG-IP APM, Cisco PIX and FWSM), a log in its own line format
(the shapes of tests/appliances/*.log, see docs/sources.md) holds 30 failed
VPN logins from one address within half an hour, 20 of them for one account
and 10 for ten others, then one successful login of the attacked account
from that address.  `yagura hunt -r rules/` over it must report:

1. yagura_vpn_bruteforce_by_source (30 failures from one address),
   yagura_vpn_bruteforce_by_account (the account's failures) and
   yagura_vpn_password_spray_by_source (11 accounts from one address), each
   keyed by the appliance's address and account (the vpn_src and vpn_user
   aliases read src_ip and user, the fields every decoder gives), with the
   appliance's own login-failed rule in the evidence;
2. yagura_vpn_success_after_failures (the chain: brute force, then the
   success), with the appliance's login-success rule in the evidence,
   except for PIX/FWSM, whose releases have no AnyConnect session start
   (113039, what the ASA success rule reads);
3. the same file with the successful login removed: no success alert.
The last line is "N passed, M failed"; the exit status is 1 on any failure.
"""
import json
import os
import subprocess
import sys
import tempfile

yagura = os.environ["YAGURA"]
src = os.environ.get("YG_SOURCE_DIR", os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
rules = os.path.join(src, "rules")
passed = failed = 0
SRC = "203.0.113.50"
VICTIM = "victim"


def check(ok, msg):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAIL", msg)


def attempts():
    """(seconds after 10:00:00, account) of the 30 failures, 50 s apart."""
    return [(k * 50, VICTIM if k < 20 else f"user{k - 19:02d}") for k in range(30)]


def hms(s):
    return f"{10 + s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}"


def sonicwall(k, user, ok):
    m, msg = ("1080", "SSL VPN zone remote user login allowed") if ok else \
        ("749", "User login denied - invalid credentials on LDAP server")
    return (f'<134> id=firewall sn=C0EAE4000001 time="2026-05-04 {hms(k)} UTC" fw=192.0.2.10 pri=5 '
            f'c=16 gcat=3 m={m} msg="{msg}" n={900000 + k} src={SRC}:{50000 + k}:X1 '
            f'dst=192.0.2.10:443:X0 usr="{user}"')


def sma(k, user, ok):
    msg = "User login successful" if ok else "User login failed"
    return (f'Oct 18 {hms(k)} sslvpn SSLVPN: id=sslvpn sn=0006B119CE3C time="2026-05-04 {hms(k)}" '
            f'vp_time="2026-05-04 {hms(k)} UTC" fw=192.0.2.11 pri=5 m=1 src={SRC} dst=192.0.2.11 '
            f'user="{user}" usr="{user}" msg="{msg}" agent="Mozilla/5.0"')


def sophos(k, user, ok):
    status, text = ("Successful", "authenticated successfully to login to SSLVPN") if ok else \
        ("Failed", "failed to login to SSLVPN")
    return (f'<30>device="SFW" date=2026-05-04 time={hms(k)} timezone="UTC" device_name="XG230" '
            f'device_id=C44313350024-P29PUA log_id=06311061771{0 if ok else 1} log_type="Event" '
            f'log_component="SSL VPN Authentication" log_subtype="Authentication" status="{status}" '
            f'priority=Information user_name="{user}" usergroupname="" auth_client="N/A" '
            f'auth_mechanism="Local" reason="" src_ip={SRC} message="User {user} {text} through '
            f'Local authentication mechanism" name="" src_mac=')


def checkpoint(k, user, ok):
    if ok:
        body = (f'action:"Update"; flags:"150784"; ifdir:"inbound"; origin:"192.0.2.12"; '
                f'sequencenum:"1"; version:"5"; auth_method:"Password"; auth_status:"Successful Login"; '
                f'identity_src:"VPN Remote Access"; product:"Identity Awareness"; src:"{SRC}"; user:"{user}"')
    else:
        body = (f'action:"Failed Log In"; flags:"150784"; ifdir:"inbound"; origin:"192.0.2.12"; '
                f'sequencenum:"1"; version:"5"; auth_method:"Password"; product:"VPN-1 & FireWall-1"; '
                f'reason:"Wrong password"; src:"{SRC}"; user:"{user}"')
    return f'<134>1 2026-05-04T{hms(k)}Z CP-GW CheckPoint 10547 - [{body}]'


def junos(k, user, ok):
    tag = "DYNAMIC_VPN_AUTH_OK" if ok else "DYNAMIC_VPN_AUTH_FAIL"
    return (f'<30>1 2026-05-04T{hms(k)}.000Z srx1 authd 2101 {tag} [junos@2636.1.1.1.2.26 '
            f'username="{user}" source-address="{SRC}" profile-name="dyn-vpn"]')


def f5(k, user, ok):
    sid = f"{0x5a3b0000 + k + (1 if ok else 0):08x}"
    pre = f"Oct 21 {hms(k)} bigip1 notice apmd[8371]:"
    last = ("01490102:5: /Common/vpn_ap:Common:{sid}: Access policy result: Network_Access" if ok else
            "01490005:5: /Common/vpn_ap:Common:{sid}: Following rule 'fallback' from item 'AD Auth' to ending 'Deny'")
    return "\n".join([
        f"{pre} 01490500:5: /Common/vpn_ap:Common:{sid}: New session from client IP {SRC} (ST=/CC=/C=) at VIP 192.0.2.10 Listener /Common/vs_vpn (Reputation=Unknown)",
        f"{pre} 01490010:5: /Common/vpn_ap:Common:{sid}: Username '{user}'",
        f"{pre} " + last.format(sid=sid)])


def pix(k, user, ok):
    return (f"<166>May 4 2026 {hms(k)} fwsm-a : %FWSM-6-113005: AAA user authentication Rejected : "
            f"reason = AAA failure : server = 10.0.0.8 : user = {user} : user IP = {SRC}")


APPLIANCES = [
    ("sonicwall", sonicwall, "sonicwall"),
    ("sonicwall-sma", sma, "sonicwall"),
    ("sophos", sophos, "sophos"),
    ("checkpoint", checkpoint, "checkpoint"),
    ("junos", junos, "junos"),
    ("f5apm", f5, "f5_apm"),
    ("pix-fwsm", pix, "asa"),
]


def hunt(path):
    p = subprocess.run([yagura, "hunt", "-q", "--no-event", "-t", "1", "-r", rules, path],
                       capture_output=True, text=True)
    return p.returncode, [json.loads(l) for l in p.stdout.splitlines()], p.stderr


def by_rule(alerts, stem):
    """The alerts of rules/vpn/<stem>.yml."""
    return [a for a in alerts if a["rule"]["id"] == rule_id(stem + ".yml")]


def rule_id(stem):
    with open(os.path.join(rules, "vpn", stem)) as f:
        return next(l.split(":", 1)[1].strip() for l in f if l.startswith("id:"))


def evidence_rules(alert):
    """Rule files (by their ids) of the events in a correlation's evidence."""
    ids = {str(ev.get("rule")) for ev in alert.get("correlation", {}).get("events", [])}
    return {n for n in os.listdir(os.path.join(rules, "vpn")) if rule_id(n) in ids}


with tempfile.TemporaryDirectory() as tmp:
    for name, fn, stem in APPLIANCES:
        lines = [fn(k, u, False) for k, u in attempts()]
        success = fn(31 * 50, VICTIM, True)
        path = os.path.join(tmp, name + ".log")
        with open(path, "w") as f:
            f.write("\n".join(lines + [success]) + "\n")
        rc, alerts, err = hunt(path)
        check(rc == 1 and not err.strip(), f"{name}: exit {rc}, stderr {err[-300:]}")
        failed_rule = f"vpn_{stem}_login_failed.yml"
        for corr, group in (("vpn_bruteforce_by_source", {"vpn_src": SRC}),
                            ("vpn_bruteforce_by_account", {"vpn_user": VICTIM}),
                            ("vpn_password_spray_by_source", {"vpn_src": SRC})):
            got = by_rule(alerts, corr)
            check(got, f"{name}: no {corr} alert ({sorted({a['rule'].get('title') for a in alerts})})")
            check(any(a["correlation"]["group"] == group for a in got),
                  f"{name}: {corr} groups {[a['correlation']['group'] for a in got]}")
            check(any(failed_rule in evidence_rules(a) for a in got),
                  f"{name}: {corr} evidence {[sorted(evidence_rules(a)) for a in got]}")
        chain = by_rule(alerts, "vpn_login_success_after_failures")
        if stem == "asa":
            check(not chain, f"{name}: success alert without a success line")
        else:
            check(len(chain) == 1, f"{name}: {len(chain)} success-after-failures alerts")
            check(any(f"vpn_{stem}_login_success.yml" in evidence_rules(a) for a in chain),
                  f"{name}: chain evidence {[sorted(evidence_rules(a)) for a in chain]}")
            with open(path, "w") as f:
                f.write("\n".join(lines) + "\n")
            rc, alerts, err = hunt(path)
            check(rc == 1 and not by_rule(alerts, "vpn_login_success_after_failures"),
                  f"{name}: without the success line: exit {rc}, "
                  f"{len(by_rule(alerts, 'vpn_login_success_after_failures'))} success alerts")

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
