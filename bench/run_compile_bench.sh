#!/usr/bin/env bash
# run_compile_bench.sh - rule compile time against the number of rules, without and with the
# compiled-database cache (src/match/dbcache.c).
#
# For each N, bench/gen_rules.py writes N generated rules (each with a filter naming it) to
# bench/data/rules-N/ (kept for later runs); an argument that is a folder is a rule set as it
# is (../shared/sigma/rules, the SigmaHQ corpus).  Then `yagura hunt -q -t 1 --stats-json` runs
# the rules over one empty event under GNU time, three times: with --no-cache, with an empty
# cache folder (cold: every database compiled and written) and again with that folder (warm:
# every database loaded).  Prints, per run: compile_seconds from the stats (wall time of
# compilation), user+sys CPU seconds and peak RSS of the whole process, the databases loaded
# from the cache and compiled, and the CPU ratio to the first N without the cache.  Linear
# compilation gives a ratio close to N / first N.
#
# Usage: bench/run_compile_bench.sh [N|RULE_FOLDER...]     (default: 10000 40000 100000)
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
printf '%12s %6s %10s %7s %7s %6s %9s %9s\n' rules cache compile_s cpu_s rss_MB hits compiled cpu_ratio
first=""
for n in "${sizes[@]}"; do
    if [ -d "$n" ]; then
        dir="$n"
        label=$(python3 -c "import os,sys; print('/'.join(os.path.normpath(sys.argv[1]).split('/')[-2:]))" "$n")
    else
        dir="$repo/bench/data/rules-$n"
        label="$n"
        [ -d "$dir" ] || python3 "$here/gen_rules.py" "$n" "$dir"
    fi
    rm -rf "$tmp/cache"
    for mode in none cold warm; do
        opt=(--cache-dir "$tmp/cache")
        [ "$mode" = none ] && opt=(--no-cache)
        /usr/bin/time -f '%U %S %M' -o "$tmp/time" \
            "$yagura" hunt -q -t 1 -r "$dir" "${opt[@]}" --stats-json "$tmp/stats.json" \
            "$tmp/event.json" >/dev/null 2>"$tmp/err" || [ $? -le 3 ] || { cat "$tmp/err" >&2; exit 2; }
        # GNU time puts "Command exited with non-zero status N" first when the hunt exits 1 or
        # 3 (alerts, or the empty event routes to no log source): the figures are the last line.
        read -r user sys rss < <(tail -n 1 "$tmp/time")
        read -r compile hits compiled < <(python3 -c "
import json, sys
s = json.load(open(sys.argv[1]))
print(s['compile_seconds'], s['hs_cache']['hits'], s['hs_cache']['compiled'])" "$tmp/stats.json")
        cpu=$(python3 -c "print(round($user + $sys, 2))")
        [ -n "$first" ] || first="$cpu"
        [ "$mode" != none ] || hits=- compiled=- # the stats count only a cache's work
        printf '%12s %6s %10.2f %7.2f %7d %6s %9s %9.2f\n' "$label" "$mode" "$compile" "$cpu" \
            $((rss / 1000)) "$hits" "$compiled" "$(python3 -c "print($cpu / $first)")"
    done
done
