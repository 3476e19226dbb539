#!/usr/bin/env bash
# run_watch_bench.sh - `yagura watch` under syslog load.
#
#   bench/run_watch_bench.sh [--count N] [--yagura PATH]
#
# Starts `yagura watch` with the whole SigmaHQ corpus plus one benchmark rule,
# a syslog-tcp input on 127.0.0.1 and a JSON-lines sink, then sends N
# (default 2,000,000) RFC 5424 messages from a separate process
# (bench/syslog_sender) over one TCP connection. Prints: messages sent, the
# service's events counted (/metrics; zero loss means equal), sustained
# events/s (first to last event), peak RSS of the service, and the end-to-end
# alert latency of the marker messages (median, p99: send time to the alert
# line appearing in the sink). Prints the commit and machine first. Never run
# by the test suite.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
count=2000000
yagura="${YAGURA:-$repo/build/yagura}"
sender="${SYSLOG_SENDER:-$repo/build/bench/syslog_sender}"
shared="${YG_SHARED_DIR:-$repo/../shared}"
while (($#)); do
    case "$1" in
    --count) count="$2"; shift 2 ;;
    --yagura) yagura="$2"; shift 2 ;;
    -h | --help) sed -n '2,/^$/s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "run_watch_bench: unknown option $1" >&2; exit 2 ;;
    esac
done
[ -x "$yagura" ] && [ -x "$sender" ] || { echo "build first: cmake --build build" >&2; exit 2; }
echo "commit $(git -C "$repo" rev-parse --short HEAD)$(git -C "$repo" diff --quiet || echo ' (with uncommitted changes)')"
echo "machine $(uname -m), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"
tmp=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$tmp"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
hport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$tmp/bench.yml" <<'R'
title: Benchmark marker
id: 6f0e3d2a-5b1c-4a9e-8d7f-1c2b3a4d5e6f
level: low
logsource: {product: linux, service: sshd}
detection:
  sel:
    message|contains: 'publickey for benchmarker'
  condition: sel
R
{
    echo "rules:"
    echo "  - $tmp/bench.yml"
    for d in "$shared"/sigma/rules*; do echo "  - $d"; done
    echo "state: $tmp/state.db"
    echo "inputs:"
    echo "  - {name: tcp, type: syslog-tcp, listen: '127.0.0.1:$port'}"
    echo "sinks:"
    echo "  - {type: jsonl, path: $tmp/alerts.jsonl}"
    echo "http: {listen: '127.0.0.1:$hport'}"
    echo "log: {level: warning}"
} > "$tmp/yagura.yaml"
"$yagura" watch -c "$tmp/yagura.yaml" 2> "$tmp/service.log" &
pid=$!
for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$hport/healthz" > /dev/null 2>&1 && break
    python3 -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:$hport/healthz', timeout=1)" 2>/dev/null && break
    sleep 0.2
done
events() {
    python3 - "$hport" <<'PY'
import sys, urllib.request
m = urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/metrics", timeout=5).read().decode()
print(sum(float(l.split()[-1]) for l in m.splitlines() if l.startswith("yagura_events_total")))
PY
}
t0=$(date +%s.%N)
"$sender" 127.0.0.1 "$port" "$count" 1000 > "$tmp/sent" &
spid=$!
prev=-1
stall=0
while :; do
    n=$(events)
    n=${n%.*}
    if [ "$n" -ge "$count" ]; then break; fi
    if [ "$n" = "$prev" ]; then stall=$((stall + 1)); else stall=0; fi
    # Stop waiting after 10 s without progress (loss is then reported).
    [ "$stall" -ge 50 ] && break
    prev=$n
    sleep 0.2
done
t1=$(date +%s.%N)
wait "$spid" || true
sleep 1
# Peak resident memory of the service, before stopping it.
awk '/VmHWM/ {print $2}' "/proc/$pid/status" > "$tmp/rss"
kill -TERM "$pid"
wait "$pid" || true
python3 - "$count" "$n" "$t0" "$t1" "$tmp/state.db" "$tmp/rss" "$tmp/sent" <<'PY'
import json, re, sqlite3, statistics, sys
count, seen = int(sys.argv[1]), int(sys.argv[2])
t0, t1 = float(sys.argv[3]), float(sys.argv[4])
db = sqlite3.connect(sys.argv[5])
lat = []
for stored_at, js in db.execute(
        "select stored_at, json from alerts where rule_id = '6f0e3d2a-5b1c-4a9e-8d7f-1c2b3a4d5e6f'"):
    m = re.search(r"sent=(\d+)", js)
    if m:
        lat.append(stored_at - int(m.group(1)) / 1e6)
rss = int(open(sys.argv[6]).read().strip().splitlines()[-1]) / 1024
print(open(sys.argv[7]).read().strip())
print(f"messages sent        {count}")
print(f"events processed     {seen} ({'zero loss' if seen == count else f'LOST {count - seen}'})")
print(f"sustained rate       {seen / (t1 - t0):.0f} events/s (service, whole SigmaHQ corpus loaded)")
print(f"peak RSS (service)   {rss:.1f} MB")
if lat:
    lat.sort()
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
    print(f"alert latency        median {statistics.median(lat):.0f} ms, p99 {p99:.0f} ms "
          f"({len(lat)} marker alerts; send to stored in the state database)")
    print(f"targets              {'PASS' if seen / (t1 - t0) >= 200000 else 'MISS'} 200,000 events/s; "
          f"{'PASS' if seen == count else 'MISS'} zero loss; {'PASS' if p99 < 1000 else 'MISS'} p99 < 1 s")
PY
