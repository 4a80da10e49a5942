#!/usr/bin/env bash
# Creates (or reuses) the project's virtual environment in .venv and installs screenpilot into
# it, editable, with the extras named as arguments (e.g. `scripts/setup-env.sh test`).
# Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
if ! command -v "$python" >/dev/null 2>&1; then
  echo "error: $python not found; install Python 3.11 or newer (apt-get install python3)" >&2
  exit 1
fi
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "error: screenpilot needs Python 3.11 or newer; $python is $("$python" -V 2>&1)" >&2
  exit 1
fi

if [ ! -x .venv/bin/python ]; then
  if ! "$python" -c 'import ensurepip, venv' >/dev/null 2>&1; then
    # Debian/Ubuntu ship venv's pip bootstrap separately.
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "installing python3-venv (Debian's venv support)..." >&2
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq python3-venv >/dev/null
  fi
  "$python" -m venv .venv
fi

pip=(.venv/bin/python -m pip install --quiet --disable-pip-version-check)
extras=$(IFS=,; echo "$*")
if [[ ",$extras," == *,test,* || ",$extras," == *,local,* ]]; then
  # The CPU build of torch first: a bare requirement would pull the CUDA build (gigabytes).
  # Never torchvision: no CPU build of it imports next to CPU torch 2.13.
  "${pip[@]}" torch==2.13.0
fi
if [ -n "$extras" ]; then
  "${pip[@]}" -e ".[$extras]"
else
  "${pip[@]}" -e .
fi
if [[ ",$extras," == *,desktop,* ]]; then
  # pyautogui drags in python3-xlib 0.15 (2013), whose Xlib fails on Xvfb's auth file;
  # python-xlib >= 0.33 provides the same package and must be the one left installed.
  "${pip[@]}" --force-reinstall --no-deps "python-xlib>=0.33"
fi
