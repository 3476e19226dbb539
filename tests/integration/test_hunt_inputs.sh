#!/usr/bin/env bash
# yagura hunt: how inputs are listed and read.  Symbolic links that loop or point at something
# listed already (each real folder walked once, each real file read once), FIFOs and sockets
# in folders (skipped and said so, never waited on), and the one event size limit whatever
# the reader (mapped file, gzip, zstd, standard input).  Each check prints PASS/FAIL; the last
# line counts them.
set -uo pipefail
Y=${YAGURA:?}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
ok() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1"; fi; }
# A hunt that does not finish in 20 s has hung (a loop, a FIFO): timeout exits 124.
hunt() { timeout 20 "$Y" hunt -r "$T/rule.yml" "$@"; }

cat > "$T/rule.yml" <<'R'
title: Whoami
id: 11111111-1111-4111-8111-111111111111
level: high
logsource: {product: windows, category: process_creation}
detection:
  sel:
    Image|endswith: '\whoami.exe'
  condition: sel
R
ev() { printf '{"Event":{"System":{"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational"},"EventData":{"Image":"C:\\\\Windows\\\\System32\\\\%s"%s}}}\n' "$1" "${2:-}"; }

# ---- symbolic links: one event, read once however often it is reachable ----
mkdir -p "$T/loop/a/b"
ev whoami.exe > "$T/loop/a/b/e.jsonl"
ln -s .. "$T/loop/a/b/up"          # a link to the parent: a loop
ln -s ../b "$T/loop/a/b/self"      # a link to itself
ln -s ../../a "$T/loop/a/b/top"    # a link to the grandparent
ln -s b/e.jsonl "$T/loop/a/same.jsonl" # the same file under a second name
ln "$T/loop/a/b/e.jsonl" "$T/loop/a/hard.jsonl" # and a second hard link
hunt "$T/loop" > "$T/out" 2> "$T/err"; st=$?
ok "link loops end (exit 1, not a timeout)" '[ $st -eq 1 ]'
ok "one event gives one alert" '[ $(wc -l < "$T/out") -eq 1 ]'
ok "summary counts one file and one event" 'grep -q "1 file(s), 1 events" "$T/err"'
ok "a folder reached again is named" 'grep -q "loop/a/b/up: a folder already listed" "$T/err"'
ok "a file reached again is named" 'grep -q "the same file as one listed before; read once" "$T/err"'
ok "repeats are not input errors" '! grep -q "input errors" "$T/err"'
# The same file or folder named twice on the command line, and through a link.
hunt "$T/loop/a/b/e.jsonl" "$T/loop/a/b/e.jsonl" "$T/loop" "$T/loop/a/b/up" > "$T/out" 2> "$T/err"; st=$?
ok "named twice: one alert" '[ $st -eq 1 ] && [ $(wc -l < "$T/out") -eq 1 ]'

# ---- FIFOs and sockets in a folder are skipped and said so ----
mkdir "$T/spec"
ev whoami.exe > "$T/spec/e.jsonl"
mkfifo "$T/spec/pipe"
python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$T/spec/sock"
hunt "$T/spec" > "$T/out" 2> "$T/err"; st=$?
ok "a FIFO in a folder does not hang the hunt" '[ $st -eq 1 ]'
ok "the regular file is read" '[ $(wc -l < "$T/out") -eq 1 ]'
ok "the FIFO is named" 'grep -q "spec/pipe: a FIFO, not a regular file; skipped" "$T/err"'
ok "the socket is named" 'grep -q "spec/sock: a socket, not a regular file; skipped" "$T/err"'
ok "the summary counts them skipped" 'grep -q "skipped: 2 FIFO(s), socket(s) or device(s)" "$T/err"'
# A FIFO named on the command line is read like standard input.
mkfifo "$T/named"
{ ev whoami.exe > "$T/named"; } &
hunt "$T/named" > "$T/out" 2> "$T/err"; st=$?
wait
ok "a FIFO named on the command line is read" '[ $st -eq 1 ] && [ $(wc -l < "$T/out") -eq 1 ]'

# ---- one event size limit (4 MiB) for every reader ----
# Line 1: an alerting event; line 2: 6 MiB (over); line 3: 3 MiB (under); line 4: alerting.
pad() { head -c "$1" /dev/zero | tr '\0' x; }
{ ev whoami.exe; ev whoami.exe ",\"Pad\":\"$(pad $((6 << 20)))\""
  ev whoami.exe ",\"Pad\":\"$(pad $((3 << 20)))\""; ev whoami.exe; } > "$T/big.jsonl"
gzip -c "$T/big.jsonl" > "$T/big.jsonl.gz"
zstd -q -c "$T/big.jsonl" > "$T/big.jsonl.zst"
# The same in a line format (syslog): the over-limit line is 2 of 3.
{ echo '<13>Jan  1 00:00:00 host app: one'; echo "<13>Jan  1 00:00:00 host app: $(pad $((6 << 20)))"
  echo '<13>Jan  1 00:00:00 host app: three'; } > "$T/big.log"
gzip -c "$T/big.log" > "$T/big.log.gz"
check_limit() { # NAME FILE-AS-REPORTED: alerts at lines 1, 3, 4; one error at line 2
    rep=$2
    ok "$1: 3 alerts" '[ $(wc -l < "$T/out") -eq 3 ]'
    ok "$1: alerts at lines 1, 3 and 4" \
        '[ "$(grep -o "\"line\":[0-9]*" "$T/out" | tr "\n" " ")" = "\"line\":1 \"line\":3 \"line\":4 " ]'
    ok "$1: one error naming file and line" \
        '[ "$(grep -c "^$rep:" "$T/err")" -eq 1 ] && grep -q "^$rep:2:1: document longer than the event size limit (4 MiB); skipped" "$T/err"'
    ok "$1: 3 events, 1 input error" 'grep -q " 3 events" "$T/err" && grep -q "input errors: 1 " "$T/err"'
}
for f in big.jsonl big.jsonl.gz big.jsonl.zst; do
    hunt --no-event "$T/$f" > "$T/out" 2> "$T/err"
    check_limit "$f" "$T/$f"
done
hunt --no-event - < "$T/big.jsonl" > "$T/out" 2> "$T/err"
check_limit "stdin" "-"
gzip -dc "$T/big.jsonl.gz" | hunt --no-event - > "$T/out" 2> "$T/err"
check_limit "stdin from a pipe" "-"
for f in big.log big.log.gz; do
    timeout 20 "$Y" decode "$T/$f" > "$T/out" 2> "$T/err"
    ok "$f: lines 1 and 3 decoded" \
        '[ "$(grep -o "\"source\":\"[^\"]*\"" "$T/out" | sed "s/.*://" | tr "\n" " ")" = "1\" 3\" " ]'
    ok "$f: one error at line 2" \
        '[ "$(wc -l < "$T/err")" -eq 1 ] && grep -q "^$T/$f:2:1: line longer than the event size limit (4 MiB); skipped" "$T/err"'
done
timeout 20 "$Y" decode - < "$T/big.log" > "$T/out" 2> "$T/err"
ok "syslog stdin: one error at line 2" \
    '[ "$(wc -l < "$T/err")" -eq 1 ] && grep -q "^-:2:1: line longer" "$T/err" && [ $(wc -l < "$T/out") -eq 2 ]'

echo "PASS $pass FAIL $fail"
[ "$fail" -eq 0 ]
