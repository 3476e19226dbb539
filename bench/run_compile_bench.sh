#!/usr/bin/env bash
# run_compile_bench.sh - rule compile time against the number of rules.
#
# For each N, bench/gen_rules.py writes N generated rules (each with a filter naming it) to
# bench/data/rules-N/ (kept for later runs), then `yagura hunt -q -t 1 --stats-json` runs them
# over one empty event under GNU time. Prints, per N: compile_seconds from the stats (wall time
# of compilation), user+sys CPU seconds and peak RSS of the whole process, and the CPU ratio to
# the first N. Linear compilation gives a ratio close to N / first N.
#
# Usage: bench/run_compile_bench.sh [N...]     (default: 10000 40000 100000)
# Environment: YAGURA (default build/yagura).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
yagura="${YAGURA:-$repo/build/yagura}"
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(10000 40000 100000)
[ -x "$yagura" ] || { echo "run_compile_bench.sh: no yagura binary at $yagura" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "run_compile_bench.sh: needs GNU time (/usr/bin/time)" >&2; exit 2; }

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
echo '{}' >"$tmp/event.json"
echo "commit $(git -C "$repo" rev-parse --short HEAD)$(git -C "$repo" diff --quiet HEAD || echo '+dirty')," \
     "$(uname -m), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"
printf '%8s %12s %10s %8s %9s\n' rules compile_s cpu_s rss_MB cpu_ratio
first=""
for n in "${sizes[@]}"; do
    dir="$repo/bench/data/rules-$n"
    [ -d "$dir" ] || python3 "$here/gen_rules.py" "$n" "$dir"
    /usr/bin/time -f '%U %S %M' -o "$tmp/time" \
        "$yagura" hunt -q -t 1 -r "$dir" --stats-json "$tmp/stats.json" "$tmp/event.json" >/dev/null
    read -r user sys rss <"$tmp/time"
    compile=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['compile_seconds'])" "$tmp/stats.json")
    cpu=$(python3 -c "print(round($user + $sys, 2))")
    [ -n "$first" ] || first="$cpu"
    printf '%8s %12.2f %10.2f %8d %9.2f\n' "$n" "$compile" "$cpu" $((rss / 1000)) \
        "$(python3 -c "print($cpu / $first)")"
done
