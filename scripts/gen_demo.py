#!/usr/bin/env python3
"""gen_demo.py - the logs of the demo: an intrusion chain mixed into benign background.

Writes a deterministic replay (fixed seed, fixed date) of the chain public reporting describes for
JAXA and MirrorFace campaign B (docs/demo.md), across four sources, each in the shape of the real
samples under ../shared/logs:

  logs/vpn/fortigate-edge01.log      FortiGate key=value syslog (SSL VPN)
  logs/cloud/entra-signins.json      Entra ID sign-in logs, diagnostic export, one JSON per line
  logs/cloud/m365-audit.json         Microsoft 365 unified audit log, one JSON per line
  logs/endpoint/sysmon.json          Sysmon events as evtx_dump JSON, one per line
  README.generated                   says that everything here is generated, and how

The chain (attack records, left out with --benign-only):

  01:10  203.0.113.66 sprays the SSL VPN: one failed login for each of 14 accounts
  01:16  it brute-forces k.tanaka@contoso.example: 12 failed logins
  01:21  the VPN tunnel comes up for that account, from that address
  02:05  Entra ID: a successful sign-in of the account from the same address
  02:30  Microsoft 365: 60 distinct SharePoint / OneDrive files downloaded by the account from the
         address in 35 minutes (FileDownloaded, FileSyncDownloadedFull)
  04:12  Sysmon on the account's laptop: `code.exe tunnel` (a VS Code remote tunnel, MirrorFace)

Benign background: every line of the real samples (FortiGate, Entra ID, Microsoft 365, Sysmon
process creations of the SigmaHQ regression set), copied unchanged except for their timestamps,
which are moved into the demo's day; plus ordinary users of the same organisation (VPN logins,
sign-ins and a few downloads from the office address), built from the same sample records.

The line formats have no comment syntax that every decoder skips, so the files carry no header:
README.generated, beside the logs/ folder, says that they are generated.
"""
import argparse
import datetime as dt
import glob
import json
import os
import random
import re
import sys

SEED = 20250602
DAY = dt.datetime(2025, 6, 2, tzinfo=dt.timezone.utc)
ATTACKER = "203.0.113.66"
OFFICE = "198.51.100.20"
DOMAIN = "contoso.example"
VICTIM = "k.tanaka@" + DOMAIN
VICTIM_HOST = "LT-KTANAKA01"
USERS = ["a.sato", "y.suzuki", "h.takahashi", "m.watanabe", "r.ito", "s.yamamoto", "t.nakamura",
         "e.kobayashi", "n.kato", "k.yoshida", "j.yamada", "a.sasaki", "y.matsumoto", "k.tanaka"]
FGT = 'devname="FGT-EDGE-01" devid="FG100FTK19000001"'

HERE = os.path.dirname(os.path.abspath(__file__))


def shared_dir():
    return os.environ.get("YG_SHARED_DIR", os.path.join(HERE, "..", "..", "shared"))


def at(h, m, s=0, ms=0):
    return DAY + dt.timedelta(hours=h, minutes=m, seconds=s, milliseconds=ms)


# ---- timestamps ---------------------------------------------------------------------------

ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})([T ])(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})?")


def _zone(z):
    if not z or z == "Z":
        return dt.timedelta(0)
    sign = -1 if z[0] == "-" else 1
    z = z[1:].replace(":", "")
    return sign * dt.timedelta(hours=int(z[:2]), minutes=int(z[2:]))


def _parse(m):
    y, mo, d, _, h, mi, s, frac, z = m.groups()
    t = dt.datetime(int(y), int(mo), int(d), int(h), int(mi), int(s), tzinfo=dt.timezone.utc)
    if frac:
        t += dt.timedelta(microseconds=int((frac[1:] + "000000")[:6]))
    return t - _zone(z)


def _format(t, m):
    """t (UTC) in the style of the match m: same separator, fraction digits and zone."""
    _, _, _, sep, _, _, _, frac, z = m.groups()
    local = t + _zone(z)
    out = local.strftime("%Y-%m-%d") + sep + local.strftime("%H:%M:%S")
    if frac:
        digits = len(frac) - 1
        out += "." + ("%06d" % local.microsecond + "0" * max(0, digits - 6))[:digits]
    return out + (z or "")


