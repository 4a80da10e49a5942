"""Captions of drawn buttons that OCR's text detector passed over.

The detector finds lines of text; a lone glyph on a button ("7", "=", "C", "(") is often too
small or too square for it, so a calculator read by OCR shows its buttons with no names.
`captions` takes every drawn button that has no OCR'd text inside and runs the recogniser
alone on its face, all of them in one batch. What it reads is the button's caption, an OCR
text element on the face. The readings are kept by the face's pixels, so an unchanged button
is not read twice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Protocol

import numpy as np

from screenpilot.perception.change import Frame
from screenpilot.perception.geometry import Rect
from screenpilot.perception.shapes import Control

#: Kinds of control whose face holds a caption (a keypad's "-" can pass for a combo's arrow).
CAPTIONED = ("button", "combo")
#: Readings below this are not trusted as a caption.
MIN_SCORE = 0.6
#: Readings kept at most (a long session of changing screens must not grow without end).
CACHE_SIZE = 2000


class Recogniser(Protocol):
    """Reads one line of text from each of several small crops (no detection)."""

    def recognise(self, crops: Sequence[Frame]) -> list[tuple[str, float]]: ...


class CaptionReader:
    """Names drawn buttons whose caption OCR did not read, through a `Recogniser`."""

    def __init__(self, recogniser: Recogniser) -> None:
        self.recogniser = recogniser
        self._seen: dict[bytes, tuple[str, float]] = {}

    def captions(
        self, frame: Frame, controls: Sequence[Control], read: Sequence[Rect]
    ) -> list[tuple[str, Rect, float]]:
        """(caption, face box, score) for every button in `controls` none of whose `read`
        text boxes has its middle on the button."""
        todo: list[tuple[bytes, Rect]] = []
        for control in controls:
            if control.kind not in CAPTIONED or any(_holds(control.box, r) for r in read):
                continue
            face = _face(control.box)
            crop = frame[face.top : face.top + face.height, face.left : face.left + face.width]
            if crop.size == 0:
                continue
            key = hashlib.blake2b(np.ascontiguousarray(crop).tobytes(), digest_size=16).digest()
            todo.append((key, face))
        fresh = [(k, f) for k, f in dict(todo).items() if k not in self._seen]
        if fresh:
            crops = [frame[f.top : f.top + f.height, f.left : f.left + f.width] for _, f in fresh]
            for (key, _), reading in zip(fresh, self.recogniser.recognise(crops), strict=True):
                if len(self._seen) >= CACHE_SIZE:
                    self._seen.clear()
                self._seen[key] = reading
        found = []
        for key, face in todo:
            text, score = self._seen.get(key, ("", 0.0))
            text = text.strip()
            if text and score >= MIN_SCORE:
                found.append((text, face, score))
        return found


def _face(box: Rect) -> Rect:
    """The button without its border and bevel."""
    by = max(2, min(box.width, box.height) // 10)
    return Rect(
        left=box.left + by,
        top=box.top + by,
        width=max(1, box.width - 2 * by),
        height=max(1, box.height - 2 * by),
    )


def _holds(outer: Rect, inner: Rect) -> bool:
    x, y = inner.left + inner.width // 2, inner.top + inner.height // 2
    return outer.left <= x < outer.left + outer.width and outer.top <= y < outer.top + outer.height
