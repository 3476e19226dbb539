#!/usr/bin/env bash
# Every rule of the SigmaHQ corpus in ../shared/sigma/rules* loads: `yagura rules check`
# reports no rule and exits 0, and it compiled as many detection rules as there are rule
# documents (each file holds one rule).
set -uo pipefail
Y=${YAGURA:?} S=${YG_SHARED_DIR:?}
out=$("$Y" rules check "$S"/sigma/rules* 2> /tmp/yg-corpus.$$); st=$?
summary=$(cat /tmp/yg-corpus.$$); rm -f /tmp/yg-corpus.$$
files=$(find "$S"/sigma/rules* -name '*.yml' | wc -l)
pass=0 fail=0
check() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1"; fi; }
check "rules check exits 0 (got $st)" '[ $st -eq 0 ]'
check "no rule reported" '[ -z "$out" ]'
echo "$out" | head -20
check "all $files rule files compiled ($summary)" 'echo "$summary" | grep -q "^$files document(s): $files detection rule(s) compiled.* 0 failed"'
# Yagura's own rules load too.
own=$("$Y" rules check "${YG_SOURCE_DIR:?}/rules" 2>/dev/null); st=$?
check "rules/ loads (exit $st)" '[ $st -eq 0 ] && [ -z "$own" ]'
echo "$own" | head -20
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
