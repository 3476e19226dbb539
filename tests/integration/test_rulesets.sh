#!/usr/bin/env bash
# Rule sets as managed content: `yagura rules install` of a SigmaHQ release zip built here
# from ../shared/sigma, `rules list`, then an update with a changed rule and a broken rule
# (refused, the report names both, the installed set keeps running), then the update without
# the broken rule (applied, reports added, removed and changed), a folder and a git checkout as
# sources, and `hunt` and `watch` without rules running the installed set.
set -uo pipefail
Y=${YAGURA:?} S=${YG_SHARED_DIR:?}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
ok() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1"; fi; }

export YAGURA_RULESETS_DIR="$T/sets"
EVTX="$S/logs/hayabusa-yamato-evtx/Sysmon/Sysmon-27-BlockExeWrite_AbusingCertutil.evtx"
# A SigmaHQ release archive: rules/ and version.txt, as sigma_core.zip is laid out.
mkdir -p "$T/r1"
cp -r "$S/sigma/rules" "$T/r1/rules"
echo "r2099-01-01" > "$T/r1/version.txt"
(cd "$T/r1" && zip -qr "$T/sigma_core.zip" rules version.txt)

"$Y" rules install "$T/sigma_core.zip" > "$T/out" 2> "$T/err"; st=$?
ok "install: exit 0" '[ $st -eq 0 ]'
ok "install: says what and where" 'grep -q "installed sigma_core r2099-01-01 (archive, [0-9]* rule file(s), [0-9]* load) in $T/sets/sigma_core" "$T/out"'
ok "install: checksums verify" '(cd "$T/sets/sigma_core" && sha256sum --quiet -c SHA256SUMS)'
nrules=$(find "$S/sigma/rules" -name "*.yml" | wc -l)
ok "install: every rule file" '[ $(wc -l < "$T/sets/sigma_core/SHA256SUMS") -eq $nrules ]'
"$Y" rules install "$T/sigma_core.zip" > /dev/null 2> "$T/err"; st=$?
ok "install twice: exit 2, points at update" '[ $st -eq 2 ] && grep -q "use .yagura rules update." "$T/err"'

"$Y" rules list > "$T/list" 2> "$T/err"; st=$?
ok "list: exit 0" '[ $st -eq 0 ]'
ok "list: set, version, rules, load" 'grep -Eq "^sigma_core +r2099-01-01 +$nrules +$nrules +$T/sets/sigma_core$" "$T/list"'
ok "list: yagura own rules" 'grep -q "^(yagura) " "$T/list"'
"$Y" --version > "$T/ver"
ok "--version names the set and version" 'grep -q "sigma_core *r2099-01-01" "$T/ver" && grep -q "^commit: " "$T/ver" && grep -q "^data folder: " "$T/ver"'

# hunt without -r runs the installed set (a certutil rule of SigmaHQ fires on this log).
"$Y" hunt "$EVTX" > "$T/alerts" 2> "$T/err"; st=$?
ok "hunt without -r: the installed set runs" '[ $st -eq 1 ] && grep -q "$T/sets/sigma_core" "$T/err" && [ -s "$T/alerts" ]'
before=$(wc -l < "$T/alerts")

