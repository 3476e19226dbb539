#!/usr/bin/env bash
# A user mapping file overlays the shipped one (hunt --mapping FILE, `mappings:` in the watch
# configuration): its new channel routes to its service, while the shipped channels and
# categories keep working; a bad overlay is reported with its file, line and column.
set -uo pipefail
Y=${YAGURA:?} S=${YG_SHARED_DIR:?}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
ok() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1"; fi; }

mkdir -p "$T/rules"
cat > "$T/rules/myapp.yml" << 'R'
title: MyApp runs evil.exe
id: 0b6f4a4e-8a8b-4a3c-9d61-7f5f2d5e9a01
logsource:
  product: windows
  service: myapp
detection:
  sel:
    Image|endswith: '\evil.exe'
  condition: sel
level: high
R
cat > "$T/overlay.yml" << 'M'
windows:
  services:
    MyApp/Operational: myapp
M
printf '%s\n' '{"Event":{"System":{"Channel":"MyApp/Operational","EventID":7},"EventData":{"Image":"C:\\x\\evil.exe"}}}' > "$T/ev.jsonl"
SYSMON_RULES="$S/sigma/rules/windows/process_creation"
EVTX="$S/logs/hayabusa-yamato-evtx/Sysmon/Sysmon-27-BlockExeWrite_AbusingCertutil.evtx"

"$Y" hunt -q -r "$T/rules" "$T/ev.jsonl" > "$T/a0" 2> /dev/null; st=$?
ok "without the overlay the channel has no service: no alert" '[ $st -ne 1 ] && [ ! -s "$T/a0" ]'
"$Y" hunt -q --mapping "$T/overlay.yml" -r "$T/rules" "$T/ev.jsonl" > "$T/a1"; st=$?
ok "--mapping: the new channel routes to its service" '[ $st -eq 1 ] && grep -q "0b6f4a4e-8a8b-4a3c-9d61-7f5f2d5e9a01" "$T/a1"'
"$Y" hunt -q -r "$SYSMON_RULES" "$EVTX" > "$T/b0" 2> /dev/null; st0=$?
"$Y" hunt -q --mapping "$T/overlay.yml" -r "$SYSMON_RULES" "$EVTX" > "$T/b1" 2> /dev/null; st1=$?
ok "--mapping keeps the shipped mapping (Sysmon categories)" '[ $st0 -eq 1 ] && [ $st1 -eq 1 ] && [ $(wc -l < "$T/b0") -eq $(wc -l < "$T/b1") ]'
"$Y" decode --mapping "$T/overlay.yml" "$T/ev.jsonl" > "$T/d" 2>&1
ok "decode --mapping shows the service" 'grep -q "\"service\":\"myapp\"" "$T/d"'
printf 'windows:\n  services: [a, b]\n' > "$T/bad.yml"
"$Y" hunt -q --mapping "$T/bad.yml" -r "$T/rules" "$T/ev.jsonl" > /dev/null 2> "$T/err"; st=$?
ok "bad overlay: exit 2 naming the file and line" '[ $st -eq 2 ] && grep -q "bad.yml.*line 2" "$T/err"'

cat > "$T/w.yaml" << W
rules: [$T/rules]
mappings: [$T/overlay.yml]
state: $T/state.db
inputs:
  - name: in
    type: stdin
sinks:
  - type: jsonl
    path: $T/alerts.jsonl
W
"$Y" watch -c "$T/w.yaml" --exit-when-idle 300 < "$T/ev.jsonl" > /dev/null 2> "$T/werr"; st=$?
ok "watch with mappings: in its configuration" '[ $st -eq 0 ] && grep -q "0b6f4a4e-8a8b-4a3c-9d61-7f5f2d5e9a01" "$T/alerts.jsonl"' || cat "$T/werr"
sed -i "s|^mappings: .*|mappings: $T/overlay.yml|" "$T/w.yaml"
"$Y" watch -c "$T/w.yaml" --check > /dev/null 2> "$T/werr"; st=$?
ok "mappings: must be a list (exit 2, key and line)" '[ $st -eq 2 ] && grep -q "mappings: line 2" "$T/werr"'

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
