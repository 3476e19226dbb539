#!/usr/bin/env bash
# run_hunt_bench.sh - throughput of `yagura hunt` with the whole SigmaHQ corpus, compared with
# simdjson's parse-only ceiling on the same JSON-lines file. See bench/README.md.
#
# Two workloads, each run the same way: "gen", the file of gen_events, and "real", records of
# the shared real logs (EVTX, Microsoft 365, Entra, Zeek; FortiGate lines in a second file)
# replicated to --size by bench/make_real_events.py. For each, the alerts and the events per
# log source are checked against a reference in bench/reference/ (bench/check_alerts.py): a
# mismatch names the log source, the expected and the seen count, and makes the exit status 1,
# so a routing or matching regression cannot pass as speed.
#
# For each workload one run prints: the input (path, size, sha256 prefix, event count), the commit and machine,
# simdjson parse-only rates, then `yagura hunt` on 1 thread (and each other count in
# --threads) with events/s, MB/s per core, peak RSS, rule compile time, the ratio to simdjson and
# PASS/MISS against the targets.
#
# Usage: bench/run_hunt_bench.sh [options]
#   --workload W      gen, real or both (default both)
#   --data FILE       gen input (default bench/data/events.jsonl; generated when missing)
#   --bytes N         size to generate when FILE is missing (default 1G; K/M/G suffixes)
#   --seed S          generator seed (default 1)
#   --gen-reference F reference of the gen input (default
#                     bench/reference/gen-events-<bytes>-seed<seed>.json)
#   --size N          size of the real input (default 1G; K/M/G suffixes): whole copies of
#                     the real records, as many as reach N
#   --real-data FILE  real input (default bench/data/real-events-<size>.jsonl, with the
#                     FortiGate lines in FILE.fortigate.log; built when missing)
#   --real-reference F  reference of one copy of the real records (default
#                     bench/reference/real-records.json)
#   --write-reference write the references from this run instead of checking them
#   --check-only      only the hunt at the first thread count and the per-log-source check
#                     (no simdjson, no routing part, no targets): the test suite's mode
#   --threads "1 2"   thread counts for the hunt runs (default "1 2"); targets use 1 thread
#   --runs N          hunt runs per thread count, the fastest is kept (default 1)
#   --repeat N        simdjson runs per mode, the fastest is kept (default 3)
#   --yagura PATH     the yagura binary (default build/yagura, or $YAGURA)
#   --simdjson-only   stop after the simdjson part
# The routing part states the per-record routing cost (bench_route) as a share of the hunt's
# time per event, and checks that the mixed file's alerts equal the sum of its sources hunted
# alone (Microsoft 365 records and the rest); a mismatch is a MISS.
#   --strict          exit 1 when a target is missed
# Environment: YG_SHARED_DIR (default ../shared beside the checkout), YAGURA,
#   YG_BENCH_BUILD (build folder for gen_events and simdjson_parse, default build-bench).
#
# Exit status: 0 done, 1 a failure, a count per log source that differs from the reference,
# or (with --strict) a missed target, 2 yagura missing.

set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"

data="$repo/bench/data/events.jsonl"
bytes="1G"
seed="1"
threads_list="1 2"
runs=1
repeat=3
yagura="${YAGURA:-$repo/build/yagura}"
shared="${YG_SHARED_DIR:-$repo/../shared}"
build="${YG_BENCH_BUILD:-$repo/build-bench}"
simdjson_only=0
strict=0
workload=both
size="1G"
real_data=""
gen_ref=""
real_ref="$repo/bench/reference/real-records.json"
write_ref=0
check_only=0

die() {
    echo "run_hunt_bench: $*" >&2
    exit 1
}

