#!/usr/bin/env bash
# The Debian package: `make deb` builds it, lintian reports no error, `apt-get install ./...deb`
# installs it and creates the yagura user and folders without enabling or starting the
# service, a SigmaHQ release zip is installed as a rule set, `yagura hunt` runs over
# ../shared/logs with the installed rules, `watch --check` loads /etc/yagura/yagura.yaml, and
# `apt-get purge` removes every file.  Needs root (apt-get); changes /usr while it runs.
set -uo pipefail
S=${YG_SHARED_DIR:?} SRC=${YG_SOURCE_DIR:?} B=${YG_BUILD_DIR:?}
T=$(mktemp -d)
pass=0 fail=0
ok() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1"; fi; }
cleanup() {
    dpkg -s yagura > /dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq yagura > /dev/null 2>&1
    rm -rf "$T"
}
trap cleanup EXIT
ok "running as root" '[ "$(id -u)" -eq 0 ]'
ok "yagura is not installed before the test" '! dpkg -s yagura > /dev/null 2>&1 && [ ! -e /usr/bin/yagura ]'

. "$SRC/tests/integration/pkg_ccache.sh"
make -C "$SRC" --no-print-directory deb DEB_BUILD="$B/deb" DEB_OUT="$T" JOBS=2 \
    CMAKE_FLAGS="-DYG_WERROR=ON $YG_PKG_LAUNCHER" > "$T/make.log" 2>&1; st=$?
ok "make deb: exit 0" '[ $st -eq 0 ]' || tail -20 "$T/make.log"
deb=$(ls "$T"/yagura_*_*.deb 2> /dev/null | head -1)
ok "package file yagura_VERSION_ARCH.deb" '[ -n "$deb" ]'
dpkg-deb -f "$deb" Depends > "$T/depends"
ok "dependencies declared (libraries from dpkg-shlibdeps)" 'grep -q "libhyperscan5" "$T/depends" && grep -q "libzip4" "$T/depends" && grep -q "libc6" "$T/depends"'
dpkg-deb -c "$deb" | awk '{print $6}' > "$T/files"
ok "package layout" 'grep -qx "./usr/bin/yagura" "$T/files" && grep -qx "./etc/yagura/yagura.yaml" "$T/files" && grep -qx "./lib/systemd/system/yagura.service" "$T/files" && grep -qx "./usr/share/man/man1/yagura-hunt.1.gz" "$T/files" && grep -qx "./usr/share/yagura/mappings/windows.yml" "$T/files"'
lintian --no-tag-display-limit "$deb" > "$T/lintian" 2>&1
ok "lintian: no error" '! grep -q "^E:" "$T/lintian" && grep -qv "^E:" "$T/lintian"' || cat "$T/lintian"

DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$deb" > "$T/apt.log" 2>&1; st=$?
ok "apt-get install ./yagura_*.deb" '[ $st -eq 0 ] && dpkg -s yagura | grep -q "Status: install ok installed"' || tail "$T/apt.log"
ok "the yagura user exists" 'getent passwd yagura > /dev/null'
ok "its folders" '[ "$(stat -c %U /var/lib/yagura)" = yagura ] && [ -d /var/log/yagura ] && [ -d /var/lib/yagura/rulesets ]'
ok "service not enabled" '[ ! -e /etc/systemd/system/multi-user.target.wants/yagura.service ]'
# No process runs the installed binary (other yagura processes on the machine are builds).
running() { for e in /proc/[0-9]*/exe; do [ "$(readlink "$e" 2> /dev/null)" = /usr/bin/yagura ] && return 0; done; return 1; }
ok "service not running" '! running'
ok "conffile" 'dpkg-query -W -f="\${Conffiles}" yagura | grep -q "/etc/yagura/yagura.yaml"'
/usr/bin/yagura --version > "$T/version" 2>&1
ok "--version: data folder /usr/share/yagura" 'grep -q "^data folder: /usr/share/yagura$" "$T/version"'

mkdir -p "$T/z" && cp -r "$S/sigma/rules" "$T/z/" && (cd "$T/z" && zip -qr "$T/sigma_core.zip" rules)
/usr/bin/yagura rules install "$T/sigma_core.zip" > "$T/install" 2>&1; st=$?
ok "rules install as root goes to /var/lib/yagura/rulesets" '[ $st -eq 0 ] && [ -f /var/lib/yagura/rulesets/sigma_core/RULESET ]' || cat "$T/install"
/usr/bin/yagura hunt "$S/logs" > "$T/alerts" 2> "$T/hunt.err"; st=$?
ok "hunt over ../shared/logs with the installed rules: alerts" '[ $st -eq 1 ] && [ -s "$T/alerts" ] && grep -q "^  /usr/share/yagura/rules$" "$T/hunt.err" && grep -q "^  /var/lib/yagura/rulesets/sigma_core$" "$T/hunt.err"'
/usr/bin/yagura watch --check -c /etc/yagura/yagura.yaml > "$T/watch" 2>&1; st=$?
ok "watch --check of /etc/yagura/yagura.yaml" '[ $st -eq 0 ]' || cat "$T/watch"
# The installed configuration runs as it is: started as root like the unit does, it serves
# /healthz, switches to the yagura user, takes a syslog record, and stops cleanly on SIGTERM.
/usr/bin/yagura watch -c /etc/yagura/yagura.yaml > "$T/svc.log" 2>&1 &
svc=$!
for _ in $(seq 200); do
    curl -sf http://127.0.0.1:9308/healthz > "$T/health" 2> /dev/null && break
    kill -0 $svc 2> /dev/null || break
    sleep 0.05
done
ok "service: /healthz answers" 'grep -qx ok "$T/health"' || cat "$T/svc.log"
ok "service: runs as the yagura user" '[ "$(ps -o user= -p $svc)" = yagura ]'
echo "<13>Dec  7 12:00:00 host test: hello from the deb test" > /dev/udp/127.0.0.1/5514
kill -TERM $svc
wait $svc; st=$?
ok "service: SIGTERM stops it with exit 0" '[ $st -eq 0 ]' || cat "$T/svc.log"
ok "service: state database written" '[ -s /var/lib/yagura/state.db ]'
MANWIDTH=100 man -E ascii yagura-hunt 2> /dev/null | grep "yagura-hunt - run Sigma rules" > /dev/null
ok "man yagura-hunt" '[ $? -eq 0 ]'

DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq yagura > "$T/purge.log" 2>&1; st=$?
ok "apt-get purge" '[ $st -eq 0 ] && ! dpkg -s yagura > /dev/null 2>&1'
ok "no file left" '[ ! -e /usr/bin/yagura ] && [ ! -e /usr/share/yagura ] && [ ! -e /etc/yagura ] && [ ! -e /var/lib/yagura ] && [ ! -e /lib/systemd/system/yagura.service ]'

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
