"""Lines and words of text as OCR reads them, in pixels of the frame they were read from.

rapidocr places each word of a line from where its characters fell in the recogniser's
columns; `split_words` turns those pieces into the line's space-separated words, so that
"15" of a calendar row "15 16 17 18 19 20 21" is an element of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from screenpilot.perception.geometry import Rect


@dataclass(frozen=True)
class OcrWord:
    """One word of a line (split at spaces), its box in pixels of the frame, and a score."""

    text: str
    box: Rect
    score: float


@dataclass(frozen=True)
class OcrLine:
    """One line of text, its box in pixels of the frame it was read from, a score, and its
    words when it has several."""

    text: str
    box: Rect
    score: float
    words: tuple[OcrWord, ...] = ()

    def moved(self, dx: int, dy: int) -> OcrLine:
        """The same line read from a crop whose corner is at (dx, dy) of the frame."""
        return OcrLine(
            self.text,
            shift(self.box, dx, dy),
            self.score,
            tuple(OcrWord(w.text, shift(w.box, dx, dy), w.score) for w in self.words),
        )


def quad_box(quad: Any) -> Rect:
    """The upright rectangle around a detector's four corners (x, y), in whole pixels."""
    points = np.asarray(quad, dtype=float)
    xs, ys = points[:, 0], points[:, 1]
    left, top = max(0, int(xs.min())), max(0, int(ys.min()))
    width = max(1, int(np.ceil(xs.max())) - left)
    height = max(1, int(np.ceil(ys.max())) - top)
    return Rect(left=left, top=top, width=width, height=height)


def split_words(text: str, line: Rect, placed: Any) -> tuple[OcrWord, ...]:
    """The words of a line with their boxes. rapidocr places whole words on Latin lines and
    single characters on lines with CJK in them; either way its pieces are joined back into
    the line's space-separated words. When they do not add up, each word gets its share of
    the line's width by its characters' positions."""
    tokens = text.split()
    if len(tokens) < 2:
        return ()
    pieces = [(str(p[0]), float(p[1]), quad_box(p[2])) for p in placed or () if p[2] is not None]
    words: list[OcrWord] = []
    for token in tokens:
        taken, score, left, right = "", 1.0, line.left + line.width, line.left
        while pieces and len(taken) < len(token):
            piece, piece_score, box = pieces.pop(0)
            taken += piece.replace(" ", "")
            score = min(score, piece_score)
            left, right = min(left, box.left), max(right, box.left + box.width)
        # Kept within the line, at its height (rapidocr's word boxes take the line's rows).
        left, right = max(left, line.left), min(right, line.left + line.width)
        if taken != token or right <= left:
            return _split_evenly(text, line)
        box = Rect(left=left, top=line.top, width=right - left, height=line.height)
        words.append(OcrWord(token, box, score))
    return tuple(words)


def _split_evenly(text: str, line: Rect) -> tuple[OcrWord, ...]:
    """Each word's box from where its characters sit in the line, as if every character
    were equally wide."""
    step = line.width / max(1, len(text))
    words, start = [], 0
    for token in text.split():
        start = text.index(token, start)
        left = line.left + round(start * step)
        right = line.left + round((start + len(token)) * step)
        words.append(
            OcrWord(
                token,
                Rect(left=left, top=line.top, width=max(1, right - left), height=line.height),
                0.5,
            )
        )
        start += len(token)
    return tuple(words)


def shift(box: Rect, dx: int, dy: int) -> Rect:
    """`box` moved by (dx, dy)."""
    return Rect(left=box.left + dx, top=box.top + dy, width=box.width, height=box.height)
