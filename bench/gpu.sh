#!/usr/bin/env bash
# One command for the GPU benchmark: set up an environment, run bench/gpu_qwen3vl.py, write
# bench/results/gpu.json and gpu.md (or the JSON path given as the first argument).
#
#   bash bench/gpu.sh [OUT.json] [extra gpu_qwen3vl.py options, e.g. --models 4b --runs 5]
#
# Environment knobs:
#   BENCH_PYTHON      interpreter that makes the venvs (default python3)
#   BENCH_VENV        transformers environment (default bench/.venv-gpu); reused when present
#   BENCH_VLLM_VENV   vLLM's own environment (default bench/.venv-vllm); vLLM pins its own torch
#                     and transformers, so it does not share the first one
#   BENCH_FLASH_ATTN  0 to skip trying flash-attn (its build can take long; capped by
#                     BENCH_FLASH_ATTN_TIMEOUT seconds, default 300)
#   BENCH_VLLM        0 to skip vLLM
# Optional parts that fail to install are reported and left out; the run goes on without them.
set -euo pipefail
cd "$(dirname "$0")/.."

OUT="bench/results/gpu.json"
if [[ $# -gt 0 && "$1" != --* ]]; then OUT="$1"; shift; fi
PY="${BENCH_PYTHON:-python3}"
VENV="${BENCH_VENV:-bench/.venv-gpu}"
VLLM_VENV="${BENCH_VLLM_VENV:-bench/.venv-vllm}"

say() { printf '\n== %s\n' "$*"; }

if [[ ! -x "$VENV/bin/python" ]]; then
  say "creating $VENV"
  "$PY" -m venv "$VENV"
fi
pip_in() { "$1/bin/python" -m pip install --quiet --disable-pip-version-check "${@:2}"; }

say "installing torch (CUDA build from PyPI), transformers>=5.4, accelerate and the project"
if ! "$VENV/bin/python" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)" 2>/dev/null; then
  pip_in "$VENV" torch
fi
pip_in "$VENV" "transformers>=5.4" accelerate -e ".[local]"

if [[ "${BENCH_FLASH_ATTN:-1}" != 0 ]] && ! "$VENV/bin/python" -c "import flash_attn" 2>/dev/null; then
  say "trying flash-attn (optional; gives up after ${BENCH_FLASH_ATTN_TIMEOUT:-300} s)"
  pip_in "$VENV" packaging ninja wheel || true
  if ! MAX_JOBS="${MAX_JOBS:-8}" timeout "${BENCH_FLASH_ATTN_TIMEOUT:-300}" \
      "$VENV/bin/python" -m pip install --quiet --no-build-isolation flash-attn; then
    echo "flash-attn did not install: the run compares nothing against SDPA"
  fi
fi

VLLM_ARGS=()
if [[ "${BENCH_VLLM:-1}" != 0 ]]; then
  if [[ ! -x "$VLLM_VENV/bin/python" ]]; then "$PY" -m venv "$VLLM_VENV"; fi
  if ! "$VLLM_VENV/bin/python" -c "import vllm" 2>/dev/null; then
    say "trying vllm in $VLLM_VENV (optional)"
    pip_in "$VLLM_VENV" vllm || echo "vllm did not install: its section is skipped"
  fi
  VLLM_ARGS=(--vllm --vllm-python "$VLLM_VENV/bin/python")
fi

say "running the benchmark (progress below; about 8 minutes on one H100/H200)"
"$VENV/bin/python" bench/gpu_qwen3vl.py --json "$OUT" "${VLLM_ARGS[@]}" "$@"
