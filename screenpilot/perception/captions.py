"""Captions of drawn buttons that OCR's text detector passed over.

The detector finds lines of text; a lone glyph on a button ("7", "=", "C", "(") is often too
small or too square for it, so a calculator read by OCR shows its buttons with no names.
`captions` takes every drawn button that has no OCR'd text inside and runs the recogniser
alone on its face, all of them in one batch. What it reads is the button's caption, an OCR
text element on the face. The readings are kept by the face's pixels, so an unchanged button
is not read twice.

The recogniser reads text lines; alone on a wide face a sign is often too small for it
("/" comes out as "1", "=" as "-", "." as nothing). So each face is read twice in the
batch, whole and as its ink alone on a canvas of the face's colour sized to the ink, and
the surer reading wins. The plainest signs, one or two straight bars or a dot ("-", "=",
".", "/"), are told by their shape before any reading. A button whose only text OCR read
was unsure (a "+" at 0.6) is read again the same way.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Sequence
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from screenpilot.perception.change import Frame
from screenpilot.perception.geometry import Rect
from screenpilot.perception.opencv import cv2_module
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
        self,
        frame: Frame,
        controls: Sequence[Control],
        read: Sequence[Rect],
        unsure: Sequence[Rect] = (),
    ) -> list[tuple[str, Rect, float]]:
        """(caption, face box, score) for every button in `controls` none of whose `read`
        text boxes has its middle on the button; boxes in `unsure` (readings OCR was not
        sure of) do not count as text."""
        todo: list[tuple[bytes, Rect]] = []
        for control in controls:
            if control.kind not in CAPTIONED:
                continue
            if any(control.box.holds_middle_of(r) for r in read if r not in unsure):
                continue
            face = _face(control.box)
            crop = frame[face.top : face.top + face.height, face.left : face.left + face.width]
            if crop.size == 0:
                continue
            key = hashlib.blake2b(np.ascontiguousarray(crop).tobytes(), digest_size=16).digest()
            todo.append((key, face))
        fresh = [(k, f) for k, f in dict(todo).items() if k not in self._seen]
        asks: list[tuple[bytes, Frame]] = []
        for key, f in fresh:
            crop = np.ascontiguousarray(frame[f.top : f.top + f.height, f.left : f.left + f.width])
            sign = shape_sign(crop)
            if sign is not None:
                self._remember(key, (sign, SIGN_SCORE))
                continue
            asks.append((key, crop))
            ink = ink_alone(crop)
            if ink is not None:
                asks.append((key, ink))
        if asks:
            readings = self.recogniser.recognise([crop for _, crop in asks])
            best: dict[bytes, tuple[str, float]] = {}
            for (key, _), (text, score) in zip(asks, readings, strict=True):
                text = unicodedata.normalize("NFKC", text).strip()
                if key not in best or score > best[key][1]:
                    best[key] = (text, score)
            for key, reading in best.items():
                self._remember(key, reading)
        found = []
        for key, face in todo:
            text, score = self._seen.get(key, ("", 0.0))
            text = text.strip()
            if text and score >= MIN_SCORE:
                found.append((text, face, score))
        return found

    def _remember(self, key: bytes, reading: tuple[str, float]) -> None:
        if len(self._seen) >= CACHE_SIZE:
            self._seen.clear()
        self._seen[key] = reading


#: How sure a sign told by its shape is.
SIGN_SCORE = 0.9


def _ink(face: Frame) -> NDArray[np.bool_]:
    """The caption's pixels: those far from the face's own colour."""
    grey = face.mean(axis=2) if face.ndim == 3 else face.astype(float)
    return np.asarray(np.abs(grey - float(np.median(grey))) > 60)


def ink_alone(face: Frame) -> Frame | None:
    """The caption cut out of its face and laid on a canvas of the face's colour: as tall
    as 0.6 of the face's shorter side (a lone sign's height among letters) and padded at
    the sides, where the recogniser reads it better than on the whole face."""
    ys, xs = np.nonzero(_ink(face))
    if ys.size == 0:
        return None
    y1, y2 = max(0, int(ys.min()) - 1), int(ys.max()) + 2
    x1, x2 = max(0, int(xs.min()) - 1), int(xs.max()) + 2
    cut = face[y1:y2, x1:x2]
    height = max(cut.shape[0] + 4, round(0.6 * min(face.shape[:2])))
    width = cut.shape[1] + 2 * round(0.8 * height)
    colour = np.median(face.reshape(-1, *face.shape[2:]), axis=0)
    canvas = np.empty((height, width, *face.shape[2:]), np.uint8)
    canvas[...] = colour.astype(np.uint8)
    top, left = (height - cut.shape[0]) // 2, (width - cut.shape[1]) // 2
    canvas[top : top + cut.shape[0], left : left + cut.shape[1]] = cut
    return canvas


def shape_sign(face: Frame) -> str | None:
    """A caption that is one of the plainest signs, told by its shape: "-" (one level bar
    at mid height), "=" (two such bars, one above the other), "." (one small dot low on the
    face) or "/" (one thin stroke rising to the right). None for anything else."""
    ink = _ink(face)
    if not ink.any():
        return None
    cv2 = cv2_module()
    count, _, stats, _ = cv2.connectedComponentsWithStats(ink.view(np.uint8), connectivity=8)
    parts = [tuple(int(v) for v in stats[i, :4]) for i in range(1, count)]
    side = min(face.shape[:2])
    middle = face.shape[0] / 2
    if any(h > 0.8 * side or w > 0.8 * face.shape[1] for _, _, w, h in parts):
        return None
    bars = [p for p in parts if p[2] >= 3 * p[3] and p[2] >= 0.1 * side]
    if len(parts) == 1 and bars and abs(bars[0][1] + bars[0][3] / 2 - middle) < side / 6:
        return "-"
    if len(parts) == 2 and len(bars) == 2:
        (ax, ay, aw, ah), (bx, by, bw, bh) = sorted(bars, key=lambda p: p[1])
        level = abs(ax - bx) <= 2 and abs(aw - bw) <= 2
        apart = by - (ay + ah) >= 1 and abs((ay + by + bh) / 2 - middle) < side / 6
        if level and apart:
            return "="
    if len(parts) != 1:
        return None
    x, y, w, h = parts[0]
    if max(w, h) <= 0.15 * side and abs(w - h) <= 1 + max(w, h) // 3 and y > middle:
        return "."
    if h >= 0.3 * side and 0.3 * h <= w <= 0.9 * h and _rising(ink[y : y + h, x : x + w]):
        return "/"
    return None


def _rising(part: NDArray[np.bool_]) -> bool:
    """One thin stroke from the bottom left to the top right: every row is short, and the
    rows' middles move right steadily from bottom to top."""
    w = part.shape[1]
    rows = [np.flatnonzero(r) for r in part]
    if any(r.size == 0 or r[-1] - r[0] + 1 > 0.5 * w for r in rows):
        return False
    middles = np.array([(r[0] + r[-1]) / 2 for r in rows])
    steps = np.diff(middles)
    return bool((steps <= 0.5).all() and middles[0] - middles[-1] >= 0.5 * w)


def _face(box: Rect) -> Rect:
    """The button without its border and bevel."""
    by = max(2, min(box.width, box.height) // 10)
    return Rect(
        left=box.left + by,
        top=box.top + by,
        width=max(1, box.width - 2 * by),
        height=max(1, box.height - 2 * by),
    )
