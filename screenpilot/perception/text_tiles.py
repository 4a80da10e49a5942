"""Where OCR's text detector looks on a frame too large for one look: overlapping tiles,
and lines put back together across them.

A frame is cut into tiles of at most `TILE` pixels a side, overlapping by `OVERLAP` pixels,
and the detector runs on each tile that holds anything at all (a tile of one colour holds
no text). A line cut by a tile's edge is found in pieces, one in each tile; a line in an
overlap is found twice. `merge` joins every pair of boxes from different tiles that overlap
on the same row of text into one box, so each line comes out once and whole. Because an
overlap is taller than a line of UI text, a line cut by a horizontal edge is found whole in
the tile below or above it, and its piece merges into that.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from screenpilot.perception.change import Frame
from screenpilot.perception.geometry import Rect

#: Longest side of a tile: the longest rapidocr's detector is given as it is (past it, it
#: shrinks the picture, and small text is lost).
TILE = 2048
#: How far neighbouring tiles overlap: more than a line of UI text is tall at 200% scale.
OVERLAP = 64
#: A tile whose channels all stay within this range holds no text (nor anything else).
BLANK_RANGE = 8
#: Two boxes are on one row of text when they share at least this share of the lower one.
SAME_ROW = 0.5


def spans(length: int, tile: int = TILE, overlap: int = OVERLAP) -> list[tuple[int, int]]:
    """(start, end) of equal tiles along one side of `length` pixels, each at most `tile`
    long, neighbours overlapping by at least `overlap`, the first at 0 and the last at the
    end."""
    if length <= tile:
        return [(0, length)]
    count = math.ceil((length - overlap) / (tile - overlap))
    size = math.ceil((length + (count - 1) * overlap) / count)
    step = (length - size) / (count - 1)
    return [(round(i * step), round(i * step) + size) for i in range(count)]


def tiles(height: int, width: int, tile: int = TILE, overlap: int = OVERLAP) -> list[Rect]:
    """The tiles covering a picture of `height` x `width`, row by row."""
    return [
        Rect(left=x0, top=y0, width=x1 - x0, height=y1 - y0)
        for y0, y1 in spans(height, tile, overlap)
        for x0, x1 in spans(width, tile, overlap)
    ]


def is_blank(pixels: Frame) -> bool:
    """Every pixel of `pixels` is about one colour: there is nothing on it to read."""
    if pixels.size == 0:
        return True
    flat = pixels.reshape(-1, pixels.shape[2]) if pixels.ndim == 3 else pixels.reshape(-1, 1)
    return bool((flat.max(axis=0).astype(int) - flat.min(axis=0)).max() <= BLANK_RANGE)


@dataclass(frozen=True)
class Piece:
    """A box the detector found in one tile: its corners (4x2, clockwise from the top left)
    in pixels of the whole picture, and the tile it came from."""

    quad: np.ndarray
    tile: int

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """left, top, right, bottom."""
        xs, ys = self.quad[:, 0], self.quad[:, 1]
        return float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max())


def _joined(a: Piece, b: Piece) -> bool:
    """Pieces from two tiles that are one line: their boxes overlap, on the same row."""
    if a.tile == b.tile:
        return False  # the detector already told these apart
    al, at, ar, ab = a.bounds
    bl, bt, br, bb = b.bounds
    if min(ar, br) <= max(al, bl):
        return False
    shared = min(ab, bb) - max(at, bt)
    return shared > 0 and shared >= SAME_ROW * min(ab - at, bb - bt)


def merge(pieces: list[Piece]) -> list[np.ndarray]:
    """One quad for each line: a piece joined to no other keeps its own corners; pieces
    joined (directly or through others) become the rectangle around them all."""
    parent = list(range(len(pieces)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    # Pieces sorted by their left edge: only those whose spans meet are compared.
    order = sorted(range(len(pieces)), key=lambda i: pieces[i].bounds[0])
    for n, i in enumerate(order):
        right = pieces[i].bounds[2]
        for j in order[n + 1 :]:
            if pieces[j].bounds[0] >= right:
                break
            if _joined(pieces[i], pieces[j]):
                parent[root(j)] = root(i)
    groups: dict[int, list[Piece]] = {}
    for i, piece in enumerate(pieces):
        groups.setdefault(root(i), []).append(piece)
    quads = []
    for group in groups.values():
        if len(group) == 1:
            quads.append(group[0].quad.astype(np.float32))
            continue
        bounds = [p.bounds for p in group]
        left, top = min(b[0] for b in bounds), min(b[1] for b in bounds)
        right, bottom = max(b[2] for b in bounds), max(b[3] for b in bounds)
        quads.append(
            np.array([[left, top], [right, top], [right, bottom], [left, bottom]], np.float32)
        )
    return quads
