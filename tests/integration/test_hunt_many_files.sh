#!/usr/bin/env bash
# yagura hunt over one folder of many small files: more than the kernel's default limit of
# 65,530 memory mappings per process (vm.max_map_count), which a hunt that mapped every file
# before reading any could not get past.  Every tenth file holds an alerting event; the
# count of alerts must be exact.  YG_MANY_FILES sets the count (default 100000; 1000000 is
# the size the hunt is meant for, and takes minutes to create).
set -uo pipefail
Y=${YAGURA:?}
N=${YG_MANY_FILES:-100000}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
ok() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1"; fi; }

cat > "$T/rule.yml" <<'R'
title: Whoami
id: 11111111-1111-4111-8111-111111111111
level: high
logsource: {product: windows, category: process_creation}
detection:
  sel:
    Image|endswith: '\whoami.exe'
  condition: sel
R
mkdir "$T/logs"
python3 - "$T/logs" "$N" <<'P'
import os, sys
d, n = sys.argv[1], int(sys.argv[2])
ev = ('{"Event":{"System":{"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational"},'
      '"EventData":{"Image":"C:\\\\Windows\\\\System32\\\\%s"}}}\n')
for i in range(n):
    fd = os.open(os.path.join(d, "f%07d.jsonl" % i), os.O_WRONLY | os.O_CREAT, 0o644)
    os.write(fd, (ev % ("whoami.exe" if i % 10 == 0 else "cmd.exe")).encode())
    os.close(fd)
P
want=$(( (N + 9) / 10 ))
start=$(date +%s)
"$Y" hunt -r "$T/rule.yml" --format csv --stats-json "$T/stats.json" "$T/logs" > "$T/out" 2> "$T/err"; st=$?
echo "hunt over $N files: $(( $(date +%s) - start )) s"
ok "exit 1 (alerts, no error)" '[ $st -eq 1 ]'
ok "$want alerts" '[ $(( $(wc -l < "$T/out") - 1 )) -eq $want ]'
ok "every file read once" 'grep -q "\"files\":$N,\"events\":$N," "$T/stats.json"'
ok "no input error" 'grep -q "\"errors\":0," "$T/stats.json" && ! grep -q "input errors" "$T/err"'
ok "the last file's alert is there" 'grep -q "f$(printf %07d $(( (N - 1) / 10 * 10 ))).jsonl" "$T/out"'
[ "$fail" -eq 0 ] || tail -5 "$T/err"
echo "PASS $pass FAIL $fail"
[ "$fail" -eq 0 ]
