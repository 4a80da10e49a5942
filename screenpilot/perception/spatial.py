"""Boxes filed by the cells of a square grid, to find those near a place without a full scan.

Pairing every label of a dense page with the controls beside it compares each label with
every control when done plainly: a few thousand OCR'd words make that millions of
comparisons. `BoxGrid` files each box under the grid cells it touches, so the boxes that
meet a rectangle (the strip right of a label, the band below it) are read from the few cells
the rectangle covers. Answers are exact: what a query returns is every box meeting the
rectangle and nothing else, in the order the boxes were given, so a caller that keeps the
first of equals finds the same one a scan in that order would.

A box too large to file cell by cell (a window-sized pane, absurd coordinates) is kept in a
short list that every query looks at; a query rectangle too large for the grid reads all
boxes. Both keep the answer exact and only cost time on screens nobody draws.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from screenpilot.perception.geometry import ScreenBox

#: Side of a cell in px: about a control's width, so a label's reach covers a few cells.
CELL = 64.0
#: Below this many boxes a scan is cheaper than filing them.
_SCAN_BELOW = 24
#: A box touching more cells than this is looked at by every query instead.
_MAX_CELLS = 1024

_Rect = tuple[float, float, float, float]


class BoxGrid:
    """Boxes by the grid cells they touch; `meeting` finds those that meet a rectangle."""

    def __init__(self, boxes: Sequence[ScreenBox], cell: float = CELL) -> None:
        self._rects: list[_Rect] = [(b.x1, b.y1, b.x2, b.y2) for b in boxes]
        self._cell = cell
        self._cells: dict[tuple[int, int], list[int]] = {}
        self._everywhere: list[int] = []
        self._scan = len(self._rects) < _SCAN_BELOW
        if self._scan:
            return
        for i, rect in enumerate(self._rects):
            c1, r1, c2, r2 = self._span(rect)
            if (c2 - c1 + 1) * (r2 - r1 + 1) > _MAX_CELLS:
                self._everywhere.append(i)
                continue
            for col in range(c1, c2 + 1):
                for row in range(r1, r2 + 1):
                    self._cells.setdefault((col, row), []).append(i)

    def __len__(self) -> int:
        return len(self._rects)

    def meeting(self, x1: float, y1: float, x2: float, y2: float) -> list[int]:
        """Indices (in the order given) of the boxes that meet the closed rectangle: share at
        least a point with it, edges included."""
        wanted = (x1, y1, x2, y2)
        if self._scan:
            return [i for i, r in enumerate(self._rects) if _meet(r, wanted)]
        c1, r1, c2, r2 = self._span(wanted)
        if (c2 - c1 + 1) * (r2 - r1 + 1) > max(_MAX_CELLS, len(self._rects)):
            return [i for i, r in enumerate(self._rects) if _meet(r, wanted)]
        seen: set[int] = set(self._everywhere)
        cells = self._cells
        for col in range(c1, c2 + 1):
            for row in range(r1, r2 + 1):
                found = cells.get((col, row))
                if found:
                    seen.update(found)
        return sorted(i for i in seen if _meet(self._rects[i], wanted))

    def _span(self, rect: _Rect) -> tuple[int, int, int, int]:
        """First and last column and row of the cells a rectangle touches."""
        x1, y1, x2, y2 = rect
        c = self._cell
        return math.floor(x1 / c), math.floor(y1 / c), math.floor(x2 / c), math.floor(y2 / c)


def _meet(a: _Rect, b: _Rect) -> bool:
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]
