#!/usr/bin/env bash
# run_decode_bench.sh - decoder throughput, and decoding's share of a full hunt.
#
#   bench/run_decode_bench.sh [--mb N] [--yagura PATH]
#
# 1. bench_decode: MB/s and records/s per core of every line decoder over its real sample
#    (repeated to N MiB, default 256).
# 2. For each format, the same data written to a file: `yagura hunt` with no rules (reading,
#    decoding and routing only) and with the whole SigmaHQ corpus, one thread each, both timed
#    by the hunt itself (--stats-json, compilation excluded); prints decoding's share of the
#    full hunt (target: at most half).
# Prints the commit and machine first. Never run by the test suite.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
mb=256
yagura="${YAGURA:-$repo/build/yagura}"
bench="${BENCH_DECODE:-$repo/build/bench/bench_decode}"
shared="${YG_SHARED_DIR:-$repo/../shared}"
while (($#)); do
    case "$1" in
    --mb) mb="$2"; shift 2 ;;
    --yagura) yagura="$2"; shift 2 ;;
    -h | --help) sed -n '2,/^$/s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "run_decode_bench: unknown option $1" >&2; exit 2 ;;
    esac
done
[ -x "$yagura" ] && [ -x "$bench" ] || { echo "build first: cmake --build build" >&2; exit 2; }
echo "commit $(git -C "$repo" rev-parse --short HEAD)$(git -C "$repo" diff --quiet || echo ' (with uncommitted changes)')"
echo "machine $(uname -m), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
echo
echo "== decoders alone (bench_decode --mb $mb)"
"$bench" --mb "$mb" --shared "$shared" --write "$data" || true
echo
echo "== decoding vs full hunt, 1 thread, whole SigmaHQ corpus"
rules=()
for d in "$shared"/sigma/rules*; do
    [[ -n "$(find "$d" -name '*.yml' -print -quit)" ]] && rules+=(-r "$d") # not doc-only folders
done
mkdir -p "$data/norules"
# Decoding alone: one rule of a log source no event has (a rule path that
# loads nothing is an error), so no event is scanned.
printf 'title: never\nid: 00000000-0000-4000-8000-00000000abcd\nlevel: low\nlogsource: {product: yagura-bench-none}\ndetection:\n  sel: {never: never}\n  condition: sel\n' > "$data/norules/never.yml"
printf '%-10s %10s %10s %8s %s\n' format decode_s hunt_s share target
for f in "$data"/*.log; do
    name=$(basename "$f" .log)
    fmt=${name%%.*} # combined.2.log: the second input of combined
    "$yagura" hunt -q -t 1 -i "$fmt" --no-event -r "$data/norules" -o /dev/null --stats-json "$data/d.json" "$f" 2>/dev/null || true
    "$yagura" hunt -q -t 1 -i "$fmt" --no-event "${rules[@]}" -o /dev/null --stats-json "$data/s.json" "$f" 2>/dev/null || true
    python3 - "$name" "$data/d.json" "$data/s.json" <<'PY'
import json, sys
fmt, dstats, stats = sys.argv[1], sys.argv[2], sys.argv[3]
hs = json.load(open(stats))["seconds"]
ds = json.load(open(dstats))["seconds"]
share = ds / hs if hs else float("inf")
print(f"{fmt:<10} {ds:10.2f} {hs:10.2f} {share * 100:7.0f}% {'PASS' if share <= 0.5 else 'MISS'}")
PY
done
