#!/usr/bin/env bash
# Only yg_-prefixed symbols leave the library (public yg_<module>_<verb>, internal yg__<verb>):
# every layer's archive (cmake/layers.cmake) is checked.
set -uo pipefail
shopt -s nullglob
libs=("${YG_BUILD_DIR:?}"/libyagura_*.a)
if [ ${#libs[@]} -eq 0 ]; then
    echo "no libyagura_*.a in $YG_BUILD_DIR"
    echo "0 passed, 1 failed"
    exit 1
fi
bad=$(nm -g --defined-only "${libs[@]}" | awk 'NF == 3 { print $3 }' | grep -v '^yg_' | sort -u)
total=$(nm -g --defined-only "${libs[@]}" | awk 'NF == 3' | wc -l)
if [ -n "$bad" ] || [ "$total" -eq 0 ]; then
    echo "symbols without the yg_ prefix (or none at all, total $total):"
    echo "$bad"
    echo "0 passed, 1 failed"
    exit 1
fi
echo "$total exported symbols in ${#libs[@]} layer archives, all yg_-prefixed"
echo "1 passed, 0 failed"
