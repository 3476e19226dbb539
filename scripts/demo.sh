#!/usr/bin/env bash
# demo.sh YAGURA - hunt with the SigmaHQ corpus over example logs and show the result.
#
# The examples are (1) the SigmaHQ regression EVTX files and their JSON renderings in
# ../shared/sigma/regression (real attack recordings), and (2) a small generated, deterministic
# mix of Sysmon and Microsoft 365 events (bench/gen_events, 4 MiB, compressed with zstd), so
# the demo shows EVTX, JSON and compressed input in one hunt.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
yagura="${1:-$here/build/yagura}"
shared="${YG_SHARED_DIR:-$here/../shared}"
out="$here/build/demo"
mkdir -p "$out"

if [ ! -d "$shared/sigma/rules" ]; then
    echo "demo: the shared data folder is not at $shared (set YG_SHARED_DIR)" >&2
    exit 2
fi
gen="$here/build/bench/gen_events"
if [ -x "$gen" ] && [ ! -f "$out/generated-sysmon-m365.jsonl.zst" ]; then
    "$gen" --bytes 4M --seed 7 --malicious-ratio 0.01 -o - | zstd -q -o "$out/generated-sysmon-m365.jsonl.zst"
fi

rules=()
for d in "$shared"/sigma/rules*; do rules+=(-r "$d"); done

echo "== yagura rules check (the whole SigmaHQ corpus)"
"$yagura" rules check "$shared"/sigma/rules* || true
echo
echo "== yagura hunt --format table over the regression recordings and generated events"
set +e
"$yagura" hunt "${rules[@]}" --format table -o "$out/alerts.txt" \
    --stats-json "$out/stats.json" "$shared/sigma/regression" "$out"/*.zst
status=$?
set -e
head -n 25 "$out/alerts.txt"
echo "... ($(wc -l < "$out/alerts.txt") alerts in $out/alerts.txt; JSON lines: yagura hunt --format jsonl)"
echo "exit status $status (0 no alert, 1 alerts, 2 error)"
[ "$status" -le 1 ]