usage() { sed -n '2,/^$/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; }

while (($#)); do
    case "$1" in
    --data) data="${2:?--data needs a value}"; shift 2 ;;
    --bytes) bytes="${2:?--bytes needs a value}"; shift 2 ;;
    --seed) seed="${2:?--seed needs a value}"; shift 2 ;;
    --threads) threads_list="${2:?--threads needs a value}"; shift 2 ;;
    --runs) runs="${2:?--runs needs a value}"; shift 2 ;;
    --repeat) repeat="${2:?--repeat needs a value}"; shift 2 ;;
    --yagura) yagura="${2:?--yagura needs a value}"; shift 2 ;;
    --simdjson-only) simdjson_only=1; shift ;;
    --workload) workload="${2:?--workload needs a value}"; shift 2 ;;
    --size) size="${2:?--size needs a value}"; shift 2 ;;
    --real-data) real_data="${2:?--real-data needs a value}"; shift 2 ;;
    --gen-reference) gen_ref="${2:?--gen-reference needs a value}"; shift 2 ;;
    --real-reference) real_ref="${2:?--real-reference needs a value}"; shift 2 ;;
    --write-reference) write_ref=1; shift ;;
    --check-only) check_only=1; shift ;;
    --strict) strict=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
    esac
done
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || die "--runs must be a positive integer"
[[ "$repeat" =~ ^[1-9][0-9]*$ ]] || die "--repeat must be a positive integer"
for t in $threads_list; do
    [[ "$t" =~ ^[1-9][0-9]*$ ]] || die "--threads takes positive integers, got '$t'"
done
[[ -n "${threads_list// /}" ]] || die "--threads is empty"
case "$workload" in gen | real | both) ;; *) die "--workload takes gen, real or both, got '$workload'" ;; esac
[[ "$size" =~ ^[0-9]+[KMG]?$ ]] || die "--size takes a number with an optional K, M or G suffix, got '$size'"
[[ -n "$real_data" ]] || real_data="$repo/bench/data/real-events-$size.jsonl"
[[ -n "$gen_ref" ]] || gen_ref="$repo/bench/reference/gen-events-$bytes-seed$seed.json"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/yg-bench.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

# Floating-point helpers (awk): calc EXPR [FORMAT]
calc() { awk "BEGIN { printf \"${2:-%.0f}\", $1 }"; }
# Number after "key": in a JSON file (flat keys, one value each).
# A top-level number of the stats JSON (nested objects repeat names such as
# "events" and "alerts", so a text match would take the wrong one).
json_num() {
    python3 -c 'import json, sys; v = json.load(open(sys.argv[2])).get(sys.argv[1]); print("" if v is None else v)' "$1" "$2"
}
# Field key=value of the RESULT line of a simdjson_parse mode.
result_field() { sed -n "s/^RESULT $1 .*\<$2=\([^ ]*\).*/\1/p" "$3"; }
passmiss() { if awk "BEGIN { exit !($1) }"; then echo PASS; else echo MISS; fi; }

missed=0      # a target missed (exit 1 only with --strict)
count_fail=0  # a count per log source differs from the reference (always exit 1)
check() { # name, condition (awk), shown value
    local verdict
    verdict=$(passmiss "$2")
    [[ "$verdict" == PASS ]] || missed=1
    printf '%-5s %-34s %s\n' "$verdict" "$1" "$3"
}

# ------------------------------------------------------------------ tools
# Built only when needed: the test suite (--check-only --workload real) builds nothing.
tools="$build/bench"
build_tool() { # target; status 1 when it does not build
    if [[ ! -f "$build/CMakeCache.txt" ]]; then
        local gen=()
        command -v ninja >/dev/null && gen=(-G Ninja)
        echo "configuring $build (Release) for gen_events and simdjson_parse ..."
        cmake -S "$repo" -B "$build" "${gen[@]}" -DCMAKE_BUILD_TYPE=Release >"$tmp/configure.log" 2>&1 ||
            { tail -n 20 "$tmp/configure.log" >&2; die "cmake configure of $build failed"; }
    fi
    cmake --build "$build" --target "$1" >"$tmp/build.log" 2>&1
}
do_gen=0 do_real=0
[[ "$workload" != real ]] && do_gen=1
[[ "$workload" != gen ]] && do_real=1
if ((do_gen)); then
    build_tool gen_events || { tail -n 20 "$tmp/build.log" >&2; die "building gen_events failed"; }
fi
have_simdjson=0
if ((!check_only)); then
    have_simdjson=1
    if ! build_tool simdjson_parse; then
        have_simdjson=0
        echo "note: simdjson_parse not built (is libsimdjson-dev installed?); no ceiling to compare" >&2
    fi
fi

echo
echo "== commit and machine"
commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ "$commit" != unknown ]] && [[ -n "$(git -C "$repo" status --porcelain --untracked-files=no 2>/dev/null)" ]]; then
    commit="$commit (with uncommitted changes)"
