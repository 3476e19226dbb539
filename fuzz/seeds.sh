#!/usr/bin/env bash
# seeds.sh TARGET OUTDIR SHARED - build the seed corpus of a fuzz target from the
# real data in ../shared (never copied into the tree).
set -eu  # no pipefail: `head` closing a pipe early is fine here
target=$1 out=$2 shared=$3
mkdir -p "$out"
[ -n "$(ls -A "$out" 2>/dev/null)" ] && exit 0
case "$target" in
rules)
    find "$shared/sigma/rules" -name '*.yml' | sort | head -400 | while read -r f; do
        cp "$f" "$out/$(basename "$f")"
    done ;;
condition)
    grep -rhoE '^\s+condition: .*' "$shared/sigma/rules" | sed -E 's/^\s+condition: //' |
        sort -u | head -500 | awk -v o="$out" '{ f = o "/c" NR; printf "%s", $0 > f; close(f) }' ;;
json)
    find "$shared/sigma/regression" -name '*.json' | sort | head -100 | while read -r f; do
        cp "$f" "$out/$(basename "$f")"
    done
    find "$shared/logs" -name '*.json' -o -name '*.ndjson' -o -name '*.jsonl' | sort | head -50 |
        while read -r f; do head -c 65536 "$f" | head -n 1 > "$out/l_$(basename "$f")"; done ;;
evtx)
    find "$shared/sigma/regression" "$shared/logs" -name '*.evtx' -size -2M | sort | head -40 |
        while read -r f; do cp "$f" "$out/$(basename "$f")"; done ;;
*)
    # Other targets: the plain files of their own seed folder, if any.
    if [ -d "$(dirname "$0")/seeds/$target" ]; then cp "$(dirname "$0")/seeds/$target"/* "$out/"; fi ;;
esac
