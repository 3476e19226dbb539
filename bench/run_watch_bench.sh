#!/usr/bin/env bash
# run_watch_bench.sh - `yagura watch` under syslog load.
#
#   bench/run_watch_bench.sh [--count N] [--yagura PATH] [--workload syslog|windows]
#                            [--lines FILE] [--perf SECONDS] [--no-pin]
#
# Starts `yagura watch` with the whole SigmaHQ corpus plus one benchmark rule,
# a syslog-tcp input on 127.0.0.1 and a JSON-lines sink, then sends N
# (default 2,000,000) records from a separate process (bench/syslog_sender)
# over one TCP connection. Prints: records sent, the service's events counted
# (/metrics; zero loss means equal), sustained events/s (first to last event),
# the service's CPU seconds (utime + stime of /proc/PID/stat) per event and
# events per CPU second, peak RSS of the service, and the end-to-end alert
# latency of the marker records (median, p99: send time to the alert stored in
# the state database). Prints the commit, the machine and `uptime` (before and
# after) first. Never run by the test suite.
#
# Workloads:
#   syslog   (default) RFC 5424 OpenSSH messages, octet-counted; target 200,000
#            events/s.
#   windows  Sysmon events in evtx_dump's JSON layout, the records gen_events
#            writes for the hunt benchmark (`gen_events --m365-ratio 0 --bytes
#            64M --seed 1`, 56,040 distinct records, kept in
#            bench/data/windows-sysmon-64M.jsonl), sent in turn as JSON lines to
#            the same syslog-tcp input with `format: json`; target 500,000
#            events/s per core (the speed issue's). Why a TCP JSON-lines input
#            and not a tailed file: Windows hosts do not write a log file the
#            collector could tail; their events leave through a forwarder
#            (NXLog's om_tcp with to_json(), Fluent Bit's tcp output with
#            `format json_lines`, Logstash's tcp output with the json_lines
#            codec), which sends one JSON record per line over TCP, which is what
#            syslog-tcp takes (newline framing). Every 1,000th record is a Sysmon
#            process creation whose CommandLine carries the marker and its send
#            time. --lines FILE sends the lines of another JSON-lines file instead
#            (the marker is still a gen_events process creation).
#
# The service is pinned to core 0 and the sender to core 1 (taskset), so that
# events/s is the rate of one core of the service and the sender never takes
# the service's core; --no-pin leaves both to the scheduler. --perf SECONDS
# records the service with `perf record -g` for that long once the sending has
# started and prints the top of `perf report --no-children` (YG_PERF_CALLGRAPH=dwarf
# records call chains by DWARF unwinding: the binary keeps no frame pointers). YG_KEEP_TMP=1
# keeps the run's folder (configuration, state database, perf.data) and says
# where it is.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
count=2000000
yagura="${YAGURA:-$repo/build/yagura}"
sender="${SYSLOG_SENDER:-$repo/build/bench/syslog_sender}"
shared="${YG_SHARED_DIR:-$repo/../shared}"
gen="${GEN_EVENTS:-$repo/build/bench/gen_events}"
workload=syslog
lines=""
perf_s=0
pin=1
while (($#)); do
    case "$1" in
    --count) count="$2"; shift 2 ;;
    --yagura) yagura="$2"; shift 2 ;;
    --workload) workload="$2"; shift 2 ;;
    --lines) lines="$2"; shift 2 ;;
    --perf) perf_s="$2"; shift 2 ;;
    --no-pin) pin=0; shift ;;
    -h | --help) sed -n '2,/^$/s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "run_watch_bench: unknown option $1" >&2; exit 2 ;;
    esac
done
case "$workload" in syslog | windows) ;; *) echo "run_watch_bench: --workload takes syslog or windows" >&2; exit 2 ;; esac
[[ "$perf_s" =~ ^[0-9]+$ ]] || { echo "run_watch_bench: --perf takes whole seconds" >&2; exit 2; }
[ -z "$lines" ] || [ "$workload" = windows ] || { echo "run_watch_bench: --lines goes with --workload windows" >&2; exit 2; }
[ -x "$yagura" ] && [ -x "$sender" ] || { echo "build first: cmake --build build" >&2; exit 2; }
echo "commit $(git -C "$repo" rev-parse --short HEAD)$(git -C "$repo" diff --quiet || echo ' (with uncommitted changes)')"
echo "machine $(uname -m), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"
echo "uptime before $(uptime)"
svc_pin=() snd_pin=()
if ((pin)) && command -v taskset > /dev/null && [ "$(nproc)" -ge 2 ]; then
    svc_pin=(taskset -c 0) snd_pin=(taskset -c 1)
    echo "pinned service to core 0, sender to core 1"
