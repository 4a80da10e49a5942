"""Finding controls by shape on a 1920x1080 frame: how long `find_controls` takes.

Run: .venv/bin/python bench/shapes.py [--runs 30]
Starts its own Xvfb with the widget apps of tests/apps side by side (GTK 3 Adwaita, GTK
Adwaita dark, Qt Fusion, Tk), captures the desktop, and times `find_controls` on it; then
on a page of text in headless Chromium (many glyph outlines, no controls) and on noise (one
huge outline). Prints the median and p90 ms of each, and how many controls were found.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from screenpilot.devices.desktop import Desktop
from screenpilot.devices.virtual_display import pointed_at, x_session
from screenpilot.perception.shapes import find_controls

APPS = Path(__file__).resolve().parent.parent / "tests" / "apps"
WINDOWS = [  # program, where, environment
    (["gtk_widgets.py"], (40, 40), {"GTK_THEME": "Adwaita"}),
    (["gtk_widgets.py"], (520, 40), {"GTK_THEME": "Adwaita:dark"}),
    (["qt_widgets.py"], (1000, 40), {}),
    (["tk_widgets.py"], (1400, 40), {}),
    (["gtk_widgets.py"], (40, 560), {"GTK_THEME": "Adwaita"}),
    (["qt_widgets.py"], (520, 560), {}),
    (["tk_widgets.py"], (1000, 560), {}),
]


def desktop_frame() -> np.ndarray:
    with tempfile.TemporaryDirectory() as folder, x_session() as session, pointed_at(session):
        outputs = []
        for i, (program, (x, y), env) in enumerate(WINDOWS):
            out = Path(folder) / f"{i}.json"
            argv = ["/usr/bin/python3", str(APPS / program[0]), str(out), str(x), str(y)]
            if program[0].startswith("qt"):
                argv += ["-style", "Fusion"]
            session.start(argv, **env)
            outputs.append(out)
        deadline = time.monotonic() + 60
        while not all(o.exists() for o in outputs) and time.monotonic() < deadline:
            time.sleep(0.2)
        subprocess.run(["xdotool", "mousemove", "1900", "1060"], env=session.env, check=True)
        time.sleep(0.5)
        with Desktop(accessibility=False) as desktop:
            return desktop.screenshot().pixels


def text_frame() -> np.ndarray:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox"]
        )
        tab = browser.new_page(viewport={"width": 1920, "height": 1080})
        tab.goto((APPS / "html_text.html").as_uri())
        png = tab.screenshot()
        browser.close()
    bgr = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
    return np.ascontiguousarray(bgr[:, :, ::-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    noise = np.random.default_rng(0).integers(0, 256, (1080, 1920, 3), dtype=np.uint8)
    frames = {"desktop, 7 windows": desktop_frame(), "text page": text_frame(), "noise": noise}
    for name, frame in frames.items():
        found = find_controls(frame)  # warm: OpenCV's first call sets itself up
        samples = []
        for _ in range(args.runs):
            start = time.perf_counter()
            find_controls(frame)
            samples.append((time.perf_counter() - start) * 1000)
        p90 = statistics.quantiles(samples, n=10)[-1]
        print(
            f"{name:>20}: median {statistics.median(samples):5.1f} ms, p90 {p90:5.1f} ms, "
            f"{len(found)} controls ({frame.shape[1]}x{frame.shape[0]})"
        )


if __name__ == "__main__":
    main()
