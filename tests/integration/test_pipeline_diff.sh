#!/usr/bin/env bash
# A pySigma pipeline from a public repository (tests/pipelines/splunk_sysmon.yml, see
# docs/sources.md) gives the same matches in Yagura as in pySigma's SQLite backend on the same
# events (tests/pipelines/pipeline_diff.py, docs/pipelines.md).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="${YG_SOURCE_DIR:-$(cd "$here/../.." && pwd)}"
py="${YG_VENV:-$repo/.venv}/bin/python"
[[ -x "$py" ]] || { echo "test_pipeline_diff: no virtual environment (scripts/setup-venv.sh)" >&2; exit 1; }
"$py" -c 'import sigma.backends.sqlite, yaml' || { echo "test_pipeline_diff: pySigma missing" >&2; exit 1; }
exec "$py" "$repo/tests/pipelines/pipeline_diff.py" --yagura "${YAGURA:?}" --shared "${YG_SHARED_DIR:?}"
