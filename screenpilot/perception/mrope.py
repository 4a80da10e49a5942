"""Where every token of a Qwen3-VL prompt sits: 3-D (t, h, w) MRoPE positions.

Text tokens get one position, the same on all three axes, counting up. The tokens of an image
all start from the position after the preceding text: t stays there, h adds the token's row
and w its column on the merged grid (grid_h / 2 x grid_w / 2, row by row). Text after an
image resumes one past the largest position the image used, so an image advances positions
by max(rows, columns), not by its token count.

In the rotary embedding the three axes share the 64 frequency slots of a 128-wide head
*interleaved*: slot i is h when i % 3 == 1 and w when i % 3 == 2 (up to 3 x 20 slots), t
otherwise - so each axis gets high and low frequencies alike. `frequency_axes` gives that
layout. `token_boxes` maps every visual token back to the screen rectangle it covers.

Checked against transformers' `get_rope_index` on real processor output
(tests/test_mrope.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from screenpilot.perception.geometry import ImageBox, ScreenBox, ScreenGeometry

#: Qwen3-VL's released mrope_section: slots for (t, h, w) out of head_dim / 2 = 64.
MROPE_SECTION = (24, 20, 20)


@dataclass(frozen=True)
class RopePositions:
    """Positions of one prompt: `positions[axis, i]` for axis t=0, h=1, w=2."""

    positions: NDArray[np.int64]
    delta: int  # max position + 1 - length: what generation adds to later token indices


def rope_positions(
    input_ids: Sequence[int],
    image_grids: Sequence[tuple[int, int, int]],
    image_token_id: int,
    merge_size: int = 2,
) -> RopePositions:
    """The (3, len) MRoPE positions of one unpadded prompt holding `len(image_grids)` images,
    each given by its `image_grid_thw` (in 16 px patches, before merging)."""
    ids = list(input_ids)
    out = np.zeros((3, len(ids)), dtype=np.int64)
    grids = iter(image_grids)
    nxt = i = 0
    while i < len(ids):
        if ids[i] != image_token_id:
            out[:, i] = nxt
            nxt += 1
            i += 1
            continue
        try:
            t, h, w = next(grids)
        except StopIteration:
            raise ValueError("the prompt has more images than grids were given") from None
        rows, cols = h // merge_size, w // merge_size
        count = t * rows * cols
        if ids[i : i + count] != [image_token_id] * count:
            raise ValueError(f"an image of grid {(t, h, w)} needs {count} image tokens in a row")
        k = np.arange(count)
        frame, row, col = k // (rows * cols), (k % (rows * cols)) // cols, k % cols
        out[0, i : i + count] = nxt + frame
        out[1, i : i + count] = nxt + row
        out[2, i : i + count] = nxt + col
        nxt += max(t, rows, cols)
        i += count
    if next(grids, None) is not None:
        raise ValueError("more image grids were given than the prompt has images")
    top = int(out.max()) if len(ids) else -1
    return RopePositions(out, top + 1 - len(ids))


def frequency_axes(section: Sequence[int] = MROPE_SECTION) -> list[str]:
    """For each rotary frequency slot (head_dim / 2 of them), the axis it encodes."""
    slots = sum(section)
    axes = ["t"] * slots
    for offset, (axis, size) in enumerate((("h", section[1]), ("w", section[2])), start=1):
        for j in range(offset, size * 3, 3):
            axes[j] = axis
    return axes


@dataclass(frozen=True)
class TokenCell:
    """One visual token: its place on the merged grid and the screen area it covers."""

    index: int
    row: int
    col: int
    box: ScreenBox


def token_boxes(geometry: ScreenGeometry, token_side: int = 32) -> list[TokenCell]:
    """Every visual token of an image sent with this geometry, and the screen rectangle it
    covers (a token covers `token_side` x `token_side` pixels of the sent image)."""
    cols, rows = geometry.image.width // token_side, geometry.image.height // token_side
    s = token_side
    return [
        TokenCell(
            r * cols + c,
            r,
            c,
            geometry.image_box_to_screen(
                ImageBox(x1=c * s, y1=r * s, x2=(c + 1) * s, y2=(r + 1) * s)
            ),
        )
        for r in range(rows)
        for c in range(cols)
    ]
