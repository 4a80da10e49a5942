#!/usr/bin/env bash
# Sets up the test environment and runs every check: ruff (lint and format), mypy, pytest.
# Exits non-zero on the first failing check. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-packages.sh
bash scripts/setup-env.sh test desktop ocr android web
export PATH="$PWD/.venv/bin:$PATH"

echo "== ruff"
ruff check .
ruff format --check .
echo "== mypy"
mypy
echo "== pytest"
pytest "$@"
