#!/usr/bin/env python3
"""Build the real-records benchmark input: JSON lines (and FortiGate syslog lines) taken from
the shared real logs, interleaved in a fixed order and replicated to a given size.

  make_real_events.py --yagura build/yagura --shared ../shared --size 1G -o FILE

One copy (the "base") holds, in this order of sources:
  evtx      every record of the EVTX files under logs/hayabusa-yamato-evtx and
            logs/deepbluecli-evtx, rendered by `yagura decode` (its "fields" member, which is
            the evtx_dump layout: Event.System, Event.EventData);
  m365      the Microsoft 365 audit records of logs/elastic-integrations/o365 and the OTRF
            Golden SAML OfficeActivity export;
  entra     the Entra ID sign-in records of logs/elastic-integrations/azure_signinlogs and the
            OTRF Golden SAML Entra audit export;
  zeek      the first ZEEK_CAP records of each logs/zed-sample-data/zeek-json/*.json.gz file.
FortiGate logs are key=value syslog lines, not JSON, and yagura decides per file whether a
file is JSON or a line format (a FortiGate line inside a JSON-lines file is invalid JSON), so
they go to a second file, --lines-output, replicated the same way: the lines of
logs/elastic-integrations/fortinet_fortigate that `yagura decode` reads (one line of that file
is truncated in the original). Both files are hunted in the same run.
Within the base the sources are interleaved record by record (one of each source in turn,
a source dropping out when it has no records left), so consecutive records route to different
log sources. The file is the base written COPIES times, COPIES = ceil(size / base size), so
every count over the file is COPIES times the count over one copy. The output depends only on
the shared files and the decoder: the same inputs give the same bytes.

A line "copies=N base_bytes=B base_records=R" is printed to standard output, and the same
facts are written as JSON to FILE.meta.json.
"""
import argparse
import glob
import gzip
import json
import os
import re
import subprocess
import sys

ZEEK_CAP = 1000


def compact(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def json_docs(path):
    """Every JSON document of a file: JSON lines, or concatenated documents."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    dec = json.JSONDecoder()
    i, out = 0, []
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            return out
        obj, i = dec.raw_decode(text, i)
        out.extend(obj if isinstance(obj, list) else [obj])


def decode(yagura, paths):
    """`yagura decode` over paths, one thread so the order is the input's."""
    r = subprocess.run([yagura, "decode", "-q", "-t", "1", *paths], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, check=False)
    if r.returncode not in (0, 1):  # 1: some records undecodable, reported and skipped
        sys.exit("make_real_events: yagura decode failed (%d): %s" %
                 (r.returncode, r.stderr.decode(errors="replace")[-2000:]))
    return [json.loads(line) for line in r.stdout.decode("utf-8").splitlines() if line]


def need(paths, what):
    if not paths:
        sys.exit("make_real_events: no %s files found under the shared logs" % what)
    return paths


def sources(yagura, logs):
    evtx = sorted(glob.glob(os.path.join(logs, "hayabusa-yamato-evtx", "**", "*.evtx"),
                            recursive=True) +
                  glob.glob(os.path.join(logs, "deepbluecli-evtx", "**", "*.evtx"),
                            recursive=True))
    evtx_lines = [compact(d["fields"]) for d in decode(yagura, need(evtx, "EVTX"))]

    golden = os.path.join(logs, "otrf-security-datasets", "GoldenSAMLADFSMailAccess")
    m365 = need(sorted(glob.glob(os.path.join(logs, "elastic-integrations", "o365", "*"))),
                "Microsoft 365") + [os.path.join(golden, "OfficeActivityEvents.json")]
    entra = need(sorted(glob.glob(os.path.join(logs, "elastic-integrations", "azure_signinlogs",
                                               "*"))), "Entra") + \
        [os.path.join(golden, "AADAuditEvents.json")]
    m365_lines = [compact(o) for p in m365 for o in json_docs(p)]
    entra_lines = [compact(o) for p in entra for o in json_docs(p)]

    forti = need(sorted(glob.glob(os.path.join(logs, "elastic-integrations",
                                               "fortinet_fortigate", "*.log"))), "FortiGate")
    forti_lines = []
    for p in forti:
        with open(p, encoding="utf-8") as f:
            raw = f.read().splitlines()
        ok = set()
        for d in decode(yagura, [p]):
            m = re.search(r":(\d+)$", d.get("source", ""))
            if m:
                ok.add(int(m.group(1)))
        forti_lines += [raw[n - 1] for n in sorted(ok)]

    zeek_lines = []
    for p in need(sorted(glob.glob(os.path.join(logs, "zed-sample-data", "zeek-json",
                                                "*.json.gz"))), "Zeek"):
        with gzip.open(p, "rt", encoding="utf-8") as f:
            for k, line in enumerate(f):
                if k >= ZEEK_CAP:
                    break
                if line.strip():
                    zeek_lines.append(compact(json.loads(line)))
    return [("evtx", evtx_lines), ("m365", m365_lines), ("entra", entra_lines),
            ("zeek", zeek_lines)], forti_lines


def interleave(srcs):
    out, i = [], 0
    longest = max(len(lines) for _, lines in srcs)
    for i in range(longest):
        for _, lines in srcs:
            if i < len(lines):
                out.append(lines[i])
    return out


def parse_size(text):
    m = re.fullmatch(r"(\d+)([KMG]?)", text.strip().upper())
    if not m:
        sys.exit("make_real_events: --size: expected a number with an optional K, M or G "
                 "suffix, got %r" % text)
    return int(m.group(1)) << {"": 0, "K": 10, "M": 20, "G": 30}[m.group(2)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--yagura", required=True)
    ap.add_argument("--shared", required=True, help="the shared data folder (holds logs/)")
    ap.add_argument("--size", default="1G", help="size to reach, K/M/G suffixes (default 1G)")
    ap.add_argument("-o", "--output", required=True, help="the JSON-lines file")
    ap.add_argument("--lines-output", required=True, help="the FortiGate syslog-lines file")
    a = ap.parse_args()
    logs = os.path.join(a.shared, "logs")
    if not os.path.isdir(logs):
        sys.exit("make_real_events: %s: no such folder (set YG_SHARED_DIR)" % logs)
    srcs, forti = sources(a.yagura, logs)
    base = ("\n".join(interleave(srcs)) + "\n").encode("utf-8")
    base_lines = ("\n".join(forti) + "\n").encode("utf-8")
    size = parse_size(a.size)
    copies = max(1, -(-size // (len(base) + len(base_lines))))
    for path, data in ((a.output, base), (a.lines_output, base_lines)):
        tmp = path + ".partial"
        with open(tmp, "wb") as f:
            for _ in range(copies):
                f.write(data)
        os.replace(tmp, path)
    by_source = {n: len(l) for n, l in srcs}
    by_source["fortigate"] = len(forti)
    meta = {"copies": copies, "base_bytes": len(base) + len(base_lines),
            "base_records": base.count(b"\n") + len(forti), "size": a.size,
            "records_by_source": by_source}
    with open(a.output + ".meta.json", "w", encoding="utf-8") as f:
        json.dump(meta, f, indent=1, sort_keys=True)
        f.write("\n")
    print("copies=%d base_bytes=%d base_records=%d" % (copies, len(base), meta["base_records"]))


if __name__ == "__main__":
    main()
