#!/usr/bin/env bash
# Differential test of Yagura against pySigma's SQLite backend (docs/differential.md).
#
# Environment (CTest sets the first three): YAGURA, the yagura binary; YG_SHARED_DIR, the shared
# data folder; YG_BUILD_DIR, where the full result is written as pysigma-diff.json;
# YG_VENV, the virtual environment made by scripts/setup-venv.sh (default <repo>/.venv).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="${YG_SOURCE_DIR:-$(cd "$here/../.." && pwd)}"
venv="${YG_VENV:-$repo/.venv}"
py="$venv/bin/python"

fail() {
    echo "test_pysigma_diff: $*" >&2
    exit 1
}

[[ -x "$py" ]] ||
    fail "no Python virtual environment at $venv: run scripts/setup-venv.sh (or set YG_VENV to one it made)"
"$py" -c 'import sigma.backends.sqlite, yaml' 2>/dev/null ||
    fail "$venv lacks pySigma or its SQLite backend: run scripts/setup-venv.sh"
[[ -n "${YAGURA:-}" ]] || fail "YAGURA must name the yagura binary"
[[ -x "$YAGURA" ]] || fail "yagura binary $YAGURA not found or not executable (build the yagura_cli target)"

shared="${YG_SHARED_DIR:-$repo/../shared}"
args=(--yagura "$YAGURA" --shared "$shared")
if [[ -n "${YG_BUILD_DIR:-}" && -d "$YG_BUILD_DIR" ]]; then
    args+=(--json "$YG_BUILD_DIR/pysigma-diff.json")
fi
exec "$py" "$repo/tests/diff/pysigma_diff.py" "${args[@]}"