def shift_iso(text, when):
    """Move every ISO timestamp of text by the same amount, the first one landing on when."""
    first = ISO.search(text)
    if not first:
        return text
    delta = when - _parse(first)
    return ISO.sub(lambda m: _format(_parse(m) + delta, m), text)


FGT_DATE = re.compile(r'\bdate=(\d{4}-\d{2}-\d{2})')
FGT_TIME = re.compile(r'\btime=(\d{2}:\d{2}:\d{2})')
FGT_EPOCH = re.compile(r'\beventtime=(\d+)')
FGT_TZ = re.compile(r'\btz="?([+-]\d{4})"?')


def shift_fortigate(line, when):
    """date=, time= (local to tz= when given) and eventtime= (same precision) set to when."""
    tz = FGT_TZ.search(line)
    local = when + (_zone(tz.group(1)) if tz else dt.timedelta(0))
    line = FGT_DATE.sub("date=" + local.strftime("%Y-%m-%d"), line, count=1)
    line = FGT_TIME.sub("time=" + local.strftime("%H:%M:%S"), line, count=1)

    def epoch(m):
        digits = len(m.group(1))
        secs = int(when.timestamp())
        frac = when.microsecond * 1000
        if digits >= 19:
            return "eventtime=%d" % (secs * 10**9 + frac)
        if digits >= 16:
            return "eventtime=%d" % (secs * 10**6 + frac // 1000)
        if digits >= 13:
            return "eventtime=%d" % (secs * 1000 + frac // 10**6)
        return "eventtime=%d" % secs
    return FGT_EPOCH.sub(epoch, line, count=1)


# ---- sources ---------------------------------------------------------------------------------

def fgt_line(when, body):
    return ('date=%s time=%s %s eventtime=%d tz="+0000" %s'
            % (when.strftime("%Y-%m-%d"), when.strftime("%H:%M:%S"), FGT,
               int(when.timestamp()) * 10**9 + when.microsecond * 1000, body))


def fgt_login_fail(when, user, ip):
    return fgt_line(when, 'logid="0101039426" type="event" subtype="vpn" level="alert" vd="root" '
                          'logdesc="SSL VPN login fail" action="ssl-login-fail" tunneltype="ssl-web" '
                          'tunnelid=0 remip=%s tunnelip=(null) user="%s" group="N/A" dst_host="N/A" '
                          'reason="sslvpn_login_permission_denied" msg="SSL user failed to logged in"'
                    % (ip, user))


def fgt_tunnel_up(when, user, ip, tunnel_ip, tid):
    return fgt_line(when, 'logid="0101039424" type="event" subtype="vpn" level="information" '
                          'vd="root" logdesc="SSL VPN tunnel up" action="tunnel-up" '
                          'tunneltype="ssl-tunnel" tunnelid=%d remip=%s tunnelip=%s user="%s" '
                          'group="SSLVPN-Users" dst_host="N/A" reason="N/A" '
                          'msg="SSL tunnel established"' % (tid, ip, tunnel_ip, user))


def read_lines(path):
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        return [l.rstrip("\r\n") for l in f if l.strip()]


def entra_template(shared):
    lines = read_lines(os.path.join(shared, "logs/elastic-integrations/azure_signinlogs/"
                                            "test-signinlogs-raw.log"))
    return lines, json.loads(lines[0])


def entra_signin(tpl, when, upn, ip, rng, ok=True, app="Office 365", city=None):
    r = json.loads(json.dumps(tpl))
    p = r["properties"]
    guid = lambda: "%08x-%04x-4%03x-a%03x-%012x" % (rng.getrandbits(32), rng.getrandbits(16),
                                                      rng.getrandbits(12), rng.getrandbits(12),
                                                      rng.getrandbits(48))
    cid = guid()
    name = upn.split("@")[0].replace(".", " ").title()
    r.update({"callerIpAddress": ip, "correlationId": cid, "identity": name, "location": "JP",
              "resultDescription": "" if ok else "Invalid username or password.",
              "resultType": "0" if ok else "50126", "time": when.strftime("%Y-%m-%dT%H:%M:%S.")
              + "%07dZ" % (when.microsecond * 10)})
    p.update({"appDisplayName": app, "correlationId": cid, "id": guid(),
              "originalRequestId": cid, "ipAddress": ip, "isInteractive": True,
              "createdDateTime": when.strftime("%Y-%m-%dT%H:%M:%S.") + "%07dZ"
              % (when.microsecond * 10),
              "status": {"errorCode": 0} if ok else
              {"errorCode": 50126, "failureReason": "Invalid username or password."},
              "userDisplayName": name, "userId": guid(), "userPrincipalName": upn})
    p["location"] = {"city": city or "Tokyo", "countryOrRegion": "JP",
                     "geoCoordinates": {"latitude": 35.6895, "longitude": 139.6917},
                     "state": "Tokyo"}
    return json.dumps(r, separators=(",", ":"))


def m365_templates(shared):
    return read_lines(os.path.join(shared, "logs/elastic-integrations/o365/"
                                           "test-sharepointfileop-events.unique-originals.jsonl"))


def m365_file_op(tpl_line, when, upn, ip, op, site, path, rng):
    r = json.loads(tpl_line)
    fname = path.rsplit("/", 1)[-1]
    ext = fname.rsplit(".", 1)[-1]
    one_drive = "-my.sharepoint.com" in site
    r.update({"ClientIP": ip, "CreationTime": when.strftime("%Y-%m-%dT%H:%M:%S"),
              "Operation": op, "UserId": upn, "Workload": "OneDrive" if one_drive else "SharePoint",
              "EventSource": "SharePoint", "ObjectId": site + path, "SiteUrl": site,
              "SourceFileName": fname, "SourceFileExtension": ext,
              "SourceRelativeUrl": path.rsplit("/", 1)[0].lstrip("/"),
              "Id": "%08x-%04x-4%03x-a%03x-%012x" % (rng.getrandbits(32), rng.getrandbits(16),
                                                     rng.getrandbits(12), rng.getrandbits(12),
                                                     rng.getrandbits(48)),
              "UserAgent": "Microsoft SkyDriveSync 24.076.0414.0003 ship; Windows NT 10.0 (19045)"
              if op == "FileSyncDownloadedFull" else
              "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/125.0.0.0 Safari/537.36"})
    r.pop("DestinationFileName", None)
    return json.dumps(r, separators=(",", ":"))


def sysmon_samples(shared):
    """Sysmon process creations (event 1) of the SigmaHQ regression set, as one-line JSON."""
    out = []
    for path in sorted(glob.glob(os.path.join(shared, "sigma/regression/**/*.json"),
                                 recursive=True)):
        try:
            with open(path, encoding="utf-8") as f:
                doc = json.load(f)
        except (OSError, ValueError):
            continue
        ev = doc.get("Event") if isinstance(doc, dict) else None
        sysd = ev.get("System", {}) if isinstance(ev, dict) else {}
        if sysd.get("Channel") != "Microsoft-Windows-Sysmon/Operational" or \
                sysd.get("EventID") != 1:
            continue
        out.append(doc)
    return out


def sysmon_process(tpl, when, host, user, image, cmdline, parent, parent_cmd, rng, record):
    doc = json.loads(json.dumps(tpl))
    s, d = doc["Event"]["System"], doc["Event"]["EventData"]
    s["TimeCreated"]["#attributes"]["SystemTime"] = when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    s["Computer"] = host
    s["EventRecordID"] = record
    d.update({"UtcTime": when.strftime("%Y-%m-%d %H:%M:%S.") + "%03d" % (when.microsecond // 1000),
              "ProcessId": rng.randrange(2000, 12000), "Image": image,
              "OriginalFileName": image.rsplit("\\", 1)[-1], "CommandLine": cmdline,
              "CurrentDirectory": "C:\\Users\\%s\\" % user.split("\\")[-1], "User": user,
              "ParentImage": parent, "ParentCommandLine": parent_cmd, "ParentUser": user,
              "Description": "Visual Studio Code", "Product": "Visual Studio Code",
              "Company": "Microsoft Corporation", "FileVersion": "1.89.1",
              "IntegrityLevel": "Medium"})
    return doc


# ---- the demo --------------------------------------------------------------------------------

def spread(rng, n, start_h=0.0, end_h=24.0):
    """n sorted instants of the demo day between the two hours."""
    secs = sorted(rng.uniform(start_h * 3600, end_h * 3600) for _ in range(n))
    return [DAY + dt.timedelta(seconds=round(s, 3)) for s in secs]


def generate(out, benign_only):
    shared = shared_dir()
    if not os.path.isdir(os.path.join(shared, "logs")):
        sys.exit("gen_demo.py: the shared data folder is not at %s (set YG_SHARED_DIR)" % shared)
    rng = random.Random(SEED)
    vpn, entra, m365, sysmon = [], [], [], []

    # -- benign background from the real samples, timestamps moved into the day
    fgt_sample = read_lines(os.path.join(shared, "logs/elastic-integrations/fortinet_fortigate/"
                                                 "test-fortinet-7-4.log"))
    # One record of the sample is cut inside a quoted value (an unterminated msg="...");
    # the decoder rightly rejects it, so it is no background for the demo.
    fgt_sample = [l for l in fgt_sample if l.count('"') % 2 == 0]
    for when, line in zip(spread(rng, len(fgt_sample)), fgt_sample):
        vpn.append((when, shift_fortigate(line, when)))
    entra_lines, entra_tpl = entra_template(shared)
    for when, line in zip(spread(rng, len(entra_lines)), entra_lines):
        entra.append((when, shift_iso(line, when)))
    m365_lines = m365_templates(shared)
    ex_path = os.path.join(shared, "logs/elastic-integrations/o365/test-exchange-item.log")
    m365_sample = m365_lines + (read_lines(ex_path) if os.path.exists(ex_path) else [])
    for when, line in zip(spread(rng, len(m365_sample)), m365_sample):
        m365.append((when, shift_iso(line, when)))
    sys_samples = sysmon_samples(shared)
    for when, doc in zip(spread(rng, len(sys_samples)), sys_samples):
        sysmon.append((when, shift_iso(json.dumps(doc, separators=(",", ":")), when)))

    # -- ordinary users: VPN logins (an occasional typo first), sign-ins, a few downloads
    tunnel = 10
    for i, u in enumerate(USERS):
        upn = "%s@%s" % (u, DOMAIN)
        home = "192.0.2.%d" % (20 + i)
        start = at(7, 30) + dt.timedelta(minutes=rng.randrange(0, 90), seconds=rng.randrange(60))
        if rng.random() < 0.3:
            vpn.append((start - dt.timedelta(seconds=20), fgt_login_fail(
                start - dt.timedelta(seconds=20), upn, home)))
        tunnel += 1
        vpn.append((start, fgt_tunnel_up(start, upn, home, "10.212.134.%d" % tunnel, 1000 + i)))
        signin = start + dt.timedelta(minutes=rng.randrange(2, 20), seconds=rng.randrange(60))
        entra.append((signin, entra_signin(entra_tpl, signin, upn, OFFICE, rng)))
        for k in range(rng.randrange(1, 6)):
            t = signin + dt.timedelta(minutes=rng.randrange(5, 400), seconds=rng.randrange(60))
            path = "/Shared Documents/Team/%s-notes-%02d.docx" % (u.split(".")[1], k)
            m365.append((t, m365_file_op(m365_lines[0], t, upn, OFFICE, "FileDownloaded",
                                         "https://contoso.sharepoint.com/sites/Engineering",
                                         path, rng)))
    # a developer's ordinary VS Code launch
    dev = sys_samples[0] if sys_samples else None
    if dev:
        t = at(9, 3, 12)
        sysmon.append((t, json.dumps(sysmon_process(
            dev, t, "LT-RITO02", "CONTOSO\\r.ito",
            "C:\\Users\\r.ito\\AppData\\Local\\Programs\\Microsoft VS Code\\Code.exe",
            "\"C:\\Users\\r.ito\\AppData\\Local\\Programs\\Microsoft VS Code\\Code.exe\" "
            "C:\\src\\telemetry", "C:\\Windows\\explorer.exe", "C:\\Windows\\Explorer.EXE", rng,
            44120), separators=(",", ":"))))

    # -- the chain
    if not benign_only:
        for i, u in enumerate(USERS):
            t = at(1, 10, 20 * i)
            vpn.append((t, fgt_login_fail(t, "%s@%s" % (u, DOMAIN), ATTACKER)))
        for i in range(12):
            t = at(1, 16, 15 * i)
            vpn.append((t, fgt_login_fail(t, VICTIM, ATTACKER)))
        t = at(1, 21, 30)
        vpn.append((t, fgt_tunnel_up(t, VICTIM, ATTACKER, "10.212.134.200", 2201)))
        t = at(2, 5, 12, 431)
        entra.append((t, entra_signin(entra_tpl, t, VICTIM, ATTACKER, rng, city="Tokyo")))
        folders = ["Propulsion/H3-LE9", "Propulsion/Test-Reports", "Avionics/Specs",
                   "Programme/Partners"]
        for i in range(60):
            t = at(2, 30) + dt.timedelta(seconds=35 * i + rng.randrange(0, 20))
            folder = folders[i % len(folders)]
            if i % 6 == 5:
                site = "https://contoso-my.sharepoint.com/personal/k_tanaka_contoso_example"
                path = "/Documents/%s/design-review-%03d.pdf" % (folder.split("/")[1], i)
                op = "FileSyncDownloadedFull"
            else:
                site = "https://contoso.sharepoint.com/sites/" + folder.split("/")[0]
                path = "/Shared Documents/%s/%s-%03d.pdf" % (folder.split("/")[1],
                                                              folder.split("/")[1].lower(), i)
                op = "FileDownloaded"
            m365.append((t, m365_file_op(m365_lines[0], t, VICTIM, ATTACKER, op, site, path,
                                         rng)))
        if dev:
            t = at(4, 12, 40)
            code = "C:\\Users\\k.tanaka\\AppData\\Local\\Temp\\vsc\\code.exe"
            sysmon.append((t, json.dumps(sysmon_process(
                dev, t, VICTIM_HOST, "CONTOSO\\k.tanaka", code,
                "\"%s\" tunnel --name lt-ktanaka01 --cli-data-dir C:\\Users\\Public\\vsc" % code,
                "C:\\Windows\\System32\\cmd.exe", "cmd.exe /c C:\\Users\\Public\\up.bat", rng,
                51877), separators=(",", ":"))))

    files = {
        "logs/vpn/fortigate-edge01.log": vpn,
        "logs/cloud/entra-signins.json": entra,
        "logs/cloud/m365-audit.json": m365,
        "logs/endpoint/sysmon.json": sysmon,
    }
    for rel, recs in files.items():
        path = os.path.join(out, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        recs.sort(key=lambda r: r[0])
        with open(path, "w", encoding="utf-8", errors="surrogateescape", newline="\n") as f:
            for _, line in recs:
                f.write(line + "\n")
    with open(os.path.join(out, "README.generated"), "w", encoding="utf-8") as f:
        f.write("Every file under logs/ is generated by scripts/gen_demo.py (seed %d%s); none is a\n"
                "real log. The formats (FortiGate key=value, JSON lines) have no comment syntax, so\n"
                "the files carry no header of their own. Background records are lines of the real\n"
                "samples in ../shared/logs with their timestamps moved to %s; the intrusion\n"
                "chain is described in docs/demo.md.\n"
                % (SEED, ", --benign-only" if benign_only else "", DAY.strftime("%Y-%m-%d")))
    return {rel: len(recs) for rel, recs in files.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True, help="folder to write (created if needed)")
    ap.add_argument("--benign-only", action="store_true",
                    help="only the background, without the intrusion chain")
    a = ap.parse_args()
    counts = generate(a.out, a.benign_only)
    for rel, n in counts.items():
        print("%6d  %s" % (n, os.path.join(a.out, rel)), file=sys.stderr)


if __name__ == "__main__":
    main()
