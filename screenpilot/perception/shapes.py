"""Controls found by their drawn shape: entries, checkboxes, radios, buttons and combo boxes.

Screens with no accessibility tree (a screenshot, Tk, a remote desktop, a WebView) still
draw their controls alike in every toolkit: a closed outline around a flat or shaded face.
`find_controls` takes every run of colour-step pixels as an outline (`perception.outlines`)
and keeps those that close into a rectangle, a square, a circle or a diamond. The inside
then tells the kinds apart:
- a small square is a checkbox, a small circle or diamond a radio; a mark or a coloured
  fill in the middle means checked;
- a wider box with a down arrow (or a drop-down button) at its right end is a combo box;
- a box whose face is shaded, or whose text is centred, is a button;
- a box whose text starts at its left, or that is empty, is an entry.

Glyphs close on themselves too ('o', 'O', 'D'); letters are told apart by their neighbours
within a word, a thick ring, or a stroke-coloured inside. An isolated round letter can still
pass for a radio; `perception.ocr` drops indicators that lie inside OCR'd words.
Everything is relative to the outline's size, so dark themes and 200% scale need no
settings. A 1080p frame takes 15-45 ms on two cores (bench/shapes.py: a page of text; seven
windows of controls).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from screenpilot.perception import outlines as ol
from screenpilot.perception.change import Frame
from screenpilot.perception.geometry import Rect
from screenpilot.perception.opencv import cv2_module

Kind = Literal["entry", "checkbox", "radio", "button", "combo", "field"]

#: Indicator sides in pixels: Tk's classic check is 11 px, GTK at 200% draws 32 px.
SMALL_SIDE = (9, 44)
#: Heights of boxes (entries, buttons, combos, text areas): 100% to 200% desktop scale, and
#: phones, whose one-line entry is ~150 px at 3x density.
BOX_HEIGHT = (14, 200)


@dataclass(frozen=True)
class Control:
    """One control found in pixels: its kind, its box in frame pixels, whether it is checked
    (None when it is not checkable or the pixels do not tell), and how sure the finder is."""

    kind: Kind
    box: Rect
    checked: bool | None
    confidence: float


def find_controls(frame: Frame) -> list[Control]:
    """Every entry, checkbox, radio, button and combo box drawn in `frame` (RGB, RGBA or
    grey), top to bottom."""
    if frame.ndim == 3 and frame.shape[2] == 4:
        frame = frame[:, :, :3]
    if frame.ndim not in (2, 3) or min(frame.shape[:2]) < SMALL_SIDE[0] + 2:
        return []
    frame = np.ascontiguousarray(frame, dtype=np.uint8)
    edges = ol.edge_map(frame)
    _, labels, stats, _ = cv2_module().connectedComponentsWithStats(edges, connectivity=8)
    x, y, w, h = (stats[1:, i] for i in range(4))
    # Cheap cuts on the box alone first: most outlines on a screen are glyphs and rules.
    small = (
        (np.minimum(w, h) >= SMALL_SIDE[0])
        & (np.maximum(w, h) <= SMALL_SIDE[1])
        & (np.abs(w - h) <= np.maximum(2, h // 6))
    )
    wide = (h >= BOX_HEIGHT[0]) & (h <= BOX_HEIGHT[1]) & (w >= 1.2 * h) & (w <= 40 * h)
    # A key that spans two rows of a keypad (a calculator's "=") is taller than wide; such
    # a box counts only as a button, which a lone glyph cannot pass for.
    tall = (h > SMALL_SIDE[1]) & (h <= BOX_HEIGHT[1]) & (w >= 0.5 * h) & (w < 1.2 * h)
    found = []
    for i in np.flatnonzero(small | wide | tall):
        bx, by, bw, bh = int(x[i]), int(y[i]), int(w[i]), int(h[i])
        blob = ol.Blob(bx, by, bw, bh, labels[by : by + bh, bx : bx + bw] == i + 1)
        control = _indicator(blob, frame, edges) if small[i] else None
        if control is None and wide[i]:
            control = _box(blob, frame, edges)
        elif control is None and tall[i]:
            control = _box(blob, frame, edges)
            if control is not None and control.kind != "button":
                control = None
        if control is not None:
            found.append(control)
    return _tidy(found)


def _indicator(blob: ol.Blob, frame: Frame, edges: NDArray[np.uint8]) -> Control | None:
    """A checkbox or radio, or None when the outline is a glyph's."""
    if ol.crowded(blob, edges):
        return None
    shape = ol.profile(blob.mask)
    # A thin closed line with an open face inside. Rings in every theme tried are <= 0.42
    # thick; a small 'o' is ~0.6, all stroke. A checked accent ring with its dot measures
    # thicker, as one run, but is coloured.
    thin = shape.thickness <= 0.45 or (shape.thickness <= 0.7 and ol.coloured(blob, frame))
    if not (shape.closed and thin and shape.gaps >= 0.5):
        return None
    if ol.stroke_inside(blob, frame, shape):
        return None
    # Squares fill their box (>= 0.96 in every theme tried), circles and diamonds do not
    # (<= 0.89); whether the outline reaches the corners confirms it.
    fill, corner = ol.fill_ratio(blob.mask), ol.corner_gap(blob.mask)
    if fill >= 0.93 and corner <= 0.15 and ol.sides_closed(blob.mask):
        return _state(blob, "checkbox", frame, edges)
    if fill < 0.93 and corner >= 0.15:
        return _state(blob, "radio", frame, edges)
    return None


