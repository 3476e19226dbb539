#!/usr/bin/env bash
# check.sh - the test phases of `make check`, overlapped (the Makefile builds the ordinary tree
# and configures the sanitizer trees first; this script is what runs after).
#
#   scripts/check.sh BUILD ASAN_BUILD TSAN_BUILD
#
# Which tests run where is decided by labels (tests/CMakeLists.txt, "Where each test runs"):
#   phase 1  the ordinary build's tests (unit|release|slow)   beside   building the ASan/UBSan
#            tree and the ThreadSanitizer targets;
#   phase 2  the ASan/UBSan tests (everything else, the fuzz targets among them)   beside   the
#            ThreadSanitizer tests.
# Why overlap: most integration tests wait on something (a broker, a server, a timer, a child
# process) for much of their time: alone, `ctest -j2` kept the two cores about 60 % busy. So
# tests run CTEST_JOBS at a time (default twice the cores) and each phase's two halves run side
# by side. Every test still waits for what it names (no test depends on the machine being idle),
# and the suite passed with the machine loaded by other builds at a load average of 8.
#
# Each half's output is prefixed with its name ([release], [build-san], [asan], [tsan]) as it
# arrives; ctest's --output-on-failure shows a failing test's own output. The exit status is 0
# only when every half succeeded; the summary names the halves that failed.
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

run release ctest --test-dir "$B" --output-on-failure -j "$CTEST_JOBS" -L 'unit|release|slow' &
p1=$!
run build-san bash -c "cmake --build '$SAN' -j $JOBS && cmake --build '$TSAN' -j $JOBS --target yg_tsan_targets" &
p2=$!
wait "$p1" "$p2"
collect release build-san

if [ -f "$status_dir/build-san" ] && [ "$(cat "$status_dir/build-san")" = 0 ]; then
    run asan ctest --test-dir "$SAN" --output-on-failure -j "$CTEST_JOBS" -LE 'release|slow' &
    p3=$!
    run tsan env TSAN_OPTIONS=halt_on_error=1 ctest --test-dir "$TSAN" --output-on-failure -j "$JOBS" -L tsan &
    p4=$!
    wait "$p3" "$p4"
    collect asan tsan
fi

echo "check: $(($(date +%s) - start)) s of tests after the ordinary build"
if [ ${#failed[@]} -gt 0 ]; then
    printf 'check: FAILED: %s\n' "${failed[@]}"
    exit 1
fi
echo "check: every phase passed"
