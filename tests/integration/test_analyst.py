#!/usr/bin/env python3
"""`yagura metrics`, `logons`, `search` and `hunt --pivots` over ../shared/logs,
each against counts this test makes itself from the raw records: the text
lines of the line formats, and for EVTX the records `yagura decode` prints
(decoding only, no rule and no table of the commands under test).
"""
import collections
import gzip
import json
import os
import re
import subprocess
import sys
import tempfile

from timeline_common import Checks, logs, ms_of, yagura

check = Checks()
ei = os.path.join(logs, "elastic-integrations")
evtx_dirs = [os.path.join(logs, "deepbluecli-evtx"), os.path.join(logs, "hayabusa-yamato-evtx")]
vpn_dirs = [os.path.join(ei, d) for d in ("pulse_connect_secure", "cisco_asa", "citrix_adc",
                                          "panw_globalprotect")]


def y(*args):
    return subprocess.run([yagura, *args], capture_output=True)


def decoded(paths):
    r = y("decode", *paths)
    return [json.loads(l) for l in r.stdout.decode().splitlines()]


def win(ev):
    """System and EventData of an evtx_dump-shaped event."""
    e = ev["fields"].get("Event", {})
    return e.get("System", {}), e.get("EventData") or {}


def eid(sys_):
    v = sys_.get("EventID")
    return str(v["#text"] if isinstance(v, dict) else v)


# ---- metrics --------------------------------------------------------------
paths = evtx_dirs + vpn_dirs + [os.path.join(logs, "loghub")]
events = decoded(paths)
m = json.loads(y("metrics", "-f", "json", *paths).stdout)
routed = [e for e in events if e["logsource"]]
check(m["events"] == len(routed) and m["unrouted_events"] == len(events) - len(routed),
      f"metrics: {m['events']}/{m['unrouted_events']} routed/unrouted, decode {len(routed)}/"
      f"{len(events) - len(routed)}")
per_file = collections.Counter(e["source"].rsplit(":", 1)[0] for e in routed)
got_files = {f["file"]: f for f in m["files"]}
check(per_file == collections.Counter({k: v["events"] for k, v in got_files.items()}),
      "metrics: events per file")
check(all(v["bytes"] == os.path.getsize(k) for k, v in got_files.items()), "metrics: file sizes")
# Windows: channel and event id, and each EVTX file's first and last time.
exp_eid = collections.Counter()
times = collections.defaultdict(list)
for e in routed:
    s, _ = win(e)
    if s:
        exp_eid[(s["Channel"], eid(s))] += 1
        t = s["TimeCreated"]["#attributes"]["SystemTime"]
        times[e["source"].rsplit(":", 1)[0]].append(t)
got_eid = {(r["channel"], r["event_id"]): r for r in m["event_ids"]}
check(all(got_eid.get(k, {}).get("events") == v for k, v in exp_eid.items()),
      "metrics: Windows events per channel and event id")
check(got_eid[("Security", "4625")]["name"] == "Logon failure", "metrics: event names")
bad = [f for f, ts in times.items()
       if got_files[f]["first"][:19] != min(ts)[:19] or got_files[f]["last"][:19] != max(ts)[:19]]
check(not bad, f"metrics: first/last time of EVTX files {bad[:2]}")
csv_out = y("metrics", "-f", "csv", *paths).stdout.decode().splitlines()
check(csv_out[0] == "table,key,event_id,name,events,first,last,bytes" and
      sum(1 for l in csv_out if l.startswith("files,")) == len(got_files), "metrics: csv")
tab = y("metrics", *paths).stdout.decode()
check("Events per channel and event id" in tab and "Logon failure" in tab, "metrics: table")

r = y("metrics", "-o", "/nonexistent/m.txt", vpn_dirs[0])
check(r.returncode == 2 and b"/nonexistent/m.txt" in r.stderr, "metrics: an unwritable -o is exit 2")

# ---- logons ---------------------------------------------------------------
lg = json.loads(y("logons", "-f", "json", *evtx_dirs, *vpn_dirs).stdout)
# 4624/4625 from the raw records, per account.
raw = collections.Counter()
for e in decoded(evtx_dirs):
    s, d = win(e)
    if s and s.get("Channel") == "Security" and eid(s) in ("4624", "4625"):
        raw[(d.get("TargetUserName") or "-", str(d.get("LogonType")), eid(s) == "4624")] += 1
got = collections.Counter()
other = {"explicit credentials", "Kerberos TGT", "Kerberos pre-auth", "NTLM validation",
         "Ivanti Connect Secure", "AnyConnect", "Cisco ASA AAA", "NetScaler SSL VPN",
         "GlobalProtect"}
