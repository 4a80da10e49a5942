"""How grounding by words scales with the number of elements on the screen.

Run: .venv/bin/python bench/grounding_scale.py [--runs 7]
A dense page read by OCR (with word boxes) easily holds thousands of elements: rows of
labels ("label 0", "label 1", ...) with an entry at the end of some rows, and one "Email"
label beside its entry. Grounds "the Email field" (a label standing in for its input, the
costly path) and "Submit" (a plain name) over 100, 1,000 and 5,000 elements, side by side in
one run, and prints the median milliseconds of each. No display needed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from screenpilot.perception.elements import Element
from screenpilot.perception.geometry import ScreenBox
from screenpilot.perception.grounding import Found, ground


def page(n: int) -> list[Element]:
    """`n` elements: labels in rows of 20, an entry closing every fifth row, one Email row."""
    found: list[Element] = []
    row = 0
    while len(found) < n - 3:
        y = 10 + row * 24
        for col in range(20):
            x = 10 + col * 90
            box = ScreenBox(x1=x, y1=y, x2=x + 80, y2=y + 18)
            found.append(
                Element(id="", role="text", name=f"label {row * 20 + col}", box=box, source="ocr")
            )
        if row % 5 == 0:
            box = ScreenBox(x1=1820, y1=y, x2=1900, y2=y + 18)
            found.append(Element(id="", role="field", box=box, source="pixels"))
        row += 1
    y = 10 + row * 24
    found.append(
        Element(
            id="",
            role="text",
            name="Email",
            box=ScreenBox(x1=10, y1=y, x2=80, y2=y + 18),
            source="ocr",
        )
    )
    found.append(
        Element(
            id="", role="field", box=ScreenBox(x1=100, y1=y, x2=400, y2=y + 18), source="pixels"
        )
    )
    found.append(
        Element(
            id="",
            role="text",
            name="Submit",
            box=ScreenBox(x1=10, y1=y + 30, x2=80, y2=y + 48),
            source="ocr",
        )
    )
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    sizes = [100, 1000, 5000]
    pages = {n: page(n) for n in sizes}
    times: dict[tuple[int, str], list[float]] = {}
    for _ in range(args.runs):
        for n in sizes:  # side by side: every size in every round
            for words, intent in (("the Email field", "type"), ("Submit", "click")):
                start = time.perf_counter()
                result = ground(words, pages[n], intent=intent)  # type: ignore[arg-type]
                times.setdefault((n, words), []).append((time.perf_counter() - start) * 1000)
                assert isinstance(result, Found), result
    print(f"{'elements':>9} {'the Email field':>16} {'Submit':>8}   (median ms of {args.runs})")
    for n in sizes:
        a = statistics.median(times[(n, "the Email field")])
        b = statistics.median(times[(n, "Submit")])
        print(f"{len(pages[n]):>9} {a:>16.1f} {b:>8.1f}")


if __name__ == "__main__":
    main()
