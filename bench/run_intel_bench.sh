#!/usr/bin/env bash
# run_intel_bench.sh - the indicator store: load time and peak memory for ten million
# indicators, and `yagura hunt` throughput with one million indicators loaded compared with the
# same hunt without them, in the same run. See bench/README.md.
#
# One run prints: the commit and machine; for the load, the feed (indicators, size), seconds,
# indicators/s, store bytes and peak RSS of `yagura intel load`; for the hunt, the input file of
# run_hunt_bench.sh (generated when missing), then events/s, MB/s and peak RSS of the hunt
# without and with --intel, the ratio, and PASS/MISS against the targets (load < 10 s and
# < 1 GB; hunt with intel >= 90 % of the hunt without).
#
# Usage: bench/run_intel_bench.sh [options]
#   --load-n N        indicators for the load test (default 10000000)
#   --hunt-n N        indicators for the hunt test (default 1000000)
#   --data FILE       hunt input (default bench/data/events.jsonl, as run_hunt_bench.sh)
#   --bytes N         size to generate when FILE is missing (default 1G)
#   --rules PATH      rules of both hunts (default ../shared/sigma/rules)
#   --threads N       hunt threads (default 1)
#   --runs N          hunt runs per mode, alternating, the fastest is kept (default 3)
#   --yagura PATH     the yagura binary (default build/yagura, or $YAGURA)
#   --strict          exit 1 when a target is missed
# Environment: YG_SHARED_DIR, YAGURA, YG_BENCH_BUILD (build folder for the generators, default
#   build-bench).
#
# Exit status: 0 done, 1 a failure or (with --strict) a missed target, 2 yagura missing.

set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"

load_n=10000000
hunt_n=1000000
data="$repo/bench/data/events.jsonl"
bytes="1G"
threads=1
runs=3
yagura="${YAGURA:-$repo/build/yagura}"
shared="${YG_SHARED_DIR:-$repo/../shared}"
rules="$shared/sigma/rules"
build="${YG_BENCH_BUILD:-$repo/build-bench}"
strict=0

die() {
    echo "run_intel_bench: $*" >&2
    exit 1
}
usage() { sed -n '2,/^$/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; }

while (($#)); do
    case "$1" in
    --load-n) load_n="${2:?}"; shift 2 ;;
    --hunt-n) hunt_n="${2:?}"; shift 2 ;;
    --data) data="${2:?}"; shift 2 ;;
    --bytes) bytes="${2:?}"; shift 2 ;;
    --rules) rules="${2:?}"; shift 2 ;;
    --threads) threads="${2:?}"; shift 2 ;;
    --runs) runs="${2:?}"; shift 2 ;;
    --yagura) yagura="${2:?}"; shift 2 ;;
    --strict) strict=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
    esac
done

[[ -x "$yagura" ]] || { echo "run_intel_bench: $yagura is not built" >&2; exit 2; }
calc() { awk "BEGIN { printf \"$2\", $1 }"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [[ ! -f "$build/CMakeCache.txt" ]]; then
    echo "configuring $build (Release) for the generators ..."
    cmake -S "$repo" -B "$build" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >"$tmp/cfg.log" 2>&1 ||
        { tail -n 20 "$tmp/cfg.log" >&2; die "configuring $build failed"; }
fi
cmake --build "$build" --target gen_indicators gen_events >"$tmp/build.log" 2>&1 ||
    { tail -n 20 "$tmp/build.log" >&2; die "building the generators failed"; }
tools="$build/bench"

echo "== commit and machine"
commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ "$commit" != unknown ]] && [[ -n "$(git -C "$repo" status --porcelain --untracked-files=no 2>/dev/null)" ]]; then
    commit="$commit (with uncommitted changes)"
fi
cpu=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo 2>/dev/null | head -n 1)
echo "commit      $commit"
echo "machine     $(uname -m), ${cpu:-unknown CPU}, nproc $(nproc)"
echo "yagura      $yagura"

