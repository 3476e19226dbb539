#!/usr/bin/env bash
# yagura watch start-up errors name their cause and their file, line or address: a listening
# address in use, a TLS input whose certificate cannot be read (also under --check), a NUL byte
# and invalid UTF-8 in the configuration at their real line. The last line counts the checks.
set -uo pipefail
Y=${YAGURA:?} SRC=${YG_SOURCE_DIR:?}
T=$(mktemp -d)
holder=""
trap '[ -n "$holder" ] && kill "$holder" 2> /dev/null; rm -rf "$T"' EXIT
pass=0 fail=0
ok() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1"; fi; }

head_cfg() { printf "rules: ['%s/rules']\ndata_dir: '%s'\nstate: %s/state.db\n" "$SRC" "$SRC" "$T"; }

# An address in use: another socket holds it while the service starts.
python3 -c "
import socket, sys, time
s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen()
open(sys.argv[1], 'w').write(str(s.getsockname()[1])); time.sleep(60)" "$T/port" &
holder=$!
for _ in $(seq 50); do [ -s "$T/port" ] && break; sleep 0.1; done
port=$(cat "$T/port")
{ head_cfg; printf "inputs:\n  - {name: tcp-in, type: syslog-tcp, listen: '127.0.0.1:%s'}\nsinks:\n  - {type: jsonl, path: %s/a.jsonl}\n" "$port" "$T"; } > "$T/inuse.yaml"
timeout 20 "$Y" watch -c "$T/inuse.yaml" > /dev/null 2> "$T/err"; st=$?
ok "address in use: the service stops with an error" '[ $st -ne 0 ] && [ $st -ne 124 ]'
ok "address in use: cause and address named" 'grep -q "inputs: tcp-in: cannot open: cannot listen on 127.0.0.1:$port: Address already in use" "$T/err"'
kill "$holder" 2> /dev/null; holder=""

# A TLS input whose certificate is missing: --check fails and names the file.
{ head_cfg; printf "inputs:\n  - {name: tls-in, type: syslog-tls, listen: '127.0.0.1:1', cert: %s/none.pem, key: %s/none.key}\nsinks:\n  - {type: jsonl, path: %s/a.jsonl}\n" "$T" "$T" "$T"; } > "$T/tls.yaml"
"$Y" watch --check -c "$T/tls.yaml" > /dev/null 2> "$T/err"; st=$?
ok "missing TLS certificate: --check exits non-zero" '[ $st -ne 0 ]'
ok "missing TLS certificate: the path and the cause" 'grep -q "inputs: tls-in: tls cert $T/none.pem: cannot read it: No such file or directory" "$T/err"'
# A certificate that is not one: named as such.
echo "not a certificate" > "$T/bad.pem"; echo "not a key" > "$T/bad.key"
sed "s|$T/none.pem|$T/bad.pem|; s|$T/none.key|$T/bad.key|" "$T/tls.yaml" > "$T/tls2.yaml"
"$Y" watch --check -c "$T/tls2.yaml" > /dev/null 2> "$T/err"; st=$?
ok "unreadable PEM: --check fails and says what the file is not" '[ $st -ne 0 ] && grep -q "tls cert $T/bad.pem: not a PEM certificate chain" "$T/err"'

# A NUL byte and invalid UTF-8 on line 2 are reported at line 2.
{ printf "rules: ['%s/rules']\nstate: %s/st\x00ate.db\ninputs:\n  - {name: a, type: stdin}\n" "$SRC" "$T"; } > "$T/nul.yaml"
"$Y" watch --check -c "$T/nul.yaml" > /dev/null 2> "$T/err"; st=$?
ok "NUL byte: line 2, named as a control character" '[ $st -ne 0 ] && grep -q "line 2, column [0-9]*: YAML: control characters are not allowed" "$T/err"'
{ printf "rules: ['%s/rules']\nstate: %s/st\xff\xfeate.db\ninputs:\n  - {name: a, type: stdin}\n" "$SRC" "$T"; } > "$T/utf.yaml"
"$Y" watch --check -c "$T/utf.yaml" > /dev/null 2> "$T/err"; st=$?
ok "invalid UTF-8: line 2" '[ $st -ne 0 ] && grep -q "line 2, column [0-9]*: YAML: invalid leading UTF-8 octet" "$T/err"'
# The same reader serves rule files: bad UTF-8 in a rule is reported at its line.
printf 'title: t\nid: 11111111-1111-4111-8111-111111111111\ndescription: "\xff"\nlogsource: {product: windows}\ndetection:\n  sel: {Image: x}\n  condition: sel\n' > "$T/rule.yml"
"$Y" rules check "$T/rule.yml" > "$T/out" 2>&1
ok "invalid UTF-8 in a rule: its line" 'grep -q "rule.yml:3:" "$T/out"'

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
