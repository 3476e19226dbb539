#!/usr/bin/env bash
# hunt --pipeline: each supported pySigma transformation and condition changes what matches the
# way pySigma's does; an unsupported one is an error naming the file, line, column and type.
set -uo pipefail
Y=${YAGURA:?}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
ok() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1"; fi; }
# hits PIPELINE [LOGSOURCE]: the event lines that alert.
hits() {
    "$Y" hunt -q --no-event -t 1 -r "$T/r.yml" --pipeline "$1" \
        --logsource "${2:-product=windows,category=process_creation}" "$T/ev.jsonl" 2> "$T/err" |
        sed -n 's/.*"line":\([0-9]*\).*/\1/p' | sort -n | tr '\n' ' '
}
cat > "$T/r.yml" << 'R'
title: cmd whoami
id: 5d1c6f0e-7c44-4f3a-9a59-0d3f3c2d0b11
tags: [attack.t1033]
logsource: {product: windows, category: process_creation}
detection:
  sel:
    Image|endswith: '\cmd.exe'
    CommandLine|contains: whoami
  condition: sel
level: high
R
cat > "$T/ev.jsonl" << 'E'
{"EventCode":1,"process":"cmd /c whoami","process_path":"C:\\w\\cmd.exe"}
{"EventCode":1,"process":"cmd /c whoami","image":"C:\\w\\cmd.exe"}
{"EventCode":2,"process":"cmd /c whoami","image":"C:\\w\\cmd.exe"}
{"EventCode":1,"CommandLine":"cmd /c whoami","Image":"C:\\w\\cmd.exe"}
{"ecs.CommandLine":"cmd /c whoami","ecs.Image":"C:\\w\\cmd.exe","dropped":1}
{"CommandLine_x":"cmd /c whoami","Image_x":"C:\\w\\cmd.exe"}
{"proc.CommandLine":"cmd /c whoami","proc.Image":"C:\\w\\cmd.exe"}
E
cat > "$T/map.yml" << 'P'
name: mapping and condition
transformations:
  - id: code
    type: add_condition
    conditions: {EventCode: 1}
    rule_conditions: [{type: logsource, product: windows, category: process_creation}]
  - id: names
    type: field_name_mapping
    mapping: {CommandLine: process, Image: [process_path, image]}
    rule_conditions: [{type: tag, tag: attack.t1033}]
P
printf 'name: empty\ntransformations: []\n' > "$T/empty.yml"
ok "an empty pipeline: Sigma names only" '[ "$(hits "$T/empty.yml")" = "4 " ]'
ok "field_name_mapping one-to-many and add_condition" '[ "$(hits "$T/map.yml")" = "1 2 " ]'
sed 's/product: windows, category: process_creation/product: linux/' "$T/map.yml" > "$T/map_ls.yml"
ok "logsource rule condition that does not hold: no condition added" '[ "$(hits "$T/map_ls.yml")" = "1 2 3 " ]'
sed 's/tag: attack.t1033/tag: attack.t9999/' "$T/map.yml" > "$T/map_tag.yml"
ok "tag rule condition that does not hold: no mapping" '[ "$(hits "$T/map_tag.yml")" = "4 " ]'
cat > "$T/neg.yml" << 'P'
transformations:
  - type: add_condition
    negated: true
    conditions: {EventCode: 1}
P
ok "negated add_condition" '[ "$(hits "$T/neg.yml")" = "" ]'
cat > "$T/pre.yml" << 'P'
transformations:
  - id: pfx
    type: field_name_prefix
    prefix: ecs.
    field_name_conditions: [{type: include_fields, fields: [CommandLine, Image]}]
  - type: drop_detection_item
    field_name_conditions: [{type: include_fields, fields: ['ecs\..*'], mode: re}]
    field_name_cond_not: true
P
ok "field_name_prefix with include_fields" '[ "$(hits "$T/pre.yml")" = "5 " ]'
cat > "$T/suf.yml" << 'P'
transformations:
  - id: suffix
    type: field_name_suffix
    suffix: _x
    field_name_conditions: [{type: exclude_fields, fields: [Nothing]}]
P
ok "field_name_suffix with exclude_fields" '[ "$(hits "$T/suf.yml")" = "6 " ]'
cat > "$T/pmap.yml" << 'P'
transformations:
  - id: pm
    type: field_name_prefix_mapping
    mapping: {Comm: proc.Comm, Ima: proc.Ima}
  - type: field_name_prefix
    prefix: never.
    field_name_conditions: [{type: processing_item_applied, processing_item_id: pm}]
    field_name_cond_not: true
P
ok "field_name_prefix_mapping, processing_item_applied field condition" '[ "$(hits "$T/pmap.yml")" = "7 " ]'
cat > "$T/drop.yml" << 'P'
transformations:
  - type: drop_detection_item
    field_name_conditions: [{type: include_fields, fields: [Image]}]
P
ok "drop_detection_item keeps the other fields" '[ "$(hits "$T/drop.yml")" = "4 " ]'
cat > "$T/ls.yml" << 'P'
transformations:
  - type: change_logsource
    product: windows
    service: sysmon
    rule_conditions: [{type: rule_attribute, attribute: id, value: 5d1c6f0e-7c44-4f3a-9a59-0d3f3c2d0b11}]
