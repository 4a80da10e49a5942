"""The detector's tiles over a frame too large for one look, and lines put back together
across them (`perception.text_tiles`, `perception.ocr_tiles`; fast: no models)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from screenpilot.perception.ocr_tiles import DETECT_LIMIT, needs_tiles
from screenpilot.perception.text_tiles import OVERLAP, TILE, Piece, is_blank, merge, spans, tiles


@pytest.mark.parametrize("length", [1, 300, TILE, TILE + 1, 1080, 1920, 2160, 3840, 8192])
def test_tiles_cover_every_pixel_and_overlap_by_more_than_a_line(length: int) -> None:
    cut = spans(length)
    assert cut[0][0] == 0 and cut[-1][1] == length
    assert all(end - start <= TILE for start, end in cut)
    assert len({end - start for start, end in cut}) == 1  # all alike
    for (_, end), (start, _) in itertools.pairwise(cut):
        assert end - start >= OVERLAP
    assert len(tiles(1080, 1920)) == 1 and len(tiles(1080, 1920, tile=576)) == 8


def _piece(left: float, top: float, right: float, bottom: float, tile: int) -> Piece:
    quad = np.array([[left, top], [right, top], [right, bottom], [left, bottom]], np.float32)
    return Piece(quad, tile)


def _boxes(quads: list[np.ndarray]) -> list[tuple[int, ...]]:
    return sorted(
        tuple(int(v) for v in (q[:, 0].min(), q[:, 1].min(), q[:, 0].max(), q[:, 1].max()))
        for q in quads
    )


def test_a_line_cut_by_a_tile_edge_comes_out_once_and_whole() -> None:
    # Tile 0 ends at x=560, tile 1 starts at x=496: "Email address" runs from 450 to 700.
    cut = [_piece(450, 100, 560, 120, 0), _piece(496, 101, 700, 121, 1)]
    assert _boxes(merge(cut)) == [(450, 100, 700, 121)]
    # A word inside the overlap is found by both tiles: once.
    twice = [_piece(500, 200, 540, 220, 0), _piece(501, 200, 541, 221, 1)]
    assert _boxes(merge(twice)) == [(500, 200, 541, 221)]
    # A line cut by a horizontal edge is whole in the tile below; its sliver joins it.
    sliver = [_piece(100, 550, 300, 560, 0), _piece(100, 545, 300, 566, 4)]
    assert _boxes(merge(sliver)) == [(100, 545, 300, 566)]


def test_lines_of_neighbouring_rows_or_of_one_tile_stay_apart() -> None:
    rows = [_piece(450, 100, 560, 121, 0), _piece(496, 118, 700, 140, 1)]  # padded boxes touch
    assert len(merge(rows)) == 2
    same_tile = [_piece(10, 10, 60, 30, 0), _piece(50, 10, 120, 30, 0)]
    assert len(merge(same_tile)) == 2
    kept = merge([_piece(10, 10, 60, 30, 3)])[0]
    assert kept.dtype == np.float32 and _boxes([kept]) == [(10, 10, 60, 30)]


def test_a_tile_of_one_colour_is_blank() -> None:
    grey = np.full((64, 64, 3), 236, np.uint8)
    assert is_blank(grey)
    grey[30, 30] = 240  # rendering jitter
    assert is_blank(grey)
    grey[30:32, 30:40] = 20  # a stroke
    assert not is_blank(grey)


def test_only_a_frame_past_the_detectors_limit_is_read_in_tiles() -> None:
    assert not needs_tiles(np.zeros((1080, 1920, 3), np.uint8))
    assert not needs_tiles(np.zeros((DETECT_LIMIT, DETECT_LIMIT, 3), np.uint8))
    assert needs_tiles(np.zeros((2160, 3840, 3), np.uint8))
    # A 4K screen is four tiles, each about a 1080p screen's worth (read as one is).
    cut = tiles(2160, 3840, tile=DETECT_LIMIT)
    assert len(cut) == 4 and all(t.width <= DETECT_LIMIT for t in cut)
    assert {(t.width, t.height) for t in cut} == {(1952, 1112)}
