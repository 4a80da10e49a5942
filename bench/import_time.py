"""How long `import screenpilot` (and the whole foundation) takes in a fresh interpreter.

Run: .venv/bin/python bench/import_time.py [--runs 15]
Prints the median and spread of wall time over fresh subprocesses, side by side with a bare
interpreter start, so the difference is what importing screenpilot costs.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

CASES = {
    "bare python": "pass",
    "import screenpilot": "import screenpilot",
    "foundation (actions, frames, tool calls)": (
        "import screenpilot.actions, screenpilot.perception, screenpilot.models.tool_calls"
    ),
    "CLI module (typer, rich)": "import screenpilot.cli",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    samples: dict[str, list[float]] = {name: [] for name in CASES}
    for _ in range(args.runs):  # interleaved, so machine noise hits every case alike
        for name, code in CASES.items():
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True)
            samples[name].append((time.perf_counter() - start) * 1000)
    base = statistics.median(samples["bare python"])
    print(f"{'case':45} {'median ms':>10} {'min':>7} {'max':>7} {'over bare':>10}")
    for name, values in samples.items():
        median = statistics.median(values)
        print(
            f"{name:45} {median:10.1f} {min(values):7.1f} {max(values):7.1f} {median - base:10.1f}"
        )


if __name__ == "__main__":
    main()
