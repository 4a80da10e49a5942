"""Did the screen change, where, and has it stopped changing?

Frames are HxWx3 uint8 arrays (RGB). Two pixels are "equal" when every channel differs by at
most `tolerance` (rendering jitter stays below it). The screen is
compared on a grid of square tiles, so the answer to "where" is a handful of rectangles that
the OCR can re-read instead of the whole frame.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from screenpilot.perception.geometry import Rect

Frame = NDArray[np.uint8]

#: Per-channel difference below which two pixels count as equal.
DEFAULT_TOLERANCE = 8
#: Side of the comparison tiles, in pixels.
DEFAULT_TILE = 32


def _moved(before: Frame, after: Frame, tolerance: int) -> NDArray[np.bool_]:
    """Per colour value (H x W*3): did it move by more than `tolerance`?

    Kept per channel on purpose: reducing over the channel axis costs ~20 ms on a 1080p
    frame, while everything below works on the flat H x W*3 view in a few ms.
    """
    if before.shape != after.shape:
        raise ValueError(f"cannot compare frames of shapes {before.shape} and {after.shape}")
    # max - min stays in uint8: no widening copy of a 6-million-value frame.
    diff = np.maximum(before, after) - np.minimum(before, after)
    moved: NDArray[np.bool_] = (diff > tolerance).reshape(before.shape[0], -1)
    return moved


def changed_fraction(before: Frame, after: Frame, tolerance: int = DEFAULT_TOLERANCE) -> float:
    """Share of colour values (pixels x channels) that moved by more than `tolerance`,
    0.0 to 1.0; frames of different sizes count as wholly changed."""
    if before.shape != after.shape:
        return 1.0
    if np.array_equal(before, after):
        return 0.0
    moved = _moved(before, after, tolerance)
    return float(np.count_nonzero(moved) / moved.size)


def changed_regions(
    before: Frame,
    after: Frame,
    *,
    tolerance: int = DEFAULT_TOLERANCE,
    tile: int = DEFAULT_TILE,
    pad: int = 1,
) -> list[Rect]:
    """Rectangles (in pixels of the frames) covering every change, as few as reasonable.

    Changed tiles are grown by `pad` tiles (so text cut at a tile edge is read whole), then
    touching tiles are merged into their bounding rectangles.
    """
    h, w = after.shape[:2]
    if before.shape != after.shape:
        return [Rect(width=w, height=h)]
    if np.array_equal(before, after):
        return []
    moved = _moved(before, after, tolerance)
    rows, cols = -(-h // tile), -(-w // tile)
    channels = moved.shape[1] // w
    padded = np.pad(moved, ((0, rows * tile - h), (0, (cols * tile - w) * channels)))
    tiles = np.asarray(padded.reshape(rows, tile, cols, tile * channels).any(axis=(1, 3)))
    if not tiles.any():
        return []
    grown = tiles.copy()
    for dy in range(-pad, pad + 1):
        for dx in range(-pad, pad + 1):
            grown |= np.roll(np.roll(tiles, dy, axis=0), dx, axis=1) & _not_wrapped(
                tiles.shape, dy, dx
            )
    return [
        Rect(
            left=c0 * tile,
            top=r0 * tile,
            width=min(w, (c1 + 1) * tile) - c0 * tile,
            height=min(h, (r1 + 1) * tile) - r0 * tile,
        )
        for r0, c0, r1, c1 in _components(grown)
    ]


def _not_wrapped(shape: tuple[int, ...], dy: int, dx: int) -> NDArray[np.bool_]:
    """Mask that cancels np.roll's wrap-around for a shift of (dy, dx)."""
    keep = np.ones(shape, dtype=bool)
    if dy > 0:
        keep[:dy, :] = False
    elif dy < 0:
        keep[dy:, :] = False
    if dx > 0:
        keep[:, :dx] = False
    elif dx < 0:
        keep[:, dx:] = False
    return keep


def _components(grid: NDArray[np.bool_]) -> list[tuple[int, int, int, int]]:
    """Bounding boxes (row0, col0, row1, col1) of 8-connected true cells."""
    seen = np.zeros_like(grid)
    boxes = []
    for r, c in zip(*np.nonzero(grid), strict=True):
        if seen[r, c]:
            continue
        stack = [(int(r), int(c))]
        seen[r, c] = True
        r0 = r1 = int(r)
        c0 = c1 = int(c)
        while stack:
            y, x = stack.pop()
            r0, r1, c0, c1 = min(r0, y), max(r1, y), min(c0, x), max(c1, x)
            for ny in range(max(0, y - 1), min(grid.shape[0], y + 2)):
                for nx in range(max(0, x - 1), min(grid.shape[1], x + 2)):
                    if grid[ny, nx] and not seen[ny, nx]:
                        seen[ny, nx] = True
                        stack.append((ny, nx))
        boxes.append((r0, c0, r1, c1))
    return boxes


@dataclass(frozen=True)
class Settled:
    """The outcome of waiting for the screen to stop changing."""

    frame: Frame
    stable: bool
    waited: float
    frames: int


def wait_until_stable(
    capture: Callable[[], Frame],
    *,
    timeout: float = 3.0,
    interval: float = 0.05,
    stable_frames: int = 2,
    tolerance: int = DEFAULT_TOLERANCE,
    max_changed: float = 0.0,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Settled:
    """Capture until `stable_frames` consecutive frames are equal (at most `max_changed` of
    their pixels differ by more than `tolerance`), or until `timeout` seconds have passed.

    Returns the last frame either way; `stable` says which it was. A blinking caret changes
    a few hundred values; pass a small `max_changed` (e.g. 0.0005) to look past it.
    """
    start = clock()
    frame = capture()
    frames, equal_in_a_row = 1, 1
    while equal_in_a_row < stable_frames:
        if clock() - start >= timeout:
            return Settled(frame, stable=False, waited=clock() - start, frames=frames)
        sleep(interval)
        nxt = capture()
        frames += 1
        if changed_fraction(frame, nxt, tolerance) <= max_changed:
            equal_in_a_row += 1
        else:
            equal_in_a_row = 1
        frame = nxt
    return Settled(frame, stable=True, waited=clock() - start, frames=frames)