# The update: one changed rule, one removed rule, one added broken rule.
CH=rules/windows/process_creation/proc_creation_win_certutil_download.yml
RM=rules/windows/builtin/security/win_security_user_added_to_local_administrators.yml
ok "test data present" '[ -f "$T/r1/$CH" ] && [ -f "$T/r1/$RM" ]'
cp -r "$T/r1" "$T/r2"
sed -i 's/^level: .*/level: low/' "$T/r2/$CH"
rm "$T/r2/$RM"
printf 'title: Broken rule\nid: 5e5e5e5e-0000-4000-8000-000000000001\nlogsource:\n  product: windows\ndetection:\n  sel:\n    Image|endswith: x.exe\n  condition: sel and nothing\n' > "$T/r2/rules/windows/broken_rule.yml"
echo "r2099-02-01" > "$T/r2/version.txt"
(cd "$T/r2" && zip -qr "$T/sigma_core2.zip" rules version.txt)
"$Y" rules update --name sigma_core "$T/sigma_core2.zip" > "$T/out" 2> "$T/err"; st=$?
ok "broken update: refused with exit 1" '[ $st -eq 1 ] && grep -q "sigma_core refused: 1 of" "$T/err"'
ok "broken update: the report names the changed rule" 'grep -q "^changed  $CH" "$T/out"'
ok "broken update: the report names the broken rule" 'grep -q "^added    rules/windows/broken_rule.yml" "$T/out" && grep -q "broken_rule.yml:[0-9]*:[0-9]*: 5e5e5e5e-0000-4000-8000-000000000001" "$T/err"'
ok "broken update: the removed rule" 'grep -q "^removed  $RM" "$T/out"'
ok "broken update: previous set kept" 'grep -q "^version: r2099-01-01" "$T/sets/sigma_core/RULESET" && cmp -s "$T/r1/$CH" "$T/sets/sigma_core/$CH"'
ok "broken update: no leftover" '[ -z "$(ls -A "$T/sets" | grep -v "^sigma_core$")" ]'
"$Y" hunt "$EVTX" > "$T/alerts2" 2> /dev/null; st=$?
ok "previous set keeps working" '[ $st -eq 1 ] && [ $(wc -l < "$T/alerts2") -eq $before ]'

rm "$T/r2/rules/windows/broken_rule.yml"
(cd "$T/r2" && rm -f "$T/sigma_core2.zip" && zip -qr "$T/sigma_core2.zip" rules version.txt)
"$Y" rules update --name sigma_core "$T/sigma_core2.zip" > "$T/out" 2> "$T/err"; st=$?
ok "good update: exit 0 and counts" '[ $st -eq 0 ] && grep -q "sigma_core: r2099-01-01 -> r2099-02-01: 0 added, 1 removed, 1 changed" "$T/out"'
ok "good update: new content in place" 'grep -q "^level: low" "$T/sets/sigma_core/$CH" && [ ! -e "$T/sets/sigma_core/$RM" ]'

# A folder and a git checkout (its rules/ folder; version from the commit).
mkdir -p "$T/gitsrc/rules"
cp "$S/sigma/rules/windows/process_creation/proc_creation_win_certutil_"*.yml "$T/gitsrc/rules/"
git -C "$T/gitsrc" init -q && git -C "$T/gitsrc" -c user.email=t@t -c user.name=t add -A &&
    git -C "$T/gitsrc" -c user.email=t@t -c user.name=t commit -qm x
head=$(git -C "$T/gitsrc" rev-parse HEAD | cut -c1-12)
"$Y" rules install --name certutil "$T/gitsrc" > "$T/out" 2> "$T/err"; st=$?
ok "git checkout: installed with its commit" '[ $st -eq 0 ] && grep -q "^version: git-$head" "$T/sets/certutil/RULESET" && [ ! -e "$T/sets/certutil/.git" ]'
mkdir -p "$T/plain"
cp "$S/sigma/rules/windows/process_creation/proc_creation_win_certutil_"*.yml "$T/plain/"
"$Y" rules install "$T/plain" > "$T/out" 2> "$T/err"; st=$?
ok "folder: installed with a content version" '[ $st -eq 0 ] && grep -q "^version: sha256-[0-9a-f]\{12\}$" "$T/sets/plain/RULESET"'

# watch without rules: in its configuration runs the installed sets.
printf 'state: %s/state.db\ninputs:\n  - name: in\n    type: stdin\n' "$T" > "$T/w.yaml"
"$Y" watch -c "$T/w.yaml" --check > "$T/out" 2> "$T/err"; st=$?
ok "watch --check without rules: loads the installed sets" '[ $st -eq 0 ] && grep -Eq "rules: [0-9]{4,} detection" "$T/err"'

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
