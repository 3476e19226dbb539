#!/usr/bin/env bash
# setup-venv.sh - the Python virtual environment used by the differential test.
#
# Creates a virtual environment at ${YG_VENV:-<repo>/.venv} and installs the pinned packages
# of tests/diff/requirements.txt into it (pySigma, its SQLite backend, PyYAML and their
# dependencies). Needs Python 3.11 or newer (pySigma 2 requires it); set YG_PYTHON to choose
# the interpreter, otherwise the first suitable one of python3, python3.13, python3.12 and
# python3.11 on PATH is used.
#
# Run it directly:   scripts/setup-venv.sh
# or source it and call the function (scripts/setup.sh does this):
#   . scripts/setup-venv.sh && yg_setup_venv
#
# Idempotent: when the environment already holds exactly the pinned set (recorded in a stamp
# file inside it) and imports, nothing is done. Quiet: one line on success. Any failure prints
# what went wrong and returns non-zero.
#
# Without YG_VENV, and unless <repo>/.venv is already a directory of its own, the environment
# is made once per user in ${YG_CACHE_DIR:-${XDG_CACHE_HOME:-~/.cache}/yagura}/venv-HASH (HASH:
# the pinned set and the interpreter) and <repo>/.venv is a link to it, so that a fresh clone
# reuses it instead of downloading and installing the same packages again.

# The body runs in a subshell so that sourcing this file changes no shell options of the
# caller.
yg_setup_venv() (
    set -euo pipefail

    local here repo venv req stamp want py candidate link=""
    here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
    repo="$(cd "$here/.." && pwd)"
    venv="${YG_VENV:-$repo/.venv}"
    req="$repo/tests/diff/requirements.txt"
    stamp="$venv/.yg-requirements.sha256"

    fail() {
        echo "setup-venv: error: $*" >&2
        exit 1
    }

    [[ -f "$req" ]] || fail "missing $req"

    py=""
    local candidates=(python3 python3.13 python3.12 python3.11)
    if [[ -n "${YG_PYTHON:-}" ]]; then
        candidates=("$YG_PYTHON")
    fi
    for candidate in "${candidates[@]}"; do
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))' \
                >/dev/null 2>&1; then
            py="$candidate"
            break
        fi
    done
    if [[ -z "$py" ]]; then
        if [[ -n "${YG_PYTHON:-}" ]]; then
            fail "YG_PYTHON=$YG_PYTHON is not a Python >= 3.11 with the venv and ensurepip modules"
        fi
        fail "no Python >= 3.11 with the venv and ensurepip modules found on PATH" \
            "(on Debian: apt-get install python3-venv; or set YG_PYTHON)"
    fi

    # The stamp names the requirement file's content and the interpreter's version, so a
    # changed pin or a different Python both lead to a reinstall.
    want="$(
        {
            sha256sum <"$req"
            "$py" -c 'import sys; print(sys.version)'
        } | sha256sum | cut -d' ' -f1
    )"

    if [[ -z "${YG_VENV:-}" && (! -e "$venv" || -L "$venv") ]]; then
        link="$venv"
        venv="${YG_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/yagura}/venv-${want:0:16}"
        stamp="$venv/.yg-requirements.sha256"
        mkdir -p "$(dirname "$venv")"
    fi

    if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]] &&
        "$venv/bin/python" -c 'import sigma.backends.sqlite, yaml, taxii2client, medallion, stix2validator' >/dev/null 2>&1; then
        [[ -z "$link" ]] || ln -sfn "$venv" "$link"
        echo "setup-venv: $venv is up to date"
        return 0
    fi

    # A half-made or foreign environment is rebuilt from scratch rather than patched.
    if [[ -e "$venv" && ! -x "$venv/bin/python" ]]; then
        [[ -d "$venv" && -z "$(ls -A "$venv")" ]] ||
            fail "$venv exists but is not a virtual environment; remove it or set YG_VENV"
    fi
    rm -f "$stamp"
    "$py" -m venv --clear "$venv" || fail "could not create the virtual environment at $venv"
    "$venv/bin/python" -m pip install --quiet --no-input --disable-pip-version-check \
        --require-virtualenv -r "$req" ||
        fail "pip could not install the packages of $req into $venv"
    "$venv/bin/python" -c 'import sigma.backends.sqlite, yaml, taxii2client, medallion, stix2validator' ||
        fail "the packages were installed but do not import"
    echo "$want" >"$stamp"
    [[ -z "$link" ]] || ln -sfn "$venv" "$link"
    echo "setup-venv: $venv ready ($("$venv/bin/python" - <<'EOF'
from importlib.metadata import version
print(", ".join(f"{n} {version(n)}" for n in ("pySigma", "pySigma-backend-sqlite", "PyYAML")))
EOF
))"
)

# Executed rather than sourced: do the work now.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    yg_setup_venv "$@"
fi
