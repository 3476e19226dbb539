#!/usr/bin/env bash
# The bundle of -DYG_STATIC=ON: a build of its own, installed into a folder; ldd resolves every
# library either to the bundle's lib/yagura/ or to the C library itself; and `hunt` runs in a
# chroot that holds only the bundle, the C library and a log file (no /usr/lib library of the
# build), with the data folder found beside the binary.
set -uo pipefail
S=${YG_SHARED_DIR:?} SRC=${YG_SOURCE_DIR:?} B=${YG_BUILD_DIR:?}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
ok() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1"; fi; }

SB="$B/static"
. "$SRC/tests/integration/pkg_ccache.sh"
# Release, as the package: a bundle for responders is a release build, and the same flags let
# it share test_deb's compiled objects.
{ cmake -S "$SRC" -B "$SB" -G Ninja -DYG_WERROR=ON -DYG_STATIC=ON -DBUILD_TESTING=OFF \
    -DCMAKE_BUILD_TYPE=Release $YG_PKG_LAUNCHER &&
    cmake --build "$SB" -j 2 --target yagura_cli yagura_man &&
    DESTDIR="$T/dest" cmake --install "$SB" --prefix /opt/yagura; } > "$T/build.log" 2>&1; st=$?
ok "YG_STATIC build and install" '[ $st -eq 0 ]' || tail -20 "$T/build.log"
# The bundle is one folder: copy it where the build never was.
mkdir -p "$T/root/opt"
cp -a "$T/dest/opt/yagura" "$T/root/opt/yagura"
BIN="$T/root/opt/yagura/bin/yagura"
ok "rpath is \$ORIGIN/../lib/yagura" 'readelf -d "$BIN" | grep "(RPATH).*\[\$ORIGIN/../lib/yagura\]" > /dev/null'
ldd "$BIN" > "$T/ldd" 2>&1
n_bundled=$(grep -c "=> $T/root/opt/yagura/bin/../lib/yagura/" "$T/ldd")
others=$(grep "=>" "$T/ldd" | grep -v "=> $T/root/opt/yagura/bin/../lib/yagura/" |
    grep -Ev "^\s*(libc|libm|libpthread|libdl|librt|libresolv)\.so" || true)
ok "ldd: every library but the C library's from the bundle ($n_bundled bundled)" '[ "$n_bundled" -ge 10 ] && [ -z "$others" ]' || cat "$T/ldd"
ok "ldd: nothing missing" '! grep -q "not found" "$T/ldd"'

# A chroot with the C library only.
R="$T/root"
mkdir -p "$R/lib64" "$R/lib/x86_64-linux-gnu" "$R/proc" "$R/logs" "$R/dev"
for l in $(grep -oE "/[^ ]*(libc|libm|libpthread|libdl|librt|libresolv)\.so[^ ]*|/[^ ]*ld-linux[^ ]*" "$T/ldd" | sort -u); do
    case $l in "$T"/*) continue ;; esac
    cp -L "$l" "$R$l"
done
EVTX="$S/logs/hayabusa-yamato-evtx/Sysmon/Sysmon-27-BlockExeWrite_AbusingCertutil.evtx"
cp "$EVTX" "$R/logs/"
cp -r "$S/sigma/rules/windows/process_creation" "$R/logs/rules"
ok "chroot holds no /usr" '[ ! -e "$R/usr" ]'
unshare -m --propagation private sh -c "mount -t proc proc '$R/proc' && chroot '$R' /opt/yagura/bin/yagura hunt -r /logs/rules /logs/$(basename "$EVTX") > '$T/alerts' 2> '$T/err'; echo \$? > '$T/rc'"
ok "hunt in the chroot: alerts" '[ "$(cat "$T/rc")" = 1 ] && grep -q "\"rule\"" "$T/alerts"' || cat "$T/err"
unshare -m --propagation private sh -c "mount -t proc proc '$R/proc' && chroot '$R' /opt/yagura/bin/yagura --version > '$T/version' 2>&1"
ok "--version in the chroot: the bundle's data folder" 'grep -q "^data folder: /opt/yagura/share/yagura$" "$T/version"'

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
