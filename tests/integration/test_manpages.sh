#!/usr/bin/env bash
# Man pages: every page the build generated renders with man(1); `man yagura-hunt` finds the
# installed page through MANPATH; every option of every command's --help is in its page.
set -uo pipefail
Y=${YAGURA:?} B=${YG_BUILD_DIR:?}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
ok() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1"; fi; }
render() { MANWIDTH=200 man -E ascii -l "$1" 2> "$T/man.err" | col -b; }

DESTDIR="$T/root" cmake --install "$B" --prefix /usr > /dev/null 2>&1
ok "installed pages" '[ -f "$T/root/usr/share/man/man1/yagura-hunt.1.gz" ]'
MANPATH="$T/root/usr/share/man" MANWIDTH=120 man -E ascii yagura-hunt 2> "$T/err" | col -b > "$T/hunt.txt"
ok "man yagura-hunt renders" 'grep -q "^NAME" "$T/hunt.txt" && grep -q "yagura-hunt - run Sigma rules" "$T/hunt.txt" && [ ! -s "$T/err" ]'
MANPATH="$T/root/usr/share/man" MANWIDTH=120 man -E ascii 5 yagura.yaml 2> "$T/err" | col -b > "$T/yaml.txt"
ok "man 5 yagura.yaml renders its keys" 'grep -q "^NAME" "$T/yaml.txt" && grep -q "min_level" "$T/yaml.txt" && grep -q "data_dir" "$T/yaml.txt"'

# page: the --help texts it documents (a command, or each subcommand).
check() {
    local page=$1
    shift
    render "$T/root/usr/share/man/man1/$page.1.gz" > "$T/$page.txt"
    ok "$page renders" '[ -s "$T/$page.txt" ] && [ ! -s "$T/man.err" ] && grep -q "^SYNOPSIS" "$T/$page.txt"'
    local args
    for args in "$@"; do
        # shellcheck disable=SC2086
        "$Y" $args --help > "$T/help" 2>&1
        local n=0 missing=""
        for o in $(grep -oE -- '(^ +|, )--?[A-Za-z][A-Za-z-]*' "$T/help" | sed 's/^[ ,]*//' | sort -u); do
            n=$((n + 1))
            grep -qe "$o\\b" "$T/$page.txt" || missing="$missing $o"
        done
        ok "$page: every option of 'yagura $args --help' ($n) is in the page${missing:+, missing:$missing}" '[ $n -gt 0 ] && [ -z "$missing" ]'
    done
}
check yagura ""
check yagura-hunt hunt
check yagura-decode decode
check yagura-search search
check yagura-metrics metrics
check yagura-logons logons
check yagura-watch watch
check yagura-rules "rules check" "rules install" "rules update" "rules list"
check yagura-incidents incidents
check yagura-campaigns campaigns
check yagura-serve serve
check yagura-intel "intel check" "intel load" "intel pull" "intel export"

# The check itself catches a missing option: drop one from a page and it must fail.
grep -v -- "--min-level" "$T/yagura-hunt.txt" > "$T/cut.txt"
grep -qe "--min-level\\b" "$T/cut.txt"; st=$?
ok "an option missing from a page is noticed" '[ $st -ne 0 ]'

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
