"""Elements read from pixels: OCR'd text (rapidocr, offline) and input fields found by shape.

OCR of a whole 1080p frame costs 0.5-1.5 s on 2 cores, too slow for every step. The
`ScreenReader` keeps the last frame and its text, and on the next frame re-reads only the
regions that changed (`perception.change`), grown to take in any old line they cut, keeping
the rest. A form where one field changed costs one small crop instead of the whole screen.

Inputs have no text of their own, so OCR alone cannot see them. `find_fields` finds them by
shape: a near-white rectangle, wider than tall, whose four edges are white all along -
what a text entry looks like in Tk, GTK and HTML alike.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from screenpilot.errors import ScreenpilotError
from screenpilot.perception.change import Frame, changed_regions
from screenpilot.perception.elements import Element, numbered
from screenpilot.perception.geometry import ImageBox, Rect, ScreenBox, ScreenGeometry

log = logging.getLogger(__name__)

#: Past this share of the frame changed, one full read is cheaper than many crops.
FULL_READ_SHARE = 0.4


class OcrError(ScreenpilotError):
    """The OCR engine is missing or failed."""


@dataclass(frozen=True)
class OcrLine:
    """One line of text, its box in pixels of the frame it was read from, and a score."""

    text: str
    box: Rect
    score: float


class OcrEngine(Protocol):
    """Anything that reads lines of text from an RGB frame."""

    def read(self, pixels: Frame) -> list[OcrLine]: ...


class RapidOcr:
    """rapidocr with the models bundled in its wheel (no download, no network)."""

    def __init__(self) -> None:
        try:
            from rapidocr import RapidOCR
        except ImportError:
            raise OcrError("OCR is not installed: pip install 'screenpilot[ocr]'") from None
        self._engine: Any = RapidOCR(
            params={
                "Global.log_level": "warning",
                # Never upscale: the default grows every crop to a 736 px short side, which
                # makes a one-field crop cost as much as a whole screen.
                "Det.limit_type": "max",
                "Det.limit_side_len": 2048,
            }
        )

    def read(self, pixels: Frame) -> list[OcrLine]:
        # rapidocr expects BGR like OpenCV; an RGB frame reads worse on coloured text.
        result = self._engine(np.ascontiguousarray(pixels[:, :, ::-1]))
        if result.boxes is None:
            return []
        lines = []
        for quad, text, score in zip(result.boxes, result.txts, result.scores, strict=True):
            xs, ys = quad[:, 0], quad[:, 1]
            left, top = max(0, int(xs.min())), max(0, int(ys.min()))
            width, height = (
                max(1, int(np.ceil(xs.max())) - left),
                max(1, int(np.ceil(ys.max())) - top),
            )
            lines.append(
                OcrLine(
                    str(text), Rect(left=left, top=top, width=width, height=height), float(score)
                )
            )
        return lines


def _overlaps(a: Rect, b: Rect) -> bool:
    return (
        a.left < b.left + b.width
        and b.left < a.left + a.width
        and a.top < b.top + b.height
        and b.top < a.top + a.height
    )


def _union(a: Rect, b: Rect) -> Rect:
    left, top = min(a.left, b.left), min(a.top, b.top)
    right = max(a.left + a.width, b.left + b.width)
    bottom = max(a.top + a.height, b.top + b.height)
    return Rect(left=left, top=top, width=right - left, height=bottom - top)


class ScreenReader:
    """Turns frames into OCR and field elements, re-reading only what changed."""

    def __init__(self, engine: OcrEngine, *, min_score: float = 0.5) -> None:
        self.engine = engine
        self.min_score = min_score
        self._frame: Frame | None = None
        self._lines: list[OcrLine] = []
        self.last_read_area = 0.0  # share of the frame the last call OCR'd (for benchmarks)

    def lines(self, frame: Frame) -> list[OcrLine]:
        """All text lines of `frame`, reusing the previous frame's where nothing changed."""
        h, w = frame.shape[:2]
        if self._frame is None or self._frame.shape != frame.shape:
            lines = self._read(frame, Rect(width=w, height=h))
            self.last_read_area = 1.0
        else:
            regions = self._grow(changed_regions(self._frame, frame))
            area = sum(r.width * r.height for r in regions) / (w * h)
            self.last_read_area = area
            if area > FULL_READ_SHARE:
                lines = self._read(frame, Rect(width=w, height=h))
                self.last_read_area = 1.0
            else:
                kept = [ln for ln in self._lines if not any(_overlaps(ln.box, r) for r in regions)]
                lines = kept + [ln for r in regions for ln in self._read(frame, r)]
        self._frame, self._lines = frame, lines
        return lines

    def elements(self, frame: Frame, geometry: ScreenGeometry) -> list[Element]:
        """OCR text and pixel-found fields as elements in the screen frame."""
        found = [
            Element(
                id="",
                role="text",
                name=ln.text,
                box=_to_screen(ln.box, geometry),
                source="ocr",
                score=min(1.0, ln.score),
            )
            for ln in self.lines(frame)
            if ln.score >= self.min_score and ln.text.strip()
        ]
        found += [
            Element(id="", role="field", box=_to_screen(r, geometry), source="pixels")
            for r in find_fields(frame)
        ]
        return numbered(found, "ocr")

    def read_region(self, frame: Frame, region: Rect) -> list[OcrLine]:
        """OCR one region of a frame now (no reuse): for checking what a field shows."""
        return self._read(frame, region)

    def _grow(self, regions: list[Rect]) -> list[Rect]:
        """Widen changed regions to take in every old line they touch, so no line is read
        half; merge regions that come to overlap."""
        grown: list[Rect] = []
        for region in regions:
            for line in self._lines:
                if _overlaps(line.box, region):
                    region = _union(region, line.box)
            grown.append(region)
        merged: list[Rect] = []
        for region in grown:
            for i, other in enumerate(merged):
                if _overlaps(region, other):
                    merged[i] = _union(region, other)
                    break
            else:
                merged.append(region)
        return merged

    def _read(self, frame: Frame, region: Rect) -> list[OcrLine]:
        crop = frame[
            region.top : region.top + region.height, region.left : region.left + region.width
        ]
        if crop.size == 0:
            return []
        return [
            OcrLine(
                ln.text,
                Rect(
                    left=ln.box.left + region.left,
                    top=ln.box.top + region.top,
                    width=ln.box.width,
                    height=ln.box.height,
                ),
                ln.score,
            )
            for ln in self.engine.read(crop)
        ]


