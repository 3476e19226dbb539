#!/usr/bin/env bash
# yagura hunt end to end: input shapes, compression, bad input, exit codes, thread
# determinism, rules check.  Each check prints PASS/FAIL; the last line counts them.
set -uo pipefail
Y=${YAGURA:?} S=${YG_SHARED_DIR:?} SRC=${YG_SOURCE_DIR:?}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
ok() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1"; fi; }

cat > "$T/rule.yml" <<'R'
title: Whoami
id: 11111111-1111-4111-8111-111111111111
level: high
tags: [attack.discovery, attack.t1033]
logsource: {product: windows, category: process_creation}
detection:
  sel:
    Image|endswith: '\whoami.exe'
  condition: sel
R
ev() { printf '{"Event":{"System":{"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational","TimeCreated":{"#attributes":{"SystemTime":"2025-01-0%dT00:00:00Z"}}},"EventData":{"Image":"C:\\\\Windows\\\\System32\\\\%s"}}}' "$1" "$2"; }

# JSON lines with one malformed line in the middle: reported with file:line:col, rest read.
{ ev 1 whoami.exe; echo; echo '{"Event": {"System": broken'; ev 2 cmd.exe; echo; ev 3 whoami.exe; echo; } > "$T/a.jsonl"
"$Y" hunt -r "$T/rule.yml" "$T/a.jsonl" > "$T/out" 2> "$T/err"; st=$?
ok "alerts exit 1" '[ $st -eq 1 ]'
ok "two alerts" '[ $(wc -l < "$T/out") -eq 2 ]'
ok "bad line reported with file:line:col" 'grep -q "a.jsonl:2:22: invalid JSON" "$T/err"'
ok "summary counts 3 events" 'grep -q "3 events" "$T/err"'
ok "alert has line 4 and index 3" 'tail -1 "$T/out" | grep -q "\"line\":4,\"index\":3"'
ok "ATT&CK ids split out" 'head -1 "$T/out" | grep -q "\"attack\":\[\"T1033\"\]"'
ok "matched field" 'head -1 "$T/out" | grep -q "\"matched\":{\"Image\":"'
ok "timestamp from the event, RFC 3339 UTC with ms" 'head -1 "$T/out" | grep -q "\"timestamp\":\"2025-01-01T00:00:00.000Z\",\"timestamp_source\":\"2025-01-01T00:00:00Z\""'

# --strict turns the bad line into an error.
"$Y" hunt -q --strict -r "$T/rule.yml" "$T/a.jsonl" > /dev/null 2>&1; st=$?
ok "--strict exits 2" '[ $st -eq 2 ]'

# No alert: exit 0.  Missing input: exit 2.  Bad option: exit 2.
{ ev 1 cmd.exe; echo; } > "$T/none.jsonl"
"$Y" hunt -q -r "$T/rule.yml" "$T/none.jsonl" > /dev/null 2>&1; st=$?
ok "no alert exits 0" '[ $st -eq 0 ]'
"$Y" hunt -q -r "$T/rule.yml" "$T/missing.jsonl" > /dev/null 2>&1; st=$?
ok "missing input exits 2" '[ $st -eq 2 ]'
"$Y" hunt --format xml -r "$T/rule.yml" "$T/none.jsonl" > /dev/null 2>&1; st=$?
ok "bad format exits 2" '[ $st -eq 2 ]'
"$Y" hunt -q -r "$T/nonexistent-rules" "$T/none.jsonl" > /dev/null 2>&1; st=$?
ok "missing rules exits 2" '[ $st -eq 2 ]'

# A JSON array, pretty-printed concatenated documents, gzip, zstd, stdin.
{ echo "["; ev 1 whoami.exe; echo ","; ev 2 whoami.exe; echo "]"; } > "$T/arr.json"
ok "JSON array" '[ $("$Y" hunt -q -r "$T/rule.yml" "$T/arr.json" | wc -l) -eq 2 ]'
{ ev 1 whoami.exe; ev 2 whoami.exe; } | python3 -c 'import sys,json
d=json.JSONDecoder(); s=sys.stdin.read(); i=0
while i < len(s):
    o,i=d.raw_decode(s,i); print(json.dumps(o,indent=2))' > "$T/pretty.json"