P
ok "change_logsource: the rule no longer runs on process_creation" '[ "$(hits "$T/ls.yml")" = "" ]'
ok "change_logsource: it runs on the new log source" '[ "$(hits "$T/ls.yml" product=windows,service=sysmon)" = "4 " ]'
cat > "$T/fail.yml" << 'P'
transformations:
  - type: rule_failure
    message: process creation is not collected here
    rule_conditions: [{type: logsource, category: process_creation}]
P
hits "$T/fail.yml" > /dev/null
ok "rule_failure: the rule is reported and left out" 'grep -q "r.yml:.*pipeline rule_failure (.*fail.yml:2:5): process creation is not collected here" "$T/err"'
printf 'name: x\ntransformations:\n  - id: a\n    type: field_name_mapping\n    mapping: {A: b}\n  - id: s\n    type: replace_string\n    regex: x\n    replacement: y\n' > "$T/bad1.yml"
"$Y" hunt -q -r "$T/r.yml" --pipeline "$T/bad1.yml" "$T/ev.jsonl" > /dev/null 2> "$T/err"; st=$?
ok "unsupported transformation: exit 2, file:line:col and the type" '[ $st -eq 2 ] && grep -q "bad1.yml:7:11: .*transformation type .replace_string. is not supported" "$T/err"'
printf 'transformations:\n  - type: field_name_mapping\n    mapping: {A: b}\n    rule_conditions:\n      - type: contains_detection_item\n        field: A\n        value: x\n' > "$T/bad2.yml"
"$Y" hunt -q -r "$T/r.yml" --pipeline "$T/bad2.yml" "$T/ev.jsonl" > /dev/null 2> "$T/err"; st=$?
ok "unsupported rule condition named with its position" '[ $st -eq 2 ] && grep -q "bad2.yml:5:15: .*rule condition type .contains_detection_item. is not supported" "$T/err"'
printf 'transformations:\n  - type: field_name_mapping\n    mapping: {A: b}\n    detection_item_conditions:\n      - type: match_string\n        pattern: x\n' > "$T/bad3.yml"
"$Y" hunt -q -r "$T/r.yml" --pipeline "$T/bad3.yml" "$T/ev.jsonl" > /dev/null 2> "$T/err"; st=$?
ok "detection item conditions refused" '[ $st -eq 2 ] && grep -q "bad3.yml:5:7: .*detection_item_conditions. is not supported" "$T/err"'
printf 'transformations: [\n' > "$T/bad4.yml"
"$Y" hunt -q -r "$T/r.yml" --pipeline "$T/bad4.yml" "$T/ev.jsonl" > /dev/null 2> "$T/err"; st=$?
ok "YAML syntax error in a pipeline: exit 2 with its position" '[ $st -eq 2 ] && grep -q "bad4.yml:[0-9]*:[0-9]*: " "$T/err"'
"$Y" hunt -q -r "$T/r.yml" --pipeline "$T/missing.yml" "$T/ev.jsonl" > /dev/null 2> "$T/err"; st=$?
ok "missing pipeline file: exit 2" '[ $st -eq 2 ] && grep -q "missing.yml" "$T/err"'
# fieldref values are field names: renamed too, as pySigma does.
cat > "$T/fr.yml" << 'R'
title: same user
id: 8e0f3c5a-2d41-4b6e-9c7a-1f2e3d4c5b6a
logsource: {product: windows, category: process_creation}
detection:
  sel:
    User|fieldref: TargetUser
  condition: sel
level: low
R
printf '%s\n' '{"user":"a","target_user":"a"}' '{"user":"a","target_user":"b"}' '{"User":"a","TargetUser":"a"}' > "$T/fr.jsonl"
printf 'transformations:\n  - type: field_name_mapping\n    mapping: {User: user, TargetUser: target_user}\n' > "$T/frp.yml"
got=$("$Y" hunt -q --no-event -t 1 -r "$T/fr.yml" --pipeline "$T/frp.yml" \
    --logsource product=windows,category=process_creation "$T/fr.jsonl" | sed -n 's/.*"line":\([0-9]*\).*/\1/p' | tr '\n' ' ')
ok "fieldref values renamed with their fields" '[ "$got" = "1 " ]'

# The service: `pipelines:` in its configuration, checked with --check.
printf 'rules: [%s]\nstate: %s\npipelines: [%s]\ninputs: [{name: i, type: stdin}]\n' \
    "$T/r.yml" "$T/state.db" "$T/map.yml" > "$T/w_ok.yaml"
sed "s#$T/map.yml#$T/bad1.yml#" "$T/w_ok.yaml" > "$T/w_bad.yaml"
"$Y" watch -c "$T/w_ok.yaml" --check > /dev/null 2>&1; st_ok=$?
"$Y" watch -c "$T/w_bad.yaml" --check > /dev/null 2> "$T/werr"; st_bad=$?
ok "watch: pipelines loads, a bad one is refused naming it" '[ $st_ok -eq 0 ] && [ $st_bad -eq 2 ] && grep -q "bad1.yml:7:11: .*replace_string" "$T/werr"'
echo "test_pipeline: $pass passed, $fail failed"
[ $fail -eq 0 ]
