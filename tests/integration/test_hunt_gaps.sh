#!/usr/bin/env bash
# yagura hunt never finds nothing silently: rule paths that load nothing, rule folders given as
# inputs, several rule folders after one -r, SigmaHQ release archives, the installed rule sets
# without -r, coverage per log source with exit 3, --min-level against correlations, noise
# control files, the analyst summary and progress inside one large file.
# Each check prints FAIL on failure; the last line counts them.
set -uo pipefail
Y=${YAGURA:?} S=${YG_SHARED_DIR:?} SRC=${YG_SOURCE_DIR:?} B=${YG_BUILD_DIR:?}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
ok() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1"; fi; }
py() { python3 -c "$@"; }

SIG="$S/sigma/rules"
EVTX="$S/logs/hayabusa-yamato-evtx/Sysmon/Sysmon-27-BlockExeWrite_AbusingCertutil.evtx"
SEC="$S/logs/deepbluecli-evtx/new-user-security.evtx"

# --- 3. no rules, or a rule path that loads nothing: exit 2 with the reason ----------
mkdir -p "$T/empty"
"$Y" hunt -q -r "$T/empty" "$EVTX" > "$T/out" 2> "$T/err"; st=$?
ok "empty rule folder: exit 2" '[ $st -eq 2 ] && [ ! -s "$T/out" ]'
ok "empty rule folder: names the path" 'grep -q "empty: no rule loaded from this path" "$T/err"'
"$Y" hunt -q -r "$T/nonexistent" "$EVTX" > "$T/out" 2> "$T/err"; st=$?
ok "wrong rule path: exit 2 and says so" '[ $st -eq 2 ] && grep -q "nonexistent: no such rule file or folder" "$T/err"'
echo "not a zip" > "$T/broken.zip"
"$Y" hunt -q -r "$T/broken.zip" "$EVTX" > "$T/out" 2> "$T/err"; st=$?
ok "unreadable zip: exit 2 with the cause" '[ $st -eq 2 ] && grep -q "cannot open rule archive" "$T/err" && grep -q "broken.zip: no rule loaded" "$T/err"'
# A good path beside one that loads nothing is still an error: the user believes both run.
"$Y" hunt -q -r "$SIG/windows/sysmon" -r "$T/empty" "$EVTX" > /dev/null 2>&1; st=$?
ok "one good and one empty rule path: exit 2" '[ $st -eq 2 ]'