for r in lg["logons"]:
    if r["protocol"] not in other:
        # The type is Windows' number and its name ("3 Network").
        t = r["logon_type"].split(" ")[0]
        got[(r["account"], t, True)] += r["success"]
        got[(r["account"], t, False)] += r["failure"]
got = +got
check(got == raw and sum(raw.values()) > 3000,
      f"logons: Windows 4624/4625 per account and logon type ({sum(got.values())} vs {sum(raw.values())})")


def lines(d):
    out = []
    for root, _, files in os.walk(d):
        for f in files:
            if f.endswith(".log"):
                out += open(os.path.join(root, f), errors="replace").read().splitlines()
    return out


def vpn(proto):
    s = sum(r["success"] for r in lg["logons"] if r["protocol"] in proto)
    f = sum(r["failure"] for r in lg["logons"] if r["protocol"] in proto)
    return s, f


pl = [l.lower() for l in lines(vpn_dirs[0])]
exp = (sum(1 for l in pl if "authentication successful" in l or "login succeeded" in l),
       sum(1 for l in pl if "authentication failed" in l or "login failed" in l))
check(vpn({"Ivanti Connect Secure"}) == exp and exp[0] and exp[1], f"logons: Ivanti {exp}")
al = lines(vpn_dirs[1])
exp = (sum(1 for l in al if re.search(r"%ASA-\d-(113004|113012|113039|611101):", l)),
       sum(1 for l in al if re.search(r"%ASA-\d-(113005|113015|611102|716039):", l)))
check(vpn({"AnyConnect", "Cisco ASA AAA"}) == exp and exp[0], f"logons: Cisco ASA {exp}")
nl = lines(vpn_dirs[2])
exp = (sum(1 for l in nl if " SSLVPN LOGIN " in l), sum(1 for l in nl if " LOGIN_FAILED " in l))
check(vpn({"NetScaler SSL VPN"}) == exp and exp[0], f"logons: NetScaler {exp}")
gl = [l.split(",") for l in lines(vpn_dirs[3]) if ",GLOBALPROTECT," in l]
gp = [f for f in gl if f[8] in ("portal-auth", "gateway-auth")]
exp = (sum(1 for f in gp if "success" in f), sum(1 for f in gp if "success" not in f))
check(vpn({"GlobalProtect"}) == exp and exp[0], f"logons: GlobalProtect {exp}")
check(any(r["logon_type"] == "3 Network" for r in lg["logons"]), "logons: logon type names")
check(lg["success"] == sum(r["success"] for r in lg["logons"]) and
      lg["failure"] == sum(r["failure"] for r in lg["logons"]), "logons: totals")

# The source address's country, with a city database (tests/geo/mkmmdb.pl: 81.2.69.0/24 is GB).
with tempfile.TemporaryDirectory() as tmp:
    src_dir = os.environ["YG_SOURCE_DIR"]
    p = subprocess.run(["perl", os.path.join(src_dir, "tests/geo/mkmmdb.pl"), tmp],
                       capture_output=True, text=True)
    check(p.returncode == 0, "mkmmdb.pl: " + p.stderr)
    g = json.loads(y("logons", "-f", "json", "--geoip-city", os.path.join(tmp, "city-geoip2.mmdb"),
                     *vpn_dirs).stdout)
    gb = [r for r in g["logons"] if r["source"].startswith("81.2.69.")]
    check(gb and all(r["country"] == "GB" for r in gb) and
          all(r["country"] is None for r in g["logons"] if r not in gb),
          f"logons: country of the source ({len(gb)} rows in 81.2.69.0/24)")
    r = y("logons", "--geoip-city", os.path.join(tmp, "none.mmdb"), vpn_dirs[0])
    check(r.returncode == 2 and b"none.mmdb" in r.stderr, "logons: a missing database is exit 2")

# ---- search ---------------------------------------------------------------
spray = os.path.join(logs, "deepbluecli-evtx/smb-password-guessing-security.evtx")
ev = [win(e) for e in decoded([spray])]
fails = [(s, d) for s, d in ev if eid(s) == "4625"]
r = y("search", "-w", "EventID=4625", "--no-event", spray)
hits = [json.loads(l) for l in r.stdout.decode().splitlines()]
check(r.returncode == 0 and len(hits) == len(fails) > 0, f"search: EventID=4625 {len(hits)}")
# Modifiers, and --from/--to given in +09:00.
admin = [(s, d) for s, d in fails if "admin" in (d.get("TargetUserName") or "").lower()]
tms = sorted(ms_of(s["TimeCreated"]["#attributes"]["SystemTime"][:23] + "Z") for s, _ in admin)
lo, hi = tms[len(tms) // 4], tms[3 * len(tms) // 4]


def jst(ms):
    import datetime as dt
    t = dt.datetime.fromtimestamp(ms / 1000, dt.timezone(dt.timedelta(hours=9)))
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}+09:00"


