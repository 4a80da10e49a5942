"""Outlines in a frame and the measurements that tell a control's outline from a glyph's.

An outline is one 8-connected run of edge pixels (`edge_map`). `perception.shapes` decides
what each one is from these measurements; all of them are relative to the outline's own
size, so they hold at 100% and 200% scale alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from screenpilot.perception.change import Frame
from screenpilot.perception.opencv import cv2_module

#: A colour step of more than this (0-255, any channel) between neighbouring pixels is an
#: edge. Adwaita dark's entry border differs from its face by ~18; gradients step by ~1.
EDGE_STEP = 10


def edge_map(frame: Frame, step: int = EDGE_STEP) -> NDArray[np.uint8]:
    """1 where the colour changes by more than `step` within a 2x2 block, else 0.

    The 2x2 gradient marks the pixel after each step, so a 1 px line is two pixels wide and
    an outline's box ends one pixel right of and below what was drawn."""
    cv2 = cv2_module()
    gradient = cv2.morphologyEx(frame, cv2.MORPH_GRADIENT, np.ones((2, 2), np.uint8))
    if gradient.ndim == 3:
        # The largest step of any channel: a blue border on grey steps little in luminance.
        gradient = cv2.max(cv2.max(gradient[:, :, 0], gradient[:, :, 1]), gradient[:, :, 2])
    _, edges = cv2.threshold(gradient, step, 1, cv2.THRESH_BINARY)
    return np.asarray(edges, dtype=np.uint8)


@dataclass(frozen=True)
class Blob:
    """One outline: its box (x, y, w, h in frame pixels) and which pixels of it are its own."""

    x: int
    y: int
    w: int
    h: int
    mask: NDArray[np.bool_]

    @property
    def side(self) -> int:
        return min(self.w, self.h)