def _state(blob: ol.Blob, kind: Kind, frame: Frame, edges: NDArray[np.uint8]) -> Control:
    """Checked when a mark or a coloured fill sits in the middle."""
    # A square's face starts just inside its line; a round one's middle is clear of the ring
    # only further in (the ring bends inwards towards the box's corners).
    inset = max(2, round(blob.side * (0.2 if kind == "checkbox" else 0.3)))
    x1, y1, x2, y2 = _inset(blob, inset)
    ink = edges[y1:y2, x1:x2].astype(bool)
    if ink.size == 0:
        return Control(kind, _rect(blob), None, 0.6)
    mean = frame[y1:y2, x1:x2].reshape(ink.size, -1).mean(axis=0)
    chroma = float(mean.max() - mean.min())
    marked = float(ink.mean())
    if kind == "checkbox" and marked > 0.1 and _mirrored(ink):
        # A tick is lopsided (short arm left, long arm right); a square around a symmetric
        # glyph (a window's minimise, maximise and close buttons) is an icon button.
        return Control("button", _rect(blob), None, 0.5)
    checked = marked > 0.1 or chroma > 40
    # Halfway evidence (a faint mark, a greyish tint) is not worth a guess.
    unsure = 0.03 < marked <= 0.1 or 25 < chroma <= 40
    return Control(kind, _rect(blob), None if unsure else checked, 0.7 if unsure else 0.9)


def _mirrored(ink: NDArray[np.bool_]) -> bool:
    """The mark looks the same flipped left to right."""
    return float((ink & ink[:, ::-1]).sum()) >= 0.7 * float(ink.sum())


