#!/usr/bin/env bash
# Sets up the environment and runs the offline demo (no model, no GPU, no display needed).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-env.sh
exec .venv/bin/screenpilot demo "$@"
