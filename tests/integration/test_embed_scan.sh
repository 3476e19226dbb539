#!/usr/bin/env bash
# A program that embeds only the scanning layers (yagura_scan: core, decode, match,
# correlate; cmake/layers.cmake) compiles a rule and a correlation, scans an event,
# and neither links nor depends on libcurl, libmicrohttpd or SQLite.
set -uo pipefail
B=${YG_BUILD_DIR:?} SRC=${YG_SOURCE_DIR:?}
bin="$B/tests/yg_embed_scan"
pass=0 fail=0
check() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1"; fi; }
check "the embedding program was built ($bin)" '[ -x "$bin" ]'
out=$("$bin" "$SRC" 2>&1); st=$?
echo "$out"
check "it compiles and scans (exit $st)" '[ $st -eq 0 ]'
check "one rule, one correlation, one alert" '[ "$out" = "detection=1 correlation=1 alerts=1" ]'
needed=$(readelf -d "$bin" | grep NEEDED)
check "no libcurl, libmicrohttpd or SQLite among its shared libraries" \
    '! echo "$needed" | grep -Eq "libcurl|libmicrohttpd|libsqlite3"'
# --as-needed would hide an unused library from NEEDED: look at the link line as well.
if [ -f "$B/build.ninja" ]; then
    link=$(awk '/^build tests\/yg_embed_scan:/ {f = 1} f && /LINK_LIBRARIES/ {print; exit}' "$B/build.ninja")
    check "its link line was found" '[ -n "$link" ]'
    check "its link line names none of them ($link)" \
        '! echo "$link" | grep -Eq "curl|microhttpd|sqlite|yagura_(incident|engine|io|pipeline|watch)"'
fi
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
