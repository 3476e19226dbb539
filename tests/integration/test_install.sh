#!/usr/bin/env bash
# The installed product: `cmake --install` with DESTDIR into a temporary root, the tree moved
# elsewhere, and the checkout made unreachable (hidden under an empty tmpfs in a private mount
# namespace); then hunt, watch --check, serve --check, rules install/list and --version run
# from the installed tree alone.  Also the layout (man pages, completion, unit, sysusers,
# tmpfiles, configuration), `make install PREFIX=` and a mapping overlay.
set -uo pipefail
Y=${YAGURA:?} S=${YG_SHARED_DIR:?} SRC=${YG_SOURCE_DIR:?} B=${YG_BUILD_DIR:?}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
ok() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1"; fi; }

DESTDIR="$T/root" cmake --install "$B" --prefix /usr/local > "$T/install.log" 2>&1; st=$?
ok "cmake --install with DESTDIR: exit 0" '[ $st -eq 0 ]'
R="$T/root/usr/local"
for f in bin/yagura share/yagura/mappings/windows.yml share/yagura/rules share/yagura/analytics \
    share/yagura/intel share/man/man1/yagura.1.gz share/man/man1/yagura-hunt.1.gz \
    share/man/man1/yagura-rules.1.gz share/man/man5/yagura.yaml.5.gz \
    share/bash-completion/completions/yagura share/zsh/vendor-completions/_yagura \
    share/doc/yagura/README.md share/doc/yagura/yagura.yaml.example etc/yagura/yagura.yaml \
    lib/systemd/system/yagura.service lib/sysusers.d/yagura.conf lib/tmpfiles.d/yagura.conf; do
    ok "installed: $f" '[ -e "$R/$f" ]'
done
ok "nothing outside DESTDIR" '! grep -q "Installing: /usr" "$T/install.log"'
ok "unit names the installed paths" 'grep -q "^ExecStart=/usr/local/bin/yagura watch -c /usr/local/etc/yagura/yagura.yaml$" "$R/lib/systemd/system/yagura.service"'
ok "bash completion parses" 'bash -n "$R/share/bash-completion/completions/yagura"'

# Move the installed tree away from its install path, then hide the checkout.
mkdir -p "$T/elsewhere"
mv "$R" "$T/elsewhere/yagura"
I="$T/elsewhere/yagura"
cat > "$T/serve.yaml" << YAML
state: $T/state.db
inputs:
  - name: in
    type: stdin
taxii:
  db: $T/taxii.db
  api_roots:
    - path: api1
      collections:
        - {id: 91a7b528-80eb-42ed-a74d-c6fbd5a26116, alias: community, tlp_ceiling: green}
YAML
EVTX="$S/logs/hayabusa-yamato-evtx/Sysmon/Sysmon-27-BlockExeWrite_AbusingCertutil.evtx"
mkdir -p "$T/z/rules" && cp -r "$S/sigma/rules/windows" "$T/z/rules/" &&
    (cd "$T/z" && zip -qr "$T/sigma_core.zip" rules)
cat > "$T/run.sh" << 'RUN'
set -u
I=$1 T=$2 SRC=$3 EVTX=$4
mount -t tmpfs none "$SRC" || exit 99
[ -z "$(ls -A "$SRC")" ] || exit 98
unset YAGURA_DATA_DIR YAGURA_RULESETS_DIR
Y="$I/bin/yagura"
"$Y" --version > "$T/version" 2>&1; echo "version $?" >> "$T/rc"
"$Y" rules install "$T/sigma_core.zip" > "$T/install" 2>&1; echo "install $?" >> "$T/rc"
"$Y" rules list > "$T/list" 2>&1; echo "list $?" >> "$T/rc"
"$Y" hunt "$EVTX" > "$T/alerts" 2> "$T/hunt.err"; echo "hunt $?" >> "$T/rc"
"$Y" watch --check -c "$I/etc/yagura/yagura.yaml" > "$T/watch" 2>&1; echo "watch $?" >> "$T/rc"
"$Y" serve --check -c "$T/serve.yaml" > "$T/serve" 2>&1; echo "serve $?" >> "$T/rc"
"$Y" decode "$EVTX" > "$T/decode" 2>&1; echo "decode $?" >> "$T/rc"
RUN
unshare -m --propagation private bash "$T/run.sh" "$I" "$T" "$SRC" "$EVTX"; st=$?
ok "checkout hidden in a private mount namespace" '[ $st -eq 0 ]'
rc() { grep -q "^$1 $2$" "$T/rc"; }
ok "--version: exit 0, version, commit" 'rc version 0 && grep -q "^yagura [0-9]" "$T/version" && grep -Eq "^commit: [0-9a-f]{7,}" "$T/version"'
ok "--version: the installed data folder" 'grep -q "^data folder: $I/share/yagura$" "$T/version"'
ok "rules install into the relocated tree" 'rc install 0 && [ -f "$I/share/yagura/rulesets/sigma_core/RULESET" ]'
ok "rules list: own rules and the set load" 'rc list 0 && grep -q "^(yagura) .* $I/share/yagura/rules$" "$T/list" && grep -q "^sigma_core " "$T/list"'
ok "hunt without -r: installed rules, alerts" 'rc hunt 1 && grep -q "  $I/share/yagura/rulesets/sigma_core" "$T/hunt.err" && [ -s "$T/alerts" ] && ! grep -q "cannot compile" "$T/hunt.err"'
ok "watch --check of the installed configuration" 'rc watch 0 && grep -q "rules: [0-9]* detection" "$T/watch"'
ok "serve --check" 'rc serve 0'
ok "decode" 'rc decode 0 && grep -q "\"product\":\"windows\"" "$T/decode"'

# make install PREFIX=... goes through the same rules.
make -C "$SRC" --no-print-directory install BUILD="$B" PREFIX=/opt/yg DESTDIR="$T/root2" > "$T/make.log" 2>&1; st=$?
ok "make install PREFIX= DESTDIR=" '[ $st -eq 0 ] && [ -x "$T/root2/opt/yg/bin/yagura" ] && [ -f "$T/root2/opt/yg/share/yagura/mappings/windows.yml" ]'

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
