#!/usr/bin/env python3
"""Every record is routed on its own: a file's alerts do not depend on the
order of its records.

Records of six sources, all real or shaped exactly like real ones:
  - Windows Sysmon and Security events: the EVTX samples of ../shared/logs
    rendered as JSON by `yagura decode` (the `fields` member, as Winlogbeat-
    less EVTX-to-JSON exports write them);
  - Microsoft 365 audit records: Elastic's o365 test records and the mission
    samples (tests/mission/cloud_m365_*/tp.jsonl);
  - Entra ID sign-ins: Elastic's azure sign-in test records and the mission
    samples (tests/mission/cloud_entra_*/tp.jsonl);
  - Zeek JSON: zed-sample-data dce_rpc.json.gz and the mission sample;
  - Suricata EVE: Elastic's eve test lines and the mission sample.

1. Each source alone is hunted with the SigmaHQ rules plus Yagura's own; the
   union of their alerts (rule id, event as the rules saw it) is the
   expected set, and it holds alerts of at least four sources.
2. The records of all sources in one JSON-lines file, in ten shuffled
   orders (and grouped with each source first in turn), give exactly the
   expected set each time.
3. The same records as one JSON array, and as concatenated pretty-printed
   JSON, give it too.
4. The router's cache must not blur sources: the stats JSON reports the
   events per log source, equal to the sum over the single-source runs.
5. FortiGate key=value lines interleaved with the JSON records (a relay
   writing several sources into one file) are decoded as FortiGate lines:
   no "invalid JSON" error, every line counted under its log source.
The last line is "N passed, M failed"; the exit status is 1 on any failure.
"""
import glob
import gzip
import json
import os
import random
import subprocess
import sys
import tempfile