r = y("search", "-w", "EventID=4625", "-w", "TargetUserName|contains=ADMIN", "--from", jst(lo),
      "--to", jst(hi), "-s", "time", "--no-event", spray)
hits = [json.loads(l) for l in r.stdout.decode().splitlines()]
exp_t = [t for t in tms if lo <= t <= hi]
got_t = [ms_of(h["timestamp"]) for h in hits]
check(got_t == exp_t and 0 < len(exp_t) < len(tms), f"search: modifiers and --from/--to in +09:00 ({len(got_t)} vs {len(exp_t)})")
# Keywords and regular expressions over a line format, against the raw lines.
r = y("search", "-k", "login failed", "-e", r"Reason: [A-Z]", "-f", "csv", vpn_dirs[0])
exp = [l for l in lines(vpn_dirs[0]) if "login failed" in l.lower() and re.search(r"Reason: [A-Z]", l)]
check(len(r.stdout.decode().splitlines()) - 1 == len(exp) > 0, f"search: keyword and regex {len(exp)}")
# A time without a zone is read in --timezone.
r = y("search", "-w", "EventID=4625", "-w", "TargetUserName|contains=ADMIN", "--timezone", "+09:00",
      "--from", jst(lo)[:23].replace("T", " "), "--to", jst(hi)[:23].replace("T", " "),
      "-s", "time", "--no-event", spray)
check([ms_of(json.loads(l)["timestamp"]) for l in r.stdout.decode().splitlines()] == exp_t,
      "search: zone-less --from/--to in --timezone")
# A field term over compressed Zeek JSON, against its raw records.
dns = os.path.join(logs, "zed-sample-data/zeek-json/dns.json.gz")

exp = [l for l in gzip.open(dns, "rt") if str(json.loads(l).get("query", "")).lower().endswith(".local")]
r = y("search", "-w", "query|endswith=.local", "--no-event", dns)
check(len(r.stdout.decode().splitlines()) == len(exp) > 0, f"search: Zeek dns query ({len(exp)})")
# A quote in a term stays a quote in the generated rule.
r = y("search", "-w", "user=first.o'last@example.com", "--no-event", vpn_dirs[1])
exp = [l for l in lines(vpn_dirs[1]) if "User <first.o'last@example.com>" in l]
check(len(r.stdout.decode().splitlines()) == len(exp) == 2, "search: a term with a quote")
r = y("search", "-k", "no-such-text-anywhere", vpn_dirs[0])
check(r.returncode == 1 and not r.stdout, "search: nothing found is exit 1")
r = y("search", "-w", "novalue", vpn_dirs[0])
check(r.returncode == 2 and b"FIELD=VALUE" in r.stderr, "search: a bad term is exit 2 with the reason")
r = y("search", "-k", "x", "--from", "yesterday", vpn_dirs[0])
check(r.returncode == 2 and b"--from" in r.stderr, "search: a bad time is exit 2")

# ---- pivots ---------------------------------------------------------------
with tempfile.TemporaryDirectory() as tmp:
    rule = os.path.join(tmp, "r.yml")
    with open(rule, "w") as f:
        f.write("title: logon events\nid: 00000000-0000-4000-8000-00000000abcd\nstatus: test\n"
                "level: high\nlogsource: {product: windows, service: security}\n"
                "detection:\n  s:\n    EventID: [4624, 4625, 4648]\n  condition: s\n")
    pv = os.path.join(tmp, "pivots.txt")
    r = subprocess.run([yagura, "hunt", "-q", "-r", rule, "--pivots", pv, *evtx_dirs],
                       capture_output=True)
    alerts = [json.loads(l) for l in r.stdout.decode().splitlines()]
    sections = collections.defaultdict(set)
    cur = None
    for l in open(pv).read().splitlines():
        if l.startswith("# "):
            cur = l[2:]
        elif l:
            sections[cur].add(l)
    comps = {a["event"]["Event"]["System"]["Computer"] for a in alerts}
    accts = {a["event"]["Event"]["EventData"].get("TargetUserName") for a in alerts} - {None, "-"}
    check(len(alerts) > 0 and sections["high: computer"] == comps, "pivots: computers")
    check(accts <= sections["high: account"], "pivots: accounts")
    check(not any(k.startswith(("critical", "medium")) for k in sections), "pivots: levels")
    r = subprocess.run([yagura, "hunt", "-q", "-r", rule, "--pivots", "/nonexistent/p.txt",
                        *evtx_dirs], capture_output=True)
    check(r.returncode == 2 and b"/nonexistent/p.txt" in r.stderr and not r.stdout,
          "pivots: an unwritable file is exit 2 before the hunt")

sys.exit(check.done())
