#!/usr/bin/env python3
"""yagura hunt's resident memory over a large JSON-lines file stays at the units in flight
(docs/yagura-hunt.md, "Memory").

A mapped file is cut into 8 MiB units before any is read; finding each cut reads a few bytes at
the boundary, and the kernel may map the whole large folio around them (2 MiB). Those pages
used to stay resident until their unit was read: a 512 MiB file kept up to 128 MiB more than the
units in flight (255 MB peak on the 1 GiB benchmark file, 67 MB after).

The file here is 512 MiB of one Sysmon process-creation record repeated (every 64th an alerting
one), hunted with one rule on one thread. The baseline is the same hunt over the first 1 MiB of
the file, in the same build. Asserts: the exact alert count, and a peak RSS (ru_maxrss of the
hunt's process tree) at most the baseline plus the units one thread keeps in flight (4 of
8 MiB).
"""
import os
import resource
import subprocess
import sys
import tempfile

yagura = os.environ["YAGURA"]
failed = 0


def check(ok, msg):
    global failed
    if not ok:
        failed += 1
        print("FAIL", msg, flush=True)


RULE = """title: Whoami
id: 5a0f3b1e-6d0b-4d3c-9a51-2b7f3f0c1a11
level: high
logsource: {product: windows, category: process_creation}
detection:
  sel:
    Image|endswith: '\\\\whoami.exe'
  condition: sel
"""

RECORD = ('{"Event":{"System":{"Provider":{"Name":"Microsoft-Windows-Sysmon"},"EventID":1,'
          '"Channel":"Microsoft-Windows-Sysmon/Operational","Computer":"ws-%04d.corp.example",'
          '"TimeCreated":{"SystemTime":"2024-05-01T10:%02d:%02d.000Z"}},'
          '"EventData":{"Image":"C:\\\\Windows\\\\System32\\\\%s","CommandLine":"%s /all",'
          '"User":"CORP\\\\user%04d","ParentImage":"C:\\\\Windows\\\\explorer.exe"}}}\n')


def hunt_peak(path, rule, out):
    """(exit status, peak RSS in KiB of the hunt's process tree, alerts written)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    r = subprocess.run([yagura, "hunt", "-q", "-t", "1", "--no-cache", "-r", rule, "-o", out,
                        path], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    with open(out) as f:
        alerts = sum(1 for _ in f)
    # ru_maxrss of children is a maximum over all of them: the baseline runs first, so a
    # later, larger hunt raises it and a smaller one leaves the larger figure.
    return r.returncode, max(peak, before), alerts, r.stderr


def main():
    with tempfile.TemporaryDirectory() as tmp:
        rule = os.path.join(tmp, "rule.yml")
        with open(rule, "w") as f:
            f.write(RULE)
        big = os.path.join(tmp, "big.jsonl")
        size, n, hits = 512 << 20, 0, 0
        lines = []
        for i in range(4096):
            exe = "whoami.exe" if i % 64 == 0 else "notepad.exe"
            lines.append(RECORD % (i, i // 60 % 60, i % 60, exe, exe, i))
        block = "".join(lines).encode()
        block_hits = sum(1 for i in range(4096) if i % 64 == 0)
        with open(big, "wb") as f:
            written = 0
            while written < size:
                f.write(block)
                written += len(block)
                n += 4096
                hits += block_hits
        small = os.path.join(tmp, "small.jsonl")
        with open(big, "rb") as f, open(small, "wb") as g:
            head = f.read(1 << 20)
            g.write(head[:head.rindex(b"\n") + 1])
        rc, base, base_alerts, err = hunt_peak(small, rule, os.path.join(tmp, "small.out"))
        check(base_alerts > 0, f"the baseline hunt raises alerts: {base_alerts} ({err[-500:]})")
        rc, peak, alerts, err = hunt_peak(big, rule, os.path.join(tmp, "big.out"))
        check(alerts == hits, f"{hits} alerts over {n} records: {alerts} ({err[-500:]})")
        limit = base + 4 * 8 * 1024
        print(f"{written >> 20} MiB, {n} records: peak RSS {peak // 1024} MiB, baseline "
              f"{base // 1024} MiB, limit {limit // 1024} MiB", flush=True)
        check(peak <= limit, f"peak RSS {peak} KiB <= baseline {base} KiB + 32 MiB")
    if failed:
        print(f"{failed} check(s) failed")
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    main()
