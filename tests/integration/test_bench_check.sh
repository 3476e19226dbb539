#!/usr/bin/env bash
# bench/run_hunt_bench.sh checks the alerts and the events per log source against its
# reference, so that a routing or matching regression fails the benchmark: the real-records
# workload at a small size (two copies of the records) passes against
# bench/reference/real-records.json, and fails, naming the log source with the expected and
# the seen count, when one alert count or one event count of the reference is altered.
# Each check prints FAIL on failure; the last line counts them.
set -uo pipefail
Y=${YAGURA:?} S=${YG_SHARED_DIR:?} SRC=${YG_SOURCE_DIR:?}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
ok() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1"; fi; }

REF="$SRC/bench/reference/real-records.json"
bench() { # extra arguments; output in $T/out, status in $st
    YG_SHARED_DIR="$S" bash "$SRC/bench/run_hunt_bench.sh" --yagura "$Y" --workload real \
        --size 16M --check-only --threads 1 --real-data "$T/real.jsonl" "$@" >"$T/out" 2>&1
    st=$?
}

# --- the reference holds: every count is twice that of one copy --------------------------
bench
ok "real workload at 16M: exit 0" '[ $st -eq 0 ]'
ok "two copies of the real records" '[ "$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[\"copies\"])" "$T/real.jsonl.meta.json")" = 2 ]'
ok "the check passes" 'grep -q "^PASS  alerts and events of [0-9]* log source rows" "$T/out"'
ok "speed is still reported" 'grep -q "^threads .*events/s" "$T/out"'
ok "FortiGate lines hunted beside the JSON lines" 'grep -q "real.jsonl.fortigate.log" "$T/out"'
[ $st -eq 0 ] || cat "$T/out"

# --- one alert count altered: exit 1, the log source and both counts named ---------------
python3 - "$REF" "$T/alerts.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
r["alerts_by_logsource"]["product:windows service:security"] += 1
json.dump(r, open(sys.argv[2], "w"))
PY
want=$(python3 -c 'import json,sys; print(2 * json.load(open(sys.argv[1]))["alerts_by_logsource"]["product:windows service:security"])' "$T/alerts.json")
bench --real-reference "$T/alerts.json"
ok "altered alert count: exit 1" '[ $st -eq 1 ]'
ok "altered alert count: names the log source and the counts" \
    'grep -q "^MISMATCH alerts of log source '"'"'product:windows service:security'"'"': expected $want (.* x 2 copies), seen $((want - 2))$" "$T/out"'
ok "altered alert count: nothing else differs" '[ "$(grep -c ^MISMATCH "$T/out")" = 1 ]'

# --- one event count (the routing) altered -----------------------------------------------
python3 - "$REF" "$T/events.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
del r["events_by_logsource"]["product:fortigate service:traffic"]
json.dump(r, open(sys.argv[2], "w"))
PY
bench --real-reference "$T/events.json"
ok "log source missing from the reference: exit 1" '[ $st -eq 1 ]'
ok "log source missing from the reference: named, expected 0" \
    'grep -q "^MISMATCH events of log source '"'"'product:fortigate service:traffic'"'"': expected 0 " "$T/out"'

# --- no reference: exit 1, not a silent pass ---------------------------------------------
bench --real-reference "$T/none.json"
ok "missing reference: exit 1 and says so" '[ $st -eq 1 ] && grep -q "no reference $T/none.json" "$T/out"'

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