ok "pretty concatenated documents" '[ $("$Y" hunt -q -r "$T/rule.yml" "$T/pretty.json" | wc -l) -eq 2 ]'
gzip -c "$T/a.jsonl" > "$T/a.jsonl.gz"; zstd -q -c "$T/a.jsonl" > "$T/a.jsonl.zst"
ok "gzip" '[ $("$Y" hunt -q -r "$T/rule.yml" "$T/a.jsonl.gz" 2>/dev/null | wc -l) -eq 2 ]'
ok "zstd" '[ $("$Y" hunt -q -r "$T/rule.yml" "$T/a.jsonl.zst" 2>/dev/null | wc -l) -eq 2 ]'
ok "stdin" '[ $("$Y" hunt -q -r "$T/rule.yml" - < "$T/a.jsonl" 2>/dev/null | wc -l) -eq 2 ]'
head -c 200 "$T/a.jsonl.gz" > "$T/trunc.jsonl.gz"
"$Y" hunt -r "$T/rule.yml" "$T/trunc.jsonl.gz" > "$T/out" 2> "$T/err"
ok "truncated gzip: events before the damage still match" '[ $(wc -l < "$T/out") -ge 1 ]'

# Character sets: UTF-16 with a byte-order mark, CP932 (Shift_JIS) lines, invalid bytes kept.
python3 - "$T" <<'PY'
import sys
t = sys.argv[1]
line = "<38>Jan 10 10:00:00 host sshd[42]: Failed password for root from 203.0.113.9 port 22 ssh2\n"
open(t + "/u16le.log", "wb").write(b"\xff\xfe" + (line * 2).encode("utf-16-le"))
open(t + "/u16be.log", "wb").write(b"\xfe\xff" + line.encode("utf-16-be"))
jp = "<38>Jan 10 10:00:01 host sshd[43]: ログイン失敗 user=管理者\n"
open(t + "/cp932.log", "wb").write(jp.encode("cp932"))
# CP932 bytes only before a long ASCII tail: the UTF-8 check reads ASCII 16 bytes at a time.
jp2 = "<38>Jan 10 10:00:05 host sshd[47]: ログイン失敗 for admin from 192.0.2.10 port 22 ssh2 (attempt 3)\n"
open(t + "/cp932-tail.log", "wb").write(jp2.encode("cp932"))
open(t + "/badutf8.log", "wb").write(b"<38>Jan 10 10:00:02 host sshd[44]: bad \xff\xfe bytes\n")
# A surrogate pair (U+1F600), then a high surrogate with no low one after it.
pair = "<38>Jan 10 10:00:03 host sshd[45]: face \U0001F600 end\n".encode("utf-16-le")
lone = "<38>Jan 10 10:00:04 host sshd[46]: lone ".encode("utf-16-le") + b"\x3d\xd8" + " end\n".encode("utf-16-le")
open(t + "/u16pairs.log", "wb").write(b"\xff\xfe" + pair + lone)
PY
ok "UTF-16LE with BOM decodes" '[ $("$Y" decode -q "$T/u16le.log" | grep -c "Failed password") -eq 2 ]'
ok "UTF-16BE with BOM decodes" '"$Y" decode -q "$T/u16be.log" | grep -q "Failed password for root"'
ok "CP932 line converted to UTF-8" '"$Y" decode -q "$T/cp932.log" | grep -q "ログイン失敗 user=管理者"'
ok "CP932 before a long ASCII tail converted" '"$Y" decode -q "$T/cp932-tail.log" | grep -q "ログイン失敗 for admin from 192.0.2.10 port 22 ssh2"'
ok "invalid bytes kept visible" '"$Y" decode -q "$T/badutf8.log" | grep -q "bad \\\\u00ff\\\\u00fe bytes"'
ok "UTF-16 surrogate pair joined" '"$Y" decode -q "$T/u16pairs.log" | grep -q "face $(printf "\360\237\230\200") end"'
ok "UTF-16 lone surrogate is U+FFFD" '"$Y" decode -q "$T/u16pairs.log" | grep -q "lone $(printf "\357\277\275") end"'

