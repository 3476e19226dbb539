#!/usr/bin/env python3
"""yagura hunt's resident memory over a large JSON-lines file does not grow with the file
(docs/yagura-hunt.md, "Memory").

A mapped file is cut into 8 MiB units before any is read; finding each cut reads a few bytes at
the boundary, and the kernel may map the whole large folio around them (2 MiB). Those pages
used to stay resident until their unit was read, so the peak grew with the number of cuts (255 MB
peak on the 1 GiB benchmark file, 67 MB after).

The file here is 512 MiB of one Sysmon process-creation record repeated (every 64th an alerting
one), hunted with one rule on one thread; the baseline is the same hunt over its first 64 MiB
(8 units, more than one thread keeps in flight), each measured in a process of its own.
Asserts: the exact alert count, and a peak RSS at most the baseline's plus 8 MiB (one unit).
Measured here: 58 MiB against 36 MiB before the fix (FAIL), 24 against 24 after.
"""
import os
import resource
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import taxii_common as tc  # noqa: E402

yagura = os.environ["YAGURA"]
T = tc.Tally()
check = T.check


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


# Runs a command and prints the peak RSS (KiB) of its process tree: a process of its own, so
# that each hunt is measured alone (ru_maxrss of children is a maximum over all of them).
PEAK = ("import resource, subprocess, sys\n"
        "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
        "print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n")


def hunt_peak(path, rule, out):
    """(exit status, peak RSS in KiB of the hunt's process tree, alerts written)."""
    r = subprocess.run([sys.executable, "-c", PEAK, yagura, "hunt", "-q", "-t", "1", "--no-cache",
                        "-r", rule, "-o", out, path], capture_output=True, text=True, check=True)
    rc, peak = (int(x) for x in r.stdout.split())
    with open(out) as f:
        alerts = sum(1 for _ in f)
    return rc, peak, alerts


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
        # The baseline: the first 64 MiB of the same records (8 units, more than one thread
        # keeps in flight), so the figures differ only by what grows with the file.
        small = os.path.join(tmp, "small.jsonl")
        with open(big, "rb") as f, open(small, "wb") as g:
            head = f.read(64 << 20)
            g.write(head[:head.rindex(b"\n") + 1])
        rc, base, base_alerts = hunt_peak(small, rule, os.path.join(tmp, "small.out"))
        check(base_alerts > 0, f"the baseline hunt raises alerts: {base_alerts}")
        rc, peak, alerts = hunt_peak(big, rule, os.path.join(tmp, "big.out"))
        check(alerts == hits, f"{hits} alerts over {n} records: {alerts}")
        limit = base + 8 * 1024
        print(f"{written >> 20} MiB, {n} records: peak RSS {peak // 1024} MiB; over the first "
              f"64 MiB {base // 1024} MiB; limit {limit // 1024} MiB", flush=True)
        check(peak <= limit, f"peak RSS {peak} KiB <= the 64 MiB hunt's {base} KiB + 8 MiB")
    T.done()


if __name__ == "__main__":
    main()
