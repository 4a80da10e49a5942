"""Capture cost on a 1920x1080 X screen: mss against pyautogui.screenshot(), side by side.

Run: .venv/bin/python bench/desktop_capture.py [--runs 30]
Starts its own Xvfb (needs the Debian packages from scripts/system-packages.sh, plus scrot,
which pyautogui.screenshot() uses on X). Prints median milliseconds of:
- mss grab alone;
- Desktop.screenshot(): grab as a BGRA array (what change detection compares each frame);
- + its RGB array (what OCR and the field finder read);
- Desktop.screenshot() + PIL image resized for Qwen3-VL at a 1280-token budget (what the
  model is sent);
- pyautogui.screenshot() (PIL image through scrot).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from screenpilot.demo_form import TK_FORM
from screenpilot.devices.desktop import Desktop
from screenpilot.devices.virtual_display import x_session
from screenpilot.perception.sizing import VisualBudget


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    if shutil.which("scrot") is None:
        sys.exit("pyautogui.screenshot() needs scrot on X: apt-get install scrot")
    with x_session() as session:
        os.environ["DISPLAY"] = session.display
        os.environ["XDG_SESSION_TYPE"] = "x11"  # pyscreeze picks scrot only when told it is X
        session.start(["/usr/bin/python3", str(TK_FORM), "/dev/null"])
        session.wait_for_window("Tk form")
        import pyautogui

        budget = VisualBudget(max_tokens=1280)
        with Desktop(accessibility=False) as desktop:
            grab_area = {"left": 0, "top": 0, "width": 1920, "height": 1080}

            def for_model() -> None:
                image = desktop.screenshot().image()
                seen = budget.resize(desktop.geometry.capture)
                image.resize((seen.width, seen.height))

            cases: dict[str, Callable[[], object]] = {
                "mss grab": lambda: desktop._mss.grab(grab_area),
                "Desktop.screenshot() (BGRA array)": desktop.screenshot,
                "+ RGB array": lambda: desktop.screenshot().pixels,
                "+ PIL image resized for Qwen3-VL (1280 tokens)": for_model,
                "pyautogui.screenshot() (scrot)": pyautogui.screenshot,
            }
            samples: dict[str, list[float]] = {name: [] for name in cases}
            for _ in range(args.runs):  # interleaved: noise hits every case alike
                for name, call in cases.items():
                    start = time.perf_counter()
                    call()
                    samples[name].append(time.perf_counter() - start)
    base = median_ms(samples["+ RGB array"])
    print(f"{'1920x1080, median of ' + str(args.runs):48} {'ms':>8} {'x RGB screenshot':>18}")
    for name, values in samples.items():
        print(f"{name:48} {median_ms(values):8.1f} {median_ms(values) / base:18.2f}")


if __name__ == "__main__":
    main()