# Folders are searched recursively; CSV and table formats; -o.
mkdir -p "$T/dir/sub"; cp "$T/a.jsonl" "$T/dir/sub/x.jsonl"; cp "$T/arr.json" "$T/dir/y.json"
"$Y" hunt -q -r "$T/rule.yml" --format csv -o "$T/out.csv" "$T/dir" 2>/dev/null
ok "csv header and 4 rows" '[ $(wc -l < "$T/out.csv") -eq 5 ] && head -1 "$T/out.csv" | grep -q "^timestamp,computer,channel,event_id,record_id,level,rule_title,details,rule_id"'
"$Y" hunt -q -r "$T/rule.yml" --format table "$T/dir" > "$T/table" 2>/dev/null
ok "table format" 'grep -q "high.*Whoami" "$T/table"'
ok "min-level filters" '[ $("$Y" hunt -q -r "$T/rule.yml" --min-level critical "$T/dir" 2>/dev/null | wc -l) -eq 0 ]'

# Output does not depend on the thread count (a file large enough to be cut in slices).
python3 - "$T/big.jsonl" <<'PY'
import sys, json
with open(sys.argv[1], "w") as f:
    for i in range(60000):
        img = "whoami.exe" if i % 997 == 0 else "svchost%d.exe" % (i % 50)
        f.write(json.dumps({"Event": {"System": {"EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational"},
                 "EventData": {"Image": "C:\\Windows\\System32\\" + img, "CommandLine": "x" * 200}}}) + "\n")
PY
"$Y" hunt -q -t 1 -r "$T/rule.yml" "$T/big.jsonl" > "$T/t1"
"$Y" hunt -q -t 4 -r "$T/rule.yml" "$T/big.jsonl" > "$T/t4"
ok "same output with 1 and 4 threads" 'cmp -s "$T/t1" "$T/t4" && [ $(wc -l < "$T/t1") -eq 61 ]'
ok "last alert has the right line" 'tail -1 "$T/t1" | grep -q "\"line\":59821,\"index\":59821"'

# rules check: an invalid rule is reported with file:line:column, the rest load.
cat > "$T/bad.yml" <<'R'
title: Good
logsource: {product: windows}
detection:
  sel:
    Image: x
  condition: sel
---
title: Bad modifier
id: 22222222-2222-4222-8222-222222222222
logsource: {product: windows}
detection:
  sel:
    Image|nosuchmod: x
  condition: sel
---
title: Bad condition
logsource: {product: windows}
detection:
  sel:
    Image: x
  condition: sel and nothere
R
"$Y" rules check "$T/bad.yml" > "$T/out" 2> "$T/err"; st=$?
ok "rules check exits 1" '[ $st -eq 1 ]'
ok "unknown modifier at 13:5" 'grep -q "bad.yml:13:5: 22222222-2222-4222-8222-222222222222: unsupported: .*nosuchmod" "$T/out"'
ok "bad condition at line 21" 'grep -q "bad.yml:21:.*unknown search identifier .nothere." "$T/out"'
ok "the good rule compiled" 'grep -q "1 detection rule(s) compiled" "$T/err"'
"$Y" rules check "$SRC/tests/rules/structure/rule.yml" > /dev/null 2>&1; st=$?
ok "clean rules exit 0" '[ $st -eq 0 ]'
# Help texts are read whole before they are searched: `grep -q` would stop
# reading at its match and, with pipefail, a writer cut off by SIGPIPE fails
# the check at random.
"$Y" hunt --help > "$T/help"
ok "help for hunt" 'grep -q "Exit status" "$T/help"'
"$Y" rules --help > "$T/help"
ok "help for rules" 'grep -q "rules check" "$T/help"'
# Every command answers --help on standard output with exit 0, and names what it does.
"$Y" --help > "$T/help"
ok "help lists every command" 'grep -q incidents "$T/help" && grep -q "intel export" "$T/help" && grep -q serve "$T/help" && grep -q metrics "$T/help" && grep -q logons "$T/help" && grep -q search "$T/help" && grep -q campaigns "$T/help"'
for c in "watch" "decode" "search" "metrics" "logons" "serve" "campaigns" "incidents" "incidents list" "incidents show" "incidents close" \
    "incidents export" "intel" "intel check" "intel load" "intel pull" "intel export"; do
    ok "help for $c" '"$Y" $c --help > "$T/help" 2> "$T/helperr" && [ -s "$T/help" ] && grep -qi "usage" "$T/help"'
done
"$Y" intel nosuch > /dev/null 2> "$T/err"; st=$?
ok "unknown intel subcommand exits 2 and says so" '[ $st -eq 2 ] && grep -q "unknown subcommand .nosuch." "$T/err"'

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