else
    echo "not pinned: events/s is not per core (see CPU seconds per event)"
fi
tmp=$(mktemp -d)
[ -z "${YG_KEEP_TMP:-}" ] || echo "kept: $tmp"
trap 'kill "$pid" 2>/dev/null || true; [ -n "${YG_KEEP_TMP:-}" ] || rm -rf "$tmp"' EXIT
marker_rule_logsource="{product: linux, service: sshd}"
marker_field="message|contains: 'publickey for benchmarker'"
target=200000
if [ "$workload" = windows ]; then
    target=500000
    data="$repo/bench/data/windows-sysmon-64M.jsonl"
    if [ ! -s "$data" ]; then
        [ -x "$gen" ] || { echo "build first: cmake --build build --target gen_events" >&2; exit 2; }
        mkdir -p "$repo/bench/data"
        "$gen" --bytes 64M --seed 1 --m365-ratio 0 -o "$data.part" && mv "$data.part" "$data"
    fi
    # The marker: the first Sysmon process creation of the file, its
    # CommandLine prefixed with the marker and the send time (@SENT@, replaced
    # by the sender), so that it has the shape of the others.
    python3 - "$data" "$tmp/marker.json" <<'PY' || exit 2
import sys
with open(sys.argv[1]) as f:
    for line in f:
        if '"EventID":1,' in line and '"CommandLine":"' in line:
            m = line.replace('"CommandLine":"', '"CommandLine":"benchmarker-marker sent=@SENT@ ', 1)
            open(sys.argv[2], "w").write(m)
            break
    else:
        sys.exit("run_watch_bench: no Sysmon process creation in " + sys.argv[1])
PY
    [ -n "$lines" ] || lines="$data"
    [ -s "$lines" ] || { echo "run_watch_bench: $lines is missing or empty" >&2; exit 2; }
    echo "records  $lines, $(wc -l < "$lines") lines, sha256 $(sha256sum "$lines" | cut -c1-16), sent in turn"
    marker_rule_logsource="{product: windows, category: process_creation}"
    marker_field="CommandLine|contains: 'benchmarker-marker'"
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
hport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$tmp/bench.yml" <<'R'
title: Benchmark marker
id: 6f0e3d2a-5b1c-4a9e-8d7f-1c2b3a4d5e6f
level: low
logsource: @LOGSOURCE@
detection:
  sel:
    @FIELD@
  condition: sel