def fill_ratio(mask: NDArray[np.bool_]) -> float:
    """The area inside the outer contour over the box's: ~1 for a square, pi/4 for a circle,
    1/2 for a diamond."""
    cv2 = cv2_module()
    contours, _ = cv2.findContours(mask.view(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return 0.0
    h, w = mask.shape
    return float(max(cv2.contourArea(c) for c in contours) / max(1, (w - 1) * (h - 1)))


def sides_closed(mask: NDArray[np.bool_], share: float = 0.9) -> bool:
    """All four sides of the box are drawn along (rounded corners left out)."""
    h, w = mask.shape
    band = max(2, min(h, w) // 12)
    skip = max(2, min(h, w) // 4)
    sides = (
        mask[:band, skip : w - skip].any(axis=0),
        mask[h - band :, skip : w - skip].any(axis=0),
        mask[skip : h - skip, :band].any(axis=1),
        mask[skip : h - skip, w - band :].any(axis=1),
    )
    return all(side.size > 0 and side.mean() >= share for side in sides)


def hollow(mask: NDArray[np.bool_]) -> bool:
    """A line around an open middle, not a solid glyph: the middle row and column are mostly
    empty."""
    h, w = mask.shape
    return bool(mask[h // 2, 1:-1].mean() <= 0.5 and mask[1:-1, w // 2].mean() <= 0.5)


def corner_gap(mask: NDArray[np.bool_]) -> float:
    """How far the outline stays from the box's corners (mean L1 distance, over the side): a
    square reaches them (~0.1 when rounded), a circle keeps ~0.29 away, a diamond 0.5."""
    h, w = mask.shape
    ys, xs = np.nonzero(mask)
    if ys.size == 0:
        return 1.0
    gaps = [
        float((np.abs(ys - cy) + np.abs(xs - cx)).min())
        for cy, cx in ((0, 0), (0, w - 1), (h - 1, 0), (h - 1, w - 1))
    ]
    return sum(gaps) / len(gaps) / float(min(h, w))


def crowded(blob: Blob, edges: NDArray[np.uint8]) -> bool:
    """Something is drawn right beside it, as a letter has its neighbours within a word; an
    indicator keeps a gap of a quarter of its size or more from its caption."""
    gap = max(2, round(0.25 * blob.side))
    rows = edges[blob.y : blob.y + blob.h]
    left = rows[:, max(0, blob.x - gap) : blob.x]
    right = rows[:, blob.x + blob.w : blob.x + blob.w + gap]
    return any(side.size and side.any(axis=1).mean() >= 0.25 for side in (left, right))


@dataclass(frozen=True)
class Profile:
    """What 16 rays from the box's edge to its middle meet."""

    closed: bool  # every ray meets the outline in its outer half
    thickness: float  # the outline's median thickness along the rays, over the half-side
    gaps: float  # share of rays on which an open face follows the outline
    face: tuple[NDArray[np.intp], NDArray[np.intp]]  # that face's first pixels (ys, xs)


_RAYS = np.linspace(0, 2 * np.pi, 16, endpoint=False)
_SIN, _COS = np.sin(_RAYS)[:, None], np.cos(_RAYS)[:, None]


def profile(mask: NDArray[np.bool_]) -> Profile:
    """Walk the rays from outside in. A diamond's sides lie halfway in along the diagonals,
    hence the outer half for `closed`."""
    h, w = mask.shape
    cy, cx = (h - 1) / 2, (w - 1) / 2
    half = min(h, w) / 2
    samples = max(6, int(half * 1.5))
    with np.errstate(divide="ignore"):
        reach = np.minimum(cx / np.abs(_COS), cy / np.abs(_SIN)) + 0.5
    t = reach * np.linspace(1, 0, samples)[None, :]
    ys = np.clip(np.round(cy + t * _SIN).astype(np.intp), 0, h - 1)
    xs = np.clip(np.round(cx + t * _COS).astype(np.intp), 0, w - 1)
    line = mask[ys, xs]
    index = np.arange(samples)[None, :]
    first_on = np.where(line.any(axis=1), line.argmax(axis=1), samples)
    hit = first_on <= 0.55 * samples
    after = ~line & (index > first_on[:, None])
    first_off = np.where(after.any(axis=1), after.argmax(axis=1), samples - 1)
    run = (first_off - first_on) * reach[:, 0] / samples / half
    open_face = hit & (first_off < samples - 1)
    rays = np.flatnonzero(open_face)
    return Profile(
        closed=bool(hit.all()),
        thickness=float(np.median(run[hit])) if hit.any() else 1.0,
        gaps=float(open_face.mean()),
        face=(ys[rays, first_off[rays]], xs[rays, first_off[rays]]),
    )


def _luma_chroma(colour: NDArray[np.floating[Any]]) -> tuple[float, float]:
    colour = np.atleast_1d(colour).astype(float)
    return float(colour.mean()), float(colour.max() - colour.min())


def _surround(blob: Blob, frame: Frame) -> NDArray[np.floating[Any]]:
    """The median colour of a 1 px frame two pixels outside the box (clipped to the frame)."""
    h, w = frame.shape[:2]
    top, bottom = max(0, blob.y - 2), min(h - 1, blob.y + blob.h + 1)
    left, right = max(0, blob.x - 2), min(w - 1, blob.x + blob.w + 1)
    ring = np.concatenate(
        [
            frame[top, left : right + 1].reshape(-1, *frame.shape[2:]),
            frame[bottom, left : right + 1].reshape(-1, *frame.shape[2:]),
            frame[top : bottom + 1, left].reshape(-1, *frame.shape[2:]),
            frame[top : bottom + 1, right].reshape(-1, *frame.shape[2:]),
        ]
    )
    return np.asarray(np.median(ring, axis=0), dtype=float)


def stroke_inside(blob: Blob, frame: Frame, shape: Profile) -> bool:
    """Just inside the outline lies a glyph's stroke, not a control's face: a grey that
    stands far from the surroundings (a bold 'O' has a thin outer edge too, but black or
    white within). Faces are near the surroundings' colour, or a coloured (accent) fill."""
    if shape.face[0].size == 0:
        return False
    pixels = frame[blob.y + shape.face[0], blob.x + shape.face[1]]
    face_luma, face_chroma = _luma_chroma(np.median(pixels, axis=0))
    outside_luma, _ = _luma_chroma(_surround(blob, frame))
    return abs(face_luma - outside_luma) > 100 and face_chroma < 30


def coloured(blob: Blob, frame: Frame) -> bool:
    """The outline is drawn in a colour (an accent), not grey: text seldom is."""
    if frame.ndim != 3:
        return False
    pixels = frame[blob.y : blob.y + blob.h, blob.x : blob.x + blob.w][blob.mask].astype(int)
    return bool((pixels.max(axis=1) - pixels.min(axis=1)).mean() > 40)
