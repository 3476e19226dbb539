#!/usr/bin/env bash
# bench/run_peers_bench.sh's argument handling, without building or timing anything: the script
# parses (bash -n); --help documents every option the parser takes; a bad argument exits 2
# naming it; --dry-run prints the build and timing commands (one core, one build job, the
# peers' sources from the environment), says which source is missing and why, and neither
# builds (a `cargo` on PATH that records any call stays unused) nor writes to the cache.
# Each check prints FAIL on failure; the last line counts them.
set -uo pipefail
SRC=${YG_SOURCE_DIR:?}
B="$SRC/bench/run_peers_bench.sh"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
ok() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1"; fi; }

# A cargo that only records that it ran.
mkdir -p "$T/bin"
printf '#!/bin/sh\necho "$@" >>"%s/cargo-called"\n' "$T" >"$T/bin/cargo"
chmod +x "$T/bin/cargo"
export PATH="$T/bin:$PATH" YG_PEERS_CACHE="$T/cache"
unset HAYABUSA_SRC HAYABUSA_EVTX_SRC HAYABUSA_RULES_SRC CHAINSAW_SRC HAYABUSA_BIN CHAINSAW_BIN RSIGMA_BIN CARGO_JOBS
bench() { # arguments; output in $T/out, status in $st
    bash "$B" "$@" >"$T/out" 2>&1
    st=$?
}

ok "bash -n" 'bash -n "$B"'

bench --help
ok "--help: exit 0" '[ $st -eq 0 ]'
ok "--help: usage line" 'grep -q "^Usage: bench/run_peers_bench.sh" "$T/out"'
# Every option of the parser's case statement is in the help text.
opts=$(sed -n 's/^    \(--[a-z-]*\)\( | -h | --help\)\{0,1\}) .*/\1/p' "$B")
ok "the parser has options" '[ "$(echo "$opts" | wc -w)" -ge 10 ]'
for o in $opts; do
    ok "--help documents $o" 'grep -q -- "^  $o\\b" "$T/out"'
done

bad() { # expected message, arguments...
    local msg="$1"
    shift
    bench "$@"
    ok "$* : exit 2" '[ $st -eq 2 ]'
    ok "$* : says '$msg'" 'grep -qF -- "$msg" "$T/out"'
}
bad "unknown argument: --bogus" --bogus
bad "--copies takes a positive integer, got '0'" --copies 0
bad "--runs takes a positive integer, got 'x'" --runs x
bad "--cpu takes a core number, got '-1'" --cpu -1
bad "--runs needs a value" --runs
bad "--peers: unknown tool 'elastic'" --peers "yagura elastic"
bad "--peers is empty" --peers " "
bad "exclude each other" --install-only --no-install
CARGO_JOBS=0 bench --dry-run
ok "CARGO_JOBS=0: exit 2" '[ $st -eq 2 ]'

# --- dry run, no peer source given -------------------------------------------------------
bench --dry-run --copies 3 --cpu 1
ok "dry run: exit 0" '[ $st -eq 0 ]'
ok "dry run: yagura pinned to the core, one thread" \
    'grep -q "^run  *yagura evtx: taskset -c 1 .* hunt --threads 1 " "$T/out"'
ok "dry run: rsigma from crates.io, one job" \
    'grep -q "^+ cargo install rsigma --version 0.23.0 --locked .* -j 1$" "$T/out"'
ok "dry run: rsigma timed on the JSON lines" 'grep -q "^run  *rsigma jsonl: taskset -c 1 " "$T/out"'
ok "dry run: Hayabusa's missing source named" \
    'grep -q "^NOT INSTALLED hayabusa: no source: HAYABUSA_SRC HAYABUSA_EVTX_SRC HAYABUSA_RULES_SRC" "$T/out"'
ok "dry run: Chainsaw's missing source named" 'grep -q "^NOT INSTALLED chainsaw: no source: CHAINSAW_SRC" "$T/out"'
ok "dry run: the copies" 'grep -q "x 3 under" "$T/out"'
ok "dry run: no cargo ran" '[ ! -e "$T/cargo-called" ]'
ok "dry run: the cache is untouched" '[ ! -e "$T/cache" ]'
[ $st -eq 0 ] || cat "$T/out"

# --- dry run with sources: the source builds are planned, one job ------------------------
mkdir -p "$T/src/hayabusa" "$T/src/evtx" "$T/src/rules" "$T/src/chainsaw" "$T/src/mft"
HAYABUSA_SRC="$T/src/hayabusa" HAYABUSA_EVTX_SRC="$T/src/evtx" HAYABUSA_RULES_SRC="$T/src/rules" \
    CHAINSAW_SRC="$T/src/chainsaw" CHAINSAW_MFT_SRC="$T/src/mft" CARGO_JOBS=2 \
    bench --dry-run --peers "hayabusa chainsaw"
ok "dry run with sources: exit 0" '[ $st -eq 0 ]'
ok "dry run with sources: Hayabusa built with the evtx fork" \
    'grep -q "^+ cargo build --release -j 2 .*hayabusa-evtx.git.*evtx.path=" "$T/out"'
ok "dry run with sources: Chainsaw's mft fork from its folder" \
    'grep -q "^+ cargo build --release -j 2 .*patch.crates-io.mft.path=" "$T/out"'
ok "dry run with sources: forks not given come from crates.io" \
    'grep -q "CHAINSAW_LIBESEDB_SRC not given, libesedb comes from crates.io" "$T/out"'
ok "dry run with sources: Hayabusa timed on one core and thread" \
    'grep -q "^run  *hayabusa evtx: taskset -c 0 .* json-timeline .* -t 1" "$T/out"'
ok "dry run with sources: Chainsaw timed on one core and thread" \
    'grep -q "^run  *chainsaw evtx: taskset -c 0 .* --num-threads 1 hunt " "$T/out"'
ok "dry run with sources: nothing NOT INSTALLED" '! grep -q "NOT INSTALLED" "$T/out"'
ok "dry run with sources: no cargo ran" '[ ! -e "$T/cargo-called" ]'
[ $st -eq 0 ] || cat "$T/out"

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
