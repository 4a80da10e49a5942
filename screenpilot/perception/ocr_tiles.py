"""A full read of a frame larger than the detector takes in one look (a 4K screen).

rapidocr shrinks a picture whose longer side passes its limit (`DETECT_LIMIT`) before its
detector sees it: a 3840x2160 screen was looked at at half its resolution, and 14 px labels
were lost (0 of a form's 7 read). Such a frame is cut into overlapping tiles within the limit
(`text_tiles`), the detector looks at each at the frame's own resolution (as it looks at a
1080p screen), the boxes found are put back together across the tiles' edges, and every
line is recognised once from the frame's own pixels. A frame within the limit is read as
before, whole, so what 1080p screens read does not change.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from screenpilot.perception.change import Frame
from screenpilot.perception.geometry import Rect
from screenpilot.perception.opencv import cv2_module
from screenpilot.perception.text_lines import OcrLine, quad_box, split_words
from screenpilot.perception.text_tiles import TILE, Piece, is_blank, merge, tiles

#: The longest side rapidocr's detector is given as it is (`Det.limit_side_len`).
DETECT_LIMIT = TILE
#: Readings under this score are dropped (rapidocr's own `text_score`).
TEXT_SCORE = 0.5
#: The detector's input sides are multiples of this; tiles are padded up to them.
_STRIDE = 32


def needs_tiles(frame: Frame) -> bool:
    """Whether rapidocr would shrink `frame` before detecting text on it."""
    return bool(max(frame.shape[:2]) > DETECT_LIMIT)


def read_tiled(engine: Any, frame: Frame) -> list[OcrLine]:
    """Every line of `frame` (RGB), its text found tile by tile; `engine` is rapidocr's."""
    detector, recogniser = engine._load_det_model(), engine._load_rec_model()
    pieces: list[Piece] = []
    height, width = frame.shape[:2]
    for n, tile in enumerate(tiles(height, width, tile=DETECT_LIMIT)):
        part = frame[tile.top : tile.top + tile.height, tile.left : tile.left + tile.width]
        if not is_blank(part):
            pieces += _detected(detector, part, tile, n)
    quads = merge(pieces)
    if not quads:
        return []
    ordered = [np.asarray(q, np.float32) for q in detector.sorted_boxes(np.stack(quads))]
    return _recognised(engine, recogniser, frame, ordered)


def _detected(detector: Any, part: Frame, tile: Rect, index: int) -> list[Piece]:
    """The boxes the detector finds on one tile, in pixels of the frame."""
    bgr = np.ascontiguousarray(part[:, :, ::-1])
    found = detector(_padded(bgr))
    if found.boxes is None:
        return []
    pieces = []
    for quad in np.asarray(found.boxes, dtype=np.float32):
        quad[:, 0] = np.clip(quad[:, 0], 0, bgr.shape[1]) + tile.left
        quad[:, 1] = np.clip(quad[:, 1], 0, bgr.shape[0]) + tile.top
        pieces.append(Piece(quad, index))
    return pieces


def _padded(bgr: Frame) -> Frame:
    """`bgr` grown at its right and bottom to multiples of 32, in the colour of its own
    edge, so the detector takes it as it is (a tile cut from the frame's edge may be any
    size; rapidocr would stretch it)."""
    h, w = bgr.shape[:2]
    tall, wide = (-(-side // _STRIDE) * _STRIDE for side in (h, w))  # rounded up
    if (tall, wide) == (h, w):
        return bgr
    edge = np.concatenate([bgr[-1], bgr[:, -1]])
    colour = [int(c) for c in np.median(edge, axis=0)]
    cv2 = cv2_module()
    padded: Frame = cv2.copyMakeBorder(
        bgr, 0, tall - h, 0, wide - w, cv2.BORDER_CONSTANT, value=colour
    )
    return padded


def _straightened(frame: Frame, quad: np.ndarray) -> Frame:
    """The line inside `quad`, cut from `frame` and turned upright, in BGR (what the
    recogniser reads)."""
    from rapidocr.utils.process_img import get_rotate_crop_image

    h, w = frame.shape[:2]
    left, top = max(0, int(quad[:, 0].min())), max(0, int(quad[:, 1].min()))
    right = min(w, max(left + 1, math.ceil(quad[:, 0].max()) + 1))
    bottom = min(h, max(top + 1, math.ceil(quad[:, 1].max()) + 1))
    bgr = np.ascontiguousarray(frame[top:bottom, left:right, ::-1])
    corners = (quad - np.array([left, top], np.float32)).astype(np.float32)
    crop: Frame = get_rotate_crop_image(bgr, corners)
    return crop if crop.size else bgr  # a box thinner than a pixel: what lies under it


def _recognised(
    engine: Any, recogniser: Any, frame: Frame, quads: list[np.ndarray]
) -> list[OcrLine]:
    """Each box's line, recognised in one batch (those that read as nothing, or too
    unsure, left out)."""
    from rapidocr.ch_ppocr_rec import TextRecInput

    crops = [_straightened(frame, q) for q in quads]
    out = recogniser(TextRecInput(img=crops, return_word_box=True))
    # rapidocr places the words of each line from where its characters fell in the
    # recogniser's columns, in the frame's pixels.
    placed = engine.cal_rec_boxes(crops, np.stack(quads), out, False).word_results
    lines = []
    for quad, text, score, words in zip(quads, out.txts, out.scores, placed, strict=True):
        text = str(text).strip()  # rapidocr may end a line with a space
        if not text or float(score) < TEXT_SCORE:
            continue
        box = quad_box(quad)
        pieces = [(t, s, b) for t, s, b in words if b is not None]
        lines.append(OcrLine(text, box, float(score), split_words(text, box, pieces)))
    return lines
