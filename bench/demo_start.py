"""How soon `screenpilot demo` acts, as a new user runs it (no display: it starts its own).

Run: .venv/bin/python bench/demo_start.py [--runs 5]
Runs `python -m screenpilot demo` in fresh processes with DISPLAY unset and stamps each line
it prints from the moment the process was started: the instruction line (the virtual
display, openbox and the Tk form are up), the first step's line (printed once the first
action has been done and verified), and the end of the process. Prints medians and ranges.
The first step's line is an upper bound on the first action: the step's verification comes
between them.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

MARKS = ("instruction line", "first step's line", "process end")


def one_run() -> dict[str, float]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["PYTHONUNBUFFERED"] = "1"
    start = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "screenpilot", "demo"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    seen: dict[str, float] = {}
    assert process.stdout is not None
    for line in process.stdout:
        now = time.monotonic() - start
        text = line.strip()
        if text.startswith("instruction:"):
            seen.setdefault(MARKS[0], now)
        elif text.startswith("1. "):
            seen.setdefault(MARKS[1], now)
    process.wait()
    seen[MARKS[2]] = time.monotonic() - start
    if process.returncode != 0 or len(seen) != len(MARKS):
        raise SystemExit(f"the demo failed (exit {process.returncode}); seen: {seen}")
    return seen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    runs = [one_run() for _ in range(args.runs)]
    print(f"screenpilot demo, {args.runs} fresh processes, seconds from start")
    print(f"{'':20} {'median':>7} {'min':>6} {'max':>6}")
    for mark in MARKS:
        values = [run[mark] for run in runs]
        print(f"{mark:20} {statistics.median(values):7.2f} {min(values):6.2f} {max(values):6.2f}")


if __name__ == "__main__":
    main()
