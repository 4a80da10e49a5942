#!/usr/bin/env bash
# Sets up everything the offline demo needs (Debian packages for a virtual display and the
# example form, the desktop and OCR extras) and runs it: no model, no GPU, no display needed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-packages.sh
bash scripts/setup-env.sh desktop ocr
exec .venv/bin/screenpilot demo "$@"