R
python3 - "$tmp/bench.yml" "$marker_rule_logsource" "$marker_field" <<'PY'
import sys
p = sys.argv[1]
rule = open(p).read().replace("@LOGSOURCE@", sys.argv[2]).replace("@FIELD@", sys.argv[3])
open(p, "w").write(rule)
PY
{
    echo "rules:"
    echo "  - $tmp/bench.yml"
    for d in "$shared"/sigma/rules*; do echo "  - $d"; done
    echo "state: $tmp/state.db"
    echo "inputs:"
    if [ "$workload" = windows ]; then
        echo "  - {name: tcp, type: syslog-tcp, listen: '127.0.0.1:$port', format: json}"
    else
        echo "  - {name: tcp, type: syslog-tcp, listen: '127.0.0.1:$port'}"
    fi
    echo "sinks:"
    echo "  - {type: jsonl, path: $tmp/alerts.jsonl}"
    echo "http: {listen: '127.0.0.1:$hport'}"
    echo "log: {level: warning}"
} > "$tmp/yagura.yaml"
"${svc_pin[@]}" "$yagura" watch -c "$tmp/yagura.yaml" 2> "$tmp/service.log" &
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
# CPU seconds of the service (utime + stime, all its threads), from
# /proc/PID/stat: fields 14 and 15 counted after the ")" of the name.
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{ sub(/.*\) /, ""); printf "%.2f", ($12 + $13) / hz }' "/proc/$pid/stat"; }
# Time the service's threads spent runnable but waiting for a CPU (second
# field of /proc/PID/task/*/schedstat, ns): on a shared machine, what other
# processes took from the service's core, told apart from the service idling.
waited_s() { cat /proc/"$pid"/task/*/schedstat 2> /dev/null | awk '{ w += $2 } END { printf "%.2f", w / 1e9 }'; }
cpu0=$(cpu_s)
wait0=$(waited_s)
send=("$sender")
[ "$workload" = windows ] && send+=(--lines "$lines" --marker "$tmp/marker.json")
t0=$(date +%s.%N)
"${snd_pin[@]}" "${send[@]}" 127.0.0.1 "$port" "$count" 1000 > "$tmp/sent" &
spid=$!
if ((perf_s > 0)); then
    # Let the service reach its steady rate first.
    sleep 1
    perf record ${YG_PERF_CALLGRAPH:+--call-graph $YG_PERF_CALLGRAPH} -g -o "$tmp/perf.data" -p "$pid" -- sleep "$perf_s" > "$tmp/perf.log" 2>&1 || cat "$tmp/perf.log" >&2
fi
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
# Peak resident memory and CPU time of the service, before stopping it.
awk '/VmHWM/ {print $2}' "/proc/$pid/status" > "$tmp/rss"
cpu1=$(cpu_s)
wait1=$(waited_s)
kill -TERM "$pid"
wait "$pid" || true
if ((perf_s > 0)) && [ -s "$tmp/perf.data" ]; then
    echo "perf report --no-children (service, ${perf_s} s during the run):"
    perf report -i "$tmp/perf.data" --no-children -g none --sort dso 2> /dev/null | grep -v "^#" | grep -v "^$" | head -12 || true
    perf report -i "$tmp/perf.data" --no-children -g none 2> /dev/null | grep -v "^#" | grep -v "^$" | head -40 || true
fi
echo "uptime after  $(uptime)"
python3 - "$count" "$n" "$t0" "$t1" "$tmp/state.db" "$tmp/rss" "$tmp/sent" "$cpu0" "$cpu1" "$target" "$wait0" "$wait1" <<'PY'
import json, re, sqlite3, statistics, sys
count, seen = int(sys.argv[1]), int(sys.argv[2])
t0, t1 = float(sys.argv[3]), float(sys.argv[4])
cpu = float(sys.argv[9]) - float(sys.argv[8])
target = int(sys.argv[10])
waited = float(sys.argv[12]) - float(sys.argv[11])
db = sqlite3.connect(sys.argv[5])
lat = []
for stored_at, js in db.execute(
        "select stored_at, json from alerts where rule_id = '6f0e3d2a-5b1c-4a9e-8d7f-1c2b3a4d5e6f'"):
    m = re.search(r"sent=(\d+)", js)
    if m:
        lat.append(stored_at - int(m.group(1)) / 1e6)
rss = int(open(sys.argv[6]).read().strip().splitlines()[-1]) / 1024
print(open(sys.argv[7]).read().strip())
print(f"records sent         {count}")
print(f"events processed     {seen} ({'zero loss' if seen == count else f'LOST {count - seen}'})")
print(f"sustained rate       {seen / (t1 - t0):.0f} events/s (service, whole SigmaHQ corpus loaded)")
if seen and cpu > 0:
    print(f"service CPU          {cpu:.2f} s, {cpu / seen * 1e6:.2f} us per event, "
          f"{seen / cpu:.0f} events per CPU second; {waited:.2f} s runnable but waiting for a CPU "
          f"(wall {t1 - t0:.2f} s)")
print(f"peak RSS (service)   {rss:.1f} MB")
if lat:
    lat.sort()
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
    print(f"alert latency        median {statistics.median(lat):.0f} ms, p99 {p99:.0f} ms "
          f"({len(lat)} marker alerts; send to stored in the state database)")
    print(f"targets              {'PASS' if seen / (t1 - t0) >= target else 'MISS'} {target:,} events/s; "
          f"{'PASS' if seen == count else 'MISS'} zero loss; {'PASS' if p99 < 1000 else 'MISS'} p99 < 1 s")
PY