def _to_screen(box: Rect, geometry: ScreenGeometry) -> ScreenBox:
    """A box in capture pixels (what the device captured) on the screen."""
    return geometry.image_box_to_screen(
        ImageBox(x1=box.left, y1=box.top, x2=box.left + box.width - 1, y2=box.top + box.height - 1)
    )


def find_fields(
    frame: Frame,
    *,
    brightness: int = 245,
    min_width: int = 40,
    min_height: int = 14,
    max_height: int = 200,
) -> list[Rect]:
    """Boxes of text-entry-looking rectangles: near-white, wider than tall, white edges."""
    try:
        import cv2
    except ImportError:
        raise OcrError("finding fields needs OpenCV: pip install 'screenpilot[ocr]'") from None
    gray = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
    _, mask = cv2.threshold(gray, brightness - 1, 1, cv2.THRESH_BINARY)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=4)
    h, w = mask.shape
    fields = []
    for i in range(1, count):
        x, y, bw, bh, area = (int(v) for v in stats[i])
        if not (min_width <= bw and min_height <= bh <= max_height and bw >= 1.5 * bh):
            continue
        if bw * bh > 0.1 * w * h or area < 0.5 * bw * bh:
            continue
        own = labels[y : y + bh, x : x + bw] == i
        if _edges_solid(own):
            fields.append(Rect(left=x, top=y, width=bw, height=bh))
    return fields


def _edges_solid(own: NDArray[np.bool_], share: float = 0.9) -> bool:
    return bool(
        own[0].mean() >= share
        and own[-1].mean() >= share
        and own[:, 0].mean() >= share
        and own[:, -1].mean() >= share
    )


def text_in(lines: Sequence[OcrLine]) -> str:
    """The lines' text, in reading order, joined by spaces."""
    ordered = sorted(lines, key=lambda ln: (ln.box.top // 8, ln.box.left))
    return " ".join(ln.text for ln in ordered)
