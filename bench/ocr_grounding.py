"""Grounding by OCR per step on a form where one field changed: incremental vs full frame.

Run: .venv/bin/python bench/ocr_grounding.py [--runs 15]
Starts its own Xvfb with the Tk form (no accessibility tree: OCR is the only way in). Each
round types one more character into the Email field, moves the focus on (no caret in the
frame), captures 1920x1080, and grounds "the Email field" twice, side by side:
- incremental: the ScreenReader that read the previous frame re-reads only what changed;
- full frame: a fresh ScreenReader (same loaded OCR models) reads the whole screen.
Prints the median and p90 ms of each (pixels -> elements -> grounded box) and their ratio.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from screenpilot.demo_form import TK_FORM
from screenpilot.devices.desktop import Desktop
from screenpilot.devices.virtual_display import x_session
from screenpilot.perception.grounding import Found, ground
from screenpilot.perception.ocr import RapidOcr, ScreenReader


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    engine = RapidOcr()
    with x_session() as session:
        os.environ["DISPLAY"] = session.display
        session.start(["/usr/bin/python3", str(TK_FORM), "/dev/null"])
        session.wait_for_window("Tk form")
        with Desktop(accessibility=False) as desktop:
            incremental = ScreenReader(engine)
            shot = desktop.screenshot()
            incremental.elements(shot.pixels, shot.geometry)
            samples: dict[str, list[float]] = {"incremental": [], "full frame": []}
            areas = []
            for i in range(args.runs):
                for command in (
                    ["mousemove", "450", "258", "click", "1"],
                    ["type", "abcdefghijklmnopqrstuvwxyz"[i % 26]],
                    ["key", "Tab"],
                ):
                    subprocess.run(["xdotool", *command], env=session.env, check=True)
                time.sleep(0.2)
                shot = desktop.screenshot()
                pixels = shot.pixels  # RGB conversion is the capture's cost, not grounding's
                for name, reader in (
                    ("incremental", incremental),
                    ("full frame", ScreenReader(engine)),
                ):
                    start = time.perf_counter()
                    found = ground("the Email field", reader.elements(pixels, shot.geometry))
                    samples[name].append(time.perf_counter() - start)
                    assert isinstance(found, Found), found
                areas.append(incremental.last_read_area)
    print(f"{'1920x1080 Tk form, median of ' + str(args.runs):40} {'median ms':>10} {'p90 ms':>8}")
    for name, values in samples.items():
        p90 = sorted(values)[int(0.9 * len(values))] * 1000
        print(f"{name:40} {statistics.median(values) * 1000:10.1f} {p90:8.1f}")
    ratio = statistics.median(samples["full frame"]) / statistics.median(samples["incremental"])
    print(
        f"full / incremental: {ratio:.1f}x; incremental re-read {statistics.median(areas):.1%} "
        "of the frame (median)"
    )


if __name__ == "__main__":
    main()
