"""How grounding by words scales with the number of elements on the screen.

Run: .venv/bin/python bench/grounding_scale.py [--runs 5] [--before-up-to 5000]
A dense page read by OCR (with word boxes) easily holds thousands of elements: rows of
labels ("label 0", "label 1", ...) with an entry at the end of some rows, and one "Email"
label beside its entry. Grounds "the Email field" (a label standing in for its input) and
"Submit" (a plain name) on it, and "the Name 17 field" on a form whose every label ("Name
0", "Name 1", ...) is near enough that name to be paired with its field (the case that
compared every label with every control). Each over 100, 1,000 and 5,000 elements, side by
side in one run, with today's `ground` ("after") and the plain algorithm it replaced
("before", tests/grounding_reference.py), whose answers must be the same. Prints the median
milliseconds of each. No display needed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from screenpilot.perception.elements import Element
from screenpilot.perception.geometry import ScreenBox
from screenpilot.perception.grounding import Found, Intent, ground
from tests import grounding_reference as reference


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


def labelled_rows(n: int) -> list[Element]:
    """`n` elements: rows of a label "Name <row>" and the field right of it."""
    found: list[Element] = []
    for row in range(n // 2):
        y = 10 + row * 24
        label = ScreenBox(x1=10, y1=y, x2=90, y2=y + 18)
        found.append(Element(id="", role="text", name=f"Name {row}", box=label, source="ocr"))
        box = ScreenBox(x1=100, y1=y, x2=400, y2=y + 18)
        found.append(Element(id="", role="field", box=box, source="pixels"))
    return found


#: (title, page maker, words, intent)
CASES: list[tuple[str, Callable[[int], list[Element]], str, Intent]] = [
    ("the Email field", page, "the Email field", "type"),
    ("Submit", page, "Submit", "click"),
    ("the Name 17 field, all labels match", labelled_rows, "the Name 17 field", "type"),
]


def _answer(result: Any) -> tuple[str, Element | None, float | None]:
    return (
        type(result).__name__,
        getattr(result, "element", None),
        getattr(result, "confidence", None),
    )


def _timed(
    how: Callable[..., Any], words: str, elements: list[Element], intent: Intent
) -> tuple[float, Any]:
    start = time.perf_counter()
    result = how(words, elements, intent=intent)
    return (time.perf_counter() - start) * 1000, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--before-up-to",
        type=int,
        default=5000,
        help="time the old algorithm only up to this many elements (it takes ~15 s a run at "
        "5,000 on the all-labels case)",
    )
    args = parser.parse_args()
    sizes = [100, 1000, 5000]
    pages = {(n, title): make(n) for n in sizes for title, make, _, _ in CASES}
    after: dict[tuple[int, str], list[float]] = {}
    before: dict[tuple[int, str], list[float]] = {}
    for _ in range(args.runs):
        for n in sizes:  # side by side: every size and both algorithms in every round
            for title, _make, words, intent in CASES:
                elements = pages[(n, title)]
                ms, result = _timed(ground, words, elements, intent)
                after.setdefault((n, title), []).append(ms)
                assert isinstance(result, Found), (title, n, result)
                if n > args.before_up_to:
                    continue
                ms, old = _timed(reference.ground, words, elements, intent)
                before.setdefault((n, title), []).append(ms)
                assert _answer(old) == _answer(result), (title, n, old, result)
    print(f"median ms of {args.runs} runs; before = the plain algorithm, after = today's")
    print(f"{'case':<38} {'elements':>8} {'before':>10} {'after':>8} {'speed-up':>9}")
    for title, *_ in CASES:
        for n in sizes:
            a = statistics.median(after[(n, title)])
            if (n, title) in before:
                b = statistics.median(before[(n, title)])
                old, ratio = f"{b:10.1f}", f"{b / a:8.1f}x"
            else:
                old, ratio = f"{'-':>10}", f"{'-':>9}"
            print(f"{title:<38} {len(pages[(n, title)]):>8} {old} {a:8.1f} {ratio}")


if __name__ == "__main__":
    main()