# --- 7. SigmaHQ release archives load directly with -r -----------------------------
(cd "$S/sigma" && zip -qr "$T/sigma_core.zip" rules/windows rules/linux)
"$Y" rules check "$SIG/windows" "$SIG/linux" > /dev/null 2> "$T/dir.txt"
"$Y" rules check "$T/sigma_core.zip" > "$T/zipout" 2> "$T/zip.txt"; st=$?
ok "rules check of the zip: exit 0" '[ $st -eq 0 ]'
ok "zip loads as many rules as the folders" '[ "$(grep -o "^[0-9]* document" "$T/zip.txt")" = "$(grep -o "^[0-9]* document" "$T/dir.txt")" ] && grep -q "^[1-9][0-9]* document" "$T/zip.txt"'
"$Y" hunt -q -r "$SIG/windows" "$EVTX" "$SEC" > "$T/a.dir" 2> /dev/null
"$Y" hunt -q -r "$T/sigma_core.zip" "$EVTX" "$SEC" > "$T/a.zip" 2> /dev/null
ok "the zip's alerts are the folder's (rule ids)" '[ -s "$T/a.dir" ] && diff <(py "import json,sys
for l in open(sys.argv[1]): print(json.loads(l)[\"rule\"][\"id\"])" "$T/a.dir") <(py "import json,sys
for l in open(sys.argv[1]): print(json.loads(l)[\"rule\"][\"id\"])" "$T/a.zip") > /dev/null'
ok "zip alerts name ARCHIVE:MEMBER as the rule file" 'grep -q "sigma_core.zip:rules/windows/" "$T/a.zip"'

# --- 4. several rule folders after one -r; rule folders given as inputs ------------
mkdir -p "$T/r/a" "$T/r/b" "$T/r/docs" "$T/logs"
cp "$SIG/windows/sysmon/"*.yml "$T/r/a/" 2> /dev/null
cp "$SIG/windows/builtin/security/"*.yml "$T/r/b/"
echo "# rules" > "$T/r/docs/README.md"
cp "$EVTX" "$SEC" "$T/logs/"
"$Y" hunt -r "$T"/r/* "$T/logs" > "$T/out" 2> "$T/err"; st=$?
ok "-r a b docs logs: b read as rules" 'grep -q "r/b follows -r and holds Sigma rules: read as rules" "$T/err"'
ok "-r a b docs logs: the documentation-only folder is skipped" 'grep -q "r/docs follows -r and holds no rule and no log: skipped" "$T/err"'
ok "-r a b docs logs: logs hunted with both sets" '[ $st -eq 1 ] && grep -q "\"file\":\"[^\"]*/r/a/" "$T/out" && grep -q "\"file\":\"[^\"]*/r/b/" "$T/out"'
"$Y" hunt -q -r "$T/r/a" "$T/logs" "$T/r/b" > /dev/null 2> "$T/err"; st=$?
ok "a rule folder after an input: refused, exit 2" '[ $st -eq 2 ] && grep -q "r/b looks like a rule folder (.* Sigma rule file(s), no logs): did you mean -r" "$T/err"'
"$Y" hunt -q "$T/r/b/$(ls "$T/r/b" | head -1)" -r "$T/r/a" "$T/logs" > /dev/null 2> "$T/err"; st=$?
ok "a rule file as input: refused" '[ $st -eq 2 ] && grep -q "looks like a rule file" "$T/err"'

# --- 5. no -r: the installed rule sets, named; a warning without SigmaHQ ------------
mkdir -p "$T/data/rules" "$T/data/rulesets"
cp -r "$SRC/mappings" "$T/data/"
cp "$SRC/rules/mirrorface/mf_vscode_tunnel_zeek_ssl.yml" "$T/data/rules/" # covers no Windows event
YAGURA_DATA_DIR="$T/data" "$Y" hunt "$SEC" > /dev/null 2> "$T/err"; st=$?
ok "no -r: names the rule sets" 'grep -q "no -r given: running the installed rule sets" "$T/err" && grep -q "$T/data/rules" "$T/err"'
ok "no -r without SigmaHQ: warns" 'grep -q "no SigmaHQ rule set is installed" "$T/err"'
ok "no -r, nothing covers Security: exit 3, not 0" '[ $st -eq 3 ]'
cp "$T/sigma_core.zip" "$T/data/rulesets/"
YAGURA_DATA_DIR="$T/data" "$Y" hunt "$SEC" > "$T/out" 2> "$T/err"; st=$?
ok "no -r with a SigmaHQ release installed: it runs" 'grep -q "rulesets/sigma_core.zip" "$T/err" && ! grep -q "no SigmaHQ rule set" "$T/err" && [ $st -eq 1 ] && [ -s "$T/out" ]'

# --- 6. coverage: events per log source, rules per source, exit 3 -----------------
"$Y" hunt -r "$SIG/windows/sysmon" --stats-json "$T/st.json" "$SEC" > "$T/out" 2> "$T/err"; st=$?
ok "Security events, Sysmon rules only: exit 3" '[ $st -eq 3 ] && [ ! -s "$T/out" ]'
ok "the summary lists Security with 0 rules" 'grep -q "product:windows service:security .* 0  <- no loaded rule covers this log source" "$T/err"'
ok "warning names the unchecked events" 'grep -q "warning: [0-9]* event(s) are of log sources no loaded rule covers" "$T/err"'
ok "stats: logsources and uncovered_events" 'py "import json,sys
s=json.load(open(sys.argv[1]))
sec=[r for r in s[\"logsources\"] if r.get(\"service\")==\"security\"]
assert sec and all(r[\"rules\"]==0 for r in sec) and s[\"uncovered_events\"]==s[\"events\"]>0" "$T/st.json"'
"$Y" hunt -q -r "$SIG/windows/sysmon" "$SEC" > /dev/null 2> "$T/err"
ok "the warning also under -q" 'grep -q "warning: [0-9]* event(s) are of log sources no loaded rule covers" "$T/err"'
echo '{"some":"json","with":"no known source"}' > "$T/plain.jsonl"
"$Y" hunt -q -r "$SIG/windows/sysmon" "$T/plain.jsonl" > /dev/null 2> "$T/err"; st=$?
ok "JSON of no known source: exit 3 and a warning" '[ $st -eq 3 ] && grep -q "route to no log source" "$T/err"'

# --- 2. --min-level shows less, correlations still count everything -----------------
python3 "$SRC/scripts/gen_demo.py" --out "$T/demo" > /dev/null 2>&1
"$Y" hunt -q -r "$SRC/rules" -r "$SRC/analytics" --min-level high "$T/demo/logs" > "$T/hi" 2> /dev/null; st=$?
ok "--min-level high: exit 1" '[ $st -eq 1 ]'
ok "--min-level high: both critical chain alerts" '[ $(grep -c "\"level\":\"critical\".*\"correlation\"" "$T/hi") -eq 2 ]'
ok "--min-level high: nothing below high shown" '! grep -q "\"level\":\"\(low\|medium\|informational\)\"" "$T/hi"'

# --- 12. noise control ----------------------------------------------------------------
"$Y" hunt -q -r "$SIG/windows/builtin/security" --stats-json "$T/base.json" "$SEC" > "$T/base" 2> /dev/null
top=$(py "import json,sys; print(json.load(open(sys.argv[1]))['by_rule'][0]['id'])" "$T/base.json")
n_top=$(grep -c "$top" "$T/base")
printf '# noisy rules\n%s  # the noisiest\n' "$top" > "$T/excl.txt"
"$Y" hunt -r "$SIG/windows/builtin/security" --exclude-rules "$T/excl.txt" "$SEC" > "$T/ex" 2> "$T/err"
ok "--exclude-rules: the rule is gone, the rest stay" '[ $n_top -gt 0 ] && ! grep -q "$top" "$T/ex" && [ $(wc -l < "$T/ex") -eq $(( $(wc -l < "$T/base") - n_top )) ]'
ok "--exclude-rules: says how many rules it left out" 'grep -q "excl.txt: 1 rule(s) left out" "$T/err"'
printf 'id,new_level\n%s,critical\n' "$top" > "$T/tune.csv"
"$Y" hunt -q -r "$SIG/windows/builtin/security" --level-tuning "$T/tune.csv" "$SEC" > "$T/tu" 2> /dev/null
ok "--level-tuning (Hayabusa CSV): the rule is critical now" '[ $(grep "$top" "$T/tu" | grep -c "\"level\":\"critical\"") -eq $n_top ]'
printf '%s: informational\n' "$top" > "$T/tune.yml"
"$Y" hunt -q -r "$SIG/windows/builtin/security" --level-tuning "$T/tune.yml" "$SEC" > "$T/tu" 2> /dev/null
ok "--level-tuning (id: level)" '[ $(grep "$top" "$T/tu" | grep -c "\"level\":\"informational\"") -eq $n_top ]'
printf 'id,new_level\n%s,severe\n' "$top" > "$T/bad.csv"
"$Y" hunt -q -r "$SIG/windows/builtin/security" --level-tuning "$T/bad.csv" "$SEC" > /dev/null 2> "$T/err"; st=$?
ok "bad level: exit 2 with file:line:col" '[ $st -eq 2 ] && grep -q "bad.csv:2:38: expected .id,level. .*got severe" "$T/err"'
"$Y" hunt -r "$SIG/windows/builtin/security" "$SEC" > /dev/null 2> "$T/err"
ok "summary: top rules with their share" 'grep -q "alerts by rule (share of the detection alerts)" "$T/err" && grep -q "^ *$n_top  *[0-9.]*%  $top" "$T/err"'

# --- 14. the analyst summary and its stats JSON ---------------------------------------
ok "summary: event time range" 'grep -q "events from 20[0-9-]*T[0-9:.]*Z to 20[0-9-]*T[0-9:.]*Z" "$T/err"'
ok "summary: events with alerts" 'grep -q "events with alerts: [1-9][0-9]* of [0-9]*" "$T/err"'
ok "summary: alerts by computer and level" 'grep -A2 "alerts by computer and level" "$T/err" | grep -q "total *crit *high"'
ok "stats: analyst fields agree with the alerts" 'py "import json,sys
s=json.load(open(sys.argv[1])); alerts=[json.loads(l) for l in open(sys.argv[2])]
assert s[\"first_event\"] <= s[\"last_event\"], s
assert sum(r[\"total\"] for r in s[\"by_computer\"]) == len(alerts) == s[\"alerts\"]
assert sum(r[\"alerts\"] for r in s[\"by_rule\"]) == len(alerts)
assert 0 < s[\"events_with_alerts\"] <= s[\"events\"]
assert sum(s[\"by_level\"].values()) == len(alerts)
hosts={a[\"event\"][\"Event\"][\"System\"][\"Computer\"] for a in alerts}
assert hosts == {r[\"key\"] for r in s[\"by_computer\"]}, hosts" "$T/base.json" "$T/base"'

# --- 13. progress inside one large file (a terminal on standard error) ---------------
# Progress is drawn every 0.25 s: 96 MB take long enough for a line before the last one even
# on a fast, idle machine (48 MB gave two lines where three were wanted).
"$B/bench/gen_events" --bytes 96M --seed 3 -o - 2> /dev/null | gzip -1 > "$T/big.jsonl.gz"
script -qc "'$Y' hunt -t 1 -r '$SIG' -o /dev/null '$T/big.jsonl.gz'" /dev/null > "$T/tty" 2>&1
ok "progress lines count events inside one compressed file" 'py "import re,sys
t=open(sys.argv[1],errors=\"replace\").read().replace(\"\r\",\"\n\")
ev=[int(m) for m in re.findall(r\"MB.*? (\d+) events \(\", t)]
assert len(ev) >= 2 and ev[0] < ev[-1] and any(0 < e < ev[-1] for e in ev[:-1]), ev" "$T/tty"'

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
