#!/usr/bin/env bash
# OpenTelemetry logs in yagura hunt: files of the collector's file exporter (one OTLP/JSON
# ExportLogsServiceRequest per line) and a pretty-printed request (the OTLP specification's
# example, tests/otlp/logs.json) give one event per log record, attributes flattened to
# attributes.*, resource.*, scope.*, body; the log source comes from the records' logsource.*
# attributes or from --logsource. A bad request is reported with its line and column.
set -uo pipefail
Y=${YAGURA:?}
D="$(cd "$(dirname "${BASH_SOURCE[0]}")/../otlp" && pwd)"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
ok() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1"; fi; }

cat > "$T/rules.yml" << 'R'
title: Admin login failed at the gateway
id: 7f3e2a10-5b8c-4d2e-9f10-2c4b6d8e0a11
logsource: {product: otel, service: gateway}
detection:
  sel:
    body: login failed
    attributes.user.name: admin
    resource.service.name: auth-gateway
  condition: sel
level: high
---
title: sshd failed password for an invalid user
id: 1c9d7e55-0a3b-4f6c-8d21-6e5f4a3b2c19
logsource: {product: linux, service: sshd}
detection:
  sel:
    body|contains|all: [Failed password, invalid user]
  condition: sel
level: medium
---
title: Array and map attributes of the OTLP example
id: 2a4c6e80-1b3d-4f5a-9c7e-0d2f4b6a8c91
logsource: {product: otel, service: gateway}
detection:
  sel:
    attributes.array.attribute: values
    attributes.map.attribute.some.map.key: some value
    attributes.boolean.attribute: 'true'
    attributes.int.attribute: 10
    scope.attributes.my.scope.attribute: some scope attribute
  condition: sel
level: low
R
run() { "$Y" hunt -q -t 1 --no-event -r "$T/rules.yml" "$@" 2> "$T/err"; }
run --logsource product=otel,service=gateway "$D/file-exporter.jsonl" > "$T/a"; st=$?
ok "file exporter: exit 1 (alerts)" '[ $st -eq 1 ]'
ok "configured log source: both admin failures, not alice" '[ $(grep -c 7f3e2a10 "$T/a") -eq 2 ]'
ok "log source from resource attributes: the sshd rule" '[ $(grep -c 1c9d7e55 "$T/a") -eq 1 ] && grep 1c9d7e55 "$T/a" | grep -q "\"line\":2"'
ok "event time from timeUnixNano" 'grep 7f3e2a10 "$T/a" | head -1 | grep -q "\"timestamp\":\"2024-12-07T14:00:00.000Z\""'
run "$D/file-exporter.jsonl" > "$T/b"; st=$?
ok "without --logsource only records that carry one are matched" '[ $(grep -c 7f3e2a10 "$T/b") -eq 0 ] && [ $(grep -c 1c9d7e55 "$T/b") -eq 1 ]'
run --logsource product=otel,service=gateway "$D/logs.json" > "$T/c"; st=$?
ok "OTLP example (pretty-printed): arrays, maps, booleans, integers, scope attributes" '[ $st -eq 1 ] && grep -q 2a4c6e80 "$T/c"'
"$Y" decode --logsource product=otel,service=gateway "$D/file-exporter.jsonl" > "$T/d"
ok "decode: one event per log record" '[ $(wc -l < "$T/d") -eq 4 ]'
ok "decode: flattened names" 'grep -q "\"attributes.client.address\":\"203.0.113.7\"" "$T/d" && grep -q "\"resource.host.name\":\"bastion\"" "$T/d"'
{ head -1 "$D/file-exporter.jsonl"; echo '{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"stringValue":"x"}]}]}]} trailing'; tail -1 "$D/file-exporter.jsonl"; } > "$T/bad.jsonl"
run -i otlp --logsource product=otel,service=gateway "$T/bad.jsonl" > "$T/e"; st=$?
ok "a bad request is reported with line and column, the others still match" '[ $st -eq 1 ] && grep -q "bad.jsonl:2:[0-9]*: .*otlp" "$T/err" && [ $(grep -c 7f3e2a10 "$T/e") -eq 2 ] && [ $(grep -c 1c9d7e55 "$T/e") -eq 1 ]'
echo "test_otlp_hunt: $pass passed, $fail failed"
[ $fail -eq 0 ]