fi
cpu=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo 2>/dev/null | head -n 1)
echo "commit      $commit"
echo "machine     $(uname -m), ${cpu:-unknown CPU}, nproc $(nproc)"
echo "kernel      $(uname -sr)"
echo "load        $(uptime)"

if [[ ! -x "$yagura" ]] && ((do_real)); then
    # The real input is rendered by yagura decode (EVTX) before anything is measured.
    echo "ERROR: yagura binary not found at $yagura (the real workload needs it to build its input)" >&2
    exit 2
fi
[[ -d "$shared" ]] && shared="$(cd "$shared" && pwd)"

# ------------------------------------------------------------------ inputs
if ((do_gen)) && [[ ! -f "$data" ]]; then
    mkdir -p "$(dirname "$data")"
    echo "generating $data ($bytes, seed $seed) ..."
    "$tools/gen_events" --bytes "$bytes" --seed "$seed" -o "$data.partial"
    mv "$data.partial" "$data"
    echo "gen_events --bytes $bytes --seed $seed" >"$data.gen"
fi
real_lines="$real_data.fortigate.log"
if ((do_real)) && { [[ ! -f "$real_data" ]] || [[ ! -f "$real_lines" ]] || [[ ! -f "$real_data.meta.json" ]]; }; then
    mkdir -p "$(dirname "$real_data")"
    echo "building $real_data ($size of real records) ..."
    python3 "$here/make_real_events.py" --yagura "$yagura" --shared "$shared" --size "$size" \
        -o "$real_data" --lines-output "$real_lines" >/dev/null ||
        die "make_real_events.py failed"
    echo "make_real_events.py --size $size" >"$real_data.gen"
fi

