#!/usr/bin/env bash
# `yagura incidents list` and `show` print entities as they are (a quote in an account name
# is a quote, not the \" of the stored JSON), read as structs from the state database; the
# hunt's --incidents builds them.  Each check prints FAIL on failure; the last line counts them.
set -uo pipefail
Y=${YAGURA:?}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
ok() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1"; fi; }

cat > "$T/r.yml" <<'YML'
title: Failed Logon
id: 11111111-2222-3333-4444-555555555555
status: test
level: high
logsource:
  product: windows
  service: security
detection:
  sel:
    EventID: 4625
  condition: sel
YML
# evtx_dump's JSON of a failed logon of the account o"neil from 203.0.113.9 on WS1
printf '%s\n' '{"Event":{"System":{"Channel":"Security","EventID":4625,"Computer":"WS1","TimeCreated":{"#attributes":{"SystemTime":"2024-05-01T10:00:00Z"}}},"EventData":{"TargetUserName":"o\"neil","IpAddress":"203.0.113.9"}}}' > "$T/e.json"

"$Y" hunt -q -r "$T/r.yml" --incidents "$T/a.db" -o /dev/null "$T/e.json"; st=$?
ok "hunt --incidents: an alert (exit 1)" '[ $st -eq 1 ]'
"$Y" incidents list --db "$T/a.db" > "$T/list" 2>&1
ok "list: the entities unescaped, observers left out" \
    'grep -q "account:o\"neil, address:203.0.113.9, host:ws1 " "$T/list"'
id=$(awk 'NR == 2 { print $1 }' "$T/list")
"$Y" incidents show --db "$T/a.db" "$id" > "$T/show" 2>&1
ok "show: each entity with its alert count" \
    'grep -q "entities:  account:o\"neil (1), address:203.0.113.9 (1), host:ws1 (1)$" "$T/show"'
ok "show: the step's entities" 'grep -q "account:o\"neil" <(sed -n "/Timeline:/,\$p" "$T/show")'
"$Y" incidents list --db "$T/a.db" --json > "$T/json"
ok "list --json: the stored JSON, escaped" 'grep -q "\"value\":\"o\\\\\"neil\"" "$T/json"'

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