# ------------------------------------------------------------------ load
feed="$tmp/feed-load.csv"
"$tools/gen_indicators" -n "$load_n" --seed 1 -o "$feed"
fsize=$(stat -c %s "$feed")
cat "$feed" >/dev/null # into the page cache: the load is timed, not the disk
echo
echo "== load: $load_n indicators, CSV $(calc "$fsize / 1e6" %.1f) MB (gen_indicators -n $load_n --seed 1)"
"$yagura" intel load --json -q "$feed" >"$tmp/load.json" || true
read -r secs rss bytes_st n_ind errors < <(python3 -c '
import json,sys
d=json.load(open(sys.argv[1]))
print(d["seconds"], d["max_rss_kb"], d["bytes"], d["indicators"], d["errors"])' "$tmp/load.json")
rss_mb=$(calc "$rss / 1024" %.1f)
echo "indicators  $n_ind stored, $errors rejected"
echo "seconds     $secs ($(calc "$n_ind / $secs" %.0f) indicators/s)"
echo "store       $(calc "$bytes_st / 1048576" %.1f) MB"
echo "peak RSS    $rss_mb MB (whole process)"
load_ok=PASS
if awk "BEGIN { exit !($secs < 10 && $rss < 1048576) }"; then load_ok=PASS; else load_ok=MISS; fi
echo "target      < 10 s and < 1024 MB: $load_ok"
rm -f "$feed"

# ------------------------------------------------------------------ hunt
if [[ ! -f "$data" ]]; then
    mkdir -p "$(dirname "$data")"
    echo "generating $data ($bytes, seed 1) ..."
    "$tools/gen_events" --bytes "$bytes" --seed 1 -o "$data.partial"
    mv "$data.partial" "$data"
    echo "gen_events --bytes $bytes --seed 1" >"$data.gen"
fi
hfeed="$tmp/feed-hunt.csv"
"$tools/gen_indicators" -n "$hunt_n" --seed 2 -o "$hfeed"
size=$(stat -c %s "$data")
cat "$data" >/dev/null
echo
echo "== hunt: $data ($(calc "$size / 1e6" %.1f) MB), rules $rules, $threads thread(s), best of $runs"
[[ -f "$data.gen" ]] && echo "generated   $(cat "$data.gen")"

one_hunt() { # mode file args... -> "seconds events bytes rss_kb alerts"
    local mode="$1" st="$tmp/stats-$1.json"
    shift
    /usr/bin/time -f "%M" -o "$tmp/rss-$mode" "$yagura" hunt -q --threads "$threads" -r "$rules" \
        "$@" --stats-json "$st" -o /dev/null "$data" || true
    python3 -c '
import json,sys
d=json.load(open(sys.argv[1]))
rss=open(sys.argv[2]).read().split()[-1]
print(d["seconds"], d["events"], d["bytes"], rss, d["alerts"])' "$st" "$tmp/rss-$mode"
}
# The two modes alternate, so that a load change on the machine hits both alike.
best0="" best1=""
for ((r = 0; r < runs; r++)); do
    l0=$(one_hunt plain)
    l1=$(one_hunt intel --intel "$hfeed")
    if [[ -z "$best0" ]] || awk "BEGIN { exit !(${l0%% *} < ${best0%% *}) }"; then best0="$l0"; fi
    if [[ -z "$best1" ]] || awk "BEGIN { exit !(${l1%% *} < ${best1%% *}) }"; then best1="$l1"; fi
done
read -r s0 e0 b0 r0 a0 <<<"$best0"
read -r s1 e1 b1 r1 a1 <<<"$best1"
printf "%-22s %10s %12s %10s %10s %10s\n" mode seconds events/s MB/s "RSS MB" alerts
printf "%-22s %10.2f %12.0f %10.1f %10.1f %10s\n" "without intel" "$s0" "$(calc "$e0 / $s0" %f)" \
    "$(calc "$b0 / $s0 / 1e6" %f)" "$(calc "$r0 / 1024" %f)" "$a0"
printf "%-22s %10.2f %12.0f %10.1f %10.1f %10s\n" "with $hunt_n indicators" "$s1" \
    "$(calc "$e1 / $s1" %f)" "$(calc "$b1 / $s1 / 1e6" %f)" "$(calc "$r1 / 1024" %f)" "$a1"
# The limit on the same file: simdjson's parse-only rate (bench/simdjson_parse.cpp).
if cmake --build "$build" --target simdjson_parse >"$tmp/build-sj.log" 2>&1 &&
    "$tools/simdjson_parse" --repeat 3 "$data" >"$tmp/simdjson.txt" 2>/dev/null; then
    sj=$(sed -n 's/^RESULT parse_many .*\<mb_per_s=\([^ ]*\).*/\1/p' "$tmp/simdjson.txt")
    printf "%-22s %10s %12s %10.1f   (parse only, the ceiling)\n" "simdjson parse_many" "" "" "$sj"
    echo "of simdjson  without intel $(calc "100 * $b0 / $s0 / 1e6 / $sj" %.1f) %, with $(calc "100 * $b1 / $s1 / 1e6 / $sj" %.1f) %"
else
    echo "simdjson    not built (is libsimdjson-dev installed?); no ceiling to compare"
fi
ratio=$(calc "($e1 / $s1) / ($e0 / $s0)" %.3f)
if awk "BEGIN { exit !($ratio >= 0.90) }"; then hunt_ok=PASS; else hunt_ok=MISS; fi
echo "ratio       $ratio of the throughput without indicators (target >= 0.90): $hunt_ok"

if ((strict)) && [[ "$load_ok" != PASS || "$hunt_ok" != PASS ]]; then
    exit 1
fi
exit 0