yagura = os.environ["YAGURA"]
shared = os.environ["YG_SHARED_DIR"]
src = os.environ.get("YG_SOURCE_DIR",
                     os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
logs = os.path.join(shared, "logs")
mission = os.path.join(src, "tests", "mission")
RULES = ["-r", os.path.join(shared, "sigma", "rules"), "-r", os.path.join(src, "rules")]
passed = failed = 0


def check(ok, msg):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAIL", msg)


def lines_of(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        return [l.rstrip("\n") for l in f if l.strip()]


def windows_records():
    out = []
    files = sorted(glob.glob(os.path.join(logs, "hayabusa-yamato-evtx", "*", "*.evtx")))
    files.append(os.path.join(logs, "deepbluecli-evtx", "new-user-security.evtx"))
    for f in files:
        r = subprocess.run([yagura, "decode", f], capture_output=True, text=True, check=True)
        for l in r.stdout.splitlines():
            out.append(json.dumps(json.loads(l)["fields"], ensure_ascii=False, separators=(",", ":")))
    return out


def sources():
    m = lambda pat: sum((lines_of(p) for p in sorted(glob.glob(os.path.join(mission, pat, "tp.jsonl")))), [])
    ei = os.path.join(logs, "elastic-integrations")
    return {
        "windows": windows_records(),
        "m365": lines_of(os.path.join(ei, "o365", "test-exchange-item.log"))
        + lines_of(os.path.join(ei, "o365", "test-sharepointfileop-events.unique-originals.jsonl"))
        + m("cloud_m365_*"),
        "entra": lines_of(os.path.join(ei, "azure_signinlogs", "test-signinlogs-raw.log"))
        + m("cloud_entra_*"),
        "zeek": lines_of(os.path.join(logs, "zed-sample-data", "zeek-json", "dce_rpc.json.gz"))
        + m("mf_vscode_tunnel_zeek_ssl"),
        "suricata": lines_of(os.path.join(ei, "suricata", "test-eve-6-0.log"))
        + m("mf_vscode_tunnel_suricata"),
    }


def hunt(path, tmp):
    stats = os.path.join(tmp, "stats.json")
    r = subprocess.run([yagura, "hunt", *RULES, "--stats-json", stats, path],
                       capture_output=True, text=True)
    check(r.returncode in (0, 1, 3), f"hunt {path}: exit {r.returncode}: {r.stderr[-400:]}")
    alerts = set()
    for l in r.stdout.splitlines():
        a = json.loads(l)
        ev = dict(a["event"]) if isinstance(a.get("event"), dict) else a.get("group")
        if isinstance(ev, dict):
            # The Microsoft 365 decoder keeps the record's own text as
            # Payload: pretty-printed input differs there and only there.
            ev.pop("Payload", None)
        key = json.dumps(ev, sort_keys=True)
        alerts.add((a["rule"]["id"], key))
    with open(stats) as f:
        st = json.load(f)
    return alerts, st, r.stderr


def pretty(text):
    """Pretty-print JSON text token by token: every number, string and
    escape stays exactly as written (re-encoding would change floats)."""
    out, depth, i, n = [], 0, 0, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            j = i + 1
            while text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(text[i:j + 1])
            i = j + 1
            continue
        if c in "{[":
            depth += 1
            out.append(c + "\n" + "  " * depth)
        elif c in "}]":
            depth -= 1
            out.append("\n" + "  " * depth + c)
        elif c == ",":
            out.append(",\n" + "  " * depth)
        elif c == ":":
            out.append(": ")
        else:
            out.append(c)
        i += 1
    return "".join(out)


def short(alerts):
    """A few (rule id, start of the event) pairs, for a readable failure."""
    return [(rid, ev[:120]) for rid, ev in sorted(alerts)[:3]]


def write_lines(path, recs):
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(recs) + "\n")


def per_source_counts(st):
    return {(r.get("product"), r.get("service"), r.get("category")): r["events"]
            for r in st.get("logsources") or []}


def main():
    with tempfile.TemporaryDirectory() as tmp:
        srcs = sources()
        expected = set()
        sources_with_alerts = 0
        ev_by_ls = {}
        for name, recs in srcs.items():
            p = os.path.join(tmp, name + ".jsonl")
            write_lines(p, recs)
            a, st, _ = hunt(p, tmp)
            check(st.get("events") == len(recs), f"{name}: {st.get('events')} events of {len(recs)}")
            sources_with_alerts += bool(a)
            expected |= a
            for k, v in per_source_counts(st).items():
                ev_by_ls[k] = ev_by_ls.get(k, 0) + v
        check(sources_with_alerts >= 4, f"only {sources_with_alerts} sources alert on their own")
        allrecs = [r for recs in srcs.values() for r in recs]
        mixed = os.path.join(tmp, "mixed.jsonl")
        orders = []
        for seed in range(10):
            recs = list(allrecs)
            random.Random(seed).shuffle(recs)
            orders.append(("shuffle %d" % seed, recs))
        names = list(srcs)
        for i, first in enumerate(names):
            rest = [n for n in names if n != first]
            orders.append(("%s first" % first, [r for n in [first] + rest for r in srcs[n]]))
        for label, recs in orders:
            write_lines(mixed, recs)
            got, st, err = hunt(mixed, tmp)
            check(got == expected,
                  f"{label}: {len(got)} alerts, expected {len(expected)}; missing {short(expected - got)} extra {short(got - expected)}")
            check(per_source_counts(st) == ev_by_ls,
                  f"{label}: events per log source {per_source_counts(st)} != {ev_by_ls}")
        # One JSON array, and concatenated pretty-printed documents.
        recs = list(allrecs)
        random.Random(99).shuffle(recs)
        arr = os.path.join(tmp, "mixed-array.json")
        with open(arr, "w", encoding="utf-8") as f:
            f.write("[\n" + ",\n".join(recs) + "\n]\n")
        got, _, err = hunt(arr, tmp)
        check(got == expected, f"JSON array: {len(got)} alerts, expected {len(expected)}: missing {short(expected - got)} extra {short(got - expected)}")
        cat = os.path.join(tmp, "mixed-concat.json")
        with open(cat, "w", encoding="utf-8") as f:
            for r in recs:
                f.write(pretty(r) + "\n")
        got, _, err = hunt(cat, tmp)
        check(got == expected, f"concatenated JSON: {len(got)} alerts, expected {len(expected)}: missing {short(expected - got)} extra {short(got - expected)}")
        # 5. Text lines relayed into the same JSON-lines file (FortiGate
        # key=value lines between the JSON records) are decoded by their
        # line format, not lost as invalid JSON.
        fg = lines_of(os.path.join(logs, "elastic-integrations", "fortinet_fortigate",
                                   "test-fortinet-7-4.log"))
        fgp = os.path.join(tmp, "fortigate.log")
        write_lines(fgp, fg)
        fga, fgst, _ = hunt(fgp, tmp)
        # One line of Elastic's sample has an unterminated quote: skipped
        # and reported alone and mixed alike.
        check(fgst.get("events", 0) >= len(fg) - 1, f"fortigate alone: {fgst.get('events')} events of {len(fg)}")
        recs = list(allrecs)
        random.Random(7).shuffle(recs)
        step = max(1, len(recs) // (len(fg) + 1))
        withtext, fi = [], 0
        for i, r in enumerate(recs):
            withtext.append(r)
            if i % step == 0 and fi < len(fg):
                withtext.append(fg[fi])
                fi += 1
        withtext += fg[fi:]
        check(len(withtext) == len(recs) + len(fg), f"mixed text file built with {len(withtext)} lines")
        check(not withtext[0].startswith("date="), "the mixed text file starts with a JSON record")
        write_lines(mixed, withtext)
        got, st, err = hunt(mixed, tmp)
        check("invalid JSON" not in err, f"text lines reported as invalid JSON: {err[-400:]}")
        want = len(recs) + fgst.get("events", 0)
        check(st.get("events") == want,
              f"JSON records and text lines: {st.get('events')} events, expected {want}")
        want_ls = dict(ev_by_ls)
        for k, v in per_source_counts(fgst).items():
            want_ls[k] = want_ls.get(k, 0) + v
        check(per_source_counts(st) == want_ls,
              f"JSON records and text lines: events per log source {per_source_counts(st)} != {want_ls}")
        check(got == expected | fga,
              f"JSON records and text lines: {len(got)} alerts, expected {len(expected | fga)}")
        print(f"{len(expected)} alerts over {len(allrecs)} records of {len(srcs)} sources")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