def _box(blob: ol.Blob, frame: Frame, edges: NDArray[np.uint8]) -> Control | None:
    """An entry, button or combo box, told apart by what is inside the outline."""
    mask = blob.mask
    if not (ol.fill_ratio(mask) >= 0.88 and ol.sides_closed(mask) and ol.hollow(mask)):
        return None
    inset = max(2, blob.h // 12) + 1
    x1, y1, x2, y2 = _inset(blob, inset)
    if x2 - x1 < 4 or y2 - y1 < 4:
        return None
    # Ink: every edge inside but the outline's own bevel.
    ink = edges[y1:y2, x1:x2].astype(bool) & ~mask[inset:-inset, inset:-inset]
    groups = _runs(np.flatnonzero(ink.any(axis=0)), gap=max(3, blob.h // 4))
    box = _rect(blob)
    if _arrow_at_right(ink, groups, blob.h):
        return Control("combo", box, None, 0.9)
    shaded = _shaded(frame[y1:y2, x1:x2], ink)
    if not groups:
        return Control("button", box, None, 0.6) if shaded else Control("entry", box, None, 0.9)
    left, right, width = groups[0][0], groups[-1][1], x2 - x1
    centred = abs((left + right) / 2 - width / 2) < 0.1 * width and left > 0.08 * width
    if centred or (shaded and left > 0.1 * width):
        return Control("button", box, None, 0.9 if centred and shaded else 0.8)
    if left <= max(blob.h, 0.15 * width):
        return Control("entry", box, None, 0.7 if shaded else 0.9)
    return Control("field", box, None, 0.6)


def _runs(columns: NDArray[np.intp], gap: int) -> list[tuple[int, int]]:
    """Runs of ink columns (first, last), split where more than `gap` columns are empty."""
    if columns.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(columns) > gap)
    starts = np.concatenate(([0], breaks + 1))
    ends = np.concatenate((breaks, [columns.size - 1]))
    return [(int(columns[s]), int(columns[e])) for s, e in zip(starts, ends, strict=True)]


def _arrow_at_right(ink: NDArray[np.bool_], groups: list[tuple[int, int]], height: int) -> bool:
    """The last run of ink is a small down arrow (a triangle or chevron, wider than tall,
    wider at the top) near the right end, apart from any text; or the box ends in a
    drop-down button of its own (a full-height divider)."""
    if not groups:
        return False
    ih, iw = ink.shape
    first, last = groups[-1]
    if iw - last > 1.5 * height or first < 0.35 * iw:
        return False
    part = ink[:, first : last + 1]
    rows = np.flatnonzero(part.any(axis=1))
    tall, wide = rows[-1] - rows[0] + 1, last - first + 1
    if tall >= 0.8 * ih and wide <= 1.3 * height:
        return bool(part[:, : max(2, wide // 6)].any(axis=1).mean() > 0.8)
    if not (wide >= 1.2 * tall and tall <= 0.6 * ih and wide <= 0.8 * height):
        return False
    # An arrow narrows to its tip; a keypad's "-" or "=" is as wide at the bottom as on top.
    return bool(_extent(part[rows[-1]]) <= 0.6 * _extent(part[rows[0]]))


def _extent(row: NDArray[np.bool_]) -> int:
    """From the first to the last inked pixel of a row."""
    inked = np.flatnonzero(row)
    return int(inked[-1] - inked[0] + 1) if inked.size else 0


def _shaded(face: Frame, ink: NDArray[np.bool_]) -> bool:
    """The face is a vertical gradient (a button's bevel): its top and bottom rows differ
    though each row is flat."""
    plain = ~ink.any(axis=1)
    if plain.sum() < 4:
        return False
    grey = face.mean(axis=2) if face.ndim == 3 else face.astype(float)
    rows = grey[plain].mean(axis=1)
    return bool(abs(float(rows[-1]) - float(rows[0])) >= 4)


def _inset(blob: ol.Blob, by: int) -> tuple[int, int, int, int]:
    """The box `by` pixels in from the outline (x1, y1, x2, y2 in frame pixels, exclusive)."""
    return blob.x + by, blob.y + by, blob.x + blob.w - by, blob.y + blob.h - by


def _rect(blob: ol.Blob) -> Rect:
    # The edge map runs one pixel past the right and bottom of what was drawn.
    return Rect(left=blob.x, top=blob.y, width=max(1, blob.w - 1), height=max(1, blob.h - 1))


def box_iou(a: Rect, b: Rect) -> float:
    """Intersection over union of two boxes."""
    ix = max(0, min(a.left + a.width, b.left + b.width) - max(a.left, b.left))
    iy = max(0, min(a.top + a.height, b.top + b.height) - max(a.top, b.top))
    inter = ix * iy
    return inter / (a.width * a.height + b.width * b.height - inter)


def contains(outer: Rect, inner: Rect, slack: int = 0) -> bool:
    """`inner` lies within `outer` (grown by `slack` pixels on every side)."""
    return (
        outer.left - slack <= inner.left
        and outer.top - slack <= inner.top
        and inner.left + inner.width <= outer.left + outer.width + slack
        and inner.top + inner.height <= outer.top + outer.height + slack
    )


_INDICATORS = ("checkbox", "radio")


def _tidy(found: list[Control]) -> list[Control]:
    """One control per drawn thing. An outline inside a bigger one of nearly the same box is
    the same control (a bevel within a focus ring). A box holding several other boxes, or
    one that fills half of it, is a container (a toolbar, a frame), not an entry. Anything
    else inside a control is part of it (a radio's dot, a glyph of a caption, a combo's
    arrow button, a selection's highlight)."""
    containers = set()
    for c in found:
        held = [
            o
            for o in found
            if o is not c
            and o.kind not in _INDICATORS
            and contains(c.box, o.box)
            and box_iou(c.box, o.box) < 0.7
        ]
        if len(held) >= 2 or any(2 * _area(o.box) >= _area(c.box) for o in held):
            containers.add(id(c))
    keep = [
        c
        for c in found
        if id(c) not in containers
        and not any(o is not c and id(o) not in containers and _inside(c, o) for o in found)
    ]
    return sorted(keep, key=lambda c: (c.box.top, c.box.left))


def _inside(inner: Control, outer: Control) -> bool:
    """`inner` is part of `outer`: within it, and smaller (of two equal boxes, the first
    found stays)."""
    return contains(outer.box, inner.box) and _area(outer.box) > _area(inner.box)


def _area(box: Rect) -> int:
    return box.width * box.height
