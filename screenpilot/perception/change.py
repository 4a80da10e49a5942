"""Did the screen change, where, and has it stopped changing?

Frames are HxWx3 uint8 arrays (RGB). Two pixels are "equal" when every channel differs by at
most `tolerance` (rendering jitter stays below it). Changed pixels are grouped on a grid
of square tiles, and each group's answer to "where" is the box around its changed pixels: a
handful of small rectangles that the OCR can re-read instead of the whole frame.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from screenpilot.perception.geometry import Rect
from screenpilot.perception.opencv import cv2_module

Frame = NDArray[np.uint8]

#: Per-channel difference below which two pixels count as equal.
DEFAULT_TOLERANCE = 8
#: Side of the comparison tiles, in pixels.
DEFAULT_TILE = 32
#: Pixels kept around a change's bounding box.
DEFAULT_MARGIN = 24
#: The smallest side of a changed region, in pixels.
MIN_SIDE = 64


def _moved(before: Frame, after: Frame, tolerance: int) -> NDArray[np.intp]:
    """Flat indices (row * width + column) of the pixels where some colour channel moved by
    more than `tolerance`.

    Two passes keep this cheap on a 1080p frame: an exact comparison finds the few pixels
    that differ at all (4-byte pixels compare as one 32-bit word each), and the tolerance is
    applied to those alone. A blinking caret costs about a millisecond, not twenty.
    """
    if before.shape != after.shape:
        raise ValueError(f"cannot compare frames of shapes {before.shape} and {after.shape}")
    channels = before.shape[2]
    if channels == 4 and before.flags.c_contiguous and after.flags.c_contiguous:
        differ = np.flatnonzero(before.view(np.uint32) != after.view(np.uint32))
    else:
        differ = np.unique(np.flatnonzero(before != after) // channels)
    if differ.size == 0:
        return differ
    # Colour channels only: X's fourth byte is padding.
    old = before.reshape(-1, channels)[differ, :3]
    new = after.reshape(-1, channels)[differ, :3]
    moved: NDArray[np.intp] = differ[
        ((np.maximum(old, new) - np.minimum(old, new)) > tolerance).any(axis=1)
    ]
    return moved


def changed_fraction(before: Frame, after: Frame, tolerance: int = DEFAULT_TOLERANCE) -> float:
    """Share of pixels where a colour channel moved by more than `tolerance`, 0.0 to 1.0;
    frames of different sizes count as wholly changed."""
    if before.shape != after.shape:
        return 1.0
    h, w = before.shape[:2]
    return float(_moved(before, after, tolerance).size / (h * w))


def changed_fraction_outside(
    before: Frame, after: Frame, regions: Sequence[Rect], tolerance: int = DEFAULT_TOLERANCE
) -> float:
    """`changed_fraction` of the pixels outside `regions` (in the frames' pixels): what
    else moved, leaving aside places known to be changing."""
    if before.shape != after.shape:
        return 1.0
    h, w = before.shape[:2]
    outside = np.ones((h, w), dtype=bool)
    for r in regions:
        outside[
            max(0, r.top) : max(0, r.top + r.height), max(0, r.left) : max(0, r.left + r.width)
        ] = False
    rest = int(outside.sum())
    if not rest:
        return 0.0
    moved = _moved(before, after, tolerance)
    return float(outside.ravel()[moved].sum() / rest)


def changed_regions(
    before: Frame,
    after: Frame,
    *,
    tolerance: int = DEFAULT_TOLERANCE,
    tile: int = DEFAULT_TILE,
    pad: int = 1,
    margin: int = DEFAULT_MARGIN,
    unless: Callable[[NDArray[np.bool_], Rect], bool] | None = None,
) -> list[Rect]:
    """Rectangles (in pixels of the frames) covering every change, as few and as small as
    reasonable.

    Changes are grouped on the tile grid: changed tiles grown by `pad` tiles that touch
    form one group (a typed word and its caret, a focus ring and the field inside it). Each
    group's rectangle is the bounding box of its changed pixels, `margin` pixels wider on
    every side (OCR drops a letter that touches the edge of its crop), not of its tiles:
    a tile-sized rectangle reaches into the label beside a field, and whatever it touches
    is read again. A group for which `unless` says True of its changed pixels (a mask over
    their bounding box, and that box in the frame) is left out.
    """
    h, w = after.shape[:2]
    if before.shape != after.shape:
        return [Rect(width=w, height=h)]
    moved = _moved(before, after, tolerance)
    if moved.size == 0:
        return []
    rows, cols = -(-h // tile), -(-w // tile)
    tiles = np.zeros((rows, cols), dtype=bool)
    tiles[(moved // w) // tile, (moved % w) // tile] = True
    grown = tiles.copy()
    for dy in range(-pad, pad + 1):
        for dx in range(-pad, pad + 1):
            grown |= np.roll(np.roll(tiles, dy, axis=0), dx, axis=1) & _not_wrapped(
                tiles.shape, dy, dx
            )
    changed = np.zeros(h * w, dtype=bool)
    changed[moved] = True
    changed = changed.reshape(h, w)
    regions = []
    for r0, c0, r1, c1 in _components(grown):
        top, left = r0 * tile, c0 * tile
        group = changed[top : (r1 + 1) * tile, left : (c1 + 1) * tile]
        ys, xs = np.flatnonzero(group.any(axis=1)), np.flatnonzero(group.any(axis=0))
        if unless is not None:
            mask = group[ys[0] : ys[-1] + 1, xs[0] : xs[-1] + 1]
            where = Rect(
                left=left + int(xs[0]),
                top=top + int(ys[0]),
                width=mask.shape[1],
                height=mask.shape[0],
            )
            if unless(mask, where):
                continue
        y0, y1 = _widened(top + int(ys[0]), top + int(ys[-1]) + 1, margin, h)
        x0, x1 = _widened(left + int(xs[0]), left + int(xs[-1]) + 1, margin, w)
        regions.append(Rect(left=x0, top=y0, width=x1 - x0, height=y1 - y0))
    return regions


def _widened(start: int, end: int, margin: int, limit: int) -> tuple[int, int]:
    """[start, end) grown by `margin` each way and to at least `MIN_SIDE` (the detector
    finds nothing in a crop much smaller: two letters typed, cropped 39x34 px, read as
    nothing, and as "Lo" at 63x58), kept within [0, limit)."""
    start, end = start - margin, end + margin
    short = MIN_SIDE - (end - start)
    if short > 0:
        start, end = start - short // 2, end + short - short // 2
    if start < 0:
        start, end = 0, end - start
    if end > limit:
        start, end = max(0, start - (end - limit)), limit
    return start, end


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
    """Bounding boxes (row0, col0, row1, col1) of 8-connected true cells, in the order a
    row-by-row scan first meets each group."""
    # OpenCV comes with the OCR extra, which is what reads these regions; `cv2_module` imports
    # it on first use, so comparing frames and waiting for a still screen never need it.
    count, labels, stats, _ = cv2_module().connectedComponentsWithStats(
        grid.astype(np.uint8), connectivity=8
    )
    # Label 0 is the background; order the groups by the first cell of each.
    first = np.zeros(count, dtype=np.intp)
    present, where = np.unique(labels.ravel(), return_index=True)
    first[present] = where
    boxes = []
    for label in (np.argsort(first[1:]) + 1).tolist():
        c0, r0, width, height = (int(v) for v in stats[label, :4])
        boxes.append((r0, c0, r0 + height - 1, c0 + width - 1))
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
    react: float = 0.0,
    changing: Sequence[Rect] = (),
    since: Frame | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Settled:
    """Capture until `stable_frames` consecutive frames are equal (at most `max_changed` of
    their pixels differ by more than `tolerance`), or until `timeout` seconds have passed.

    `changing` are regions (in the frames' pixels) left out of the stillness test: the
    field being typed into and the one the focus left, their focus rings still fading. A
    change there still counts as the application's reaction.

    `since` is the frame from before the input: when the first capture already differs
    from it, the application has reacted (an entry draws typed text before the wait
    begins), and the screen is stable at the first pair of equal frames.

    Returns the last frame either way; `stable` says which it was. A blinking caret changes
    a few dozen pixels; pass a small `max_changed` (e.g. 0.00005) to look past it.

    Right after an input event the application may not have drawn anything yet, so equal
    frames prove nothing: until some change has been seen, the screen is not called stable
    before `react` seconds have passed.
    """
    start = clock()
    frame = capture()
    frames, equal_in_a_row = 1, 1
    seen_change = since is not None and changed_fraction(since, frame, tolerance) > max_changed
    while equal_in_a_row < stable_frames or (not seen_change and clock() - start < react):
        if clock() - start >= timeout:
            return Settled(frame, stable=False, waited=clock() - start, frames=frames)
        sleep(interval)
        nxt = capture()
        frames += 1
        moved = changed_fraction(frame, nxt, tolerance)
        if changing and moved > max_changed:
            seen_change = True
            moved = changed_fraction_outside(frame, nxt, changing, tolerance)
        if moved <= max_changed:
            equal_in_a_row += 1
        else:
            equal_in_a_row, seen_change = 1, True
        frame = nxt
    return Settled(frame, stable=True, waited=clock() - start, frames=frames)


def wait_for_change(
    capture: Callable[[], Frame],
    first: Frame,
    *,
    timeout: float,
    interval: float = 0.02,
    tolerance: int = DEFAULT_TOLERANCE,
    max_changed: float = 0.0,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Settled:
    """Capture until a frame differs from `first` (more than `max_changed` of its pixels
    moved by more than `tolerance`), or until `timeout` seconds have passed: the moment an
    application is seen to have taken an input, which need not be the moment it is still.
    `stable` says whether the change was seen."""
    start = clock()
    frames = 0
    frame = first
    while clock() - start < timeout:
        sleep(interval)
        frame = capture()
        frames += 1
        if changed_fraction(first, frame, tolerance) > max_changed:
            return Settled(frame, stable=True, waited=clock() - start, frames=frames)
    return Settled(frame, stable=False, waited=clock() - start, frames=frames)
