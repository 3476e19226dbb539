#!/usr/bin/env bash
# check.sh - the test phases of `make check`, overlapped (the Makefile builds the ordinary tree
# and configures the sanitizer trees first; this script is what runs after).
#
#   scripts/check.sh BUILD ASAN_BUILD TSAN_BUILD
#
# Which tests run where is decided by labels (tests/CMakeLists.txt, "Where each test runs").
# Three chains run side by side:
#   release  the ordinary build's tests (unit|release|slow);
#   asan     build the ASan/UBSan program, then its Kafka tests beside the rest of the tree's
#            build and then its other tests (everything else, the fuzz targets too);
#   tsan     build the ThreadSanitizer targets, then the threaded tests (label tsan);
# then, alone, the tests that compare two rates measured in the run (label timing).
# Why overlap: many integration tests wait on something (a broker, a server, a timer, a child
# process) for much of their run: test_kafka_failures used 12 CPU seconds in 39 s, and
# test_http_overload 21 in 47 (/usr/bin/time, ASan build). So tests run CTEST_JOBS at a time
# (default twice the cores), beside the builds of the other chains. Every test waits for what
# it names, never for the machine to be idle.
#
# Each chain's output is prefixed with its name ([release], [asan], [tsan]) as it arrives;
# ctest's --output-on-failure shows a failing test's own output. The exit status is 0 only when
# every chain succeeded; the summary names the chains that failed.
set -u
B=${1:?usage: check.sh BUILD ASAN_BUILD TSAN_BUILD}
SAN=${2:?usage: check.sh BUILD ASAN_BUILD TSAN_BUILD}
TSAN=${3:?usage: check.sh BUILD ASAN_BUILD TSAN_BUILD}
JOBS=${JOBS:-$(nproc)}
CTEST_JOBS=${CTEST_JOBS:-$((2 * $(nproc)))}
failed=()

# run NAME COMMAND...: COMMAND's output, each line prefixed with [NAME]; its status in
# $status_dir/NAME.
status_dir=$(mktemp -d)
trap 'rm -rf "$status_dir"' EXIT
run() {
    local name=$1
    shift
    { "$@" 2>&1; echo $? > "$status_dir/$name"; } | sed -u "s/^/[$name] /"
}
collect() {
    for name in "$@"; do
        st=$(cat "$status_dir/$name" 2> /dev/null || echo 1)
        [ "$st" = 0 ] || failed+=("$name (exit $st)")
    done
}
start=$(date +%s)

# Three chains side by side, each starting its tests as soon as its own tree is built, so no
# core waits at a phase's end for the slowest half of it.
run release ctest --test-dir "$B" --output-on-failure -j "$CTEST_JOBS" -L 'unit|release|slow' \
    -LE timing &
p1=$!
# The Kafka tests need only the program, and mostly wait (on the broker and the group's
# rebalances, in two lock groups): they start as soon as the program is linked, while the unit
# tests and fuzz targets build.  The second ctest leaves the shared cache fixture to the first
# (-FS), which already emptied the cache.
chain_asan() {
    cmake --build "$SAN" -j "$JOBS" --target yagura_cli || return
    echo "asan program built after $(($(date +%s) - start)) s"
    ctest --test-dir "$SAN" --output-on-failure -j "$CTEST_JOBS" -L kafka -LE 'release|slow' \
        > "$status_dir/asan-kafka.log" 2>&1 &
    local kafka=$!
    local st=0
    if cmake --build "$SAN" -j "$JOBS"; then
        echo "asan tree built after $(($(date +%s) - start)) s"
        ctest --test-dir "$SAN" --output-on-failure -j "$CTEST_JOBS" -LE 'release|slow|kafka' \
            -FS yg_cache || st=$?
    else
        st=1
    fi
    wait "$kafka" || st=1
    echo "--- Kafka tests (asan)"
    cat "$status_dir/asan-kafka.log"
    return "$st"
}
run asan chain_asan &
p2=$!
chain_tsan() {
    cmake --build "$TSAN" -j "$JOBS" --target yg_tsan_targets || return
    echo "tsan tree built after $(($(date +%s) - start)) s"
    TSAN_OPTIONS=halt_on_error=1 ctest --test-dir "$TSAN" --output-on-failure -j "$JOBS" -L tsan
}
run tsan chain_tsan &
p3=$!
wait "$p1" "$p2" "$p3"
collect release asan tsan

# Tests that compare rates measured in the run (label timing) go last, alone.
run timing ctest --test-dir "$B" --output-on-failure -L timing
collect timing

echo "check: $(($(date +%s) - start)) s after the ordinary build"
if [ ${#failed[@]} -gt 0 ]; then
    printf 'check: FAILED: %s\n' "${failed[@]}"
    exit 1
fi
echo "check: every chain passed"
