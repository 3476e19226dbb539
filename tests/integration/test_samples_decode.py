#!/usr/bin/env python3
"""Every record of every real sample under ../shared/logs decodes, or is
reported with file:line and a reason.

For each sample (zip archives are unpacked to a temporary folder first; the
engine reads gzip and zstd itself), `yagura decode` runs and its output and
diagnostics are counted: decoded records + reported lines + header lines
(`#...` in W3C and Zeek TSV files) must equal the file's non-blank lines, so
nothing is dropped silently.  Every reported line must be in the list of
known undecodable lines below (each with its reason, mirrored in
docs/sources.md); a new failure, or a known one that now decodes, fails.
EVTX files must decode with no diagnostic.
"""
import gzip
import json
import os
import re
import subprocess
import sys
import tempfile
import zipfile

yagura = os.environ["YAGURA"]
shared = os.environ["YG_SHARED_DIR"]
logs = os.path.join(shared, "logs")

# (file relative to logs/, line) -> reason.  Keep docs/sources.md in step.
KNOWN = {
    ("elastic-integrations/fortinet_fortigate/test-fortinet-7-4.log", 25):
        "the line ends inside a quoted value (truncated in the original)",
}
# Files that are not logs (documentation, licences, expected outputs).
# Packet captures (.pcap) and dataset descriptions (.yaml) ship beside the
# logs in OTRF's archives; they are not logs.
NOT_LOGS = re.compile(r"(README|LICENSE|SOURCES|\.md$|-expected\.json$|\.txt$|\.pcap$|\.ya?ml$)")

def count_lines(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        data = data.decode("utf-16").encode("utf-8")
    lines = [l for l in data.split(b"\n") if l.strip()]
    headers = sum(1 for l in lines if l.startswith(b"#"))
    return len(lines), headers, data.lstrip()[:1]

def run(path, display):
    p = subprocess.run([yagura, "decode", "-q", "-t", "1", path], capture_output=True, text=True)
    out = p.stdout.splitlines()
    diags = [l for l in p.stderr.splitlines() if l.strip()]
    return p.returncode, out, diags

passed = failed = 0
def check(ok, msg):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAIL", msg)

seen_known = set()
with tempfile.TemporaryDirectory() as tmp:
    files = []
    for root, _d, names in os.walk(logs):
        for n in sorted(names):
            full = os.path.join(root, n)
            rel = os.path.relpath(full, logs)
            if NOT_LOGS.search(n):
                continue
            if n.lower().endswith(".zip"):
                with zipfile.ZipFile(full) as z:
                    for m in z.namelist():
                        if m.endswith("/") or NOT_LOGS.search(m) or "__MACOSX" in m:
                            continue
                        dest = os.path.join(tmp, rel.replace("/", "_") + "__" + os.path.basename(m))
                        with open(dest, "wb") as o:
                            o.write(z.read(m))
                        files.append((dest, rel + "!" + m))
                continue
            files.append((full, rel))
    for path, rel in sorted(files, key=lambda x: x[1]):
        rc, out, diags = run(path, rel)
        if path.endswith(".evtx"):
            check(rc == 0 and out and not diags, f"{rel}: EVTX exit {rc}, {len(out)} records, diagnostics {diags[:3]}")
            continue
        nlines, headers, first = count_lines(path)
        reported = []
        for d in diags:
            m = re.match(r"^(.*?):(\d+):(\d+): (.*)$", d)
            if not m:
                check(False, f"{rel}: diagnostic without file:line:column: {d}")
                continue
            reported.append((int(m.group(2)), m.group(4)))
        records = len(out)
        if first in (b"{", b"["):
            # JSON documents may span lines: count documents, not lines.
            check(rc in (0, 1) and records > 0, f"{rel}: JSON exit {rc}, {records} records")
        else:
            check(records + len(reported) + headers == nlines,
                  f"{rel}: {records} decoded + {len(reported)} reported + {headers} headers != {nlines} lines")
        for line, why in reported:
            key = (rel, line)
            if key in KNOWN:
                seen_known.add(key)
                check(True, "")
            else:
                check(False, f"{rel}:{line}: not decoded: {why}")
        print(f"{rel}: {records} records, {len(reported)} reported")
for key in KNOWN:
    check(key in seen_known, f"{key[0]}:{key[1]} is listed as undecodable but now decodes")
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