# One workload: name, reference file, copies (the reference's factor), input files (the
# first is the JSON-lines file simdjson parses).
run_workload() {
    local name="$1" ref="$2" copies="$3"
    shift 3
    local files=("$@") data="$1"
    local size=0 events_in=0 f
    echo
    echo "######## workload: $name"
    echo
    echo "== input"
    for f in "${files[@]}"; do
        local fs fl sha
        fs=$(stat -c %s "$f")
        sha=$(sha256sum "$f" | cut -c1-16) # also brings the file into the page cache
        fl=$(wc -l <"$f")
        size=$((size + fs))
        events_in=$((events_in + fl))
        echo "path        $f"
        echo "size        $fs bytes ($(calc "$fs / 1e6" %.1f) MB)"
        echo "sha256      $sha..."
        echo "events      $fl lines"
    done
    [[ -f "$data.gen" ]] && echo "generated   $(cat "$data.gen")"
    [[ "$copies" != 1 ]] && echo "copies      $copies of the real records"

    # -------------------------------------------------------------- simdjson
    sj_mbs=""
    if ((have_simdjson)); then
        echo
        echo "== simdjson parse-only ceiling ($tools/simdjson_parse --repeat $repeat $(basename "$data"))"
        "$tools/simdjson_parse" --repeat "$repeat" "$data" >"$tmp/simdjson.txt" ||
            die "simdjson_parse failed on $data"
        grep -v '^RESULT ' "$tmp/simdjson.txt"
        sj_mbs=$(result_field parse_many mb_per_s "$tmp/simdjson.txt")
        local sj_dps pl_mbs pl_dps
        sj_dps=$(result_field parse_many docs_per_s "$tmp/simdjson.txt")
        pl_mbs=$(result_field per_line mb_per_s "$tmp/simdjson.txt")
        pl_dps=$(result_field per_line docs_per_s "$tmp/simdjson.txt")
        echo "parse_many  $sj_dps events/s, $sj_mbs MB/s (1 thread; the ceiling used below)"
        echo "per-line    $pl_dps events/s, $pl_mbs MB/s (1 thread)"
        ((${#files[@]} == 1)) || echo "note: simdjson parses $(basename "$data") only (the other inputs are not JSON)"
    fi
    ((simdjson_only)) && return 0

    # -------------------------------------------------------------- yagura hunt
    echo
    echo "== yagura hunt"
    echo "binary      $yagura"
    echo "rules       ${rule_args[*]}"

    unset R_SEC R_EVENTS R_BYTES R_ALERTS R_COMPILE R_RULES R_RSS R_WALL
    declare -gA R_SEC=() R_EVENTS=() R_BYTES=() R_ALERTS=() R_COMPILE=() R_RULES=() R_RSS=() R_WALL=()
    local t run thr_list="$threads_list"
    if ((check_only)); then thr_list="${threads_list%% *}"; fi
    for t in $thr_list; do
        for ((run = 1; run <= runs; run++)); do
            local stats="$tmp/stats-$name-$t-$run.json" timef="$tmp/time-$t-$run.txt" rc=0
            local cmd=("$yagura" hunt --threads "$t" "${rule_args[@]}" --stats-json "$stats" -o /dev/null "${files[@]}")
            echo "run         threads=$t ($run/$runs): ${cmd[*]}"
            local start end wall rss_mb rss_kb sec
            start=$(date +%s.%N)
            if [[ -n "$time_bin" ]]; then
                "$time_bin" -v -o "$timef" "${cmd[@]}" >"$tmp/out.txt" 2>"$tmp/err.txt" || rc=$?
            else
                "${cmd[@]}" >"$tmp/out.txt" 2>"$tmp/err.txt" || rc=$?
            fi
            end=$(date +%s.%N)
            if [[ ! -s "$stats" ]] || [[ -z "$(json_num events "$stats")" ]]; then
                tail -n 20 "$tmp/err.txt" >&2
                die "yagura hunt exited with status $rc and wrote no stats to --stats-json"
            fi
            # 1 means alerts were raised, 3 events no loaded rule covers: both expected here.
            ((rc == 0 || rc == 1 || rc == 3)) || echo "note: yagura hunt exited with status $rc" >&2
            wall=$(calc "$end - $start" %.3f)
            rss_mb="n/a"
            if [[ -n "$time_bin" ]]; then
                rss_kb=$(sed -n 's/.*Maximum resident set size (kbytes): *//p' "$timef")
                wall=$(sed -n 's/.*Elapsed (wall clock) time[^:]*: *//p' "$timef" | wall_secs)
                rss_mb=$(calc "$rss_kb * 1024 / 1e6" %.1f)
            fi
            sec=$(json_num seconds "$stats")
            if [[ -z "${R_SEC[$t]:-}" ]] || awk "BEGIN { exit !($sec < ${R_SEC[$t]}) }"; then
                R_SEC[$t]=$sec
                R_EVENTS[$t]=$(json_num events "$stats")
                R_BYTES[$t]=$(json_num bytes "$stats")
                R_ALERTS[$t]=$(json_num alerts "$stats")
                R_COMPILE[$t]=$(json_num compile_seconds "$stats")
                R_RULES[$t]=$(json_num rules_loaded "$stats")
                R_WALL[$t]=$wall
            fi
            # Peak RSS: the largest over the runs.
            if [[ -z "${R_RSS[$t]:-}" ]] || { [[ "$rss_mb" != "n/a" ]] && awk "BEGIN { exit !($rss_mb > ${R_RSS[$t]}) }"; }; then
                R_RSS[$t]=$rss_mb
            fi
        done
    done

    local first_t="" base_t
    for t in $thr_list; do
        first_t=$t
        break
    done
    base_t=$first_t
    for t in $thr_list; do
        if ((t == 1)); then base_t=1; fi
    done

    echo
    printf '%-8s %10s %12s %10s %13s %8s %9s %10s %9s\n' threads seconds events/s MB/s \
        "MB/s/core" speedup "RSS MB" wall_s alerts
    local eps mbs mbc spd
    for t in $thr_list; do
        eps=$(calc "${R_EVENTS[$t]} / ${R_SEC[$t]}")
        mbs=$(calc "${R_BYTES[$t]} / ${R_SEC[$t]} / 1e6" %.1f)
        mbc=$(calc "${R_BYTES[$t]} / ${R_SEC[$t]} / 1e6 / $t" %.1f)
        spd=$(calc "${R_SEC[$base_t]} / ${R_SEC[$t]}" %.2f)
        printf '%-8s %10.3f %12s %10s %13s %8s %9s %10s %9s\n' "$t" "${R_SEC[$t]}" "$eps" "$mbs" \
            "$mbc" "$spd" "${R_RSS[$t]}" "${R_WALL[$t]}" "${R_ALERTS[$t]}"
    done
    for t in $thr_list; do
        if [[ "${R_ALERTS[$t]}" != "${R_ALERTS[$base_t]}" ]]; then
            echo "WARNING: alert count differs between $base_t and $t threads" >&2
        fi
        if [[ "${R_EVENTS[$t]}" != "$events_in" ]]; then
            echo "WARNING: yagura counted ${R_EVENTS[$t]} events at $t threads, the files have $events_in lines" >&2
        fi
    done

    # -------------------------------------------------------------- per-log-source check
    # Every thread count's run is checked: the counts must not depend on the threads either.
    echo
    echo "== alerts and events per log source against $ref"
    for t in $thr_list; do
        local st="$tmp/stats-$name-$t-$runs.json"
        if ((write_ref)); then
            python3 "$here/check_alerts.py" --stats "$st" --write "$ref" --factor "$copies" \
                --note "$name workload ($copies copies), every sigma/rules* folder of $shared, commit $commit; bench/run_hunt_bench.sh --write-reference" ||
                count_fail=1
            break
        elif [[ ! -f "$ref" ]]; then
            echo "FAIL  no reference $ref for this input; write one with --write-reference"
            count_fail=1
            break
        fi
        echo "threads=$t:"
        python3 "$here/check_alerts.py" --stats "$st" --reference "$ref" --factor "$copies" || count_fail=1
    done
    ((check_only)) && return 0

    t=$base_t
    eps=$(calc "${R_EVENTS[$t]} / ${R_SEC[$t]}")
    mbc=$(calc "${R_BYTES[$t]} / ${R_SEC[$t]} / 1e6 / $t" %.1f)
    echo
    echo "== summary, $name ($t thread(s); commit $commit; $(uname -m), ${cpu:-unknown CPU})"
    echo "rules loaded      ${R_RULES[$t]}"
    echo "events            ${R_EVENTS[$t]} (${R_BYTES[$t]} bytes) in ${R_SEC[$t]} s, ${R_ALERTS[$t]} alerts"
    echo "events/s          $eps"
    echo "MB/s per core     $mbc"
    if [[ "${R_RSS[$t]}" == "n/a" ]]; then
        echo "peak RSS          n/a (GNU time missing)"
    else
        echo "peak RSS          ${R_RSS[$t]} MB"
    fi
    echo "rule compile      ${R_COMPILE[$t]} s"
    local ratio=""
    if [[ -n "$sj_mbs" ]]; then
        ratio=$(calc "$mbc / $sj_mbs" %.3f)
        echo "ratio to simdjson $ratio (yagura MB/s per core / simdjson parse_many $sj_mbs MB/s)"
    fi

    echo
    echo "== targets, $name"
    check "events/s >= 1,000,000" "$eps >= 1000000" "$eps"
    if [[ -n "$sj_mbs" ]]; then
        check "throughput >= 35% of simdjson" "$ratio >= 0.35" "$(calc "$ratio * 100" %.1f)%"
    else
        printf '%-5s %-34s %s\n' "n/a" "throughput >= 35% of simdjson" "simdjson_parse not built"
    fi
    if [[ -n "${R_SEC[2]:-}" && "$base_t" == 1 ]]; then
        check "2 threads >= 1.9x one" "${R_SEC[1]} / ${R_SEC[2]} >= 1.9" \
            "$(calc "${R_SEC[1]} / ${R_SEC[2]}" %.3f)x"
    fi
    # The compile as this run found the database cache (warm after the first
    # run; `yagura hunt --no-cache` over a one-line file gives the cold one).
    check "rule compile < 0.5 s" "${R_COMPILE[$t]} < 0.5" "${R_COMPILE[$t]} s"
    if [[ "${R_RSS[$t]}" != "n/a" ]]; then
        check "peak RSS < 100 MB" "${R_RSS[$t]} < 100" "${R_RSS[$t]} MB"
    else
        printf '%-5s %-34s %s\n' "n/a" "peak RSS < 100 MB" "GNU time missing (apt-get install time)"
    fi
    ((copies == 1)) && [[ "$name" == gen ]] && routing_part "$data" "$base_t"
    return 0
}

# ------------------------------------------------------------------ routing
# Every record is routed on its own (yg__route_json).  Its cost per record,
# measured alone on the same file, as a share of the 1-thread hunt's time per
# event; and the alerts must be those of each source hunted alone, so that a
# routing regression cannot pass as a speed-up.  Run on the gen workload.
routing_part() { # data, thread count
    local data="$1" base_t="$2" route_share="" route_ns ns_per_event part a f
    echo
    echo "== per-record routing"
    if build_tool bench_route; then
        "$tools/bench_route" --repeat "$repeat" "$data" >"$tmp/route.txt"
        route_ns=$(result_field route ns_per_record "$tmp/route.txt")
        echo "routing     $route_ns ns per record ($(sed -n 's/^RESULT route //p' "$tmp/route.txt"))"
        ns_per_event=$(calc "${R_SEC[$base_t]} * 1e9 * $base_t / ${R_EVENTS[$base_t]}" %.1f)
        route_share=$(calc "$route_ns / $ns_per_event * 100" %.2f)
        echo "hunt        $ns_per_event ns per event per core; routing is $route_share% of it"
    else
        echo "note: bench_route not built; routing share not measured" >&2
    fi
    grep -F '"Workload"' "$data" >"$tmp/part-m365.jsonl" || true
    grep -vF '"Workload"' "$data" >"$tmp/part-other.jsonl" || true
    local part_alerts=0
    for part in m365 other; do
        f="$tmp/part-$part.jsonl"
        [[ -s "$f" ]] || continue
        "$yagura" hunt --threads "$base_t" "${rule_args[@]}" --stats-json "$tmp/part-$part.json" \
            -o /dev/null -q "$f" || true
        a=$(json_num alerts "$tmp/part-$part.json")
        echo "alone       $part: $(wc -l <"$f") events, $a alerts"
        part_alerts=$((part_alerts + a))
    done
    rm -f "$tmp"/part-*.jsonl
    echo "mixed       ${R_ALERTS[$base_t]} alerts; sum of the sources alone: $part_alerts"

    echo
    echo "== routing checks"
    if [[ -n "$route_share" ]]; then
        check "routing <= 5% of the hunt" "$route_share <= 5" "$route_share%"
    fi
    check "alerts = sum of sources alone" "${R_ALERTS[$base_t]} == $part_alerts" \
        "${R_ALERTS[$base_t]} vs $part_alerts"
}

# ------------------------------------------------------------------ set-up of the hunts
rule_args=()
time_bin=""
if ((!simdjson_only)); then
    if [[ ! -x "$yagura" ]]; then
        echo "ERROR: yagura binary not found at $yagura" >&2
        echo "       build it first (cmake -S . -B build -G Ninja && cmake --build build)," >&2
        echo "       or point --yagura / YAGURA at it; --simdjson-only skips this part." >&2
        if ((do_gen)); then # still the input and simdjson parts
            simdjson_only=1
            run_workload gen "$gen_ref" 1 "$data"
        fi
        exit 2
    fi
    # Folders with rule files only: a -r that loads nothing is an error (SigmaHQ's
    # rules-dfir can hold only a README).
    for d in "$shared"/sigma/rules*; do
        [[ -d "$d" ]] && [[ -n "$(find "$d" -name '*.yml' -print -quit)" ]] && rule_args+=(-r "$d")
    done
    ((${#rule_args[@]})) || die "no SigmaHQ rule folders under $shared/sigma (set YG_SHARED_DIR)"
    if [[ -x /usr/bin/time ]] && /usr/bin/time -v true >/dev/null 2>&1; then
        time_bin=/usr/bin/time
    else
        echo "note: GNU time not found at /usr/bin/time: no peak RSS (apt-get install time)" >&2
    fi
fi

# wall-clock "h:mm:ss.ss" or "m:ss.ss" from GNU time to seconds
wall_secs() { awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; printf "%.3f", s }'; }

if ((do_gen)); then
    run_workload gen "$gen_ref" 1 "$data"
fi
if ((do_real)); then
    real_copies=$(json_num copies "$real_data.meta.json")
    run_workload real "$real_ref" "$real_copies" "$real_data" "$real_lines"
fi

if ((count_fail)); then
    echo
    echo "FAIL: counts per log source differ from the reference (see MISMATCH above)" >&2
    exit 1
fi
if ((strict && missed)); then
    exit 1
fi
exit 0
